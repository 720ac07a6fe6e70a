"""The self-test: a shipped model without sample pairs passes only when its card says why none ship."""

from __future__ import annotations

import pytest

from onnx_factory import carded_model
from siamgui import selftest
from siamgui.core import registry


@pytest.fixture
def only(monkeypatch, tmp_path):
    """The self-test sees just the given models, and skips the Qt window (tested in tests/ui)."""
    def use(**models):
        monkeypatch.setattr(registry, "available", lambda: models)
        monkeypatch.setattr(selftest, "_qt_ok", lambda: True)
    return use


def _model_lines(out: str, name: str) -> list[str]:
    return [line for line in out.splitlines() if f" {name}:" in line]


def test_a_model_whose_card_says_none_ship_embeds_a_generated_signal(only, tmp_path, capsys):
    model = carded_model(tmp_path / "sound.onnx", {"kind": "sound"}, name="sound",
                         provenance={"samples": "none: the training clips state no licence"})
    only(sound=model)
    selftest.run(device="cpu")
    lines = _model_lines(capsys.readouterr().out, "sound")
    assert lines and all(line.startswith("ok") for line in lines), lines
    assert any("no sample pairs ship (the training clips state no licence)" in line
               and "(1, 16), finite" in line for line in lines), lines


def test_a_model_without_samples_or_a_reason_still_fails(only, tmp_path, capsys):
    only(silent=carded_model(tmp_path / "silent.onnx", {"kind": "sound"}, name="silent"))
    assert selftest.run(device="cpu") == 1
    assert "FAIL  silent: no sample pairs shipped for it" in capsys.readouterr().out


def test_a_generated_signal_that_breaks_the_model_fails(only, tmp_path, capsys, monkeypatch):
    import numpy as np

    from siamgui.core.encoder import Encoder

    model = carded_model(tmp_path / "sound.onnx", {"kind": "sound"}, name="sound",
                         provenance={"samples": "none: no licence"})
    only(sound=model)
    monkeypatch.setattr(Encoder, "embed", lambda self, s: np.full((1, 16), np.nan, np.float32))
    assert selftest.run(device="cpu") == 1
    assert any(line.startswith("FAIL") and "NOT finite" in line
               for line in _model_lines(capsys.readouterr().out, "sound"))
