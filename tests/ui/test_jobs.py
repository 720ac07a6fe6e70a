"""The job runner: results and failures come back on the UI thread, translated once."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest  # noqa: E402

from siamgui.core.gallery import GalleryError  # noqa: E402
from siamgui.media.errors import MediaError  # noqa: E402
from siamgui.tasks.calibration import CalibrationError  # noqa: E402
from siamgui.ui.jobs import PartialFailure, run_guarded  # noqa: E402


def _raise(exc):
    def fn():
        raise exc
    return fn


@pytest.mark.parametrize("exc", [MediaError("x.png: not an image"), GalleryError("the gallery is read-only"),
                                 CalibrationError("found 1 class folder(s)")])
def test_a_user_error_is_its_own_sentence_without_a_traceback(exc, capsys):
    outcome = run_guarded(_raise(exc))
    assert outcome.error == str(exc)
    assert "Traceback" not in capsys.readouterr().err


def test_a_missing_file_is_the_users_fault(tmp_path, capsys):
    outcome = run_guarded(lambda: open(tmp_path / "gone.png"))
    assert outcome.error.endswith("gone.png: file not found")
    assert "Traceback" not in capsys.readouterr().err


@pytest.mark.parametrize("exc", [ValueError("shapes (3,) and (4,) not aligned"), KeyError("kind"),
                                 RuntimeError("boom")])
def test_a_programming_error_says_unexpected_and_prints_its_traceback(exc, capsys):
    outcome = run_guarded(_raise(exc))
    assert outcome.error.startswith(f"Unexpected error ({type(exc).__name__}")
    assert "Traceback" in capsys.readouterr().err


def test_a_partial_failure_keeps_what_it_has_and_a_bug_under_it_is_still_printed(capsys):
    def fn():
        try:
            raise ZeroDivisionError("division by zero")
        except ZeroDivisionError as exc:
            raise PartialFailure("Unexpected error (ZeroDivisionError: division by zero)", "picture") from exc

    outcome = run_guarded(fn)
    assert outcome.partial == "picture" and outcome.error.startswith("Unexpected error")
    assert "ZeroDivisionError" in capsys.readouterr().err


# --- the runner -------------------------------------------------------------------------------
@pytest.fixture
def jobs(qtbot):
    from PySide6.QtWidgets import QApplication

    from siamgui.ui.jobs import Jobs

    QApplication.instance() or QApplication([])
    j = Jobs()
    yield j
    j.shutdown()


def test_progress_and_the_outcome_arrive_on_the_ui_thread(qtbot, jobs):
    import threading

    from PySide6.QtCore import QThread
    from PySide6.QtWidgets import QApplication

    gui = QApplication.instance().thread()
    worked_on, seen, done = [], [], []

    def work(progress, cancel):
        worked_on.append(threading.current_thread() is threading.main_thread())
        for i in range(1, 4):
            progress(i, 3)
        return "value"

    jobs.start(work, lambda o: done.append((o.value, QThread.currentThread() == gui)),
               progress=lambda d, t: seen.append((d, t, QThread.currentThread() == gui)), lane="long")
    qtbot.waitUntil(lambda: bool(done), timeout=5000)
    assert worked_on == [False]
    assert seen == [(1, 3, True), (2, 3, True), (3, 3, True)] and done == [("value", True)]
    assert jobs.in_flight == 0


def test_cancel_stops_the_work_and_delivers_nothing_of_it(qtbot, jobs, capsys):
    import threading

    started, stopped = threading.Event(), threading.Event()
    seen, done = [], []

    class Stop(Exception):
        pass

    def work(progress, cancel):
        started.set()
        while not cancel.wait(0.01):
            progress(1, 2)
        stopped.set()
        raise Stop  # how a task says it stopped (calibration.Cancelled): not a bug, not a message

    job = jobs.start(work, done.append, progress=lambda d, t: seen.append(d))
    assert started.wait(5)
    qtbot.waitUntil(lambda: bool(seen), timeout=5000)
    job.cancel()
    assert job.cancelled and jobs.in_flight == 0
    assert stopped.wait(5) and jobs.wait(5000)
    n = len(seen)
    qtbot.wait(50)
    assert done == [] and len(seen) == n
    assert "Traceback" not in capsys.readouterr().err


def test_a_lane_runs_one_job_at_a_time(qtbot, jobs):
    import threading
    import time

    lock, overlap, done = threading.Lock(), [], []

    def work(_progress, _cancel):
        if not lock.acquire(blocking=False):
            overlap.append(True)
            return None
        try:
            time.sleep(0.05)
        finally:
            lock.release()

    for _ in range(3):
        jobs.start(work, done.append, lane="one")
    qtbot.waitUntil(lambda: len(done) == 3, timeout=5000)
    assert not overlap


def test_latest_delivers_only_the_newest_answer(qtbot, jobs):
    import threading

    from siamgui.ui.jobs import Latest

    latest = Latest(jobs)
    release = threading.Event()
    shown = []
    latest.submit(lambda: release.wait(5) and "old", shown.append)  # slow, and replaced before it ends
    latest.submit(lambda: "new", shown.append)
    assert latest.pending
    qtbot.waitUntil(lambda: bool(shown), timeout=5000)
    release.set()
    jobs.wait()
    qtbot.wait(50)
    assert [o.value for o in shown] == ["new"] and not latest.pending
    latest.submit(lambda: "dropped", shown.append)
    latest.forget()  # e.g. a new model: what is in flight belongs to the past
    jobs.wait()
    qtbot.wait(50)
    assert [o.value for o in shown] == ["new"]
