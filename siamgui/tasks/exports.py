"""Results written to files a user keeps: calibration rates and few-shot predictions as CSV.

The window's *Save* buttons and the command line (``siamgui fewshot --out``) write the same
columns through these functions, so a file saved from either reads the same. No Qt.
"""

from __future__ import annotations

import csv
from pathlib import Path

from siamgui.errors import UserError


class ExportError(UserError, OSError):
    """The file could not be written (a read-only folder, a missing folder)."""


def _open(path: str | Path):
    path = Path(path)
    if not path.parent.is_dir():
        raise ExportError(f"{path.parent}: the folder does not exist")
    try:
        return open(path, "w", newline="", encoding="utf-8")
    except OSError as exc:
        raise ExportError(f"cannot write {path} ({exc.strerror or exc})") from None


def write_rates_csv(calibration, path: str | Path) -> Path:
    """One row per distinct distance of a calibration: the rates a threshold there gives (the
    threshold written in full, so the rates recomputed from it match).

    Columns: threshold, false_accept_rate, false_reject_rate, true_accept_rate, accuracy. The
    ROC and every threshold choice can be redrawn from it in a spreadsheet."""
    import numpy as np

    roc = calibration.roc
    labels = np.asarray(calibration.labels, bool)
    n_same, n_diff = int(labels.sum()), int((~labels).sum())
    with _open(path) as f:
        w = csv.writer(f)
        w.writerow(["threshold", "false_accept_rate", "false_reject_rate", "true_accept_rate", "accuracy"])
        for t, far, frr in zip(roc.thresholds, roc.far, roc.frr):
            acc = (n_same * (1 - frr) + n_diff * (1 - far)) / max(1, n_same + n_diff)
            w.writerow([repr(float(t)), f"{far:.6f}", f"{frr:.6f}", f"{1 - frr:.6f}", f"{acc:.6f}"])
    return Path(path)


def write_predictions_csv(result, path: str | Path) -> Path:
    """One row per classified file: file, predicted, distance (or score), and with true classes
    the truth and whether the prediction was right."""
    labelled = any(p.truth is not None for p in result.predictions)
    with _open(path) as f:
        w = csv.writer(f)
        w.writerow(["file", "predicted", result.score_kind] + (["truth", "correct"] if labelled else []))
        for p in result.predictions:
            row = [p.file, p.predicted, f"{p.score:.6f}"]
            if labelled:
                row += [p.truth or "", "" if p.truth is None else int(p.truth == p.predicted)]
            w.writerow(row)
    return Path(path)
