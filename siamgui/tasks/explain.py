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

When the other side is an embedding with no input behind it (an enrolled person's reference is
the mean of their samples' embeddings), only the live side can be mapped; ``explain_against``
measures the change of distance to that fixed embedding instead:

    maps = explain_against(encoder, frame, Against(person_mean, "Ada", samples=3))
    maps.sides                    # one SideMap; maps.against says what the distance is to
"""

from __future__ import annotations

import time
import unicodedata
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np

from siamgui.core.compare import distance, l2_normalise
from siamgui.media.errors import MediaError
from siamgui.kinds import Prepared, Source

GRID = 7  # patch positions per image axis: 49 occlusions per side (a face pair in about 1 s on 2 cores)
PATCH = 0.25  # patch side as a share of the input side
AUDIO_TIME_STEPS = 10  # time-band positions over the clip (each band is two steps wide)
AUDIO_BANDS = 4  # mel-frequency bands
# Every occluded copy of a clip is embedded whole, so the cost is occlusions x windows: 80 windows
# (about a minute of sound) explain in about 30 s on 2 cores; a 10-minute clip would take 10 minutes.
MAX_EXPLAIN_WINDOWS = 80
SPECTROGRAM_ASPECT = 1.6  # width / height of a drawn spectrogram map: time is not geometry, a 6 s clip
# drawn at its own aspect would be a strip ten times wider than high


@dataclass
class SideMap:
    """One side's map: ``heat`` (H, W) change of distance, aligned with ``view`` (uint8 picture)."""

    heat: np.ndarray
    view: np.ndarray
    colour: str  # "grey", "rgb" or "bgr": channel order of ``view``
    occlusions: int
    what: str  # what was hidden region by region, a noun phrase ("the 150x150 px picture the model sees")
    stretch: bool = False  # drawn at SPECTROGRAM_ASPECT (a spectrogram), not at the view's own aspect
    reading: str = ""  # how to read the picture's axes, a sentence ("Time runs to the right, pitch upwards.")


@dataclass(frozen=True)
class Against:
    """A reference with no input behind it, so nothing of it can be hidden: an embedding (an
    enrolled person's mean), who it stands for, and how many enrolled samples were averaged."""

    embedding: np.ndarray
    name: str = "the reference"
    samples: int = 0  # 0: not an average of enrolled samples (or not known)

    def words(self) -> str:
        """What the distance is measured to, for captions."""
        if self.samples <= 0:
            return f"the reference embedding of {self.name}"
        plural = "s" if self.samples != 1 else ""
        return f"the average of {self.samples} enrolled sample{plural} of {self.name}"


@dataclass
class PairMaps:
    """Two sides mapped against each other, or one side (``against`` set) against a fixed embedding."""

    sides: tuple[SideMap, ...]
    distance: float
    seconds: float
    providers: list[str]
    against: Against | None = None  # the fixed other side of a one-sided map

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
    if len(wins) > MAX_EXPLAIN_WINDOWS:
        seconds = prepared.info.get("duration")
        raise MediaError(f"explaining takes clips of up to {MAX_EXPLAIN_WINDOWS} windows (about a minute of sound); "
                         f"this one has {len(wins)}{f' ({seconds:.0f} s)' if seconds else ''}: cut it shorter first")
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


def side_map(encoder, prepared: Prepared, other: np.ndarray, grid: int = GRID) -> SideMap:
    """One input's map: how hiding each of its regions moves the distance to ``other`` (an embedding)."""
    if not encoder.modality.medium.has_picture:  # a signal over time: occlude its feature windows
        heat, feat, n = audio_map(encoder, prepared, other)
        return SideMap(heat=heat[::-1].copy(), view=_spectrogram_view(feat)[::-1].copy(), colour="grey",
                       occlusions=n, what="the log-mel spectrogram the model hears", stretch=True,
                       reading="Time runs to the right, pitch upwards.")
    heat, n = image_map(encoder, prepared, other, grid=grid)
    view = prepared.view
    if view is None:
        view = _spectrogram_view(prepared.tensors[0].mean(axis=0))
    if view.shape[:2] != heat.shape:
        heat = cv2.resize(heat, (view.shape[1], view.shape[0]), interpolation=cv2.INTER_LINEAR)
    c, h, w = prepared.tensors.shape[1:]
    return SideMap(heat=heat, view=view, colour=prepared.colour, occlusions=n,
                   what=f"the {w}x{h} px picture the model sees")


def explain_pair(encoder, a: Source, b: Source, grid: int = GRID) -> PairMaps:
    """Occlusion maps of both sides of a pair (MediaError for an input the model cannot read)."""
    t0 = time.perf_counter()
    prepared = [encoder.prepare(a), encoder.prepare(b)]
    emb = encoder.embed_prepared(prepared)
    sides = tuple(side_map(encoder, p, emb[1 - i], grid) for i, p in enumerate(prepared))
    return PairMaps(sides=sides, distance=float(encoder.distance(emb[0], emb[1])),
                    seconds=time.perf_counter() - t0, providers=list(encoder.providers))


def explain_against(encoder, a: Source, reference: Against | np.ndarray, grid: int = GRID) -> PairMaps:
    """The map of ``a`` alone against a fixed reference embedding (an enrolled person's mean, which
    has no single input to hide regions of); one side, ``against`` saying what it was compared with."""
    t0 = time.perf_counter()
    against = reference if isinstance(reference, Against) else Against(np.asarray(reference, np.float32))
    ref = np.asarray(against.embedding, np.float32).reshape(-1)
    prepared = encoder.prepare(a)
    emb = encoder.embed_prepared([prepared])[0]
    if emb.shape != ref.shape:
        raise MediaError(f"The reference has {ref.size} dimensions but {encoder.name} makes {emb.size}: "
                         "re-embed the person with this model.")
    return PairMaps(sides=(side_map(encoder, prepared, ref, grid),), distance=float(encoder.distance(emb, ref)),
                    seconds=time.perf_counter() - t0, providers=list(encoder.providers), against=against)


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


def _ascii(text: str) -> str:
    """``text`` as cv2's Hershey fonts can draw it (accents dropped; other scripts cannot be drawn)."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().strip()
    return plain or "(name in another script)"


def _put(img: np.ndarray, text: str, y: int, scale: float = 0.45, grey: int = 0) -> None:
    """One line at ``y``, shrunk to fit the width of ``img``."""
    font = cv2.FONT_HERSHEY_SIMPLEX
    width = cv2.getTextSize(text, font, scale, 1)[0][0]
    scale = min(scale, scale * (img.shape[1] - 12) / max(width, 1))
    cv2.putText(img, text, (6, y), font, scale, (grey, grey, grey), 1, cv2.LINE_AA)


def _name_tile(against: Against, height: int, width: int) -> np.ndarray:
    """Where the reference's map would be: who it is, and why there is no picture to map."""
    tile = np.full((height, width, 3), 238, np.uint8)
    y = height // 2 - 30
    _put(tile, _ascii(against.name), y, scale=0.8)
    if against.samples > 0:
        _put(tile, f"average of {against.samples}", y + 28, grey=60)
        _put(tile, "enrolled sample" + ("s" if against.samples != 1 else ""), y + 48, grey=60)
    _put(tile, "no single input to map", y + 72, scale=0.4, grey=110)
    return tile


def render(maps: PairMaps, height: int = 240) -> np.ndarray:
    """Both sides' overlays side by side with a caption strip: the PNG ``siamgui explain`` writes.
    A one-sided map has the reference's name where its picture would be."""
    scale = largest_change(maps)
    tiles = [overlay(s, scale, height) for s in maps.sides]
    if maps.against is not None:
        tiles.append(_name_tile(maps.against, height, tiles[0].shape[1]))
    gap = np.full((height, 8, 3), 255, np.uint8)
    row = np.hstack([tiles[0], gap, tiles[1]])
    lines = [f"distance {maps.distance:.3f}; largest change {scale:+.3f}"]
    if maps.against is not None and maps.against.samples > 0:
        n = maps.against.samples
        lines = [f"distance {maps.distance:.3f} to the average of {n} enrolled sample" + ("s" if n != 1 else ""),
                 f"largest change {scale:+.3f}"]
    lines.append("red: made them alike   blue: set them apart")
    strip = np.full((8 + 19 * len(lines), row.shape[1], 3), 255, np.uint8)
    for i, line in enumerate(lines):
        _put(strip, line, 17 + 19 * i, grey=0 if i < len(lines) - 1 else 60)
    return np.vstack([row, strip])


def summary(maps: PairMaps) -> dict[str, Any]:
    """Plain figures for the CLI and tests."""
    return {"distance": round(maps.distance, 4), "seconds": round(maps.seconds, 3),
            "occlusions": maps.occlusions, "providers": maps.providers,
            "largest_change": round(largest_change(maps), 4)}


__all__ = ["Against", "MediaError", "PairMaps", "SideMap", "explain_against", "explain_pair", "largest_change",
           "overlay", "render", "side_map", "summary"]
