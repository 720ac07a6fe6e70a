"""Speech as normalised log-mel windows over its voiced part."""

from __future__ import annotations

from typing import Any

import numpy as np

from siamgui.kinds import register
from siamgui.kinds.base import Prepared, Source, SpeechModality
from siamgui.kinds.limits import FRAMES, N_MELS, SAMPLE_RATE, SECONDS, audio_footprint, int_range
from siamgui.media import audio
from siamgui.media.errors import MediaError


@register
class LogMelModality(SpeechModality):
    """``{"kind": "logmel", "sample_rate": 16000, "n_mels": 40, ...}``: voiced audio, log-mel,
    per-clip normalised, cut into ``frames``-long windows every ``step`` frames; the embedding is
    the mean of the windows' embeddings."""

    kind = "logmel"
    defaults: dict[str, Any] = {"sample_rate": 16000, "n_mels": 40, "n_fft": 512, "win": 400, "hop": 160,
                                "frames": 160, "step": 80, "min_voiced_s": 0.4}
    limits = {"sample_rate": SAMPLE_RATE, "n_mels": N_MELS, "n_fft": int_range(16, 16384),
              "win": int_range(16, 16384), "hop": int_range(32, 16384), "frames": FRAMES, "step": FRAMES,
              "min_voiced_s": SECONDS}

    @classmethod
    def relations(cls, spec: dict[str, Any]) -> str | None:
        if spec["win"] > spec["n_fft"]:
            return f"win ({spec['win']}) must not exceed n_fft ({spec['n_fft']})"
        return audio_footprint(spec["sample_rate"], spec["hop"], spec["n_mels"], spec["frames"], spec["step"])

    def features(self, samples: np.ndarray) -> np.ndarray:
        """Unnormalised (n_mels, frames) log-mel of samples at ``sample_rate``."""
        s = self.spec
        return audio.log_mel(samples, self.sample_rate, n_mels=int(s["n_mels"]), n_fft=int(s["n_fft"]),
                             win=int(s["win"]), hop=int(s["hop"]))

    def windows(self, feat: np.ndarray) -> np.ndarray:
        """(n, n_mels, frames) windows of per-clip normalised features."""
        return audio.windows(audio.normalise_features(feat), int(self.spec["frames"]), int(self.spec["step"]))

    def prepare(self, source: Source) -> Prepared:
        clip = self.clip_of(source)
        if clip.duration <= 0:
            raise MediaError("the clip is empty (zero length)")
        if audio.is_silent(clip):
            raise MediaError("the clip is silent: no voice or sound to compare")
        clip = audio.resample(clip, self.sample_rate)
        speech = audio.voiced(clip)
        need = float(self.spec["min_voiced_s"])
        if speech.duration < need:
            raise MediaError(f"too little sound: {speech.duration:.2f} s voiced, at least {need:.1f} s needed")
        wins = self.windows(self.features(speech.samples))
        return Prepared(wins[:, None], info={"duration": clip.duration, "voiced": speech.duration, "windows": len(wins)})
