"""An image's width and height from its header alone, without decoding a pixel.

Used to refuse huge images before a decoder allocates them: a 20000x20000 PNG of one colour is a
few kilobytes on disk and 1.2 GB once decoded. Knows the formats SiamGUI offers (PNG, JPEG, BMP,
PBM/PGM/PPM, TIFF, WebP); for anything else it answers None and the decoder decides.
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
