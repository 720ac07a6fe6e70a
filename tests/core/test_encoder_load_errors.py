"""A file that is not an ONNX model is named as such in one plain sentence (API and CLI)."""

from __future__ import annotations

import pytest

from siamgui.core.encoder import Encoder
from siamgui.core.modelcard import CardError, unloadable


@pytest.mark.parametrize("content", [b"this is not a protobuf at all", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"])
def test_a_non_onnx_file_says_what_it_is_not(tmp_path, content):
    bad = tmp_path / "notamodel.onnx"
    bad.write_bytes(content)
    with pytest.raises(CardError) as caught:
        Encoder.load(bad, device="cpu")
    text = str(caught.value)
    assert text.startswith("notamodel.onnx is not an ONNX model: its contents are not in the ONNX format")
    for jargon in ("ONNXRuntimeError", "INVALID_PROTOBUF", "Protobuf", str(tmp_path)):
        assert jargon not in text


def test_a_truncated_model_is_not_an_onnx_model_either(tmp_path):
    from conftest import ROOT

    whole = (ROOT / "models" / "glyph.onnx").read_bytes()
    cut = tmp_path / "half.onnx"
    cut.write_bytes(whole[: len(whole) // 2])
    with pytest.raises(CardError, match="half.onnx is not an ONNX model"):
        Encoder.load(cut, device="cpu")


def test_other_onnxruntime_refusals_keep_the_reason_without_the_code():
    exc = RuntimeError("[ONNXRuntimeError] : 1 : FAIL : Load model from /x/m.onnx failed:Fatal error: "
                       "custom:Foo(-1) is not a registered function/op")
    assert str(unloadable("/x/m.onnx", exc)) == ("m.onnx is an ONNX file this onnxruntime cannot load "
                                                "(Fatal error: custom:Foo(-1) is not a registered function/op)")


def test_the_cli_says_it_in_one_line(capsys, tmp_path, glyph_files):
    from siamgui.cli import main

    bad = tmp_path / "notamodel.onnx"
    bad.write_text("hello")
    rc = main(["compare", "--model", str(bad), str(glyph_files["a1"]), str(glyph_files["a2"])])
    err = capsys.readouterr().err.strip().splitlines()
    assert rc != 0 and err == ["siamgui: error: notamodel.onnx is not an ONNX model: its contents are not in the "
                               "ONNX format (another kind of file, or a download or copy that did not finish)"]
