"""UI test setup: Qt renders offscreen, settings live in a temp .ini, models are test-built.

pytest imports every ``conftest.py`` as the module ``conftest``; once this one is loaded,
``from conftest import tone`` anywhere resolves here, so the shared helpers of
``tests/conftest.py`` are re-exported below.
"""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import contextlib  # noqa: E402
import importlib.util  # noqa: E402
import threading  # noqa: E402
from pathlib import Path  # noqa: E402

import pytest  # noqa: E402


def _reexport_shared_helpers() -> None:
    root = Path(__file__).resolve().parents[1] / "conftest.py"
    spec = importlib.util.spec_from_file_location("_siamgui_tests_shared", root)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    for name, value in vars(mod).items():
        if name.startswith("_") or name in globals():
            continue
        if hasattr(value, "_pytestfixturefunction") or type(value).__name__ == "FixtureFunctionDefinition":
            continue  # fixtures stay defined once, in tests/conftest.py
        globals()[name] = value


_reexport_shared_helpers()

from onnx_factory import carded_model  # noqa: E402
from PySide6.QtCore import QSettings  # noqa: E402


@pytest.fixture
def settings_path(tmp_path) -> Path:
    return tmp_path / "siamgui-settings.ini"


@pytest.fixture
def app_settings(settings_path):
    from siamgui.ui.settings import AppSettings

    return AppSettings(QSettings(str(settings_path), QSettings.Format.IniFormat))


@pytest.fixture
def no_installed_models(tmp_path, monkeypatch):
    """registry.available() sees nothing (the shipped models/ folder may hold trained models)."""
    from siamgui.core import registry

    empty = tmp_path / "no-models"
    empty.mkdir()
    monkeypatch.setattr(registry, "shipped_dir", lambda: empty)
    monkeypatch.delenv(registry.ENV_MODELS, raising=False)
    return empty


@contextlib.contextmanager
def window_maker(qtbot, app_settings, autoload: bool):
    """A ``make(settings=None, autoload=..., **kwargs)`` that builds and shows main windows, all of
    them closed (their threads stopped) when the block ends."""
    from siamgui.ui.app import create_app, build_window

    create_app()
    windows = []

    def make(settings=None, autoload=autoload, **kwargs):
        w = build_window(settings or app_settings, autoload=autoload, **kwargs)
        qtbot.addWidget(w)
        w.show()
        windows.append(w)
        return w

    try:
        yield make
    finally:
        for w in windows:
            w.close()


@pytest.fixture
def make_window(qtbot, app_settings, no_installed_models):
    """Build main windows (over test-built models only) that close after the test."""
    with window_maker(qtbot, app_settings, autoload=False) as make:
        yield make


def held_back(real, is_held):
    """(wrapper, release, finished) for "latest wins" tests: ``wrapper`` calls ``real``, but a call
    for which ``is_held(*args)`` is true first waits (10 s at most) for the event ``release``;
    ``finished`` is set when that held call has returned, so an older, slow call ends last."""
    release, finished = threading.Event(), threading.Event()

    def wrapper(*args, **kwargs):
        if not is_held(*args, **kwargs):
            return real(*args, **kwargs)
        release.wait(10)
        try:
            return real(*args, **kwargs)
        finally:
            finished.set()

    return wrapper, release, finished


def wait_model(qtbot, window, timeout=10000):
    qtbot.waitUntil(lambda: not window.loading, timeout=timeout)


def wait_idle(qtbot, window, timeout=10000):
    qtbot.waitUntil(lambda: window.jobs.in_flight == 0, timeout=timeout)


@pytest.fixture
def glyph_window(make_window, qtbot, tmp_path):
    model = carded_model(tmp_path / "glyphtest.onnx", {"kind": "glyph", "size": 32}, threshold=0.05, name="glyphtest")
    w = make_window()
    w.open_model_path(str(model))
    wait_model(qtbot, w)
    assert w.encoder is not None and w.encoder.name == "glyphtest"
    return w


@pytest.fixture
def audio_window(make_window, qtbot, tmp_path):
    model = carded_model(tmp_path / "audiotest.onnx", {"kind": "logmel"}, threshold=0.05, name="audiotest")
    w = make_window()
    w.open_model_path(str(model))
    wait_model(qtbot, w)
    assert w.encoder is not None and w.encoder.card.modality == "audio"
    return w
