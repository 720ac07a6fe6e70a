import io
import struct

import cv2
import numpy as np
import pytest

from siamgui.media.image_header import image_size


@pytest.mark.parametrize("suffix, params", [(".png", []), (".jpg", []), (".jpg", [cv2.IMWRITE_JPEG_PROGRESSIVE, 1]),
                                            (".bmp", []), (".pgm", []), (".ppm", []), (".pbm", []), (".tif", []),
                                            (".webp", [cv2.IMWRITE_WEBP_QUALITY, 80]),
                                            (".webp", [cv2.IMWRITE_WEBP_QUALITY, 101])])
def test_size_from_the_header_matches_the_decoded_image(suffix, params):
    img = np.random.default_rng(0).integers(0, 255, (37, 53, 3), dtype=np.uint8)
    if suffix in (".pgm", ".pbm"):
        img = img[:, :, 0]
    ok, buf = cv2.imencode(suffix, img, params)
    assert ok
    assert image_size(io.BytesIO(buf.tobytes())) == (53, 37)


def test_jpeg_frame_header_after_a_large_app_segment():
    ok, buf = cv2.imencode(".jpg", np.zeros((20, 30, 3), np.uint8))
    data = buf.tobytes()
    app = b"\xff\xe1" + struct.pack(">H", 60002) + b"\0" * 60000  # a big EXIF-like segment first
    assert image_size(io.BytesIO(data[:2] + app + data[2:])) == (30, 20)


def test_pnm_with_comments_and_unknown_or_broken_headers():
    assert image_size(io.BytesIO(b"P5\n# made by hand\n640 # width\n480\n255\n")) == (640, 480)
    for junk in (b"", b"hello world", b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"P5\nabc", b"RIFF\0\0\0\0WEBPVP8 "):
        assert image_size(io.BytesIO(junk)) is None
