"""people_for_modality: a person is listed only under models that can read their samples."""

from __future__ import annotations

from conftest import carded_model, tone
from siamgui import Encoder
from siamgui.tasks.enrolment import enrol_files, people_for_modality
from siamgui.core.gallery import Gallery


def test_people_are_filtered_and_counted_by_modality(tmp_path, glyph_model, glyph_files):
    gallery = Gallery(tmp_path / "g.db")
    glyph = Encoder.load(glyph_model)
    voice = Encoder.load(carded_model(tmp_path / "v.onnx", {"kind": "logmel"}, name="v"))
    enrol_files(gallery, glyph, "Both", [glyph_files["a1"], glyph_files["a2"]])
    enrol_files(gallery, voice, "Both", [tone(tmp_path / "b.wav")])
    enrol_files(gallery, voice, "Voice only", [tone(tmp_path / "v.wav", freqs=(300.0,))])

    people, hidden = people_for_modality(gallery, "image")
    assert [(p.name, p.samples) for p in people] == [("Both", 2)] and hidden == 1
    people, hidden = people_for_modality(gallery, "audio")
    assert [(p.name, p.samples) for p in people] == [("Both", 1), ("Voice only", 1)] and hidden == 0
