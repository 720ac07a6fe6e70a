"""Maps of why: occlusion sensitivity for a pair, computed with the pair's own ONNX encoder. No Qt.

A grey patch (the input's mean, so it carries no texture of its own) is slid over each side's
model input, in the modality's own input space (``Prepared.tensors``: the 150 px aligned face chip,
the 28 px glyph, the log-mel windows). Every occluded copy of one side goes through
``Encoder.run`` in one batched call (the same onnxruntime session, so CUDA when the encoder runs
there), and the map says how much hiding each region moved the distance to the *other* side's
(unoccluded) embedding:

* positive (drawn red): hiding it raised the distance, so the region made the pair look alike;
* negative (drawn blue): hiding it lowered the distance, so the region set them apart.

For audio the patch is a band of time x mel frequency on the clip's normalised log-mel features,
cut into the encoder's windows exactly as the modality does; the map lies over that spectrogram.

    maps = explain_pair(encoder, "a.jpg", "b.jpg")
    maps.sides[0].heat            # (H, W) float32, aligned with maps.sides[0].view
    cv2.imwrite("map.png", render(maps))
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np

from siamgui.core.compare import distance, l2_normalise
from siamgui.media.errors import MediaError
from siamgui.media.modalities import Prepared, Source

GRID = 7  # patch positions per image axis: 49 occlusions per side (a face pair in about 1 s on 2 cores)
PATCH = 0.25  # patch side as a share of the input side
AUDIO_TIME_STEPS = 10  # time-band positions over the clip (each band is two steps wide)
AUDIO_BANDS = 4  # mel-frequency bands
SPECTROGRAM_ASPECT = 1.6  # width / height of a drawn spectrogram map: time is not geometry, a 6 s clip
# drawn at its own aspect would be a strip ten times wider than high


@dataclass
class SideMap:
    """One side's map: ``heat`` (H, W) change of distance, aligned with ``view`` (uint8 picture)."""

    heat: np.ndarray
    view: np.ndarray
    colour: str  # "grey", "rgb" or "bgr": channel order of ``view``
    occlusions: int
    what: str  # how to read the axes ("face chip 150 px", "log-mel: time ->, frequency ^")
    stretch: bool = False  # drawn at SPECTROGRAM_ASPECT (a spectrogram), not at the view's own aspect


@dataclass
class PairMaps:
    sides: tuple[SideMap, SideMap]
    distance: float
    seconds: float
    providers: list[str]

    @property
    def occlusions(self) -> int:
        return sum(s.occlusions for s in self.sides)


def _starts(size: int, patch: int, grid: int) -> list[int]:
    return sorted({int(round(v)) for v in np.linspace(0, max(0, size - patch), grid)})


def _embed_windows(encoder, batch: np.ndarray, counts: list[int]) -> np.ndarray:
    """Unit embeddings of groups of windows (one group per occluded copy), one ``run`` call."""
    raw = l2_normalise(encoder.run(batch))
    bounds = np.cumsum([0] + counts)
    return l2_normalise(np.stack([raw[a:b].mean(axis=0) for a, b in zip(bounds[:-1], bounds[1:])]))


def _distances(encoder, embs: np.ndarray, other: np.ndarray) -> np.ndarray:
    """The card's metric from each row of ``embs`` to ``other``, in one vectorised call."""
    return np.asarray(distance(embs, np.asarray(other)[None], encoder.card.metric), np.float32).reshape(-1)


def image_map(encoder, prepared: Prepared, other: np.ndarray, grid: int = GRID,
              patch: float = PATCH) -> tuple[np.ndarray, int]:
    """(H, W) mean change of distance over the occlusions covering each input pixel."""
    x = prepared.tensors[0]  # (C, H, W)
    c, h, w = x.shape
    ph, pw = max(1, int(round(h * patch))), max(1, int(round(w * patch)))
    fill = x.reshape(c, -1).mean(axis=1)[:, None, None]
    boxes = [(y, xx) for y in _starts(h, ph, grid) for xx in _starts(w, pw, grid)]
    batch = np.repeat(x[None], len(boxes) + 1, axis=0)
    for n, (y, xx) in enumerate(boxes, start=1):
        batch[n, :, y : y + ph, xx : xx + pw] = fill
    d = _distances(encoder, _embed_windows(encoder, batch, [1] * len(batch)), other)
    change = d[1:] - d[0]
    total, cover = np.zeros((h, w), np.float32), np.zeros((h, w), np.float32)
    for v, (y, xx) in zip(change, boxes):
        total[y : y + ph, xx : xx + pw] += v
        cover[y : y + ph, xx : xx + pw] += 1
    return total / np.maximum(cover, 1), len(boxes)


def _step(wins: np.ndarray) -> int:
    """Frames between window starts, found where window 2 continues window 1 (kinds differ)."""
    frames = wins.shape[2]
    errs = [float(np.abs(wins[0][:, s:] - wins[1][:, : frames - s]).mean()) for s in range(1, frames)]
    return 1 + int(np.argmin(errs))


def _stitch(wins: np.ndarray) -> tuple[np.ndarray, list[int]]:
    """The (n_mels, T) features the windows were cut from, and each window's start (every
    ``step`` frames, the last one possibly flush with the end, as ``audio.windows`` cuts them)."""
    n, _, frames = wins.shape
    if n == 1:
        return wins[0].copy(), [0]
    step = _step(wins)
    regular = [i * step for i in range(n - 1)]
    best, best_err = None, np.inf
    for last in range(regular[-1] + 1, regular[-1] + step + 1):  # the last start is not always regular
        feat = np.zeros((wins.shape[1], last + frames), np.float32)
        for s, win in zip(regular, wins[:-1]):
            feat[:, s : s + frames] = win
        overlap = regular[-1] + frames - last
        err = 0.0 if overlap <= 0 else float(np.abs(feat[:, last : last + overlap] - wins[-1][:, :overlap]).mean())
        if err < best_err:
            feat[:, last:] = wins[-1]
            best, best_err = (feat, regular + [last]), err
    return best  # type: ignore[return-value]


def audio_map(encoder, prepared: Prepared, other: np.ndarray, time_steps: int = AUDIO_TIME_STEPS,
              bands: int = AUDIO_BANDS) -> tuple[np.ndarray, np.ndarray, int]:
    """(n_mels, T) change of distance when a time x frequency band of the clip's features is
    hidden, and the features themselves (for the picture)."""
    wins = prepared.tensors[:, 0]  # (n, n_mels, frames)
    frames = wins.shape[2]
    feat, starts = _stitch(wins)
    m, t = feat.shape
    hop = max(1, int(np.ceil(t / time_steps)))
    fill = float(feat.mean())  # the clip's mean feature: a band of "nothing in particular"
    edges = np.linspace(0, m, bands + 1).astype(int)
    boxes = [(int(edges[i]), int(edges[i + 1]), s, min(t, s + 2 * hop))
             for i in range(bands) for s in range(0, t, hop)]
    copies = [feat]
    for f0, f1, t0, t1 in boxes:
        f = feat.copy()
        f[f0:f1, t0:t1] = fill
        copies.append(f)
    batch = np.stack([f[:, s : s + frames] for f in copies for s in starts])[:, None]
    d = _distances(encoder, _embed_windows(encoder, batch, [len(starts)] * len(copies)), other)
    change = d[1:] - d[0]
    total, cover = np.zeros((m, t), np.float32), np.zeros((m, t), np.float32)
    for v, (f0, f1, t0, t1) in zip(change, boxes):
        total[f0:f1, t0:t1] += v
        cover[f0:f1, t0:t1] += 1
    return total / np.maximum(cover, 1), feat, len(boxes)


def _spectrogram_view(feat: np.ndarray) -> np.ndarray:
    lo, hi = np.percentile(feat, [1, 99])
    return (np.clip((feat - lo) / max(hi - lo, 1e-6), 0, 1) * 255).astype(np.uint8)


def explain_pair(encoder, a: Source, b: Source, grid: int = GRID) -> PairMaps:
    """Occlusion maps of both sides of a pair (MediaError for an input the model cannot read)."""
    t0 = time.perf_counter()
    prepared = [encoder.prepare(a), encoder.prepare(b)]
    emb = encoder.embed_prepared(prepared)
    audio = encoder.modality.medium == "audio"
    sides = []
    for i, p in enumerate(prepared):
        other = emb[1 - i]
        if audio:
            heat, feat, n = audio_map(encoder, p, other)
            sides.append(SideMap(heat=heat[::-1].copy(), view=_spectrogram_view(feat)[::-1].copy(), colour="grey",
                                 occlusions=n, what="log-mel features: time to the right, pitch upwards",
                                 stretch=True))
            continue
        heat, n = image_map(encoder, p, other, grid=grid)
        view = p.view
        if view is None:
            view = _spectrogram_view(p.tensors[0].mean(axis=0))
        if view.shape[:2] != heat.shape:
            heat = cv2.resize(heat, (view.shape[1], view.shape[0]), interpolation=cv2.INTER_LINEAR)
        c, h, w = p.tensors.shape[1:]
        sides.append(SideMap(heat=heat, view=view, colour=p.colour, occlusions=n,
                             what=f"the model's input, {w}x{h} px"))
    return PairMaps(sides=(sides[0], sides[1]), distance=float(encoder.distance(emb[0], emb[1])),
                    seconds=time.perf_counter() - t0, providers=list(encoder.providers))


def _bgr(view: np.ndarray, colour: str) -> np.ndarray:
    if view.ndim == 2:
        return cv2.cvtColor(view, cv2.COLOR_GRAY2BGR)
    if view.shape[2] == 1:
        return cv2.cvtColor(view[..., 0], cv2.COLOR_GRAY2BGR)
    return cv2.cvtColor(view, cv2.COLOR_RGB2BGR) if colour == "rgb" else view.copy()


def overlay(side: SideMap, scale: float, height: int = 240) -> np.ndarray:
    """BGR picture of one side with its heat: red where the region made the pair alike, blue
    where it set them apart; ``scale`` is the largest |change| of the pair (both sides share it)."""
    base = _bgr(side.view, side.colour)
    aspect = SPECTROGRAM_ASPECT if side.stretch else base.shape[1] / base.shape[0]
    width = max(1, int(round(aspect * height)))
    if side.view.shape[0] < 64:  # tiny inputs (glyphs): keep the pixels visible
        base = cv2.resize(base, (width, height), interpolation=cv2.INTER_NEAREST)
    else:
        base = cv2.resize(base, (width, height), interpolation=cv2.INTER_LINEAR)
    heat = cv2.resize(side.heat, (width, height), interpolation=cv2.INTER_LINEAR) / max(scale, 1e-9)
    heat = np.clip(heat, -1, 1)
    colour = np.zeros_like(base, dtype=np.float32)
    colour[..., 2] = np.clip(heat, 0, 1) * 255  # red: alike
    colour[..., 0] = np.clip(-heat, 0, 1) * 255  # blue: apart
    alpha = (np.abs(heat) * 0.65)[..., None]
    return (base.astype(np.float32) * (1 - alpha) + colour * alpha).astype(np.uint8)


def largest_change(maps: PairMaps) -> float:
    """The largest |change of distance| of either side: the colour scale both sides share."""
    return max(float(np.abs(s.heat).max()) for s in maps.sides)


def render(maps: PairMaps, height: int = 240) -> np.ndarray:
    """Both sides' overlays side by side with a caption strip: the PNG ``siamgui explain`` writes."""
    scale = largest_change(maps)
    tiles = [overlay(s, scale, height) for s in maps.sides]
    gap = np.full((height, 8, 3), 255, np.uint8)
    row = np.hstack([tiles[0], gap, tiles[1]])
    strip = np.full((44, row.shape[1], 3), 255, np.uint8)
    cv2.putText(strip, f"distance {maps.distance:.3f}; largest change {scale:+.3f}", (6, 17),
                cv2.FONT_HERSHEY_SIMPLEX, 0.45, (0, 0, 0), 1, cv2.LINE_AA)
    cv2.putText(strip, "red: made them alike   blue: set them apart", (6, 36),
                cv2.FONT_HERSHEY_SIMPLEX, 0.45, (60, 60, 60), 1, cv2.LINE_AA)
    return np.vstack([row, strip])


def summary(maps: PairMaps) -> dict[str, Any]:
    """Plain figures for the CLI and tests."""
    return {"distance": round(maps.distance, 4), "seconds": round(maps.seconds, 3),
            "occlusions": maps.occlusions, "providers": maps.providers,
            "largest_change": round(largest_change(maps), 4)}


__all__ = ["MediaError", "PairMaps", "SideMap", "explain_pair", "largest_change", "render", "summary", "overlay"]
