import numpy as np
import pytest

from conftest import draw
from onnx_factory import carded_model, projection_model
from siamgui import Encoder
from siamgui.core import registry
from siamgui.core.modelcard import CardError
from siamgui.media.errors import MediaError


def test_compare_same_input_is_zero_and_different_is_positive(glyph_model, glyph_files):
    enc = Encoder.load(glyph_model, device="cpu")
    assert enc.compare(glyph_files["a1"], glyph_files["a1"]).distance == pytest.approx(0.0, abs=1e-6)
    v = enc.compare(glyph_files["a1"], glyph_files["b1"])
    assert v.distance > 0 and v.threshold == enc.card.threshold


def test_batched_and_single_embeddings_agree(glyph_model, glyph_files):
    enc = Encoder.load(glyph_model, device="cpu")
    files = list(glyph_files.values())
    batch = enc.embed(files)
    singles = np.concatenate([enc.embed(f) for f in files])
    assert batch.shape == (3, 16)
    np.testing.assert_allclose(batch, singles, atol=1e-6)
    np.testing.assert_allclose(np.linalg.norm(batch, axis=1), 1.0, atol=1e-5)


def test_arrays_and_files_give_the_same_embedding(glyph_model, glyph_files):
    import cv2

    enc = Encoder.load(glyph_model, device="cpu")
    arr = cv2.imread(str(glyph_files["a1"]))
    np.testing.assert_allclose(enc.embed(arr), enc.embed(glyph_files["a1"]), atol=1e-6)


def test_providers_are_reported_truthfully(glyph_model):
    enc = Encoder.load(glyph_model, device="cpu")
    assert enc.providers == ["CPUExecutionProvider"] and enc.provider_note is None
    cuda = Encoder.load(glyph_model, device="cuda")
    if "CUDAExecutionProvider" not in cuda.providers:
        assert cuda.provider_note and "CUDA was requested" in cuda.provider_note


def test_device_from_environment(glyph_model, monkeypatch):
    monkeypatch.setenv("SIAMGUI_DEVICE", "cpu")
    assert Encoder.load(glyph_model).requested == "cpu"
    monkeypatch.setenv("SIAMGUI_DEVICE", "tpu")
    with pytest.raises(ValueError, match="unknown device"):
        Encoder.load(glyph_model)


def test_audio_model_averages_windows(audio_model, tmp_path):
    from conftest import tone

    enc = Encoder.load(audio_model, device="cpu")
    long = enc.prepare(tone(tmp_path / "long.wav", seconds=4.0))
    assert long.tensors.shape[0] > 1 and long.tensors.shape[1:] == (1, 40, 160)
    v = enc.compare(tmp_path / "long.wav", tone(tmp_path / "other.wav", freqs=(300.0, 1500.0)))
    assert v.distance > 0


def test_wrong_modality_input_is_a_media_error(glyph_model, audio_model, tmp_path, glyph_files):
    from conftest import tone

    with pytest.raises(MediaError, match="takes images"):
        Encoder.load(glyph_model).embed(tone(tmp_path / "t.wav"))
    with pytest.raises(MediaError, match="takes audio"):
        Encoder.load(audio_model).embed(glyph_files["a1"])


def test_unusable_models_are_explained(tmp_path):
    empty = tmp_path / "empty.onnx"
    empty.write_bytes(b"")
    with pytest.raises(CardError, match="empty"):
        Encoder.load(empty)
    bare = projection_model(tmp_path / "bare.onnx", (1, 32, 32))
    with pytest.raises(CardError, match="no SiamGUI model card"):
        Encoder.load(bare)
    wrong = carded_model(tmp_path / "wrong.onnx", {"kind": "glyph", "size": 32}, shape=(1, 28, 28))
    with pytest.raises(CardError, match="does not fit"):
        Encoder.load(wrong)
    with pytest.raises(FileNotFoundError):
        Encoder.load(tmp_path / "missing.onnx")


def test_models_are_found_by_name(tmp_path, monkeypatch, glyph_files):
    carded_model(tmp_path / "mine.onnx", {"kind": "glyph", "size": 32})
    monkeypatch.setenv(registry.ENV_MODELS, str(tmp_path))
    assert registry.available()["mine"] == tmp_path / "mine.onnx"
    assert Encoder.load("mine").name == "mine"
    with pytest.raises(FileNotFoundError, match="installed: .*mine"):
        Encoder.load("nosuchmodel")


def test_blank_glyph_is_a_media_error(glyph_model):
    with pytest.raises(MediaError, match="blank"):
        Encoder.load(glyph_model).embed(np.full((50, 50), 255, np.uint8))
    assert Encoder.load(glyph_model).embed(draw("Q")).shape == (1, 16)
