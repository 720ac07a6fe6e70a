"""Enrolment is scoped by input kind: a person is listed, re-embedded and identified only by models
of the kind they were enrolled under (a glyph model never sees a fruit-photo person, nor a voice)."""

from __future__ import annotations

from conftest import carded_model, tone
from siamgui import Encoder
from siamgui.core.gallery import Gallery
from siamgui.tasks.enrolment import (enrol_files, identify, missing_count, nobody_here, people_for_model,
                                     people_for_scope, sync_embeddings)


def test_people_are_filtered_and_counted_by_kind(tmp_path, glyph_model, glyph_files):
    gallery = Gallery(tmp_path / "g.db")
    glyph = Encoder.load(glyph_model)
    voice = Encoder.load(carded_model(tmp_path / "v.onnx", {"kind": "logmel"}, name="v"))
    enrol_files(gallery, glyph, "Both", [glyph_files["a1"], glyph_files["a2"]])
    enrol_files(gallery, voice, "Both", [tone(tmp_path / "b.wav")])
    enrol_files(gallery, voice, "Voice only", [tone(tmp_path / "v.wav", freqs=(300.0,))])

    people, hidden = people_for_model(gallery, glyph)
    assert [(p.name, p.samples) for p in people] == [("Both", 2)] and hidden == 1
    people, hidden = people_for_scope(gallery, "voice")
    assert [(p.name, p.samples) for p in people] == [("Both", 1), ("Voice only", 1)] and hidden == 0


def test_an_image_model_of_another_kind_never_sees_nor_reembeds_the_people(tmp_path, glyph_model, glyph_files):
    """The issue's bug: a face gallery answered "Face Person" under the fruit model. Here a glyph
    person under a generic image ("fruit"-like) model: same medium, another kind."""
    gallery = Gallery(tmp_path / "g.db")
    glyph = Encoder.load(glyph_model)
    fruit = Encoder.load(carded_model(tmp_path / "fruit.onnx", {"kind": "image", "size": 32}, name="fruitish"))
    enrol_files(gallery, glyph, "Writer", [glyph_files["a1"]])

    assert sync_embeddings(gallery, fruit) == (0, [])  # nothing offered to re-embed
    assert missing_count(gallery, fruit) == 0
    assert identify(gallery, fruit, fruit.embed(glyph_files["a1"])[0], threshold=2.0).matches == []
    assert people_for_model(gallery, fruit) == ([], 1)
    assert nobody_here(gallery, fruit) == ("nobody is enrolled for fruitish (image models); 1 person is enrolled "
                                           "under glyph models, which fruitish never compares with")
    assert nobody_here(gallery, glyph) == ""

    # within one kind the re-embed offer stays: glyph model A -> glyph model B
    other = Encoder.load(carded_model(tmp_path / "g2.onnx", {"kind": "glyph", "size": 32}, seed=7, name="g2"))
    assert missing_count(gallery, other) == 1
    assert sync_embeddings(gallery, other)[0] == 1
    assert identify(gallery, other, other.embed(glyph_files["a1"])[0], threshold=0.01).label == "Writer"


def test_nobody_here_on_an_empty_gallery_says_enrol_first(tmp_path, glyph_model):
    gallery = Gallery(tmp_path / "g.db")
    glyph = Encoder.load(glyph_model)
    assert nobody_here(gallery, glyph).startswith("the gallery is empty")
