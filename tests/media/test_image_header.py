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


@pytest.mark.parametrize("suffix", [".jp2", ".avif", ".pam", ".hdr", ".pfm", ".ras", ".gif"])
def test_every_other_format_opencv_writes_has_its_size_read(suffix):
    """OpenCV picks a decoder from the bytes, not the name: each format it decodes is size-checked."""
    if not cv2.haveImageWriter("x" + suffix):
        pytest.skip(f"this OpenCV cannot write {suffix}")
    img = np.random.default_rng(0).integers(0, 255, (37, 53, 3), dtype=np.uint8)
    ok, buf = cv2.imencode(suffix, img.astype(np.float32) / 255 if suffix == ".pfm" else img)
    assert ok and image_size(io.BytesIO(buf.tobytes())) == (53, 37)


def test_jpeg2000_size_is_the_codestreams_not_the_boxs():
    """OpenJPEG allocates what the codestream's SIZ says; a small ihdr box must not hide it."""
    ok, buf = cv2.imencode(".jp2", np.zeros((64, 64), np.uint8))
    assert ok
    data = bytearray(buf.tobytes())
    siz = data.find(b"\xff\x4f\xff\x51") + 4
    data[siz + 4:siz + 12] = struct.pack(">II", 24000, 20000)
    assert image_size(io.BytesIO(bytes(data))) == (24000, 20000)
    assert image_size(io.BytesIO(bytes(data[data.find(b"\xff\x4f"):]))) == (24000, 20000)  # a raw .j2k


def test_hand_made_headers_of_formats_opencv_reads():
    exr = (b"\x76\x2f\x31\x01\x02\x00\x00\x00" + b"channels\0chlist\0" + struct.pack("<i", 1) + b"\0"
           + b"dataWindow\0box2i\0" + struct.pack("<i", 16) + struct.pack("<iiii", 0, 0, 639, 479) + b"\0")
    assert image_size(io.BytesIO(exr)) == (640, 480)
    assert image_size(io.BytesIO(b"#?RGBE\nFORMAT=32-bit_rle_rgbe\n\n+X 640 -Y 480\n")) == (640, 480)
    assert image_size(io.BytesIO(b"P7\nWIDTH 640\nHEIGHT 480\nDEPTH 1\nMAXVAL 255\nENDHDR\n")) == (640, 480)
    assert image_size(io.BytesIO(b"Pf\n640 480\n-1.0\n")) == (640, 480)


def test_png_completeness():
    from siamgui.media.image_header import png_complete

    ok, buf = cv2.imencode(".png", np.zeros((20, 30), np.uint8))
    data = buf.tobytes()
    assert png_complete(data)
    assert not any(png_complete(data[:n]) for n in (8, 33, len(data) // 2, len(data) - 1))
