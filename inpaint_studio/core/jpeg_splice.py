"""Save an edited JPEG without recompressing the parts the edit did not touch.

Re-encoding a whole JPEG after removing a small object changes every pixel a little
(generation loss) and, repeated, visibly degrades the photo.  Instead we copy the
original's quantised DCT coefficients for every 8x8 block that holds no hole pixel and
take new coefficients, quantised with the *same* tables, only for blocks that do.
Decoded, every pixel outside those blocks (and outside one chroma sample around a
changed chroma block, because decoders interpolate chroma) is bit-identical to the
original.  The original's markers (EXIF with its orientation, ICC) are kept as they are.

Uses ``jpeglib`` (libjpeg bindings with coefficient access).  Anything unusual
(CMYK, 4:4:0 sampling, mismatched tables) makes :func:`splice_jpeg` return ``None``
and the caller falls back to an ordinary re-encode.
"""

from __future__ import annotations

import contextlib
import io
import os
import tempfile
from pathlib import Path
from types import ModuleType

import numpy as np
from PIL import Image

from .box import mask_box
from .image_encode import gray_from_rgb

#: inverse of the EXIF orientation transforms applied at load (upright -> stored).
_TO_STORED = {
    2: lambda a: a[:, ::-1],
    3: lambda a: a[::-1, ::-1],
    4: lambda a: a[::-1],
    5: lambda a: np.swapaxes(a, 0, 1),
    6: lambda a: np.swapaxes(a[:, ::-1], 0, 1),
    7: lambda a: np.swapaxes(a[::-1, ::-1], 0, 1),
    8: lambda a: np.swapaxes(a[::-1], 0, 1),
}


def to_stored_orientation(arr: np.ndarray, orientation: int) -> np.ndarray:
    op = _TO_STORED.get(orientation)
    return np.ascontiguousarray(op(arr)) if op else arr


def _subsampling_for(y_blocks: tuple[int, int], c_blocks: tuple[int, int]) -> int | None:
    """Pillow's subsampling code from block-grid ratios (None: not expressible)."""
    ry = round(y_blocks[0] / c_blocks[0])
    rx = round(y_blocks[1] / c_blocks[1])
    return {(1, 1): 0, (1, 2): 1, (2, 2): 2}.get((ry, rx))


#: libjpeg build jpeglib should use: libjpeg-turbo's Huffman coder reads and writes a
#: 24 MP file's coefficients in about 0.6x the time of the default 6b (same bytes out).
_LIBJPEG = "turbo210"


def _fast_libjpeg(jpeglib: ModuleType) -> contextlib.AbstractContextManager:
    try:
        return jpeglib.version(_LIBJPEG)
    except Exception:  # noqa: BLE001 - an older/other jpeglib build: its default is fine
        return contextlib.nullcontext()


def _dirty_blocks(changed: np.ndarray, grid: tuple[int, int], step: tuple[int, int]) -> np.ndarray:
    """Blocks of a component whose pixel footprint holds any changed pixel."""
    nby, nbx = grid
    sy, sx = step
    padded = np.zeros((nby * sy, nbx * sx), bool)
    h = min(changed.shape[0], padded.shape[0])
    w = min(changed.shape[1], padded.shape[1])
    padded[:h, :w] = changed[:h, :w]
    return np.asarray(padded.reshape(nby, sy, nbx, sx).any(axis=(1, 3)))


def splice_jpeg(
    source: Path,
    pixels: np.ndarray,
    changed: np.ndarray,
    orientation: int = 1,
) -> bytes | None:
    """JPEG bytes: ``source`` with the blocks under ``changed`` replaced from ``pixels``.

    Args:
        source: the original JPEG file the pixels were loaded from.
        pixels: edited upright RGB uint8 ``(H, W, 3)`` (grey sources: any channel).
        changed: boolean ``(H, W)`` of pixels the edit may have changed (upright).
        orientation: the EXIF orientation the source was rotated by at load.

    Returns:
        The new file's bytes, or ``None`` when the source cannot be spliced.
    """
    try:
        import jpeglib
    except ImportError:
        return None
    if pixels.dtype != np.uint8 or pixels.ndim != 3:
        return None
    with _fast_libjpeg(jpeglib):
        return _splice(jpeglib, source, pixels, changed, orientation)


def _splice(
    jpeglib: ModuleType, source: Path, pixels: np.ndarray, changed: np.ndarray, orientation: int
) -> bytes | None:
    stored = to_stored_orientation(pixels[..., :3], orientation)
    mask = to_stored_orientation(changed, orientation)
    src = jpeglib.read_dct(str(source))
    try:
        ncomp = int(src.num_components)
        if ncomp not in (1, 3) or (src.height, src.width) != stored.shape[:2]:
            return None
        y_grid = tuple(src.Y.shape[:2])
        if ncomp == 3:
            sub = _subsampling_for(y_grid, tuple(src.Cb.shape[:2]))
            if sub is None or src.Cb.shape != src.Cr.shape:
                return None
        else:
            sub = 0
        if not mask.any():
            return None
        # Encode only the MCU-aligned box around the change: block DCTs depend on their
        # own MCU alone, so a crop's coefficients equal the full image's there.
        mcu_y = 8 * max(1, round(y_grid[0] / src.Cb.shape[0])) if ncomp == 3 else 8
        mcu_x = 8 * max(1, round(y_grid[1] / src.Cb.shape[1])) if ncomp == 3 else 8
        tight = mask_box(mask)
        assert tight is not None  # mask.any() above
        y0, x0 = (tight.y0 // mcu_y) * mcu_y, (tight.x0 // mcu_x) * mcu_x
        y1 = min(stored.shape[0], -(-tight.y1 // mcu_y) * mcu_y)
        x1 = min(stored.shape[1], -(-tight.x1 // mcu_x) * mcu_x)
        if ncomp == 1:
            # Luma of the box only: a float copy of the whole frame was 8 bytes a pixel
            # a channel (4.7 GB at 196 MP) for the few blocks that change.
            pil = Image.fromarray(gray_from_rgb(stored[y0:y1, x0:x1]), "L")
        else:
            pil = Image.fromarray(np.ascontiguousarray(stored[y0:y1, x0:x1]), "RGB")
        tables = [src.qt[i].astype(int).flatten().tolist() for i in range(src.qt.shape[0])]
        buf = io.BytesIO()
        pil.save(buf, "JPEG", qtables=tables, subsampling=sub)
        fd, tmp_in = tempfile.mkstemp(suffix=".jpg")
        with os.fdopen(fd, "wb") as fh:
            fh.write(buf.getvalue())
        try:
            new = jpeglib.read_dct(tmp_in)
            comps = ["Y"] + (["Cb", "Cr"] if ncomp == 3 else [])
            for i, _c in enumerate(comps):
                qa = src.qt[int(src.quant_tbl_no[i])]
                qb = new.qt[int(new.quant_tbl_no[i])]
                if not np.array_equal(qa, qb):
                    return None
            sub_mask = mask[y0:y1, x0:x1]
            for c in comps:
                a, b = getattr(src, c), getattr(new, c)
                step = (
                    max(1, round(y_grid[0] / a.shape[0])) * 8,
                    max(1, round(y_grid[1] / a.shape[1])) * 8,
                )
                by0, bx0 = y0 // step[0], x0 // step[1]
                nby = min(b.shape[0], a.shape[0] - by0)
                nbx = min(b.shape[1], a.shape[1] - bx0)
                dirty = _dirty_blocks(sub_mask, (nby, nbx), step)
                view = a[by0 : by0 + nby, bx0 : bx0 + nbx]
                view[dirty] = b[:nby, :nbx][dirty]
                setattr(src, c, a)
            fd2, tmp_out = tempfile.mkstemp(suffix=".jpg")
            os.close(fd2)
            try:
                src.write_dct(tmp_out)
                return Path(tmp_out).read_bytes()
            finally:
                os.unlink(tmp_out)
        finally:
            os.unlink(tmp_in)
    except (OSError, ValueError, IndexError, AttributeError, RuntimeError):
        return None
