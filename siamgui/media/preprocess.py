"""Exactly what a model's card says to do to an input before the encoder sees it.

The card's ``preprocess`` entry is a small JSON object, e.g. ``{"kind": "face", "size": 64,
"margin": 0.15, "equalize": true}``. One function per kind turns a file or an array into the
(windows, channels, height, width) float32 batch the ONNX encoder takes. Training calls the
same functions, so what a model learned on is what it sees in the app.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Union

import cv2
import numpy as np

from siamgui.media import audio, faces, ge2e, glyphs, images
from siamgui.media.errors import MediaError

KINDS = ("face", "glyph", "image", "logmel", "ge2e")
Source = Union[str, Path, np.ndarray, audio.AudioClip]

DEFAULTS: dict[str, dict[str, Any]] = {
    "face": {"size": 64, "margin": 0.15, "equalize": True, "mean": 0.5, "std": 0.5},
    "glyph": {"size": 32, "margin": 0.1},
    "image": {"size": 64, "channels": 3, "mean": 0.5, "std": 0.5},
    "logmel": {"sample_rate": 16000, "n_mels": 40, "n_fft": 512, "win": 400, "hop": 160,
               "frames": 160, "step": 80, "min_voiced_s": 0.4},
    # ge2e (Resemblyzer's speaker encoder): provisional branch, to move into a Modality class
    "ge2e": {k: v for k, v in ge2e.DEFAULTS.items()},
}
AUDIO_KINDS = ("logmel", "ge2e")


@dataclass
class Prepared:
    """Encoder input for one source, plus what to show the user about it."""

    tensors: np.ndarray  # (windows, C, H, W) float32; images have one window
    region: faces.Box | None = None  # the part of the source image the encoder saw
    view: np.ndarray | None = None  # that part as a uint8 picture, for display
    info: dict[str, Any] = field(default_factory=dict)


def resolve(spec: dict[str, Any]) -> dict[str, Any]:
    """The spec with defaults filled in; raises MediaError for an unknown kind."""
    kind = spec.get("kind")
    if kind not in KINDS:
        raise MediaError(f"unknown preprocessing kind {kind!r} (known: {', '.join(KINDS)})")
    return {**DEFAULTS[kind], **spec}


def modality(spec: dict[str, Any]) -> str:
    return "audio" if spec.get("kind") in AUDIO_KINDS else "image"


def input_shape(spec: dict[str, Any]) -> tuple[int, int, int]:
    """(C, H, W) of one encoder input under this spec."""
    s = resolve(spec)
    if s["kind"] in AUDIO_KINDS:
        return (1, int(s["n_mels"]), int(s["frames"]))
    size = s["size"]
    h, w = (size, size) if isinstance(size, int) else tuple(size)
    return (int(s.get("channels", 1)) if s["kind"] == "image" else 1, int(h), int(w))


def prepare(spec: dict[str, Any], source: Source) -> Prepared:
    s = resolve(spec)
    if s["kind"] in AUDIO_KINDS:
        return prepare_audio(s, source)
    img = _as_image(source)
    if s["kind"] == "face":
        return prepare_face(s, img)
    if s["kind"] == "glyph":
        g = glyphs.glyph_tensor(img, int(s["size"]), float(s["margin"]))
        return Prepared(g[None, None], view=(g * 255).astype(np.uint8))
    return prepare_image(s, img)


def _as_image(source: Source) -> np.ndarray:
    if isinstance(source, np.ndarray):
        if source.ndim not in (2, 3) or source.size == 0:
            raise MediaError("expected an image array (H, W) or (H, W, 3)")
        return images.to_bgr(source)
    if isinstance(source, audio.AudioClip) or (isinstance(source, (str, Path)) and audio.is_audio_path(source)):
        raise MediaError(f"{Path(str(source)).name if not isinstance(source, audio.AudioClip) else 'audio'}: "
                         "this model takes images, not audio")
    return images.load_image(source)


def face_tensor(crop: np.ndarray, spec: dict[str, Any]) -> np.ndarray:
    """A grey uint8 face crop -> (1, S, S) normalised float32."""
    if spec.get("equalize", True):
        crop = cv2.equalizeHist(crop)
    x = crop.astype(np.float32) / 255.0
    return ((x - float(spec["mean"])) / float(spec["std"]))[None]


def prepare_face(s: dict[str, Any], img: np.ndarray, box: faces.Box | None = None) -> Prepared:
    region = box or faces.face_region(img, float(s["margin"]))
    crop = faces.crop(img, region, int(s["size"]))
    return Prepared(face_tensor(crop, s)[None], region=region, view=crop)


def prepare_image(s: dict[str, Any], img: np.ndarray) -> Prepared:
    c, h, w = input_shape(s)
    x = cv2.resize(img, (w, h), interpolation=cv2.INTER_AREA)
    x = images.to_grey(x)[..., None] if c == 1 else cv2.cvtColor(x, cv2.COLOR_BGR2RGB)
    t = (x.astype(np.float32) / 255.0 - np.asarray(s["mean"], np.float32)) / np.asarray(s["std"], np.float32)
    H, W = img.shape[:2]
    return Prepared(np.transpose(t, (2, 0, 1))[None].astype(np.float32), region=faces.Box(0, 0, W, H), view=x.squeeze())


def prepare_audio(s: dict[str, Any], source: Source) -> Prepared:
    if isinstance(source, audio.AudioClip):
        clip = source
    elif isinstance(source, np.ndarray):
        raise MediaError("this model takes audio: pass a file path or an AudioClip")
    else:
        if images.is_image_path(source):
            raise MediaError(f"{Path(source).name}: this model takes audio, not images")
        clip = audio.load_audio(source)
    if clip.duration <= 0:
        raise MediaError("the clip is empty (zero length)")
    if audio.is_silent(clip):
        raise MediaError("the clip is silent: no voice or sound to compare")
    if s["kind"] == "ge2e":  # provisional ge2e branch (see DEFAULTS)
        wins, info = ge2e.prepare(clip.samples, clip.rate, s)
        return Prepared(wins, info=info)
    clip = audio.resample(clip, int(s["sample_rate"]))
    speech = audio.voiced(clip)
    if speech.duration < float(s["min_voiced_s"]):
        raise MediaError(f"too little sound: {speech.duration:.2f} s voiced, "
                         f"at least {float(s['min_voiced_s']):.1f} s needed")
    feat = audio.log_mel(speech.samples, speech.rate, n_mels=int(s["n_mels"]), n_fft=int(s["n_fft"]),
                         win=int(s["win"]), hop=int(s["hop"]))
    wins = audio.windows(audio.normalise_features(feat), int(s["frames"]), int(s["step"]))
    return Prepared(wins[:, None], info={"duration": clip.duration, "voiced": speech.duration, "windows": len(wins)})
