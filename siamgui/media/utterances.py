"""Cut a live stream of audio chunks into utterances (voice activity), and keep a rolling window.

An adaptive energy gate: a chunk is voice when it is well above the running noise floor and
above absolute silence. An utterance ends after ``end_silence_s`` of non-voice; it is emitted
only if it holds at least ``min_voice_s`` of voice. Silence is reported as silence, never as
"different".
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

import numpy as np

from siamgui.media.audio import SILENCE_DBFS, AudioClip


def level_db(chunk: np.ndarray) -> float:
    power = float(np.mean(np.square(chunk, dtype=np.float64))) if len(chunk) else 0.0
    return float(20 * np.log10(np.sqrt(power) + 1e-10)) if np.isfinite(power) else -200.0


@dataclass
class UtteranceSegmenter:
    rate: int = 16000
    above_floor_db: float = 12.0
    end_silence_s: float = 0.35
    min_voice_s: float = 0.5
    max_utterance_s: float = 6.0
    window_s: float = 3.0  # rolling window of recent voice
    floor_db: float = -70.0
    _voice: list = field(default_factory=list)
    _silent_s: float = 0.0
    _voiced_s: float = 0.0
    _recent: deque = field(default_factory=deque)

    def is_voice(self, db: float) -> bool:
        return db > max(self.floor_db + self.above_floor_db, SILENCE_DBFS)

    def push(self, chunk: np.ndarray) -> tuple[float, bool, AudioClip | None]:
        """Feed one chunk: (its level in dBFS, whether it is voice, a finished utterance or None)."""
        db = level_db(chunk)
        dur = len(chunk) / self.rate
        voice = self.is_voice(db)
        if not voice:  # track the noise floor, quickly down, slowly up
            self.floor_db = db if db < self.floor_db else 0.95 * self.floor_db + 0.05 * db
        done = None
        if voice:
            self._voice.append(chunk)
            self._voiced_s += dur
            self._silent_s = 0.0
            self._recent.append(chunk)
            while sum(len(c) for c in self._recent) > self.window_s * self.rate:
                self._recent.popleft()
        elif self._voice:
            self._silent_s += dur
            self._voice.append(chunk)
            if self._silent_s >= self.end_silence_s:
                done = self._finish()
        if self._voice and sum(len(c) for c in self._voice) >= self.max_utterance_s * self.rate:
            done = self._finish()
        return db, voice, done

    def _finish(self) -> AudioClip | None:
        samples = np.concatenate(self._voice) if self._voice else np.zeros(0, np.float32)
        enough = self._voiced_s >= self.min_voice_s
        self._voice, self._silent_s, self._voiced_s = [], 0.0, 0.0
        return AudioClip(samples.astype(np.float32), self.rate) if enough else None

    def recent_voice(self) -> AudioClip | None:
        """The last ``window_s`` seconds of voice (for a rolling verdict), or None if too little."""
        if not self._recent:
            return None
        samples = np.concatenate(list(self._recent))
        if len(samples) < self.min_voice_s * self.rate:
            return None
        return AudioClip(samples.astype(np.float32), self.rate)

    @property
    def speaking(self) -> bool:
        return bool(self._voice)
