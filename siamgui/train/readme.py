"""Render ``models/README.md`` (one section per model) from training reports (``report.json``).

    python -m siamgui.train.readme runs/glyph/report.json                     # print the section
    python -m siamgui.train.readme --write models/README.md runs/*/report.json  # the whole file
"""

from __future__ import annotations

import json
import sys
from pathlib import Path


def pct(x) -> str:
    return "n/a" if x is None else f"{100 * x:.2f}%"


def section(report: dict) -> str:
    m = report.get("metrics", {})
    split = report.get("split", {})
    held = split.get("val_groups") or f"{split.get('val_classes')} classes (listed in the card's provenance.split)"
    lines = [
        f"### `{Path(report['out']).name}`",
        "",
        "```",
        report.get("command", ""),
        "```",
        "",
        f"- split: {split.get('rule')}; {split.get('train_classes')} training classes, "
        f"{split.get('val_classes')} held-out validation classes; held out: {held}",
        f"- skipped: {report.get('skipped') or 'nothing'}",
        f"- training: {report['steps']} steps, {report['train_minutes']:.1f} min of training, "
        f"{report['wall_minutes']:.1f} min wall in all (2-core CPU)",
        f"- held-out classes: AUC {m.get('auc', float('nan')):.4f}, EER {pct(m.get('eer'))}, "
        f"accuracy at the threshold {pct(m.get('accuracy'))} (FAR {pct(m.get('far'))}, FRR {pct(m.get('frr'))}), "
        f"5-way one-shot {pct(m.get('one_shot_5'))}, 20-way one-shot {pct(m.get('one_shot_20'))}"
        + (f", 20-way within one group {pct(m.get('one_shot_20_within_group'))}"
           if "one_shot_20_within_group" in m else ""),
        f"- pairs: {m.get('genuine_pairs')} genuine, {m.get('impostor_pairs')} impostor, from "
        f"{m.get('val_samples')} samples of {m.get('val_classes')} classes",
        f"- threshold (cosine distance, EER point): {report['threshold']:.4f}",
        f"- parity torch vs onnxruntime: max abs diff {report['parity_max_abs_diff']:.1e}; "
        f"app engine vs torch on files: {report.get('app_max_abs_diff') or float('nan'):.1e}",
        f"- file size: {report['size_bytes'] / 1e6:.2f} MB",
    ]
    return "\n".join(lines) + "\n"


HEADER = """# Shipped models

Trained with `siamgui-train` (this repository, `pip install -e .[train]`) on the shared data
sets (`../shared/data`, never copied here), on a 2-core CPU, no GPU. Every figure below is
measured on **held-out classes** (identities, speakers or whole alphabets never seen in
training), with the app's own preprocessing and the app's metrics (`siamgui.core.metrics`).
The threshold in each card is the EER point on those validation pairs. Each `.onnx` carries
its model card (`metadata_props`); `NAME-curve.png` is its training curve. Distances on the
sample pairs in `resources/samples/` are pinned by `tests/test_models_golden.py`.

"""


def write(path: Path, reports: list[Path], notes: dict[str, str] | None = None) -> str:
    notes = notes or {}
    parts = [HEADER]
    for p in reports:
        r = json.loads(Path(p).read_text())
        parts.append(section(r))
        extra = notes.get(Path(r["out"]).stem)
        if extra:
            parts.append(extra.rstrip() + "\n")
        parts.append("\n")
    text = "".join(parts)
    Path(path).write_text(text)
    return text


if __name__ == "__main__":
    args = sys.argv[1:]
    if args[:1] == ["--write"]:
        write(Path(args[1]), [Path(a) for a in args[2:]])
    else:
        for p in args:
            print(section(json.loads(Path(p).read_text())))
