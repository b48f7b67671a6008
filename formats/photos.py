"""Photos people send with AED proposals: checked to be a JPEG or PNG of sensible size, and
stripped of everything but the picture, GPS position and camera metadata included.

JPEG: the APP1 (Exif, XMP), APP13 (IPTC) and comment segments are dropped, every other segment
and the entropy-coded scan kept byte for byte. PNG: the eXIf, tEXt, zTXt, iTXt and tIME chunks
are dropped. Nothing is decoded or re-encoded, so no image library is needed and the picture is
exactly what was sent.
"""

import struct

from rescuecircle.errors import InvalidInput

MAX_BYTES = 5_000_000
JPEG_SOI = b"\xff\xd8"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_JPEG_DROPPED = {0xE1, 0xED, 0xFE}                  # APP1, APP13, COM
_PNG_DROPPED = {b"eXIf", b"tEXt", b"zTXt", b"iTXt", b"tIME"}


def clean_photo(data: bytes) -> tuple[bytes, str]:
    """The photo without metadata, and its media type; InvalidInput for anything else."""
    if len(data) > MAX_BYTES:
        raise InvalidInput(f"the photo is {len(data):,} bytes; at most {MAX_BYTES:,}")
    if data.startswith(JPEG_SOI):
        return _jpeg(data), "image/jpeg"
    if data.startswith(PNG_SIGNATURE):
        return _png(data), "image/png"
    raise InvalidInput("the photo must be a JPEG or PNG image")


def _jpeg(data: bytes) -> bytes:
    kept = [JPEG_SOI]
    pos = 2
    while pos + 4 <= len(data):
        if data[pos] != 0xFF:
            raise InvalidInput("the photo is not a valid JPEG (a segment lacks its marker)")
        marker = data[pos + 1]
        if marker == 0xFF:                          # fill byte before a marker
            pos += 1
            continue
        (length,) = struct.unpack(">H", data[pos + 2:pos + 4])
        end = pos + 2 + length
        if length < 2 or end > len(data):
            raise InvalidInput("the photo is not a valid JPEG (a segment runs past its end)")
        if marker == 0xDA:                          # start of scan: the picture itself
            kept.append(data[pos:])
            return b"".join(kept)
        if marker not in _JPEG_DROPPED:
            kept.append(data[pos:end])
        pos = end
    raise InvalidInput("the photo is not a valid JPEG (no image data)")


def _png(data: bytes) -> bytes:
    kept = [PNG_SIGNATURE]
    pos = len(PNG_SIGNATURE)
    while pos + 12 <= len(data):
        (length,) = struct.unpack(">I", data[pos:pos + 4])
        kind = data[pos + 4:pos + 8]
        end = pos + 12 + length
        if end > len(data):
            raise InvalidInput("the photo is not a valid PNG (a chunk runs past its end)")
        if kind not in _PNG_DROPPED:
            kept.append(data[pos:end])
        if kind == b"IEND":
            return b"".join(kept)
        pos = end
    raise InvalidInput("the photo is not a valid PNG (no IEND chunk)")
