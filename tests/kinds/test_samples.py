"""Shipped sample pairs, and a model that may ship none: the sentence the app shows, the signal the self-test embeds."""

from __future__ import annotations

import numpy as np
import pytest

from siamgui.core.modelcard import ModelCard
from siamgui import kinds as modalities
from siamgui.kinds import samples
from siamgui.media.audio import AudioClip


def _card(kind: str, provenance: dict | None = None, name: str = "sound") -> ModelCard:
    modality = "audio" if modalities.get(kind).medium == "audio" else "image"
    return ModelCard(name=name, modality=modality, preprocess={"kind": kind}, metric="cosine", threshold=0.3,
                     provenance=provenance or {})


def test_a_card_that_says_none_ship_gives_one_sentence_with_why_and_what_to_open():
    card = _card("sound", {"samples": "none: the training clips state no licence"})
    assert samples.no_samples_reason(card) == "the training clips state no licence"
    note = samples.no_samples_note(card)
    assert note.startswith("The sound model ships no sample pairs (the training clips state no licence)")
    assert "open two sound clips of your own" in note and note.count(".") == 1 and note.endswith(".")
    image = _card("glyph", {"samples": "none: private drawings"}, name="mine")
    assert "open two images of your own" in samples.no_samples_note(image)


@pytest.mark.parametrize("provenance", [{}, {"samples": "resources/samples/sound"}, {"samples": 3}])
def test_a_card_that_says_nothing_about_missing_samples_gives_no_sentence(provenance):
    card = _card("sound", provenance)
    assert samples.no_samples_reason(card) == "" and samples.no_samples_note(card) == ""


def test_a_sound_model_is_never_offered_the_voice_samples(tmp_path):
    voice = tmp_path / "voice"
    voice.mkdir()
    for n in ("same_a.wav", "same_b.wav"):
        (voice / n).write_bytes(b"x")
    assert samples.sample_pairs(_card("logmel", name="speakers"), tmp_path)  # the speaker kind finds them
    assert samples.sample_folder(_card("sound"), tmp_path) is None
    assert samples.sample_pairs(_card("sound"), tmp_path) == []


@pytest.mark.parametrize("kind", ["sound", "logmel", "glyph", "image"])
def test_the_generated_signal_passes_the_kinds_own_preprocessing(kind):
    mod = modalities.get(kind)
    source = samples.generated(mod)
    assert isinstance(source, AudioClip if mod.medium == "audio" else np.ndarray)
    prepared = mod.prepare(source)
    assert prepared.tensors.shape[1:] == mod.input_shape() and np.isfinite(prepared.tensors).all()
