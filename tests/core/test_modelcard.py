import pytest

from onnx_factory import carded_model, projection_model
from siamgui.core.modelcard import CardError, ModelCard, read_card, write_card


def test_card_round_trips_through_the_onnx_file(tmp_path):
    path = carded_model(tmp_path / "m.onnx", {"kind": "glyph", "size": 32}, threshold=0.25)
    card = read_card(path)
    assert (card.modality, card.metric, card.threshold) == ("image", "cosine", 0.25)
    card.metrics = {"eer": 0.05}
    card.threshold = 0.3
    write_card(path, card)
    again = read_card(path)
    assert again.threshold == 0.3 and again.metrics == {"eer": 0.05}


def test_missing_card_names_the_missing_keys(tmp_path):
    path = projection_model(tmp_path / "bare.onnx", (1, 32, 32))
    with pytest.raises(CardError) as err:
        read_card(path)
    for key in ("siamgui.preprocess", "siamgui.metric", "siamgui.threshold"):
        assert key in str(err.value)
    assert "siamgui.modality" not in str(err.value)  # the medium follows from the kind
    assert "siamgui card" in str(err.value)


@pytest.mark.parametrize("kind, medium", [("glyph", "image"), ("face", "image"), ("logmel", "audio"),
                                          ("sound", "audio")])
def test_the_cards_medium_follows_from_its_kind_and_old_cards_still_load(kind, medium):
    from siamgui.media.medium import MEDIA

    new = ModelCard("m", medium, {"kind": kind}, "cosine", 0.5).to_props()
    del new["siamgui.modality"]  # a card that does not name its medium
    card = ModelCard.from_props(new)
    assert card.modality == medium and card.medium is MEDIA[medium]
    old = ModelCard("m", medium, {"kind": kind}, "cosine", 0.5).to_props()  # an old card names it
    assert ModelCard.from_props(old).medium is MEDIA[medium]
    assert "siamgui.modality" in old  # still written, so older versions of the app read new cards


@pytest.mark.parametrize(
    "change, message",
    [
        ({"siamgui.metric": "manhattan"}, "unknown metric"),
        ({"siamgui.preprocess": "{not json"}, "malformed"),
        ({"siamgui.threshold": "high"}, "malformed"),
        ({"siamgui.modality": "audio"}, "does not fit"),
        ({"siamgui.preprocess": '{"kind": "video"}'}, "unknown preprocessing kind"),
    ],
)
def test_bad_cards_are_explained(change, message):
    props = ModelCard("m", "image", {"kind": "glyph"}, "cosine", 0.5).to_props()
    props.update(change)
    with pytest.raises(CardError, match=message):
        ModelCard.from_props(props)


def test_non_onnx_file_is_explained(tmp_path):
    bad = tmp_path / "notes.onnx"
    bad.write_text("not a model")
    with pytest.raises(CardError, match="notes.onnx is not an ONNX model: its contents are not in the ONNX format"):
        read_card(bad)


def test_card_set_checks_preprocess_ranges_even_on_a_partial_card():
    from siamgui.core.modelcard import check_value

    with pytest.raises(CardError, match="preprocess size must be from 8 to 1024, got 0"):
        check_value("preprocess", '{"kind": "image", "size": 0}')
    with pytest.raises(CardError, match="std must be above 0"):
        check_value("preprocess", '{"kind": "image", "std": 0}')
    check_value("preprocess", '{"kind": "image", "size": 64}')


def test_portable_paths_name_data_by_the_data_root_and_hide_other_folders():
    from siamgui.core.modelcard import portable_paths, portable_provenance

    cmd = ("siamgui-train /data/root/glyphs/mnist_train --out models/digit.onnx --workdir /home/ann/runs/digit "
           "--init /proj/models/voice.onnx --reported 'cat / dog'")
    assert portable_paths(cmd, "/data/root", "/proj") == (
        "siamgui-train glyphs/mnist_train --out models/digit.onnx --workdir <elsewhere>/digit "
        "--init models/voice.onnx --reported 'cat / dog'")
    prov = {"data": ["/data/root/voices/a", "objects/fruit (Fruits-360)"], "command": "x /data/root/voices/a",
            "seed": 0}
    out = portable_provenance(prov, "/data/root")
    assert out["data"] == ["voices/a", "objects/fruit (Fruits-360)"] and out["command"] == "x voices/a"
    assert out["seed"] == 0 and "relative to the shared data root" in out["paths"]
    assert portable_provenance({"data": ["voices/a"]}, "/data/root") == {"data": ["voices/a"]}


def test_shipped_cards_hold_no_absolute_paths():
    import json
    from pathlib import Path

    for model in sorted((Path(__file__).resolve().parents[2] / "models").glob("*.onnx")):
        prov = read_card(model).provenance
        text = json.dumps([prov.get("data"), prov.get("command")])
        assert "/work/" not in text and "/home/" not in text and "/tmp/" not in text, model.name
