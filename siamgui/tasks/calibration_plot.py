"""The calibration's two plots as one PNG, drawn without Qt: what ``siamgui calibrate --plot`` writes.

Left: the distance histograms of same pairs (green) and different pairs (red) with the chosen
threshold as a line; right: the ROC curve with its AUC and the equal-error point. OpenCV draws
it, so the command line stays headless (no display, no Qt).
"""

from __future__ import annotations

import cv2
import numpy as np

SAME = (74, 163, 22)  # BGR of the window's green
DIFF = (38, 38, 220)  # BGR of its red
ACCENT = (229, 70, 79)  # indigo
INK = (39, 24, 17)
MUTED = (128, 114, 107)
GRID = (235, 231, 229)
FONT = cv2.FONT_HERSHEY_SIMPLEX
BINS = 40


def _text(img, text: str, org: tuple[int, int], scale: float = 0.45, colour=INK, thick: int = 1,
          centre: bool = False) -> None:
    if centre:
        (w, _), _ = cv2.getTextSize(text, FONT, scale, thick)
        org = (org[0] - w // 2, org[1])
    cv2.putText(img, text, org, FONT, scale, colour, thick, cv2.LINE_AA)


def _histogram(img, box: tuple[int, int, int, int], same: np.ndarray, different: np.ndarray,
               threshold: float) -> None:
    x0, y0, x1, y1 = box
    every = np.r_[same, different]
    hi = max(float(every.max()) * 1.05 if len(every) else 2.0, threshold * 1.1, 1e-3)
    edges = np.linspace(0.0, hi, BINS + 1)
    hs = np.histogram(same, edges)[0] / max(1, len(same))
    hd = np.histogram(different, edges)[0] / max(1, len(different))
    top = max(float(hs.max(initial=0)), float(hd.max(initial=0)), 1e-6) * 1.1

    def x_of(v: float) -> int:
        return int(x0 + v / hi * (x1 - x0))

    def y_of(f: float) -> int:
        return int(y1 - f / top * (y1 - y0))

    for f in np.linspace(0, top, 5)[1:]:
        cv2.line(img, (x0, y_of(f)), (x1, y_of(f)), GRID, 1)
        _text(img, f"{100 * f:.0f}%", (x0 - 44, y_of(f) + 4), 0.38, MUTED)
    for hist, colour in ((hd, DIFF), (hs, SAME)):
        layer = img.copy()
        for i, h in enumerate(hist):
            if h > 0:
                cv2.rectangle(layer, (x_of(edges[i]), y_of(h)), (x_of(edges[i + 1]), y1), colour, -1)
        cv2.addWeighted(layer, 0.35, img, 0.65, 0, img)
        for i, h in enumerate(hist):
            if h > 0:
                cv2.rectangle(img, (x_of(edges[i]), y_of(h)), (x_of(edges[i + 1]), y1), colour, 1)
    cv2.line(img, (x0, y1), (x1, y1), MUTED, 1)
    for v in np.linspace(0, hi, 6):
        _text(img, f"{v:.2f}", (x_of(v), y1 + 18), 0.38, MUTED, centre=True)
    _text(img, "distance", ((x0 + x1) // 2, y1 + 38), 0.42, MUTED, centre=True)
    xt = x_of(threshold)
    cv2.line(img, (xt, y0 - 4), (xt, y1), ACCENT, 2)
    _text(img, f"threshold {threshold:.3f}", (min(xt + 6, x1 - 120), y0 + 10), 0.42, ACCENT)
    # the legend above the bars, never over them
    cv2.rectangle(img, (x0, y0 - 30), (x0 + 11, y0 - 19), SAME, -1)
    _text(img, f"same pairs ({len(same):,})", (x0 + 16, y0 - 20), 0.42)
    cv2.rectangle(img, (x0 + 190, y0 - 30), (x0 + 201, y0 - 19), DIFF, -1)
    _text(img, f"different pairs ({len(different):,})", (x0 + 206, y0 - 20), 0.42)


def _roc(img, box: tuple[int, int, int, int], far: np.ndarray, tpr: np.ndarray, auc_label: str,
         eer: float) -> None:
    x0, y0, x1, y1 = box
    side = min(x1 - x0, y1 - y0)
    x0 = x0 + (x1 - x0 - side) // 2
    x1, y1 = x0 + side, y0 + side

    def at(f: float, t: float) -> tuple[int, int]:
        return int(x0 + f * side), int(y1 - t * side)

    for v in (0.0, 0.25, 0.5, 0.75, 1.0):
        cv2.line(img, at(v, 0), at(v, 1), GRID, 1)
        cv2.line(img, at(0, v), at(1, v), GRID, 1)
        _text(img, f"{v:g}", (at(v, 0)[0], y1 + 16), 0.36, MUTED, centre=True)
        _text(img, f"{v:g}", (x0 - 30, at(0, v)[1] + 4), 0.36, MUTED)
    cv2.line(img, at(0, 0), at(1, 1), (209, 213, 219), 1, cv2.LINE_AA)
    pts = np.array([at(float(f), float(t)) for f, t in zip(far, tpr)] + [at(1, 1)], np.int32)
    cv2.polylines(img, [pts], False, ACCENT, 2, cv2.LINE_AA)
    e = at(eer, 1 - eer)
    cv2.circle(img, e, 4, MUTED, 1, cv2.LINE_AA)
    _text(img, f"EER {100 * eer:.2f}%", (e[0] + 8, e[1] + 20), 0.4, MUTED)  # inside the curve, off its corner
    _text(img, "false-accept rate", ((x0 + x1) // 2, y1 + 34), 0.42, MUTED, centre=True)
    _text(img, f"ROC  AUC {auc_label}", ((x0 + x1) // 2, y0 - 14), 0.5, INK, 1, centre=True)


def render(calibration, threshold: float, width: int = 1100, height: int = 440) -> np.ndarray:
    """The two plots side by side, as a BGR image."""
    from siamgui.tasks.calibration import auc_text

    img = np.full((height, width, 3), 255, np.uint8)
    split = int(width * 0.62)
    _histogram(img, (60, 56, split - 20, height - 50), np.asarray(calibration.same),
               np.asarray(calibration.different), threshold)
    _roc(img, (split + 40, 40, width - 20, height - 50), calibration.roc.far, calibration.roc.tpr,
         auc_text(calibration.auc), calibration.eer)
    return img


def write(calibration, threshold: float, path) -> None:
    """Write the PNG (an OSError-free UserError when the file cannot be written)."""
    from siamgui.tasks.exports import ExportError

    if not cv2.imwrite(str(path), render(calibration, threshold)):
        raise ExportError(f"cannot write {path}")
