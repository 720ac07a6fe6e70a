"""Playing a clip with sounddevice on a plain thread; no sound card is a message, never a crash."""

from __future__ import annotations

import threading

import numpy as np
from PySide6.QtCore import QObject, Signal


def _short_reason(exc: BaseException) -> str:
    text = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    if "PortAudio library not found" in text:
        return "the PortAudio library is not installed (apt-get install libportaudio2)"
    return text


class Player(QObject):
    """One clip at a time. ``failed`` carries a user-facing sentence."""

    finished = Signal(int)  # play id
    failed = Signal(int, str)  # play id, message

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self._thread: threading.Thread | None = None
        self._playing = False
        self._id = 0

    @property
    def playing(self) -> bool:
        return self._playing

    def play(self, samples: np.ndarray, rate: int) -> int:
        self.stop()
        self._id += 1
        self._playing = True
        self._thread = threading.Thread(target=self._run, args=(self._id, np.asarray(samples, np.float32), int(rate)),
                                        name="siamgui-play", daemon=True)
        self._thread.start()
        return self._id

    def _run(self, play_id: int, samples: np.ndarray, rate: int) -> None:
        error = None
        try:
            import sounddevice as sd

            try:
                sd.query_devices(kind="output")
            except Exception as exc:  # noqa: BLE001
                raise RuntimeError("no audio output device found") from exc
            sd.play(samples, rate)
            sd.wait()
        except Exception as exc:  # noqa: BLE001 - OSError (no PortAudio), PortAudioError, ...
            error = f"Can't play audio: {_short_reason(exc)}."
        if play_id == self._id:
            self._playing = False
        try:
            if error:
                self.failed.emit(play_id, error)
            self.finished.emit(play_id)
        except RuntimeError:  # the window is gone
            pass

    def stop(self) -> None:
        if self._playing:
            try:
                import sounddevice as sd

                sd.stop()
            except Exception:  # noqa: BLE001
                pass
        self._playing = False
