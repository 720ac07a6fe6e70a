"""Remove personal metadata (EXIF: GPS, camera serials, owner names; text chunks) from photos,
without touching a single pixel.

A gallery export is something people pass around, and a phone photo carries where it was taken.
JPEG and PNG are cleaned losslessly by dropping segments / chunks; the pixels, and therefore the
embeddings, stay exactly as enrolled. The one EXIF field that changes how a photo decodes, its
orientation, is kept (as a minimal EXIF block holding only that), so a rotated phone photo is
still seen upright. Other formats (WebP, TIFF, audio) are returned as they are, and say so.
"""

from __future__ import annotations

import struct
import zlib

JPEG_DROP = {0xE1, 0xED, 0xFE}  # APP1 (EXIF, XMP), APP13 (IPTC / Photoshop), COM (comments)
PNG_DROP = {b"tEXt", b"zTXt", b"iTXt", b"tIME", b"eXIf"}
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def strip_metadata(suffix: str, data: bytes) -> tuple[bytes, bool]:
    """(cleaned bytes, whether this format was cleaned). Unparseable files come back unchanged
    (False): the importer and decoder judge them, not this function."""
    try:
        if data[:3] == b"\xff\xd8\xff":
            return _jpeg(data), True
        if data[:8] == PNG_SIGNATURE:
            return _png(data), True
    except (ValueError, IndexError, struct.error):
        return data, False
    return data, False


def orientation(tiff: bytes) -> int:
    """The EXIF orientation (1-8) in a TIFF-structured block, 1 when absent or unreadable."""
    try:
        order = {b"II": "<", b"MM": ">"}[tiff[:2]]
        (ifd,) = struct.unpack(order + "I", tiff[4:8])
        (count,) = struct.unpack(order + "H", tiff[ifd:ifd + 2])
        for i in range(count):
            tag, typ, _n, value = struct.unpack(order + "HHI4s", tiff[ifd + 2 + 12 * i: ifd + 14 + 12 * i])
            if tag == 0x0112 and typ == 3:
                v = struct.unpack(order + "H", value[:2])[0]
                return v if 1 <= v <= 8 else 1
    except (KeyError, struct.error, IndexError):
        pass
    return 1


def orientation_only(value: int) -> bytes:
    """A TIFF block holding nothing but the orientation tag."""
    return b"MM\x00\x2a\x00\x00\x00\x08" + struct.pack(">HHHIHH", 1, 0x0112, 3, 1, value, 0) + b"\x00\x00\x00\x00"


def _jpeg(data: bytes) -> bytes:
    out, i, turned = [data[:2]], 2, 1
    while i < len(data):
        if data[i] != 0xFF:
            raise ValueError("not a marker")
        marker = data[i + 1]
        if marker == 0xFF:  # fill byte
            i += 1
            continue
        if marker == 0xDA or 0xD0 <= marker <= 0xD9:  # start of scan: the rest is image data
            if turned != 1:
                block = b"Exif\x00\x00" + orientation_only(turned)
                out.insert(1, b"\xff\xe1" + struct.pack(">H", len(block) + 2) + block)
            out.append(data[i:])
            return b"".join(out)
        (length,) = struct.unpack(">H", data[i + 2:i + 4])
        segment = data[i:i + 2 + length]
        if len(segment) != 2 + length:
            raise ValueError("truncated segment")
        if marker in JPEG_DROP:
            if marker == 0xE1 and segment[4:10] == b"Exif\x00\x00":
                turned = orientation(segment[10:])
        else:
            out.append(segment)
        i += 2 + length
    raise ValueError("no image data")


def _png(data: bytes) -> bytes:
    out, i, turned = [data[:8]], 8, 1
    while i < len(data):
        (length,) = struct.unpack(">I", data[i:i + 4])
        kind = data[i + 4:i + 8]
        chunk = data[i:i + 12 + length]
        if len(chunk) != 12 + length:
            raise ValueError("truncated chunk")
        if kind == b"eXIf":
            turned = orientation(chunk[8:8 + length])
        if kind == b"IDAT" and turned != 1:  # keep the orientation, before the image data
            body = orientation_only(turned)
            out.append(struct.pack(">I", len(body)) + b"eXIf" + body
                       + struct.pack(">I", zlib.crc32(b"eXIf" + body) & 0xFFFFFFFF))
            turned = 1
        if kind not in PNG_DROP:
            out.append(chunk)
        i += 12 + length
        if kind == b"IEND":
            break
    return b"".join(out)
