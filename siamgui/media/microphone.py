"""Audio chunk sources: a microphone (PortAudio via sounddevice), or a file standing in for one."""

from __future__ import annotations

import queue
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from siamgui.media.audio import stream
from siamgui.media.errors import MediaError


class MicrophoneError(MediaError):
    """No usable microphone, with the reason in words."""


@dataclass(frozen=True)
class MicInfo:
    index: int
    name: str
    rate: float
    default: bool


def _sounddevice():
    try:
        import sounddevice as sd
    except OSError as exc:  # the PortAudio library itself is missing
        raise MicrophoneError(f"audio input unavailable: PortAudio is not installed ({exc}); "
                              "on Debian/Ubuntu: apt-get install libportaudio2") from None
    return sd


def list_microphones() -> list[MicInfo]:
    """Input devices; raises MicrophoneError when the audio system itself is unusable."""
    sd = _sounddevice()
    try:
        devices = sd.query_devices()
        default_in = sd.default.device[0] if sd.default.device else -1
    except Exception as exc:  # PortAudioError when there is no sound system at all
        raise MicrophoneError(f"no audio system found ({exc})") from None
    return [MicInfo(i, d["name"], float(d["default_samplerate"]), i == default_in)
            for i, d in enumerate(devices) if d.get("max_input_channels", 0) > 0]


class MicrophoneSource:
    """Mono float32 chunks from an input device, pushed by PortAudio's callback into a small queue."""

    def __init__(self, device: int | None = None, rate: int = 16000, chunk_s: float = 0.05):
        sd = _sounddevice()
        self.rate = rate
        self._q: queue.Queue[np.ndarray] = queue.Queue(maxsize=200)
        self.dropped = 0

        def callback(indata, frames, time_info, status):  # PortAudio's thread
            try:
                self._q.put_nowait(indata[:, 0].copy())
            except queue.Full:
                self.dropped += 1

        try:
            self.stream = sd.InputStream(device=device, channels=1, samplerate=rate, dtype="float32",
                                         blocksize=int(rate * chunk_s), callback=callback)
            self.stream.start()
        except Exception as exc:
            raise MicrophoneError(f"the microphone could not be opened ({exc})") from None

    def read(self, timeout: float = 1.0) -> np.ndarray | None:
        try:
            return self._q.get(timeout=timeout)
        except queue.Empty:
            return None

    def close(self) -> None:
        try:
            self.stream.stop()
            self.stream.close()
        except Exception:
            pass


class FileMicrophone:
    """A file played as if spoken into a microphone, in real time (or faster), then silence.

    The file is read piece by piece (:func:`siamgui.media.audio.stream`), so an hour-long
    recording plays in the memory of half a minute of it."""

    def __init__(self, path: str | Path, rate: int = 16000, chunk_s: float = 0.05, speed: float = 1.0,
                 loop: bool = False):
        self.path = path
        self.rate, self.chunk, self.speed, self.loop = rate, int(rate * chunk_s), speed, loop
        self._pieces = stream(path, rate)  # checks the header now: a bad file fails here, not in read()
        self._buffer = np.zeros(0, np.float32)
        self._ended = False
        self._next = time.perf_counter()

    def _fill(self) -> None:
        """At least one chunk in the buffer, unless the file has ended (and does not loop)."""
        while len(self._buffer) < self.chunk and not self._ended:
            piece = next(self._pieces, None)
            if piece is None:
                if not self.loop:
                    self._ended = True
                    break
                self._pieces = stream(self.path, self.rate)
                continue
            self._buffer = np.concatenate([self._buffer, piece.astype(np.float32)])

    def read(self, timeout: float = 1.0) -> np.ndarray | None:
        wait = self._next - time.perf_counter()
        if wait > 0:
            time.sleep(min(wait, timeout))
        self._next = max(self._next, time.perf_counter()) + self.chunk / self.rate / self.speed
        self._fill()
        out, self._buffer = self._buffer[: self.chunk], self._buffer[self.chunk:]
        return np.pad(out, (0, self.chunk - len(out))).astype(np.float32)

    def close(self) -> None:
        pass
