"""The kinds registry: one Modality per input kind, and a new kind is one class."""

from __future__ import annotations

import re
from pathlib import Path

import cv2
import numpy as np
import pytest

from onnx_factory import carded_model
from siamgui.core.encoder import Encoder
from siamgui import kinds as modalities
from siamgui.kinds.image.modality import ImageModality
from siamgui.media.errors import MediaError

ROOT = Path(__file__).resolve().parents[2]


def test_every_shipped_kind_is_registered_with_its_facts():
    for kind in ("face", "glyph", "image", "logmel"):
        mod = modalities.get({"kind": kind})
        assert mod.kind == kind and mod.medium in ("image", "audio")
        c, h, w = mod.input_shape()
        assert c >= 1 and h > 0 and w > 0
        assert mod.suffixes and mod.file_filter.endswith(")")
    assert modalities.get("logmel").live_source == "microphone"
    assert modalities.get("face").live_source == "camera" and modalities.get("face").tracks_faces
    assert modalities.get("glyph").live_source == "none"


def test_unknown_kind_is_one_clear_sentence():
    with pytest.raises(MediaError, match="unknown preprocessing kind 'nope'"):
        modalities.get({"kind": "nope"})


def test_card_parameters_override_defaults():
    assert modalities.get({"kind": "glyph", "size": 48}).input_shape() == (1, 48, 48)


def test_image_kind_reports_rgb_so_displays_never_guess(tmp_path):
    img = np.zeros((20, 30, 3), np.uint8)
    img[..., 2] = 255  # pure red in OpenCV's BGR
    path = tmp_path / "red.png"
    cv2.imwrite(str(path), img)
    p = modalities.get({"kind": "image", "size": 8}).prepare(path)
    assert p.colour == "rgb" and p.view[0, 0].tolist() == [255, 0, 0]


def test_audio_kind_refuses_images_and_image_kind_refuses_audio(tmp_path):
    with pytest.raises(MediaError, match="takes audio, not images"):
        modalities.get("logmel").prepare(tmp_path / "x.png")
    with pytest.raises(MediaError, match="takes images, not audio"):
        modalities.get("glyph").prepare(tmp_path / "x.wav")


def test_a_new_kind_is_one_class_and_the_whole_engine_uses_it(tmp_path, glyph_files):
    """A made-up 'signature' kind: registered here, loaded through a card, compared by Encoder."""

    @modalities.register
    class SignatureModality(ImageModality):
        kind = "signature_test"
        defaults = {"size": 24, "channels": 1, "mean": 0.5, "std": 0.5}
        subjects = ("the same signer", "different signers")

    try:
        model = carded_model(tmp_path / "sig.onnx", {"kind": "signature_test"})
        enc = Encoder.load(model, device="cpu")
        assert isinstance(enc.modality, SignatureModality)
        assert enc.modality.input_shape() == (1, 24, 24)
        v = enc.compare(glyph_files["a1"], glyph_files["a1"])
        assert v.distance == pytest.approx(0.0, abs=1e-6) and v.same
        assert enc.embed(glyph_files["a1"]).shape == (1, 16)
    finally:
        modalities._REGISTRY.pop("signature_test", None)


def test_kind_names_are_compared_only_inside_media_kinds_and_train():
    """Everyone else asks the modality (at most 3 kind comparisons elsewhere, as the design says)."""
    kinds = "|".join(modalities.kinds())
    pattern = re.compile(rf"""(==|!=|\bin)\s*\(?\s*["']({kinds})["']|["']({kinds})["']\s*(==|!=)""")
    hits = []
    for f in (ROOT / "siamgui").rglob("*.py"):
        rel = f.relative_to(ROOT / "siamgui").as_posix()
        if rel.startswith(("media/", "kinds/", "train/")):
            continue
        for n, line in enumerate(f.read_text().splitlines(), 1):
            if pattern.search(line):
                hits.append(f"{rel}:{n}: {line.strip()}")
    assert len(hits) <= 3, hits


def test_sound_kind_is_the_logmel_features_worded_as_sounds(tmp_path):
    """Cat / dog sounds share the speaker kind's features but never say "speaker"."""
    from siamgui.kinds.logmel.modality import LogMelModality

    sound, speech = modalities.get("sound"), modalities.get("logmel")
    assert isinstance(sound, LogMelModality) and sound.kind == "sound"
    assert sound.subjects == ("the same kind of sound", "different kinds of sound")
    assert not any("speaker" in s for s in sound.subjects) and "speaker" in speech.subjects[0]
    assert sound.input_shape() == (1, 40, 100) and speech.input_shape() == (1, 40, 160)  # 1 s windows
    assert sound.samples == "sound" and speech.samples == "voice"  # never offered the voice samples
    assert sound.medium == "audio" and sound.live_source == "microphone"


def test_old_logmel_cards_keep_working_and_sound_cards_load(tmp_path):
    from conftest import tone

    clip = tone(tmp_path / "t.wav", seconds=2.5)
    for kind, words in (("logmel", "speaker"), ("sound", "kind of sound")):
        enc = Encoder.load(carded_model(tmp_path / f"{kind}.onnx", {"kind": kind}), device="cpu")
        assert enc.modality.kind == kind and words in enc.modality.subjects[0]
        assert enc.embed(clip).shape == (1, 16)


def test_the_sound_preset_uses_the_sound_kind():
    from siamgui.train.presets import get

    assert get("sound")["spec"]["kind"] == "sound" and get("voice")["spec"]["kind"] == "logmel"


def test_every_kind_has_a_limit_for_every_key_and_its_defaults_fit():
    """The schema sits next to each kind's defaults: a key without a range could ask for anything."""
    for kind in modalities.kinds():
        cls = modalities._REGISTRY[kind]
        assert set(cls.defaults) <= set(cls.limits), kind  # optional keys (a detector) may have no default
        modalities.get(kind)  # the defaults pass their own checks


@pytest.mark.parametrize("spec, message", [
    ({"kind": "face", "equalize": "yes"}, "equalize must be true or false"),
    ({"kind": "face", "size": 64.5}, "size must be a whole number"),
    ({"kind": "face_aligned", "channels": 1}, "channels must be one of 3"),
    ({"kind": "glyph", "margin": float("inf")}, "margin must be a finite number"),
    ({"kind": "image", "size": [64, 100000]}, "size must be from 8 to 1024, got 100000"),
    ({"kind": "image", "size": [64, 64, 3]}, "size must be a number or a list of 2 numbers"),
    ({"kind": "image", "mean": [0.5, 0.5]}, "mean must have 1 or 3 values"),
    ({"kind": "logmel", "win": 1024}, "win (1024) must not exceed n_fft (512)"),
    ({"kind": "ge2e", "fmax": 9000}, "needs fmin < fmax <= 8000 Hz"),
    ({"kind": "ge2e", "rate": 0.5}, "rate 0.5 gives a window step of 200 frames (1 to 160 needed)"),
    ({"kind": "sound", "n_mel": 40}, "unknown preprocess key 'n_mel' for kind 'sound'"),
])
def test_out_of_range_preprocess_values_are_one_sentence(spec, message):
    with pytest.raises(MediaError) as err:
        modalities.get(spec)
    assert message in str(err.value) and "\n" not in str(err.value)


def test_per_channel_values_and_sizes_in_range_are_kept():
    mod = modalities.get({"kind": "image", "size": [32, 48], "mean": [0.4, 0.5, 0.6], "std": [0.2, 0.2, 0.2]})
    assert mod.input_shape() == (3, 32, 48)
