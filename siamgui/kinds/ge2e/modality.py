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
from siamgui.media import ge2e


@register
class Ge2eModality(SpeechModality):
    """``{"kind": "ge2e", "sample_rate": 16000, "n_mels": 40, "frames": 160, "rate": 1.3, ...}``."""

    kind = "ge2e"
    defaults: dict[str, Any] = dict(ge2e.DEFAULTS)

    def prepare(self, source: Source) -> Prepared:
        clip = self.clip_of(source)
        wins, info = ge2e.prepare(clip.samples, clip.rate, self.spec)
        window_s = int(self.spec["frames"]) * float(self.spec["hop_ms"]) / 1000.0
        if info["kept"] < window_s:  # padded to one window: say how little stands behind the distance
            info["note"] = (f"only {info['kept']:.2f} s of voice (one window is {window_s:.1f} s): "
                            "distances from clips this short are less reliable")
        return Prepared(wins, info=info)
