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


def huge_png(path, side=20000):
    """A valid 1-bit grey PNG of side x side pixels: under 100 KB on disk, 1.2 GB once decoded to BGR."""
    import struct
    import zlib

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    row = b"\0" + b"\xff" * ((side + 7) // 8)
    z = zlib.compressobj(9)
    idat = b"".join(z.compress(row) for _ in range(side)) + z.flush()
    ihdr = struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b""))
    return path


def test_huge_image_is_refused_from_its_header_without_decoding(tmp_path, monkeypatch):
    from siamgui.media import images

    big = huge_png(tmp_path / "huge.png")
    assert big.stat().st_size < 1_000_000
    monkeypatch.setattr(images.cv2, "imdecode", lambda *a: pytest.fail("decoding was attempted"))
    with pytest.raises(MediaError) as err:
        load_image(big)
    msg = str(err.value)
    assert msg == ("huge.png: 20000x20000 is 400 megapixels; images up to 60 megapixels can be used "
                   "(scale it down first)")


def test_huge_image_costs_no_memory(tmp_path):
    """In a fresh process, refusing the 20000x20000 PNG raises peak memory by under 50 MB."""
    import subprocess
    import sys

    big = huge_png(tmp_path / "huge.png")
    code = ("import resource; from siamgui.media.images import load_image; from siamgui.media.errors import MediaError\n"
            "before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
            f"try:\n    load_image({str(big)!r})\nexcept MediaError as e:\n    print(e)\n"
            "print((resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) // 1024)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60).stdout.split("\n")
    assert "60 megapixels" in out[0] and int(out[1]) < 50, out


def test_an_image_at_the_limit_still_loads(tmp_path, monkeypatch):
    from siamgui.media import images

    monkeypatch.setattr(images, "MAX_PIXELS", 64 * 48)
    ok = tmp_path / "ok.png"
    cv2.imwrite(str(ok), np.zeros((48, 64), np.uint8))
    assert load_image(ok).shape == (48, 64, 3)
    cv2.imwrite(str(ok), np.zeros((48, 65), np.uint8))
    with pytest.raises(MediaError, match="65x48"):
        load_image(ok)


def test_a_folder_is_not_a_file(tmp_path):
    (tmp_path / "photos.png").mkdir()
    with pytest.raises(MediaError, match=r"^photos.png is a folder, not a file$"):
        load_image(tmp_path / "photos.png")


def test_encode_png_is_lossless_and_loads_back(tmp_path):
    from siamgui.media.images import encode_png

    img = np.random.default_rng(0).integers(0, 256, (48, 64, 3), np.uint8)
    data = encode_png(img[:, ::-1])  # a non-contiguous view, as a flipped camera frame is
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    (tmp_path / "x.png").write_bytes(data)
    assert np.array_equal(load_image(tmp_path / "x.png"), img[:, ::-1])
