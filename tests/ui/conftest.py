"""UI test setup: Qt renders offscreen, settings live in a temp .ini, models are test-built.

pytest imports every ``conftest.py`` as the module ``conftest``; once this one is loaded,
``from conftest import tone`` anywhere resolves here, so the shared helpers of
``tests/conftest.py`` are re-exported below.
"""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import importlib.util  # noqa: E402
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


@pytest.fixture
def make_window(qtbot, app_settings, no_installed_models):
    """Build main windows that close (and stop their threads) after the test."""
    from siamgui.ui.app import create_app, build_window

    create_app()
    windows = []

    def make(settings=None, autoload=False, **kwargs):
        w = build_window(settings or app_settings, autoload=autoload, **kwargs)
        qtbot.addWidget(w)
        w.show()
        windows.append(w)
        return w

    yield make
    for w in windows:
        w.close()


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
