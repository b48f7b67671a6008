"""Photos for the tests: a PNG made by hand, a JPEG with a GPS position written by GDAL, and
what gdalinfo (a real reader) sees in a photo."""

import struct
import subprocess
import zlib
from pathlib import Path


def png_bytes(width: int = 8, height: int = 6) -> bytes:
    """A red PNG with a text chunk (metadata a clean photo must lose)."""
    raw = b"".join(b"\x00" + bytes([200, 40, 40] * width) for _ in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))
    return (b"\x89PNG\r\n\x1a\n"
            + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"tEXt", b"Comment\x00taken at home") + chunk(b"IDAT", zlib.compress(raw))
            + chunk(b"IEND", b""))


def gdalinfo(data: bytes, folder: Path, name: str) -> str:
    """What GDAL reads in a photo (size, EXIF metadata); fails if it cannot read it."""
    path = folder / name
    path.write_bytes(data)
    return subprocess.run(["gdalinfo", str(path)], capture_output=True, text=True,
                          check=True).stdout


def jpeg_with_gps_bytes(folder: Path) -> bytes:
    """An 8 x 6 JPEG whose EXIF holds a GPS position, written by GDAL in ``folder``."""
    (folder / "in.png").write_bytes(png_bytes())
    subprocess.run(["gdal_translate", "-q", "-of", "JPEG", "-co", "WRITE_EXIF_METADATA=YES",
                    "-mo", "EXIF_GPSLatitude=(22) (32) (10)", "-mo", "EXIF_GPSLatitudeRef=N",
                    str(folder / "in.png"), str(folder / "in.jpg")], check=True)
    data = (folder / "in.jpg").read_bytes()
    assert "EXIF_GPSLatitude" in gdalinfo(data, folder, "check.jpg")
    return data
