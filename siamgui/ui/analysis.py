"""What a pane needs from one file: a picture to draw and the embedding (runs on a pool thread).

Nothing here touches widgets; QImage is safe to build off the UI thread.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from PySide6.QtGui import QImage

from siamgui.media import audio
from siamgui.media.errors import MediaError, require_file
from siamgui.media.medium import Medium
from siamgui.errors import user_message
from siamgui.ui.jobs import PartialFailure

WAVE_BUCKETS = 1600
_FACE_LOCK = threading.Lock()  # one Haar cascade is shared; do not run it from two threads at once


@dataclass
class ImageDisplay:
    image: QImage  # the whole picture
    size: tuple[int, int]  # (w, h) in source pixels


@dataclass
class AudioDisplay:
    clip: audio.AudioClip
    wave: np.ndarray  # (2, buckets) min / max per bucket
    spectrogram: QImage  # log-mel, low frequencies at the bottom


@dataclass
class Analysis:
    path: Path
    display: ImageDisplay | AudioDisplay | None
    embedding: np.ndarray | None = None
    region: Any = None  # faces.Box in source pixels, or None
    view: QImage | None = None  # the crop the encoder saw
    info: dict[str, Any] = field(default_factory=dict)
    outline: np.ndarray | None = None  # (4, 2) corners of a rotated crop (aligned faces), source pixels


# --- numpy -> QImage -------------------------------------------------------------------------
def qimage_from_array(arr: np.ndarray, bgr: bool = True) -> QImage:
    """A deep-copied QImage of a uint8 (H, W) grey or (H, W, 3) BGR/RGB array."""
    arr = np.ascontiguousarray(arr)
    if arr.dtype != np.uint8:
        arr = np.clip(arr, 0, 255).astype(np.uint8)
    if arr.ndim == 2:
        h, w = arr.shape
        return QImage(arr.data, w, h, arr.strides[0], QImage.Format.Format_Grayscale8).copy()
    if arr.shape[2] == 4:
        arr = np.ascontiguousarray(arr[..., :3])
    if bgr:
        arr = np.ascontiguousarray(arr[..., ::-1])
    h, w = arr.shape[:2]
    return QImage(arr.data, w, h, arr.strides[0], QImage.Format.Format_RGB888).copy()


def waveform(samples: np.ndarray, buckets: int = WAVE_BUCKETS) -> np.ndarray:
    """(2, n) min and max of the signal in n equal buckets (n <= buckets)."""
    x = np.asarray(samples, np.float32)
    if x.size == 0:
        return np.zeros((2, 1), np.float32)
    n = min(buckets, x.size)
    edges = np.linspace(0, x.size, n + 1).astype(int)
    lo = np.minimum.reduceat(x, edges[:-1])
    hi = np.maximum.reduceat(x, edges[:-1])
    return np.stack([lo, hi]).astype(np.float32)


def spectrogram_image(clip: audio.AudioClip, n_mels: int = 64) -> QImage:
    rate = clip.rate
    win = max(64, int(0.025 * rate))
    n_fft = 1 << int(np.ceil(np.log2(win)))
    hop = max(16, int(0.010 * rate))
    feat = audio.log_mel(clip.samples, rate, n_mels=n_mels, n_fft=n_fft, win=win, hop=hop)
    hi = float(feat.max())
    lo = max(float(np.percentile(feat, 2)), hi - 12.0)  # ~50 dB of range (natural log of power)
    norm = np.clip((feat - lo) / max(hi - lo, 1e-6), 0, 1)
    grey = (norm[::-1] * 255).astype(np.uint8)  # low frequencies at the bottom
    colour = cv2.applyColorMap(grey, cv2.COLORMAP_MAGMA)
    return qimage_from_array(colour, bgr=True)


# --- one file through one encoder ------------------------------------------------------------
def _display(path: Path, medium: Medium):
    """Decode for display; None when the file cannot be shown (the encoder then explains why).

    A medium with pictures is shown as one; any other as its waveform and spectrogram."""
    if medium.other_medium_files([path]):
        return None, None
    try:
        decoded = medium.decode(path)
    except MediaError:
        return None, None
    if medium.has_picture:
        return ImageDisplay(qimage_from_array(decoded), (decoded.shape[1], decoded.shape[0])), decoded
    return AudioDisplay(decoded, waveform(decoded.samples), spectrogram_image(decoded)), decoded


def analyse(encoder, path: str | Path) -> Analysis:
    """Decode, preprocess as the card says and embed one file; PartialFailure keeps the picture."""
    path = require_file(path)
    display, decoded = _display(path, encoder.modality.medium)
    try:
        source = decoded if decoded is not None else path
        if encoder.modality.tracks_faces:  # one face detector, not thread-safe across jobs
            with _FACE_LOCK:
                prepared = encoder.prepare(source)
        else:
            prepared = encoder.prepare(source)
        embedding = encoder.embed_prepared([prepared])[0]
    except Exception as exc:  # noqa: BLE001 - becomes the pane's message
        msg = user_message(exc)
        if not msg.startswith(path.name):
            msg = msg[0].upper() + msg[1:] if msg else msg
        raise PartialFailure(msg, Analysis(path, display)) from exc
    view = qimage_from_array(prepared.view, bgr=prepared.colour == "bgr") if prepared.view is not None else None
    return Analysis(path, display, embedding, prepared.region, view, dict(prepared.info), prepared.outline)
