"""An image's width and height from its header alone, without decoding a pixel.

Used to refuse huge images before a decoder allocates them: a 20000x20000 PNG of one colour is a
few kilobytes on disk and 1.2 GB once decoded. OpenCV picks its decoder from the bytes, not the
name, so this knows every format OpenCV decodes: PNG, JPEG, BMP, PBM/PGM/PPM, PAM, PFM, TIFF,
WebP, JPEG 2000 (JP2 and raw J2K), AVIF/HEIF, Radiance HDR, Sun raster, GIF and OpenEXR. For
anything else it answers None (and OpenCV's own limit, set in media/limits.py, decides).
"""

from __future__ import annotations

import struct
from typing import BinaryIO

# JPEG start-of-frame markers (every SOFn except DHT C4, JPG C8 and DAC CC)
_SOF = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}


def image_size(f: BinaryIO) -> tuple[int, int] | None:
    """(width, height) read from the header of the open file ``f``; None when unknown or unreadable."""
    try:
        f.seek(0)
        head = f.read(64)
        if head.startswith(b"\x89PNG\r\n\x1a\n") and head[12:16] == b"IHDR":
            return struct.unpack(">II", head[16:24])
        if head.startswith(b"\xff\xd8"):
            return _jpeg(f)
        if head.startswith(b"BM") and len(head) >= 26:
            return _bmp(head)
        if head[:1] == b"P" and head[1:2] in b"123456" and len(head) > 2 and head[2:3].isspace():
            return _pnm(f)
        if head[:4] in (b"II*\x00", b"MM\x00*"):
            return _tiff(f, "<" if head[:2] == b"II" else ">")
        if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
            return _webp(head)
        if head.startswith(b"\x00\x00\x00\x0cjP  \r\n\x87\n"):
            return _jp2(f)
        if head.startswith(b"\xff\x4f\xff\x51"):
            return _j2k_siz(head[4:])
        if head[:2] == b"P7" and head[2:3].isspace():
            return _pam(f)
        if head[:2] in (b"PF", b"Pf") and head[2:3].isspace():
            return _pnm(f)
        if head.startswith((b"#?RADIANCE", b"#?RGBE")):
            return _hdr(f)
        if head[:4] == b"\x59\xa6\x6a\x95":  # Sun raster
            width, height = struct.unpack(">II", head[4:12])
            return width, height
        if head[:6] in (b"GIF87a", b"GIF89a"):
            return struct.unpack("<HH", head[6:10])
        if head[4:8] == b"ftyp":
            return _isobmff(f)
        if head[:4] == b"\x76\x2f\x31\x01":
            return _exr(f)
    except (OSError, struct.error, ValueError, IndexError):
        return None
    return None


def _jpeg(f: BinaryIO) -> tuple[int, int] | None:
    f.seek(2)
    while True:
        byte = f.read(1)
        if not byte:
            return None
        if byte != b"\xff":
            continue
        marker = f.read(1)
        while marker == b"\xff":  # fill bytes
            marker = f.read(1)
        if not marker:
            return None
        m = marker[0]
        if m == 0x01 or 0xD0 <= m <= 0xD8:  # markers without a length
            continue
        if m in (0xD9, 0xDA):  # end of image, or scan data before any frame header
            return None
        (length,) = struct.unpack(">H", f.read(2))
        if m in _SOF:
            data = f.read(5)
            height, width = struct.unpack(">HH", data[1:5])
            return width, height
        f.seek(length - 2, 1)


def _bmp(head: bytes) -> tuple[int, int]:
    (dib,) = struct.unpack("<I", head[14:18])
    if dib == 12:  # BITMAPCOREHEADER: 16-bit sizes
        return struct.unpack("<HH", head[18:22])
    width, height = struct.unpack("<ii", head[18:26])
    return abs(width), abs(height)  # negative height: stored top-down


def _pnm(f: BinaryIO) -> tuple[int, int] | None:
    f.seek(2)
    text = f.read(4096)
    numbers: list[int] = []
    for line in text.split(b"\n"):
        for token in line.split(b"#", 1)[0].split():
            if not token.isdigit():
                return None
            numbers.append(int(token))
            if len(numbers) == 2:
                return numbers[0], numbers[1]
    return None


def _tiff(f: BinaryIO, endian: str) -> tuple[int, int] | None:
    f.seek(4)
    (ifd,) = struct.unpack(endian + "I", f.read(4))
    f.seek(ifd)
    (count,) = struct.unpack(endian + "H", f.read(2))
    size: dict[int, int] = {}
    for _ in range(min(count, 4096)):
        tag, kind, _n, raw = struct.unpack(endian + "HHI4s", f.read(12))
        if tag in (256, 257):
            fmt = "H" if kind == 3 else "I"
            size[tag] = struct.unpack(endian + fmt, raw[: struct.calcsize(fmt)])[0]
            if len(size) == 2:
                return size[256], size[257]
    return None


def _webp(head: bytes) -> tuple[int, int] | None:
    chunk = head[12:16]
    if chunk == b"VP8X":
        width = int.from_bytes(head[24:27], "little") + 1
        height = int.from_bytes(head[27:30], "little") + 1
        return width, height
    if chunk == b"VP8 " and head[23:26] == b"\x9d\x01\x2a":
        width, height = struct.unpack("<HH", head[26:30])
        return width & 0x3FFF, height & 0x3FFF
    if chunk == b"VP8L" and head[20] == 0x2F:
        (bits,) = struct.unpack("<I", head[21:25])
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    return None


def _boxes(f: BinaryIO, start: int, end: int | None):
    """(type, payload offset, payload end) of the ISO boxes between ``start`` and ``end``."""
    pos = start
    while end is None or pos + 8 <= end:
        f.seek(pos)
        raw = f.read(8)
        if len(raw) < 8:
            return
        size, kind = struct.unpack(">I4s", raw)
        head = 8
        if size == 1:
            (size,) = struct.unpack(">Q", f.read(8))
            head = 16
        elif size == 0:  # to the end of the file
            f.seek(0, 2)
            size = f.tell() - pos
        if size < head:
            return
        yield kind, pos + head, pos + size
        pos += size


def _jp2(f: BinaryIO) -> tuple[int, int] | None:
    """The codestream's own size (what OpenJPEG allocates), not the ihdr box's, which may differ."""
    for kind, start, _end in _boxes(f, 0, None):
        if kind == b"jp2c":
            f.seek(start)
            head = f.read(40)
            return _j2k_siz(head[4:]) if head[:4] == b"\xff\x4f\xff\x51" else None
    return None


def _j2k_siz(siz: bytes) -> tuple[int, int] | None:
    """Width and height of a JPEG 2000 SIZ segment (after its marker): Xsiz-XOsiz by Ysiz-YOsiz."""
    xsiz, ysiz, xo, yo = struct.unpack(">IIII", siz[4:20])
    return max(xsiz - xo, 0), max(ysiz - yo, 0)


def _pam(f: BinaryIO) -> tuple[int, int] | None:
    f.seek(3)
    fields: dict[bytes, int] = {}
    for line in f.read(4096).split(b"\n"):
        words = line.split(b"#", 1)[0].split()
        if words[:1] == [b"ENDHDR"]:
            break
        if len(words) == 2 and words[0] in (b"WIDTH", b"HEIGHT"):
            if not words[1].isdigit():
                return None
            fields[words[0]] = int(words[1])
    if b"WIDTH" in fields and b"HEIGHT" in fields:
        return fields[b"WIDTH"], fields[b"HEIGHT"]
    return None


def _hdr(f: BinaryIO) -> tuple[int, int] | None:
    """Radiance: header lines, a blank line, then e.g. ``-Y 480 +X 640`` (either axis first)."""
    f.seek(0)
    lines = f.read(8192).split(b"\n")
    for i, line in enumerate(lines):
        if not line.strip() and i + 1 < len(lines):
            words = lines[i + 1].split()
            if len(words) == 4 and words[0][1:] in (b"X", b"Y") and words[2][1:] in (b"X", b"Y"):
                sizes = {words[0][1:]: int(words[1]), words[2][1:]: int(words[3])}
                return sizes[b"X"], sizes[b"Y"]
            return None
    return None


def _isobmff(f: BinaryIO) -> tuple[int, int] | None:
    """AVIF / HEIF: the largest ``ispe`` (image spatial extents) property in meta/iprp/ipco. (A
    ``grid`` of tiles can be larger than any tile: OpenCV's own limit catches that.)"""
    best: tuple[int, int] | None = None
    for kind, start, end in _boxes(f, 0, None):
        if kind != b"meta":
            continue
        for k2, s2, e2 in _boxes(f, start + 4, end):  # meta is a full box: 4 bytes version+flags
            if k2 != b"iprp":
                continue
            for k3, s3, e3 in _boxes(f, s2, e2):
                if k3 != b"ipco":
                    continue
                for k4, s4, _e4 in _boxes(f, s3, e3):
                    if k4 == b"ispe":
                        f.seek(s4 + 4)
                        size = struct.unpack(">II", f.read(8))
                        if best is None or size[0] * size[1] > best[0] * best[1]:
                            best = size
    return best


def _exr(f: BinaryIO) -> tuple[int, int] | None:
    """OpenEXR: the ``dataWindow`` attribute (box2i: xMin, yMin, xMax, yMax)."""
    f.seek(8)
    head = f.read(65536)
    pos = 0
    while pos < len(head) and head[pos:pos + 1] != b"\0":
        name_end = head.index(b"\0", pos)
        type_end = head.index(b"\0", name_end + 1)
        (size,) = struct.unpack("<i", head[type_end + 1:type_end + 5])
        value = head[type_end + 5:type_end + 5 + size]
        if head[pos:name_end] == b"dataWindow" and len(value) == 16:
            x0, y0, x1, y1 = struct.unpack("<iiii", value)
            return max(x1 - x0 + 1, 0), max(y1 - y0 + 1, 0)
        pos = type_end + 5 + size
    return None


def png_complete(data: bytes) -> bool:
    """True when a PNG's chunks all fit in ``data`` and it reaches IEND (a truncated PNG makes
    libpng print warnings of its own before failing; this lets the app say "truncated" instead)."""
    pos = 8
    while pos + 8 <= len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        pos += 12 + length
        if kind == b"IEND":
            return pos <= len(data)
    return False
