"""The two media as objects: what views, tasks and the benchmark ask instead of comparing strings."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf

from siamgui.media import audio, images
from siamgui.media.errors import MediaError
from siamgui.media.medium import AUDIO, IMAGE, MEDIA, medium, of_path, of_suffixes


def test_each_medium_opens_exactly_its_modules_suffixes():
    assert IMAGE.suffixes == tuple(images.IMAGE_SUFFIXES) and AUDIO.suffixes == tuple(audio.AUDIO_SUFFIXES)
    for m in MEDIA.values():
        assert all(f"*{s}" in m.file_filter for s in m.suffixes)
        assert set(m.foreign_suffixes).isdisjoint(m.suffixes)
    assert "*.webp" in IMAGE.file_filter and "*.aiff" in AUDIO.file_filter


def test_media_are_found_by_name_path_and_suffixes_and_equal_their_stored_name():
    assert medium("audio") is AUDIO and medium(IMAGE) is IMAGE and AUDIO == "audio" and IMAGE != "audio"
    assert of_path("x/a.FLAC") is AUDIO and of_path("a.webp") is IMAGE and of_path("a.txt") is None
    assert of_suffixes((".wav", ".mp3")) is AUDIO and of_suffixes((".png",)) is IMAGE
    with pytest.raises(ValueError, match="unknown medium"):
        medium("video")


def test_the_other_medium_sentence_is_written_once(tmp_path):
    assert AUDIO.wrong_medium(tmp_path, "voice") == (
        f"{tmp_path}: holds image files, but the model 'voice' reads audio files (pick a model of the other kind)")
    assert "holds audio files" in IMAGE.wrong_medium(tmp_path, "face")
    assert IMAGE.removed_note(tmp_path / "a.wav", "face") == "a.wav was removed: the face model compares images."


def test_duration_reads_the_header_and_refuses_what_has_no_length(tmp_path):
    wav = tmp_path / "a.wav"
    sf.write(str(wav), np.zeros(8000, np.float32), 16000)
    assert AUDIO.duration(wav) == pytest.approx(0.5) and AUDIO.segmentable and AUDIO.unit == "window"
    (tmp_path / "bad.wav").write_bytes(b"RIFFjunk")
    with pytest.raises(MediaError, match="not a readable audio file"):
        AUDIO.duration(tmp_path / "bad.wav")
    with pytest.raises(MediaError, match="no length"):
        IMAGE.duration(tmp_path / "a.png")


def test_a_picture_is_shown_only_for_media_that_have_one(tmp_path):
    import cv2

    png, wav = tmp_path / "a.png", tmp_path / "a.wav"
    cv2.imwrite(str(png), np.full((8, 8), 200, np.uint8))
    sf.write(str(wav), np.zeros(800, np.float32), 16000)
    assert IMAGE.picture(png).shape[:2] == (8, 8) and AUDIO.picture(wav) is None
    assert isinstance(AUDIO.decode(wav), audio.AudioClip)


def test_a_segment_is_cut_from_a_decoded_recording():
    clip = audio.AudioClip(np.arange(16000, dtype=np.float32), 8000)
    part = AUDIO.cut(clip, 0.5, 0.25)
    assert isinstance(part, audio.AudioClip) and part.rate == 8000 and part.samples[0] == 4000 and len(part.samples) == 2000
    assert len(AUDIO.cut(clip, 1.5, None).samples) == 4000
