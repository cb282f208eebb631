"""Read a QR code back from a PNG file for the tests, with the standard library only
(neither Pillow nor numpy is a dependency): decode the PNG into 8-bit grey pixels and hand
them to zxing-cpp as a (height, width) buffer.

Covers what PNG writers use for black-and-white images: greyscale and palette images of
1, 2, 4 or 8 bits, non-interlaced, with any of the five row filters."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import zxingcpp

SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _chunks(data: bytes) -> list[tuple[bytes, bytes]]:
    assert data.startswith(SIGNATURE), "not a PNG file"
    chunks, pos = [], len(SIGNATURE)
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        chunks.append((data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]))
        pos += 12 + length
    return chunks


def _paeth(a: int, b: int, c: int) -> int:
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    if pa <= pb and pa <= pc:
        return a
    return b if pb <= pc else c


def _unfilter(raw: bytes, stride: int, height: int, bpp: int) -> list[bytearray]:
    rows: list[bytearray] = []
    previous = bytearray(stride)
    for y in range(height):
        start = y * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1 : start + 1 + stride])
        for x in range(stride):
            a = line[x - bpp] if x >= bpp else 0
            b, c = previous[x], previous[x - bpp] if x >= bpp else 0
            line[x] = (
                line[x] + (0, a, b, (a + b) // 2, _paeth(a, b, c))[kind]  # filters 0..4
            ) & 0xFF
        rows.append(line)
        previous = line
    return rows


def grey_pixels(path: Path) -> tuple[bytes, int, int]:
    """The image's pixels as 8-bit grey, with its width and height."""
    chunks = _chunks(path.read_bytes())
    header = next(body for kind, body in chunks if kind == b"IHDR")
    width, height, depth, colour, _c, _f, interlace = struct.unpack(">IIBBBBB", header)
    assert colour in (0, 3) and depth in (1, 2, 4, 8) and interlace == 0, (colour, depth)
    palette = next((body for kind, body in chunks if kind == b"PLTE"), b"")
    raw = zlib.decompress(b"".join(body for kind, body in chunks if kind == b"IDAT"))
    stride = (width * depth + 7) // 8
    rows = _unfilter(raw, stride, height, max(1, depth // 8))
    top = (1 << depth) - 1
    pixels = bytearray()
    for line in rows:
        for x in range(width):
            bit = x * depth
            value = (line[bit // 8] >> (8 - depth - bit % 8)) & top
            if colour == 3:  # a palette index: its colour's mean
                red, green, blue = palette[3 * value : 3 * value + 3]
                pixels.append((red + green + blue) // 3)
            else:
                pixels.append(value * 255 // top)
    return bytes(pixels), width, height


def read_qr(path: Path) -> list[str]:
    """The texts of the QR codes zxing-cpp finds in the PNG at ``path``."""
    pixels, width, height = grey_pixels(path)
    image = memoryview(pixels).cast("B", (height, width))
    found = zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)
    return [barcode.text for barcode in found]
