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
