"""BlazeFace, MediaPipe's face detector, run with onnxruntime: a whole frame searched in one small pass.

MTCNN searches a 640x480 frame over an image pyramid (P-net at a dozen scales, then R- and O-net):
about 20 ms here. BlazeFace sees the frame once, letterboxed to 128x128 (``short_range``, faces
within about 2 m of a webcam) or 192x192 (``full_range``, within about 5 m), and decodes 896 or
2304 anchors: about 2 ms for the short-range model. The models are MediaPipe's, converted by
``siamgui-train import blazeface`` into ``models/detectors/blazeface_*.onnx``.

The alignment needs MTCNN's five landmarks (the template in ``media/align.py`` is where they land
in dlib's chip). They come from MTCNN's O-net run on each BlazeFace box (``landmarks="onet"``, one
48x48 crop per face), or from BlazeFace's own keypoints (``landmarks="keypoints"``: its eyes, nose
tip and mouth centre mapped onto the same template by :data:`KEYPOINT_TEMPLATE`). BlazeFace misses
faces that are small in the frame and tight crops without context; for those the full MTCNN search
runs (``fallback``), so nothing MTCNN finds is lost.
"""

from __future__ import annotations

import math
import threading
from pathlib import Path
from typing import Any, Sequence

import cv2
import numpy as np

from siamgui.media import align
from siamgui.media.errors import MediaError
from siamgui.media.face_detect import CnnFaceDetector, Face, _to_rgb
from siamgui.media.faces import Box, iou, search_canvas

VARIANTS: dict[str, dict[str, Any]] = {
    "short_range": {"size": 128, "strides": (8, 16, 16, 16), "per_cell_per_layer": 2, "min_score": 0.5},
    "full_range": {"size": 192, "strides": (4,), "per_cell_per_layer": 1, "min_score": 0.6},
}
NMS_IOU = 0.3  # MediaPipe's min_suppression_threshold (weighted NMS)
RAW_SCORE_CLIP = 80.0  # logits clipped before the sigmoid (MediaPipe clips at 100; 80 is safe in float32)
ONET_GROW = 0.0  # the BlazeFace box, squared, is the crop O-net sees (its training crops were R-net boxes)
ONET_MIN_PROB = 0.5  # an O-net probability under this drops the BlazeFace box as a false alarm
NEAR_SIDE = 2.2  # detect_near: the searched square is this many times the tracked face's side

# BlazeFace's right eye, left eye (the subject's), nose tip and mouth centre on dlib's unit face square,
# as MTCNN's TEMPLATE is: the mean over faces found by both detectors of the keypoints mapped by the
# similarity that puts MTCNN's five landmarks on TEMPLATE (``python -m studies.blazeface_study
# FACES template``: 291 faces of the five shared sets, mean of every other one; figures in
# models/detectors/README.md).
KEYPOINT_TEMPLATE = np.array([
    [0.2396, 0.2329],
    [0.7432, 0.2385],
    [0.5247, 0.5137],
    [0.5051, 0.7906],
], np.float64)


def anchors(size: int, strides: Sequence[int], per_cell_per_layer: int) -> np.ndarray:
    """SSD anchor centres (N, 2) in [0, 1], in the order the model emits them (MediaPipe's
    ``SsdAnchorsCalculator`` with fixed anchor size: layers of one stride share their cells)."""
    out, i = [], 0
    while i < len(strides):
        j = i
        while j < len(strides) and strides[j] == strides[i]:
            j += 1
        cells = size // strides[i]
        c = (np.arange(cells, dtype=np.float32) + 0.5) / cells
        yy, xx = np.meshgrid(c, c, indexing="ij")
        grid = np.stack([xx.ravel(), yy.ravel()], 1)
        out.append(np.repeat(grid, per_cell_per_layer * (j - i), axis=0))
        i = j
    return np.concatenate(out).astype(np.float32)


# one BlazeFace candidate: (x1, y1, x2, y2) and six keypoints (x, y), all in [0, 1] of the model's input
Candidate = tuple[tuple[float, float, float, float], float, list[tuple[float, float]]]


def decode(regressors: np.ndarray, logits: np.ndarray, anchor_xy: np.ndarray, size: int,
           min_score: float) -> list[Candidate]:
    """(box x1 y1 x2 y2, score, six keypoints) in [0, 1] of the model's input, for the anchors
    scoring at least ``min_score``, in anchor order.

    The few anchors near the threshold are picked by one comparison over the array; the rest is
    plain arithmetic on them. This runs on every frame right after the face encoder, whose weights
    have pushed numpy's code out of the CPU caches: there each numpy call costs about 5 us, so a
    handful of floats is cheaper in Python (measured right after the encoder, decode and
    weighted_nms together on the bench frame's 7 candidates: 0.17 against 0.22-0.27 ms in numpy)."""
    raw = logits.reshape(-1)
    edge = math.log(min_score / (1.0 - min_score)) - 1e-3 if 0 < min_score < 1 else -math.inf
    near = np.flatnonzero(raw >= edge)  # the margin keeps every logit whose sigmoid could round up to the threshold
    if not len(near):
        return []
    found: list[Candidate] = []
    for z, r, (ax, ay) in zip(raw[near].tolist(), regressors.reshape(-1, 16)[near].tolist(), anchor_xy[near].tolist()):
        score = 1.0 / (1.0 + math.exp(-min(max(z, -RAW_SCORE_CLIP), RAW_SCORE_CLIP)))
        if score < min_score:
            continue
        cx, cy, hw, hh = r[0] / size + ax, r[1] / size + ay, r[2] / size / 2, r[3] / size / 2
        if hw <= 0 or hh <= 0:
            continue
        points = [(r[k] / size + ax, r[k + 1] / size + ay) for k in range(4, 16, 2)]
        found.append(((cx - hw, cy - hh, cx + hw, cy + hh), score, points))
    return found


def weighted_nms(candidates: list[Candidate], iou: float = NMS_IOU) -> list[Candidate]:
    """MediaPipe's weighted non-maximum suppression: each cluster of boxes overlapping the best one
    by more than ``iou`` becomes one detection, its box and keypoints the score-weighted mean of
    the cluster's, its score the best one's. Best first."""
    order = sorted(candidates, key=lambda c: -c[1])  # stable: equal scores keep anchor order
    alive = [True] * len(order)
    out: list[Candidate] = []
    for i, (b, best, _) in enumerate(order):
        if not alive[i]:
            continue
        area = (b[2] - b[0]) * (b[3] - b[1])
        cluster = []
        for j in range(i, len(order)):
            if not alive[j]:
                continue
            o = order[j][0]
            inter = max(0.0, min(b[2], o[2]) - max(b[0], o[0])) * max(0.0, min(b[3], o[3]) - max(b[1], o[1]))
            union = area + (o[2] - o[0]) * (o[3] - o[1]) - inter
            if j == i or inter / max(union, 1e-9) > iou:
                cluster.append(order[j])
                alive[j] = False
        total = 0.0
        acc = [0.0] * (4 + 2 * len(cluster[0][2]))  # x1 y1 x2 y2, then each keypoint's x and y
        for c_box, c_score, c_points in cluster:
            total += c_score
            for k, v in enumerate((*c_box, *(xy for p in c_points for xy in p))):
                acc[k] += v * c_score
        mean = [v / total for v in acc]
        out.append(((mean[0], mean[1], mean[2], mean[3]), best, list(zip(mean[4::2], mean[5::2]))))
    return out


def keypoints_to_landmarks(keypoints: np.ndarray) -> np.ndarray:
    """MTCNN-style five landmarks (5, 2) from BlazeFace's eyes, nose tip and mouth centre: the
    similarity that puts those four on :data:`KEYPOINT_TEMPLATE` maps MTCNN's TEMPLATE back into
    the image, so aligning on the result is aligning on BlazeFace's own four points."""
    k = np.asarray(keypoints, np.float64)[:4]
    if k[0, 0] > k[1, 0]:  # as seen in the image: the left one first, as MTCNN gives them
        k = k[[1, 0, 2, 3]]
    m = align.similarity(KEYPOINT_TEMPLATE, k)
    return (align.TEMPLATE @ m[:, :2].T + m[:, 2]).astype(np.float32)


class BlazeFaceDetector:
    """BlazeFace through onnxruntime, with ``detect`` / ``detect_near`` returning :class:`Face`
    (box, score, five landmarks) like :class:`CnnFaceDetector`; thread-safe (the session is made
    once, lazily, under a lock)."""

    def __init__(self, model_dir: str | Path | None = None, providers: Sequence[str] = ("CPUExecutionProvider",),
                 variant: str = "short_range", landmarks: str = "onet", fallback: CnnFaceDetector | None = None,
                 min_score: float | None = None, threads: int = 1, onet_passes: int = 1, rnet: bool = False):
        """``landmarks``: "onet" (MTCNN's O-net on each box) or "keypoints" (BlazeFace's own);
        ``fallback``: the MTCNN detector that gives O-net and searches when BlazeFace finds
        nothing (default: one on the same providers); ``threads``: onnxruntime intra-op threads
        of BlazeFace's own session (1: on a net this small, handing work to a second thread costs
        more than it saves: 2.8 against 3.1-3.5 ms a frame measured on the 2-core machine)."""
        if variant not in VARIANTS:
            raise MediaError(f"unknown BlazeFace variant {variant!r} (known: {', '.join(VARIANTS)})")
        if landmarks not in ("onet", "keypoints"):
            raise MediaError(f"landmarks must be 'onet' or 'keypoints', not {landmarks!r}")
        self.variant, self.landmarks, self.onet_passes, self.rnet = variant, landmarks, onet_passes, rnet
        v = VARIANTS[variant]
        self.size = int(v["size"])
        self.min_score = float(v["min_score"] if min_score is None else min_score)
        self.anchor_xy = anchors(self.size, v["strides"], v["per_cell_per_layer"])
        self.providers, self.threads = list(providers), threads
        self.fallback = fallback or CnnFaceDetector(model_dir=model_dir, providers=providers)
        self.model_dir = Path(model_dir) if model_dir else None
        self._session = None
        self._lock = threading.Lock()
        self._black = float(cv2.dnn.blobFromImage(np.zeros((1, 1, 3), np.uint8), 1.0 / 127.5,
                                                  mean=(127.5, 127.5, 127.5)).flat[0])  # a black pixel, as the model sees it

    # -- session --------------------------------------------------------------------------------
    def model_path(self) -> Path:
        folder = self.model_dir or self.fallback.model_dir
        return Path(folder) / f"blazeface_{self.variant}.onnx"

    def _run(self, blob: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        if self._session is None:
            with self._lock:
                if self._session is None:
                    self._session = self._load()
        regressors, logits = self._session.run(["regressors", "classificators"], {"input": blob})
        return regressors, logits

    def _load(self):
        import onnxruntime as ort

        path = self.model_path()
        if not path.is_file():
            raise MediaError(f"the face detector file {path.name} is missing from {path.parent} "
                             "(siamgui-train import blazeface --out-dir models/detectors makes it)")
        opts = ort.SessionOptions()
        opts.log_severity_level = 3
        opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
        if self.threads:
            opts.intra_op_num_threads = self.threads
        return ort.InferenceSession(str(path), opts, providers=self.providers)

    # -- public ---------------------------------------------------------------------------------
    def detect(self, image: np.ndarray) -> list[Face]:
        """All faces in a BGR or grey image, largest first, in the image's own pixels; MTCNN's
        whole search when BlazeFace finds none."""
        if min(image.shape[:2]) < 8:
            return []
        faces = self.detect_own(image)
        return faces if faces else self.fallback.detect(image)

    def detect_every(self, image: np.ndarray) -> list[Face]:
        """Every face in a frame, for following several at once: BlazeFace's, plus MTCNN's that no
        BlazeFace box overlaps. BlazeFace sees the frame at 128 px, where a face a sixth of the
        frame wide is about 20 px: at that size it misses some of a group (measured on the test
        crowd video: 2-3 of 4 faces found per frame, MTCNN 4 of 4). A tracker runs this only
        for its whole-frame searches; the faces it follows are then found near their boxes,
        where BlazeFace sees them large."""
        own = self.detect_own(image)
        boxes = [f.box for f in own]
        extra = [f for f in self.fallback.detect(image) if all(iou(f.box, b) < 0.3 for b in boxes)]
        return sorted(own + extra, key=lambda f: f.box.area, reverse=True)

    def detect_own(self, image: np.ndarray) -> list[Face]:
        """BlazeFace's faces alone (no MTCNN search when there are none), largest first."""
        return self._faces(self.keypoints(image), image)

    def keypoints(self, image: np.ndarray) -> list[tuple[Box, float, np.ndarray]]:
        """BlazeFace's own detections: (box, score, six keypoints (6, 2)) in the image's pixels,
        best first; the keypoints are the subject's right and left eye, nose tip, mouth centre,
        right and left ear tragion."""
        if min(image.shape[:2]) < 8:
            return []
        work, scale, pad = search_canvas(image, max(image.shape[:2]))  # small crops: upscaled, bordered
        return self._search(work, scale, pad, (0.0, 0.0))

    def detect_near(self, image: np.ndarray, box: Box, grow: float = 0.5) -> list[Face]:
        """Faces near a tracked one: BlazeFace on the square around ``box`` (``NEAR_SIDE`` times its
        side, so the face fills the model's view as at selfie range); MTCNN's ``detect_near`` when
        it finds nothing there. Largest first, in the image's own pixels."""
        h, w = image.shape[:2]
        roi = box.square((NEAR_SIDE - 1.0) / 2.0)
        x0, y0 = max(0, int(np.floor(roi.x))), max(0, int(np.floor(roi.y)))
        x1, y1 = min(w, int(np.ceil(roi.x + roi.w))), min(h, int(np.ceil(roi.y + roi.h)))
        if x1 - x0 < 8 or y1 - y0 < 8:
            return []
        faces = self._faces(self._search(image[y0:y1, x0:x1], 1.0, 0, (float(x0), float(y0))), image)
        return faces if faces else self.fallback.detect_near(image, box, grow)

    # -- the search -----------------------------------------------------------------------------
    def _search(self, work: np.ndarray, scale: float, pad: int,
                origin: tuple[float, float]) -> list[tuple[Box, float, np.ndarray]]:
        """BlazeFace on ``work`` (BGR, BGRA or grey: the image scaled by ``scale``, bordered by ``pad``,
        cut at ``origin``): (box, score, keypoints) in the image's own pixels, best first. The
        picture is resized to the model's side bilinearly, as MediaPipe's own image-to-tensor step
        does (``cv::warpPerspective``, INTER_LINEAR: four source pixels for each one it makes, where
        area averaging reads every pixel of the frame; recall and alignment measured alike, see
        models/detectors/README.md), then turned to RGB and scaled to [-1, 1] in one step straight
        into the letterboxed input."""
        h, w = work.shape[:2]
        fit = self.size / max(h, w)
        nh, nw = max(1, round(h * fit)), max(1, round(w * fit))
        if work.ndim == 3 and work.shape[2] == 3:  # BGR: resized, turned and scaled in one call
            inner = cv2.dnn.blobFromImage(work, 1.0 / 127.5, (nw, nh), (127.5, 127.5, 127.5), swapRB=True)
        else:
            small = _to_rgb(cv2.resize(work, (nw, nh), interpolation=cv2.INTER_LINEAR))
            inner = cv2.dnn.blobFromImage(small, 1.0 / 127.5, mean=(127.5, 127.5, 127.5))  # NCHW RGB in [-1, 1]
        top, left = (self.size - nh) // 2, (self.size - nw) // 2
        blob = np.full((1, 3, self.size, self.size), self._black, np.float32)  # letterboxed on black
        blob[:, :, top:top + nh, left:left + nw] = inner
        regressors, logits = self._run(blob)
        ox, oy = origin
        sx, sy = self.size / fit / scale, self.size / fit / scale  # model input [0, 1] -> the image's own pixels
        dx, dy = ox - (left / fit + pad) / scale, oy - (top / fit + pad) / scale
        found = []
        for (x1, y1, x2, y2), s, points in weighted_nms(decode(regressors, logits, self.anchor_xy, self.size,
                                                               self.min_score)):
            x1, y1, x2, y2 = x1 * sx + dx, y1 * sy + dy, x2 * sx + dx, y2 * sy + dy
            found.append((Box(x1, y1, x2 - x1, y2 - y1), s,
                          np.array([(x * sx + dx, y * sy + dy) for x, y in points], np.float64)))
        return found

    def _faces(self, found: list[tuple[Box, float, np.ndarray]], image: np.ndarray) -> list[Face]:
        """Detections as Faces with five landmarks (O-net runs on ``image`` itself), largest first."""
        if not found:
            return []
        if self.landmarks == "keypoints":
            faces = [Face(bx, s, keypoints_to_landmarks(k)) for bx, s, k in found]
        else:
            refined = self.fallback.landmarks_in(image, [bx for bx, _, _ in found], ONET_GROW,
                                                 passes=self.onet_passes, rnet=self.rnet)
            faces = [Face(bx, s, f.landmarks) for (bx, s, _), f in zip(found, refined) if f.score >= ONET_MIN_PROB]
        return sorted(faces, key=lambda f: f.box.area, reverse=True)
