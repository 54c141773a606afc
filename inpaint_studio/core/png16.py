"""A streaming PNG writer for 16-bit RGB(A), which Pillow cannot hold.

OpenCV's encoder wanted a BGR copy of the frame and grew its output buffer by
doubling: a 24 MP 16-bit photo peaked at 2.1x the RGB 8-bit one while saving.  Here
rows are filtered and compressed a block at a time, so saving costs the compressed
file plus a few rows (docs/BENCHMARKS.md, memory).
"""

from __future__ import annotations

import struct
import zlib

import numpy as np

SIGNATURE = b"\x89PNG\r\n\x1a\n"


def chunk(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload) & 0xFFFFFFFF)


def encode_rgb16(px: np.ndarray, extra_chunks: list[bytes], level: int = 6) -> list[bytes]:
    """PNG of ``(H, W, 3|4)`` uint16 pixels as a list of byte strings (written in order).

    Every row uses the Sub filter (each byte minus the same byte of the pixel to its
    left), which compresses photos about as well as libpng's adaptive choice and costs
    one vectorised subtraction.  ``extra_chunks`` (iCCP, eXIf, text) go after IHDR.
    """
    h, w, c = px.shape
    colour_type = 6 if c == 4 else 2
    out = [SIGNATURE, chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 16, colour_type, 0, 0, 0)), *extra_chunks]
    comp = zlib.compressobj(level)
    bpp = 2 * c
    rows = max(1, (1 << 18) // max(1, w))
    pending: list[bytes] = []
    size = 0
    for y in range(0, h, rows):
        blk = np.ascontiguousarray(px[y : y + rows], dtype=">u2").view(np.uint8).reshape(-1, w * bpp)
        line = np.empty((blk.shape[0], w * bpp + 1), np.uint8)
        line[:, 0] = 1  # filter type Sub
        line[:, 1 : 1 + bpp] = blk[:, :bpp]
        np.subtract(blk[:, bpp:], blk[:, :-bpp], out=line[:, 1 + bpp :])  # wraps mod 256, as PNG wants
        data = comp.compress(line.tobytes())
        if data:
            pending.append(data)
            size += len(data)
        if size >= 1 << 20:  # IDAT chunks of about 1 MB
            out.append(chunk(b"IDAT", b"".join(pending)))
            pending, size = [], 0
    pending.append(comp.flush())
    out.append(chunk(b"IDAT", b"".join(pending)))
    out.append(chunk(b"IEND", b""))
    return out
