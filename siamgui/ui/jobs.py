"""Background work: everything slow (model loading, decoding, inference) runs in a thread pool.

``Jobs.submit(fn, callback)`` runs ``fn()`` on a pool thread and calls ``callback(outcome)``
on the UI thread. A view keeps one ``Latest`` per kind of request (a side's file, a model load,
a support set): only the newest answer is delivered, so a slow old result is never drawn over a
newer one and no view keeps a counter of its own.

Long work (a calibration) uses ``Jobs.start(fn, callback, progress=...)``: ``fn(report, cancel)``
calls ``report(done, total)`` from its thread and polls the ``cancel`` event; ``progress`` runs
on the UI thread, and ``Job.cancel()`` stops both callbacks at once. A ``lane`` (a name) gives
such work a one-thread pool of its own, so the shared pool stays free for the views.
This is the only place the UI turns an exception into a message (``report``).
"""

from __future__ import annotations

import itertools
import threading
import traceback
from dataclasses import dataclass
from typing import Any, Callable

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal, Slot

from siamgui.errors import is_expected, user_message


@dataclass
class Outcome:
    value: Any = None
    error: str | None = None  # a message for the user; None on success
    partial: Any = None  # what was computed before a failure (e.g. the decoded picture)
    cancelled: bool = False  # the job was cancelled (its value, or failure, means nothing)

    @property
    def ok(self) -> bool:
        return self.error is None and not self.cancelled


class PartialFailure(Exception):
    """Raised by a job that got part of the way: carries what it has and the user's message."""

    def __init__(self, message: str, partial: Any):
        super().__init__(message)
        self.partial = partial


def _report_bug(exc: BaseException) -> None:
    """A programming error is one: its traceback goes to stderr, the user reads one line."""
    traceback.print_exception(type(exc), exc, exc.__traceback__)


def report(exc: BaseException) -> str:
    """The UI's one translator: the user's sentence for ``exc`` (``siamgui.errors.user_message``);
    a programming error also prints its traceback to stderr."""
    if not is_expected(exc):
        _report_bug(exc)
    return user_message(exc)


def run_guarded(fn: Callable[[], Any], cancel: threading.Event | None = None) -> Outcome:
    """Run ``fn``; any failure becomes ``Outcome.error`` (``siamgui.errors.user_message``), never a crash.

    Once ``cancel`` is set, whatever ``fn`` raises (its own way of stopping) is a cancellation.
    """
    if cancel is not None and cancel.is_set():
        return Outcome(cancelled=True)  # cancelled before it started
    try:
        return Outcome(value=fn())
    except BaseException as exc:  # noqa: BLE001 - every failure becomes a message, never a crash
        if cancel is not None and cancel.is_set():
            return Outcome(cancelled=True)
        if isinstance(exc, PartialFailure):
            cause = exc.__cause__
            if cause is not None and not is_expected(cause):
                _report_bug(cause)
            return Outcome(error=str(exc), partial=exc.partial)
        return Outcome(error=report(exc))


class Job:
    """A handle on work given to :meth:`Jobs.start`: its id and the flag its function polls."""

    def __init__(self, jobs: "Jobs", job_id: int):
        self._jobs, self.id = jobs, job_id
        self.cancel_event = threading.Event()

    @property
    def cancelled(self) -> bool:
        return self.cancel_event.is_set()

    def cancel(self) -> None:
        """Ask the work to stop; neither its progress nor its outcome is delivered after this."""
        self._jobs.cancel(self.id)


class _Task(QRunnable):
    def __init__(self, jobs: "Jobs", job_id: int, fn: Callable[[], Any], cancel: threading.Event | None = None):
        super().__init__()
        self.setAutoDelete(True)
        self._jobs, self._id, self._fn, self._cancel = jobs, job_id, fn, cancel

    def run(self) -> None:
        outcome = run_guarded(self._fn, self._cancel)
        try:
            self._jobs._finished.emit(self._id, outcome)
        except RuntimeError:  # the window closed while we worked
            pass


class Jobs(QObject):
    """A small thread pool whose results (and progress) come back on the UI thread."""

    _finished = Signal(int, object)
    _progressed = Signal(int, object)  # job id, the arguments of its progress report
    busyChanged = Signal(int)  # jobs in flight

    def __init__(self, parent: QObject | None = None, threads: int = 2):
        super().__init__(parent)
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(max(1, threads))
        self._lanes: dict[str, QThreadPool] = {}
        self._callbacks: dict[int, Callable[[Outcome], None]] = {}
        self._progress: dict[int, Callable[..., None]] = {}
        self._jobs: dict[int, Job] = {}
        self._ids = itertools.count(1)
        self._finished.connect(self._deliver)
        self._progressed.connect(self._deliver_progress)

    @property
    def in_flight(self) -> int:
        return len(self._callbacks)

    def _pool(self, lane: str | None) -> QThreadPool:
        if lane is None:
            return self.pool
        if lane not in self._lanes:
            pool = QThreadPool(self)
            pool.setMaxThreadCount(1)  # one at a time in a lane
            self._lanes[lane] = pool
        return self._lanes[lane]

    def submit(self, fn: Callable[[], Any], callback: Callable[[Outcome], None], lane: str | None = None) -> int:
        """Run ``fn()`` off the UI thread; ``callback(outcome)`` runs on the UI thread."""
        job_id = next(self._ids)
        self._callbacks[job_id] = callback
        self._pool(lane).start(_Task(self, job_id, fn))
        self.busyChanged.emit(self.in_flight)
        return job_id

    def start(self, fn: Callable[[Callable[..., None], threading.Event], Any], callback: Callable[[Outcome], None],
              progress: Callable[..., None] | None = None, lane: str | None = None) -> Job:
        """Run ``fn(report, cancel)`` off the UI thread: ``report(*args)`` reaches ``progress(*args)``
        on the UI thread, ``cancel`` is set by :meth:`Job.cancel`; ``callback(outcome)`` as for submit."""
        job = Job(self, next(self._ids))
        self._jobs[job.id] = job
        self._callbacks[job.id] = callback
        if progress is not None:
            self._progress[job.id] = progress

        def report_progress(*args) -> None:
            if job.cancel_event.is_set():
                return
            try:
                self._progressed.emit(job.id, args)
            except RuntimeError:  # the window closed while we worked
                pass

        self._pool(lane).start(_Task(self, job.id, lambda: fn(report_progress, job.cancel_event), job.cancel_event))
        self.busyChanged.emit(self.in_flight)
        return job

    def cancel(self, job_id: int) -> None:
        """Stop delivering anything of ``job_id`` and ask it to stop (when it was given by start)."""
        job = self._jobs.pop(job_id, None)
        if job is not None:
            job.cancel_event.set()
        self._progress.pop(job_id, None)
        if self._callbacks.pop(job_id, None) is not None:
            self.busyChanged.emit(self.in_flight)

    @Slot(int, object)
    def _deliver_progress(self, job_id: int, args: tuple) -> None:
        callback = self._progress.get(job_id)
        if callback is not None:
            try:
                callback(*args)
            except Exception:  # noqa: BLE001 - a drawing bug must not take the app down
                traceback.print_exc()

    @Slot(int, object)
    def _deliver(self, job_id: int, outcome: Outcome) -> None:
        callback = self._callbacks.pop(job_id, None)
        self._progress.pop(job_id, None)
        self._jobs.pop(job_id, None)
        if callback is None:
            return  # cancelled: nothing of it is shown
        self.busyChanged.emit(self.in_flight)
        try:
            callback(outcome)
        except Exception:  # noqa: BLE001 - a drawing bug must not take the app down
            traceback.print_exc()

    def wait(self, wait_ms: int = 3000) -> bool:
        """Block until every pool is idle (tests, shutdown); True when all finished in time."""
        return all([pool.waitForDone(wait_ms) for pool in (self.pool, *self._lanes.values())])

    def shutdown(self, wait_ms: int = 3000) -> None:
        for job in list(self._jobs.values()):
            job.cancel_event.set()
        self._jobs.clear()
        self._callbacks.clear()
        self._progress.clear()
        for pool in (self.pool, *self._lanes.values()):
            pool.clear()
        self.wait(wait_ms)


class Latest:
    """"Latest result wins", written once: one kind of request (a side's analysis, a model load, a
    gallery read) whose newest answer alone is delivered.

        people = Latest(jobs, lane="live-gallery")
        people.submit(read_people, show_people)   # an older read still in flight is never shown
        people.forget()                            # a new model: whatever is in flight is dropped

    Each ``submit`` cancels the delivery of the previous one (its work may finish, its callback
    never runs), so a slow old answer is never drawn over a newer one and no counter is needed.
    ``start`` does the same for long work with progress and a cancel event, which it also sets.
    """

    def __init__(self, jobs: Jobs, lane: str | None = None):
        self.jobs, self.lane = jobs, lane
        self._id: int | None = None

    @property
    def pending(self) -> bool:
        """A request is in flight and will be delivered."""
        return self._id is not None

    def submit(self, fn: Callable[[], Any], callback: Callable[[Outcome], None]) -> int:
        """Run ``fn()`` off the UI thread; ``callback(outcome)`` runs only if no newer request came."""
        self.forget()
        deliver, mine = self._delivery(callback)
        self._id = self.jobs.submit(fn, deliver, lane=self.lane)
        mine.append(self._id)
        return self._id

    def start(self, fn: Callable[[Callable[..., None], threading.Event], Any], callback: Callable[[Outcome], None],
              progress: Callable[..., None] | None = None) -> Job:
        """As :meth:`Jobs.start` (``fn(report, cancel)``), newest only: a newer request (or
        :meth:`forget`) also sets this one's cancel event, so long work stops early, and neither
        its progress nor its outcome is delivered."""
        self.forget()
        deliver, mine = self._delivery(callback)
        job = self.jobs.start(fn, deliver, progress=progress, lane=self.lane)
        self._id = job.id
        mine.append(job.id)
        return job

    def _delivery(self, callback: Callable[[Outcome], None]) -> tuple[Callable[[Outcome], None], list[int]]:
        """The callback given to Jobs, and the list its request's job id goes in once known (the
        delivery comes later, on the UI thread): delivering the newest request ends ``pending``."""
        mine: list[int] = []

        def deliver(outcome: Outcome) -> None:
            if mine and self._id == mine[0]:
                self._id = None
            callback(outcome)

        return deliver, mine

    def forget(self) -> None:
        """Drop whatever is in flight: its outcome will not be delivered (and started work is asked to stop)."""
        if self._id is not None:
            self.jobs.cancel(self._id)
            self._id = None
