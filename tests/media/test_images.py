import cv2
import numpy as np
import pytest

from siamgui.media.errors import MediaError
from siamgui.media.images import load_image


def test_grey_pgm_and_unicode_paths_load_as_bgr(tmp_path):
    p = tmp_path / "visage-é.pgm"
    cv2.imwrite(str(p), np.arange(112 * 92, dtype=np.uint8).reshape(112, 92))
    img = load_image(p)
    assert img.shape == (112, 92, 3) and img.dtype == np.uint8


@pytest.mark.parametrize("content, message", [(b"", "empty"), (b"\x89PNG\r\n\x1a\nxxxx", "not a readable image"),
                                              (b"hello world", "not a readable image")])
def test_bad_files_are_explained(tmp_path, content, message):
    p = tmp_path / "bad.png"
    p.write_bytes(content)
    with pytest.raises(MediaError, match=message):
        load_image(p)


def test_truncated_jpeg_is_rejected_or_loaded_never_crashes(tmp_path):
    good = tmp_path / "good.jpg"
    cv2.imwrite(str(good), np.random.default_rng(0).integers(0, 255, (64, 64, 3), dtype=np.uint8))
    cut = tmp_path / "cut.jpg"
    cut.write_bytes(good.read_bytes()[:200])
    try:
        img = load_image(cut)
        assert img.ndim == 3
    except MediaError as exc:
        assert "cut.jpg" in str(exc)


def test_missing_file(tmp_path):
    with pytest.raises(MediaError, match="not found"):
        load_image(tmp_path / "nope.png")
