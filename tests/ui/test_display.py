"""The no-display check that runs before Qt (which would abort the process)."""

import pytest

from siamgui.ui.display import missing_display


@pytest.mark.parametrize("env, platform, ok", [
    ({}, "linux", False),
    ({"DISPLAY": ":0"}, "linux", True),
    ({"WAYLAND_DISPLAY": "wayland-0"}, "linux", True),
    ({"QT_QPA_PLATFORM": "offscreen"}, "linux", True),
    ({"QT_QPA_PLATFORM": "xcb"}, "linux", False),
    ({"QT_QPA_PLATFORM": "xcb", "WAYLAND_DISPLAY": "w"}, "linux", False),
    ({"QT_QPA_PLATFORM": "wayland;xcb", "DISPLAY": ":1"}, "linux", True),
    ({"QT_QPA_PLATFORM": "vnc:size=800x600"}, "linux", True),
    ({}, "win32", True),
    ({}, "darwin", True),
    ({}, "freebsd14", False),
])
def test_missing_display(env, platform, ok):
    problem = missing_display(env, platform)
    assert (problem is None) == ok
    if problem:
        assert "no display" in problem and "QT_QPA_PLATFORM=offscreen" in problem and "\n" not in problem
