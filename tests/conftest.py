"""Shared fixtures: test-built ONNX encoders, generated media, the optional shared data sets."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

TESTS = Path(__file__).resolve().parent
ROOT = TESTS.parent
sys.path.insert(0, str(TESTS))

from onnx_factory import carded_model  # noqa: E402

SAMPLES = ROOT / "resources" / "samples"


def shared_data() -> Path | None:
    env = os.environ.get("SIAMGUI_DATA")
    path = Path(env) if env else ROOT.parent / "shared" / "data"
    return path if path.is_dir() else None


@pytest.fixture
def data_dir() -> Path:
    path = shared_data()
    if path is None:
        pytest.skip("needs the shared data sets (../shared/data or $SIAMGUI_DATA); absent here")
    return path


@pytest.fixture(autouse=True)
def _isolated_user_dirs(tmp_path_factory, monkeypatch):
    """Never read or write the real user's models, settings or gallery."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("XDG_DATA_HOME", str(home / "data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / "config"))
    monkeypatch.delenv("SIAMGUI_DEVICE", raising=False)


def draw(char: str, seed: int = 0, size: int = 105, scale: float = 3.0, offset=(0, 0)) -> np.ndarray:
    """A black-on-white drawn character, a little different for each seed."""
    rng = np.random.default_rng(seed)
    img = np.full((size, size), 255, np.uint8)
    org = (int(size * 0.2 + offset[0] + rng.integers(-3, 4)), int(size * 0.8 + offset[1] + rng.integers(-3, 4)))
    cv2.putText(img, char, org, cv2.FONT_HERSHEY_SIMPLEX, scale * size / 105, 0, 4, cv2.LINE_AA)
    return img


@pytest.fixture
def glyph_files(tmp_path) -> dict[str, Path]:
    out = {}
    for name, char, seed in (("a1", "A", 1), ("a2", "A", 2), ("b1", "B", 3)):
        p = tmp_path / f"{name}.png"
        cv2.imwrite(str(p), draw(char, seed))
        out[name] = p
    return out


def tone(path: Path, freqs=(220.0, 440.0), seconds: float = 2.0, rate: int = 16000, amp: float = 0.3) -> Path:
    import soundfile as sf

    t = np.arange(int(seconds * rate)) / rate
    sig = sum(np.sin(2 * np.pi * f * t) for f in freqs) / len(freqs)
    envelope = 0.6 + 0.4 * np.sin(2 * np.pi * 3 * t)  # syllable-like loudness changes
    sf.write(str(path), (amp * sig * envelope).astype(np.float32), rate)
    return path


@pytest.fixture
def glyph_model(tmp_path) -> Path:
    return carded_model(tmp_path / "glyphtest.onnx", {"kind": "glyph", "size": 32}, threshold=0.05, name="glyphtest")


@pytest.fixture
def audio_model(tmp_path) -> Path:
    return carded_model(tmp_path / "audiotest.onnx", {"kind": "logmel"}, threshold=0.05, name="audiotest")
