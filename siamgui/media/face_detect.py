"""A CNN face detector with five landmarks: MTCNN's three nets run with onnxruntime.

The cascade (Zhang et al., 2016): a fully convolutional proposal net (P-net) over an image
pyramid, then a refinement net (R-net, 24x24 crops) and an output net (O-net, 48x48 crops)
that also gives the eyes, nose tip and mouth corners. The weights are facenet-pytorch's
(``siamgui-train import mtcnn``), shipped in ``models/detectors/``. Small, tightly cropped
photos are upscaled and given a replicated border first and large frames are downscaled, like
``faces.FaceDetector``, so the same detector serves webcam frames and dataset crops.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import cv2
import numpy as np

from siamgui.media import locations
from siamgui.media.errors import MediaError
from siamgui.media.faces import Box, rescale, search_canvas

NETS = ("pnet", "rnet", "onet")
THRESHOLDS = (0.6, 0.7, 0.7)  # face probability kept after P-, R- and O-net
FACTOR = 0.709  # pyramid step (face size ratio between two levels)
NEAR_FACE_PX = 48  # detect_near works on a region scaled so the tracked face is about this wide
DETECT_MAX_SIDE = 640  # larger frames are downscaled to this before the whole-frame search
LANDMARKS = ("left eye", "right eye", "nose", "left mouth", "right mouth")  # as seen in the image


def detectors_dir() -> Path:
    """``models/detectors`` beside the package (source checkout) or inside a frozen bundle: where a
    detector looks when its caller names no folder (``media.locations``, never core)."""
    return locations.detectors_dir()


@dataclass(frozen=True)
class Face:
    """One detection: its box, the O-net face probability, and five landmarks (5, 2) in image
    pixels, in the order of ``LANDMARKS`` (left and right as they appear in the image)."""

    box: Box
    score: float
    landmarks: np.ndarray


class CnnFaceDetector:
    """MTCNN through onnxruntime; thread-safe (sessions are made once, lazily, under a lock, and
    ``InferenceSession.run`` may be called from several threads)."""

    def __init__(self, model_dir: str | Path | None = None, providers: Sequence[str] = ("CPUExecutionProvider",),
                 min_face: float = 0.1, min_face_px: int = 20, thresholds: Sequence[float] = THRESHOLDS,
                 factor: float = FACTOR, max_side: int = DETECT_MAX_SIDE, threads: int = 0):
        """``min_face``: smallest face searched for, as a fraction of the image's shorter side
        (never below ``min_face_px`` pixels of the searched image); ``threads``: onnxruntime
        intra-op threads (0: its default)."""
        self.model_dir = Path(model_dir) if model_dir else detectors_dir()
        self.providers = list(providers)
        self.min_face, self.min_face_px = min_face, min_face_px
        self.thresholds, self.factor, self.max_side, self.threads = tuple(thresholds), factor, max_side, threads
        self._sessions: dict | None = None
        self._lock = threading.Lock()

    # -- sessions -------------------------------------------------------------------------------
    def _nets(self) -> dict:
        if self._sessions is None:
            with self._lock:
                if self._sessions is None:
                    self._sessions = self._load()
        return self._sessions

    def _load(self) -> dict:
        import onnxruntime as ort

        opts = ort.SessionOptions()
        opts.log_severity_level = 3
        # three sessions run one after the other: idle pools must not spin against the next one
        opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
        if self.threads:
            opts.intra_op_num_threads = self.threads
        sessions = {}
        for name in NETS:
            path = self.model_dir / f"{name}.onnx"
            if not path.is_file():
                raise MediaError(f"the face detector file {path.name} is missing from {self.model_dir}")
            sessions[name] = ort.InferenceSession(str(path), opts, providers=self.providers)
        return sessions

    def _run(self, name: str, batch: np.ndarray) -> list[np.ndarray]:
        return self._nets()[name].run(None, {"input": batch})

    # -- public ---------------------------------------------------------------------------------
    def detect(self, image: np.ndarray) -> list[Face]:
        """All faces in a BGR or grey image, largest first, in the image's own pixels."""
        rgb = _to_rgb(image)
        if min(rgb.shape[:2]) < 8:
            return []
        work, scale, pad = search_canvas(rgb, self.max_side)
        inner = min(work.shape[:2]) - 2 * pad
        min_side = max(self.min_face_px, self.min_face * inner)
        faces = self._cascade(work, self._proposals(work, _pyramid(min_side, min(work.shape[:2]), self.factor)))
        return _back(faces, scale, pad, (0, 0))

    def detect_near(self, image: np.ndarray, box: Box, grow: float = 0.5) -> list[Face]:
        """Faces near a known one (video), for tracking between whole-frame searches: only the
        square around ``box`` grown by ``grow`` of its side, scaled so the face is about
        ``NEAR_FACE_PX`` wide; P-net at three scales around the box's size, ``box`` itself as one
        more candidate for R-net, and only R-net's two best boxes for O-net. A small fraction of
        a whole-frame search. Largest first, in the image's own pixels."""
        h, w = image.shape[:2]
        side = max(box.w, box.h, 1.0)
        roi = box.square(grow)
        x0, y0 = max(0, int(math.floor(roi.x))), max(0, int(math.floor(roi.y)))
        x1, y1 = min(w, int(math.ceil(roi.x + roi.w))), min(h, int(math.ceil(roi.y + roi.h)))
        if x1 - x0 < 8 or y1 - y0 < 8:
            return []
        f = min(1.0, NEAR_FACE_PX / side)
        work = rescale(_to_rgb(image[y0:y1, x0:x1]), f)
        face = side * f
        props = self._proposals(work, [12.0 / face * self.factor ** k for k in (-1, 0, 1)])
        prev = box.square()
        own = np.array([[(prev.x - x0) * f, (prev.y - y0) * f, (prev.x + prev.w - x0) * f,
                         (prev.y + prev.h - y0) * f, 1.0]], np.float32)
        rows = self._cascade(work, np.concatenate([props, own]), keep_best=2)
        return _back(rows, f, 0, (x0, y0))

    def landmarks_in(self, image: np.ndarray, boxes: Sequence[Box], grow: float = 0.0,
                     min_prob: float = 0.0, passes: int = 1, rnet: bool = False) -> list[Face]:
        """O-net alone on boxes found by another detector (BlazeFace): each box made square (grown
        by ``grow`` of its side), cut out at 48x48, and given O-net's regressed box, face
        probability and five landmarks. One O-net batch per pass, no pyramid: a small fraction of
        :meth:`detect`. With ``passes`` 2, O-net runs again on its own regressed box, squared, as
        the cascade gives it R-net's (the framing its landmarks were trained on). Faces under
        ``min_prob`` are left out; the rest keep the input order. With ``rnet``, R-net first
        regresses each box, as in the cascade (BlazeFace then stands in for P-net alone)."""
        if not len(boxes):
            return []
        bgr = image.ndim == 3 and image.shape[2] == 3  # crops are turned to RGB, not the whole frame
        src = image if bgr else _to_rgb(image)
        rows = np.array([[b.x, b.y, b.x + b.w, b.y + b.h, 1.0] for b in (box.square(grow) for box in boxes)],
                        np.float32)
        if rnet:
            offsets, _ = self._run("rnet", _crops(src, rows, 24, bgr))
            rows = _square(_regress(rows, offsets))
        for k in range(max(1, passes) - 1):  # the extra passes: O-net again on its own box, squared
            offsets, _, _ = self._run("onet", _crops(src, rows, 48, bgr))
            rows = _square(_regress(rows, offsets))
        offsets, marks, prob = self._run("onet", _crops(src, rows, 48, bgr))
        faces = []  # a face or a few: plain floats, one pass (every frame a face is searched for)
        for (x1, y1, x2, y2, _), off, mk, pr in zip(rows.tolist(), offsets.tolist(), marks.tolist(), prob.tolist()):
            if pr[1] < min_prob:
                continue
            bw, bh = x2 - x1, y2 - y1
            left, top = x1 + off[0] * bw, y1 + off[1] * bh  # MTCNN's box regression
            right, bottom = x2 + off[2] * bw, y2 + off[3] * bh
            points = np.array([(x1 + mk[i] * bw, y1 + mk[i + 5] * bh) for i in range(5)], np.float32)
            faces.append(Face(Box(left, top, right - left, bottom - top), pr[1], points))
        return faces

    # -- the cascade ----------------------------------------------------------------------------
    def _proposals(self, rgb: np.ndarray, scales: Sequence[float]) -> np.ndarray:
        """P-net over ``rgb`` at each scale: (N, 5) squared boxes x1 y1 x2 y2 score."""
        h, w = rgb.shape[:2]
        found = []
        level, level_scale = rgb, 1.0
        for s in scales:
            hs, ws = int(math.ceil(h * s)), int(math.ceil(w * s))
            if min(hs, ws) < 12:
                continue
            # each level from the previous (finer) one: a small resize instead of one from full size
            src = level if level_scale >= s else rgb
            level = cv2.resize(src, (ws, hs), interpolation=_interp(s / (level_scale if src is level else 1.0)))
            level_scale = s
            offsets, prob = self._run("pnet", _blob(level))
            ys, xs = np.nonzero(prob[0, 1] >= self.thresholds[0])
            if not len(ys):
                continue
            cell = 12.0 / s
            x1, y1 = 2.0 * xs / s, 2.0 * ys / s
            boxes = np.stack([x1, y1, x1 + cell, y1 + cell, prob[0, 1, ys, xs]], 1).astype(np.float32)
            pick = _nms(boxes, 0.5)
            found.append(_regress(boxes[pick], offsets[0][:, ys[pick], xs[pick]].T))
        if not found:
            return np.zeros((0, 5), np.float32)
        boxes = np.concatenate(found)
        boxes = boxes[_nms(boxes, 0.7)]
        return _square(boxes)

    def _cascade(self, rgb: np.ndarray, boxes: np.ndarray, keep_best: int = 0) -> np.ndarray:
        """R-net then O-net on candidate boxes: (N, 15) rows x1 y1 x2 y2 score, then 5 (x, y);
        ``keep_best``: only that many of R-net's best boxes go on to O-net (0: all)."""
        if not len(boxes):
            return np.zeros((0, 15), np.float32)
        offsets, prob = self._run("rnet", _crops(rgb, boxes, 24))
        keep = prob[:, 1] > self.thresholds[1]
        boxes, offsets = boxes[keep], offsets[keep]
        boxes[:, 4] = prob[keep, 1]
        pick = _nms(boxes, 0.7)
        if keep_best:
            pick = pick[:keep_best]  # _nms returns best first
        boxes = _square(_regress(boxes[pick], offsets[pick]))
        if not len(boxes):
            return np.zeros((0, 15), np.float32)
        offsets, marks, prob = self._run("onet", _crops(rgb, boxes, 48))
        keep = prob[:, 1] > self.thresholds[2]
        boxes, offsets, marks = boxes[keep], offsets[keep], marks[keep]
        boxes[:, 4] = prob[keep, 1]
        bw, bh = (boxes[:, 2] - boxes[:, 0])[:, None], (boxes[:, 3] - boxes[:, 1])[:, None]
        xs, ys = boxes[:, 0:1] + marks[:, :5] * bw, boxes[:, 1:2] + marks[:, 5:] * bh
        boxes = _regress(boxes, offsets)
        pts = np.stack([xs, ys], 2).reshape(-1, 10)
        out = np.concatenate([boxes, pts], 1)
        return out[_nms(out, 0.7, union=False)]


# -- helpers (pure functions on arrays) -------------------------------------------------------------
def _to_rgb(image: np.ndarray) -> np.ndarray:
    if image.ndim == 3 and image.shape[2] == 1:
        image = image[:, :, 0]
    if image.ndim == 2:
        return cv2.cvtColor(image, cv2.COLOR_GRAY2RGB)
    if image.shape[2] == 4:
        return cv2.cvtColor(image, cv2.COLOR_BGRA2RGB)
    return cv2.cvtColor(image, cv2.COLOR_BGR2RGB)


def _interp(scale: float) -> int:
    return cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR


def _blob(rgb: np.ndarray) -> np.ndarray:
    """HWC uint8 (or NHWC) -> NCHW float32 scaled as the nets were trained: (x - 127.5) / 128."""
    x = rgb[None] if rgb.ndim == 3 else rgb
    return np.ascontiguousarray(((x.astype(np.float32) - 127.5) * 0.0078125).transpose(0, 3, 1, 2))


def _pyramid(min_side: float, shorter: int, factor: float) -> list[float]:
    """Scales at which a face of ``min_side`` pixels, then ever larger ones, fill P-net's 12 px."""
    scales, s = [], 12.0 / min_side
    while shorter * s >= 12:
        scales.append(s)
        s *= factor
    return scales


def _regress(boxes: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """Shift each edge by its offset times the box's width / height (MTCNN's box regression)."""
    out = boxes.copy()
    w, h = boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1]
    out[:, 0] += offsets[:, 0] * w
    out[:, 1] += offsets[:, 1] * h
    out[:, 2] += offsets[:, 2] * w
    out[:, 3] += offsets[:, 3] * h
    return out


def _square(boxes: np.ndarray) -> np.ndarray:
    """Each box made square about its centre, on its longer side."""
    out = boxes.copy()
    w, h = boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1]
    side = np.maximum(w, h)
    out[:, 0] = boxes[:, 0] + (w - side) / 2
    out[:, 1] = boxes[:, 1] + (h - side) / 2
    out[:, 2] = out[:, 0] + side
    out[:, 3] = out[:, 1] + side
    return out


def _nms(boxes: np.ndarray, overlap: float, union: bool = True) -> np.ndarray:
    """Indices kept by greedy non-maximum suppression, best score first (overlap = IoU, or
    intersection over the smaller box when ``union`` is False)."""
    if not len(boxes):
        return np.zeros(0, np.int64)
    x1, y1, x2, y2, s = (boxes[:, i] for i in range(5))
    area = np.maximum(x2 - x1, 0) * np.maximum(y2 - y1, 0)
    order = np.argsort(-s, kind="stable")
    keep = []
    while len(order):
        i, rest = order[0], order[1:]
        keep.append(i)
        iw = np.maximum(0.0, np.minimum(x2[i], x2[rest]) - np.maximum(x1[i], x1[rest]))
        ih = np.maximum(0.0, np.minimum(y2[i], y2[rest]) - np.maximum(y1[i], y1[rest]))
        inter = iw * ih
        denom = (area[i] + area[rest] - inter) if union else np.minimum(area[i], area[rest])
        order = rest[inter / np.maximum(denom, 1e-9) <= overlap]
    return np.array(keep, np.int64)


def _crops(rgb: np.ndarray, boxes: np.ndarray, size: int, bgr: bool = False) -> np.ndarray:
    """Each box cut from ``rgb`` (zeros outside the image) and resized to size x size: NCHW blob.
    ``bgr``: the image is BGR, and only the small crops are turned to RGB (not the whole frame)."""
    h, w = rgb.shape[:2]
    out = []
    for b in boxes:
        xa, ya = int(round(b[0])), int(round(b[1]))
        xb, yb = max(int(round(b[2])), xa + 1), max(int(round(b[3])), ya + 1)
        sx0, sy0, sx1, sy1 = max(xa, 0), max(ya, 0), min(xb, w), min(yb, h)
        if (sx0, sy0, sx1, sy1) == (xa, ya, xb, yb):
            patch = rgb[ya:yb, xa:xb]  # inside the image: read in place
        else:
            patch = np.zeros((yb - ya, xb - xa, 3), np.uint8)
            if sx1 > sx0 and sy1 > sy0:
                patch[sy0 - ya:sy1 - ya, sx0 - xa:sx1 - xa] = rgb[sy0:sy1, sx0:sx1]
        out.append(cv2.resize(patch, (size, size), interpolation=_interp(size / max(xb - xa, 1))))
    # (x - 127.5) / 128 in RGB, NCHW: the numbers _blob gives, in one call
    return cv2.dnn.blobFromImages(out, 0.0078125, mean=(127.5, 127.5, 127.5), swapRB=bgr)


def _back(rows: np.ndarray, scale: float, pad: int, origin: tuple[float, float]) -> list[Face]:
    """Rows of the cascade (in the searched image) as Faces in the original image, largest first."""
    faces = []
    ox, oy = origin
    for r in rows:
        x1, y1, x2, y2 = (r[:4] - pad) / scale
        pts = (r[5:15].reshape(5, 2) - pad) / scale + (ox, oy)
        faces.append(Face(Box(float(x1 + ox), float(y1 + oy), float(x2 - x1), float(y2 - y1)), float(r[4]),
                          pts.astype(np.float32)))
    return sorted(faces, key=lambda f: f.box.area, reverse=True)


_default: CnnFaceDetector | None = None


def default_cnn_detector() -> CnnFaceDetector:
    """One shared detector on the CPU (its sessions load on first use)."""
    global _default
    if _default is None:
        _default = CnnFaceDetector()
    return _default
