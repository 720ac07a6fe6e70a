"""The logmel kind's training source: one waveform per speaker, segments of its voiced log-mel
with noise in the mel domain.

Imported only by training (``kinds.source('logmel')``); the app never loads it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from siamgui import kinds
from siamgui.kinds.training import Source, cache_key, progress_bar
from siamgui.media import audio
from siamgui.media.errors import MediaError


# --- audio: noise on the features of a segment
def mel_noise(logmel: np.ndarray, rng: np.random.Generator, p: float = 0.7,
              snr_db: tuple[float, float] = (5.0, 35.0)) -> np.ndarray:
    """Additive noise in the mel-power domain (white or tilted, fluctuating over time).

    Equivalent to adding stationary noise to the waveform before the features, at a fraction
    of the cost; gain needs no simulation (the per-clip normalisation removes it).
    """
    if rng.random() >= p:
        return logmel
    power = np.exp(logmel)
    level = float(power.mean()) * 10 ** (-rng.uniform(*snr_db) / 10)
    bands = logmel.shape[0]
    tilt = np.exp(rng.uniform(-2, 2) * np.linspace(-0.5, 0.5, bands, dtype=np.float32))[:, None]
    fluct = rng.gamma(4.0, 0.25, size=logmel.shape).astype(np.float32)
    return np.log(power + level * tilt * fluct + 1e-6).astype(np.float32)


class AudioSource(Source):
    """One waveform per class (its files, resampled and joined); segments are cut from it."""

    def __init__(self, items: list[Any], spec: dict, skipped: Any, cache: Path | None, progress: bool = True,
                 seg_s: tuple[float, float] = (1.5, 3.0), eval_seg_s: float = 2.0, eval_max: int = 8):
        self.modality = kinds.get(spec)
        self.spec = self.modality.spec
        self.rate = int(self.spec["sample_rate"])
        self.seg_s, self.eval_seg_s, self.eval_max = seg_s, eval_seg_s, eval_max
        waves: dict[str, list[np.ndarray]] = {}
        first: dict[str, Item] = {}
        cached: dict[str, np.ndarray] = {}
        cfile = cache / f"audio-{cache_key(items, f'v1|{self.rate}')}.npz" if cache is not None else None
        if cfile is not None and cfile.is_file():
            z = np.load(cfile, allow_pickle=False)
            cached = {k: z[k] for k in z.files}
        for n, it in enumerate(progress_bar(items, "reading audio", progress)):
            key = f"f{n}"
            if key in cached:
                wav = cached[key]
                if wav.size == 0:
                    skipped.add("unreadable or silent audio files", it.path.name)
                    continue
            else:
                try:
                    clip = audio.load_audio(it.path)
                    if audio.is_silent(clip):
                        raise MediaError("silent")
                    wav = audio.resample(clip, self.rate).samples
                except MediaError:
                    skipped.add("unreadable or silent audio files", it.path.name)
                    cached[key] = np.zeros(0, np.float32)
                    continue
                cached[key] = wav
            waves.setdefault(it.label, []).append(wav)
            first.setdefault(it.label, it)
        if cfile is not None and not cfile.is_file():
            cfile.parent.mkdir(parents=True, exist_ok=True)
            np.savez(cfile, **cached)
        # one "item" per class: the joined waveform (segments of it are the samples)
        self.items = [first[k] for k in sorted(waves)]
        self.waves = [np.concatenate(waves[k]).astype(np.float32) for k in sorted(waves)]
        self._feats: list[dict[int, np.ndarray]] = [{} for _ in self.waves]
        self.speeds: tuple[float, ...] = (1.0,)  # variant v plays the class at speeds[v]

    def variants(self, preset: dict) -> int:
        """``speed_classes``: the class played at each of these speeds is a new, virtual speaker."""
        self.speeds = (1.0, *[float(x) for x in preset.get("speed_classes") or ()])
        return len(self.speeds)

    def _class_features(self, i: int, variant: int = 0) -> np.ndarray:
        """Unnormalised log-mel of the class's voiced audio (computed once; segments are slices).

        A variant > 0 is the class's audio played at another speed (pitch and formants move with
        it): a new, virtual speaker, as in speaker augmentation for x-vector training.
        """
        if variant not in self._feats[i]:
            clip = audio.AudioClip(self.waves[i], self.rate)
            speed = self.speeds[variant]
            if speed != 1.0:
                clip = audio.resample(audio.AudioClip(clip.samples, int(round(self.rate * speed))), self.rate)
            speech = audio.voiced(clip)
            self._feats[i][variant] = self.modality.features(speech.samples)
        return self._feats[i][variant]

    def train_sample(self, i, rng, variant: int = 0):
        """A random 1.5-3 s segment (as frames of the voiced log-mel), noise added in the mel domain,
        then the app's per-clip normalisation and one random window of it."""
        s = self.spec
        feat = self._class_features(i, variant)
        per_s = self.rate / int(s["hop"])
        n = int(rng.uniform(*self.seg_s) * per_s)
        if feat.shape[1] > n:
            start = int(rng.integers(0, feat.shape[1] - n + 1))
            feat = feat[:, start : start + n]
        feat = mel_noise(feat, rng)
        wins = self.modality.windows(feat)
        w = wins[int(rng.integers(0, len(wins)))]
        if rng.random() < 0.5:  # a masked band (SpecAugment-like)
            f0 = int(rng.integers(0, w.shape[0] - 4))
            w = w.copy()
            w[f0 : f0 + int(rng.integers(1, 5))] = 0.0
        return w[None]

    def eval_inputs(self, indices, rng):
        """Fixed, non-overlapping ``eval_seg_s`` segments of each class, through the modality's ``prepare``."""
        out, labels = [], []
        n = int(self.eval_seg_s * self.rate)
        for i in indices:
            wav = self.waves[i]
            starts = list(range(0, max(1, len(wav) - n + 1), n))[: self.eval_max]
            for s0 in starts:
                try:
                    p = self.modality.prepare(audio.AudioClip(wav[s0 : s0 + n], self.rate))
                except MediaError:
                    continue
                out.append(p.tensors)
                labels.append(self.items[i].label)
        return out, labels


SOURCE = AudioSource
