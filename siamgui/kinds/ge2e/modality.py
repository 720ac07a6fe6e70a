"""Speech the way Resemblyzer's GE2E speaker encoder hears it, computed by the app in NumPy.

Volume normalised, long silences trimmed by WebRTC's voice activity detector, 40 mel bands on
25 ms / 10 ms frames, 1.6 s partial windows at 1.3 per second (``media/ge2e.py``); the embedding
is the mean of the windows' embeddings. Short utterances (a spoken digit) are padded to one
window instead of refused; ``info["windows"]`` says how many windows stand behind a distance.
"""

from __future__ import annotations

from typing import Any

from siamgui.kinds import register
from siamgui.kinds.base import Prepared, Source, SpeechModality
from siamgui.kinds.limits import FRAMES, N_MELS, SECONDS, Limit, audio_footprint, int_range
from siamgui.media import ge2e


@register
class Ge2eModality(SpeechModality):
    """``{"kind": "ge2e", "sample_rate": 16000, "n_mels": 40, "frames": 160, "rate": 1.3, ...}``."""

    kind = "ge2e"
    defaults: dict[str, Any] = dict(ge2e.DEFAULTS)
    # WebRTC's voice detector works at these rates only (96000 ended in "Error while processing frame")
    limits = {"sample_rate": Limit(choices=(8000, 16000, 32000, 48000)), "n_mels": N_MELS, "win_ms": int_range(1, 200),
              "hop_ms": int_range(1, 200), "fmin": Limit(0.0, 48000.0), "fmax": Limit(1.0, 48000.0, optional=True),
              "pad_mode": Limit(choices=("constant", "reflect")), "frames": FRAMES, "rate": Limit(0.1, 100.0),
              "min_coverage": Limit(0.0, 1.0), "target_dbfs": Limit(-100.0, 0.0),
              "vad_window_ms": Limit(choices=(10, 20, 30)), "vad_mode": int_range(0, 3),
              "vad_average": int_range(1, 1000), "vad_max_silence": int_range(0, 1000), "min_voiced_s": SECONDS,
              "vad_min_kept_s": SECONDS}

    @classmethod
    def relations(cls, spec: dict[str, Any]) -> str | None:
        rate, nyquist = int(spec["sample_rate"]), spec["sample_rate"] / 2
        hop = rate * int(spec["hop_ms"]) // 1000
        if hop < 1:
            return f"hop_ms ({spec['hop_ms']}) is under one sample at {rate} Hz"
        fmax = nyquist if spec["fmax"] is None else spec["fmax"]
        if not spec["fmin"] < fmax <= nyquist:
            return f"needs fmin < fmax <= {nyquist:g} Hz (half the sample rate), got fmin {spec['fmin']} and fmax {fmax}"
        step = round(rate / float(spec["rate"]) / hop)
        if not 0 < step <= int(spec["frames"]):
            return f"rate {spec['rate']} gives a window step of {step} frames (1 to {spec['frames']} needed)"
        return audio_footprint(rate, hop, spec["n_mels"], spec["frames"], step)

    def prepare(self, source: Source) -> Prepared:
        clip = self.clip_of(source)
        wins, info = ge2e.prepare(clip.samples, clip.rate, self.spec)
        window_s = int(self.spec["frames"]) * float(self.spec["hop_ms"]) / 1000.0
        if info["kept"] < window_s:  # padded to one window: say how little stands behind the distance
            info["note"] = (f"only {info['kept']:.2f} s of voice (one window is {window_s:.1f} s): "
                            "distances from clips this short are less reliable")
        return Prepared(wins, info=info)
