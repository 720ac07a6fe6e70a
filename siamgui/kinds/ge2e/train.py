"""The ge2e kind's training source: files through the app's GE2E preprocessing once, random pieces
with gain and noise.

Imported only by training (``kinds.source('ge2e')``); the app never loads it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from siamgui import kinds
from siamgui.kinds.logmel.train import AudioSource
from siamgui.kinds.training import Source, cache_key, progress_bar
from siamgui.media import audio
from siamgui.media.errors import MediaError


class Ge2eSource(Source):
    """Speakers for a GE2E-style encoder (card kind ``ge2e``), built from the modality's own steps.

    Each file goes through the app's preprocessing (``ge2e``: 16 kHz, volume, voice-activity trim)
    once; a class is its files' preprocessed waves joined. A training sample is a random
    ``frames``-long piece of that wave (now and then a shorter one, zero-padded to one window as
    the app pads a spoken digit), with a random gain and, half the time, white noise, turned into
    one window by the modality's own ``partial_windows``. A speed variant (``speeds``) is the
    class's wave played at another speed: a new, virtual speaker. Evaluation feeds the untouched
    files (cut into ``eval_seg_s`` pieces, as the import's figures do) to the modality's ``prepare``.
    """

    def __init__(self, items: list[Any], spec: dict, skipped: Any, cache: Path | None, progress: bool = True,
                 eval_seg_s: float = 3.0, eval_min_s: float = 1.5, eval_max: int = 8, short_p: float = 0.25,
                 short_s: tuple[float, float] = (0.3, 1.2), gain_db: float = 6.0, snr_db: tuple[float, float] = (15.0, 40.0)):
        from siamgui.media import ge2e

        self._ge2e = ge2e
        self.modality = kinds.get(spec)
        self.spec = self.modality.spec
        self.rate = int(self.spec["sample_rate"])
        self.eval_seg_s, self.eval_min_s, self.eval_max = eval_seg_s, eval_min_s, eval_max
        self.short_p, self.short_s, self.gain_db, self.snr_db = short_p, short_s, gain_db, snr_db
        spec_key = json.dumps({k: self.spec[k] for k in sorted(self.spec)}, sort_keys=True, default=str)
        cfile = cache / f"ge2e-{cache_key(items, 'v1|' + spec_key)}.npz" if cache is not None else None
        cached: dict[str, np.ndarray] = {}
        if cfile is not None and cfile.is_file():
            z = np.load(cfile, allow_pickle=False)
            cached = {k: z[k] for k in z.files}
        raw: dict[str, list[np.ndarray]] = {}
        prepared: dict[str, list[np.ndarray]] = {}
        first: dict[str, Item] = {}
        for n, it in enumerate(progress_bar(items, "reading audio", progress)):
            if f"p{n}" not in cached:
                try:
                    clip = audio.load_audio(it.path)
                    self.modality.prepare(clip)  # refused by the app (silent, too little voice): not used
                    wav16 = audio.resample(clip, self.rate).samples if clip.rate != self.rate else clip.samples
                    pre = ge2e.preprocess_wav(clip.samples, clip.rate, self.spec)
                except MediaError:
                    cached[f"p{n}"] = cached[f"r{n}"] = np.zeros(0, np.float32)
                else:
                    cached[f"r{n}"], cached[f"p{n}"] = np.asarray(wav16, np.float32), np.asarray(pre, np.float32)
            if cached[f"p{n}"].size == 0:
                skipped.add("unreadable, silent or voiceless audio files", it.path.name)
                continue
            raw.setdefault(it.label, []).append(cached[f"r{n}"])
            prepared.setdefault(it.label, []).append(cached[f"p{n}"])
            first.setdefault(it.label, it)
        if cfile is not None and not cfile.is_file():
            cfile.parent.mkdir(parents=True, exist_ok=True)
            np.savez(cfile, **cached)
        labels = sorted(prepared)
        self.items = [first[k] for k in labels]  # one "item" per class: its joined, preprocessed wave
        self.waves = [np.concatenate(prepared[k]) for k in labels]
        self.files = [raw[k] for k in labels]  # the files as the app would be given them (16 kHz)
        self._speed_waves: list[dict[int, np.ndarray]] = [{} for _ in labels]
        self.speeds: tuple[float, ...] = (1.0,)

    variants = AudioSource.variants  # voices at other speeds are new speakers, as there

    def keep(self, indices: list[int]) -> None:
        for name in ("items", "waves", "files", "_speed_waves"):
            values = getattr(self, name)
            setattr(self, name, [values[i] for i in indices])

    def _wave(self, i: int, variant: int) -> np.ndarray:
        if variant == 0:
            return self.waves[i]
        if variant not in self._speed_waves[i]:
            speed = self.speeds[variant]
            played = audio.AudioClip(self.waves[i], int(round(self.rate * speed)))
            self._speed_waves[i][variant] = audio.resample(played, self.rate).samples.astype(np.float32)
        return self._speed_waves[i][variant]

    def train_sample(self, i, rng, variant: int = 0):
        wav = self._wave(i, variant)
        hop = self.rate * int(self.spec["hop_ms"]) // 1000
        n = int(self.spec["frames"]) * hop
        if rng.random() < self.short_p:
            n = int(rng.uniform(*self.short_s) * self.rate)
        if len(wav) > n:
            a = int(rng.integers(0, len(wav) - n + 1))
            wav = wav[a : a + n]
        seg = wav * np.float32(10.0 ** (rng.uniform(-self.gain_db, self.gain_db) / 20.0))
        if rng.random() < 0.5:
            rms = float(np.sqrt(np.mean(seg.astype(np.float64) ** 2))) or 1e-4
            sigma = rms * 10.0 ** (-rng.uniform(*self.snr_db) / 20.0)
            seg = seg + rng.normal(0.0, sigma, size=seg.shape).astype(np.float32)
        seg = np.clip(seg, -1.0, 1.0).astype(np.float32)
        return self._ge2e.partial_windows(seg, self.spec)[0]

    def eval_inputs(self, indices, rng):
        """Each class's files cut into ``eval_seg_s`` pieces (a tail under ``eval_min_s`` dropped unless it
        is the whole file), up to ``eval_max`` per class, through the modality's ``prepare``."""
        out, labels = [], []
        n, least = int(self.eval_seg_s * self.rate), int(self.eval_min_s * self.rate)
        for i in indices:
            got = 0
            for wav in self.files[i]:
                for a in range(0, len(wav), n):
                    piece = wav[a : a + n]
                    if got >= self.eval_max or (len(piece) < least and len(piece) < len(wav)):
                        continue
                    try:
                        p = self.modality.prepare(audio.AudioClip(piece, self.rate))
                    except MediaError:
                        continue
                    out.append(p.tensors)
                    labels.append(self.items[i].label)
                    got += 1
        return out, labels


SOURCE = Ge2eSource
