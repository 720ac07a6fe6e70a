"""Background work: everything slow (model loading, decoding, inference) runs in a thread pool.

``Jobs.submit(fn, callback)`` runs ``fn()`` on a pool thread and calls ``callback(outcome)``
on the UI thread. Callers tag their requests (a counter per input) and ignore outcomes that are
no longer the latest, so a slow old result is never drawn over a newer one.
"""

from __future__ import annotations

import itertools
import traceback
from dataclasses import dataclass
from typing import Any, Callable

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal, Slot

from siamgui.core.modelcard import CardError
from siamgui.errors import UserError
from siamgui.media.errors import MediaError

EXPECTED = (MediaError, CardError, UserError, FileNotFoundError)  # failures a user causes: their own sentence


@dataclass
class Outcome:
    value: Any = None
    error: str | None = None  # a message for the user; None on success
    partial: Any = None  # what was computed before a failure (e.g. the decoded picture)

    @property
    def ok(self) -> bool:
        return self.error is None


class PartialFailure(Exception):
    """Raised by a job that got part of the way: carries what it has and the user's message."""

    def __init__(self, message: str, partial: Any):
        super().__init__(message)
        self.partial = partial


def user_message(exc: BaseException) -> str:
    """The message to show for an exception; unexpected ones say so, without a traceback."""
    if isinstance(exc, EXPECTED):
        text = str(exc).strip()
        if isinstance(exc, FileNotFoundError) and not text:
            text = "file not found"
        return text or type(exc).__name__
    first = (str(exc).strip().splitlines() or [""])[0]
    return f"Unexpected error ({type(exc).__name__}{': ' + first if first else ''})"


def run_guarded(fn: Callable[[], Any]) -> Outcome:
    try:
        return Outcome(value=fn())
    except PartialFailure as exc:
        return Outcome(error=str(exc), partial=exc.partial)
    except BaseException as exc:  # noqa: BLE001 - every failure becomes a message, never a crash
        if not isinstance(exc, EXPECTED):
            traceback.print_exc()
        return Outcome(error=user_message(exc))


class _Task(QRunnable):
    def __init__(self, jobs: "Jobs", job_id: int, fn: Callable[[], Any]):
        super().__init__()
        self.setAutoDelete(True)
        self._jobs, self._id, self._fn = jobs, job_id, fn

    def run(self) -> None:
        outcome = run_guarded(self._fn)
        try:
            self._jobs._finished.emit(self._id, outcome)
        except RuntimeError:  # the window closed while we worked
            pass


class Jobs(QObject):
    """A small thread pool whose results come back on the UI thread."""

    _finished = Signal(int, object)
    busyChanged = Signal(int)  # jobs in flight

    def __init__(self, parent: QObject | None = None, threads: int = 2):
        super().__init__(parent)
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(max(1, threads))
        self._callbacks: dict[int, Callable[[Outcome], None]] = {}
        self._ids = itertools.count(1)
        self._finished.connect(self._deliver)

    @property
    def in_flight(self) -> int:
        return len(self._callbacks)

    def submit(self, fn: Callable[[], Any], callback: Callable[[Outcome], None]) -> int:
        job_id = next(self._ids)
        self._callbacks[job_id] = callback
        self.pool.start(_Task(self, job_id, fn))
        self.busyChanged.emit(self.in_flight)
        return job_id

    @Slot(int, object)
    def _deliver(self, job_id: int, outcome: Outcome) -> None:
        callback = self._callbacks.pop(job_id, None)
        self.busyChanged.emit(self.in_flight)
        if callback is not None:
            try:
                callback(outcome)
            except Exception:  # noqa: BLE001 - a drawing bug must not take the app down
                traceback.print_exc()

    def shutdown(self, wait_ms: int = 3000) -> None:
        self._callbacks.clear()
        self.pool.clear()
        self.pool.waitForDone(wait_ms)
