"""Pixels and encoder settings out of an opened Pillow image, whatever it holds.

Pillow alone would flatten 16-bit colour to 8 bits, ignore EXIF orientation on the
OpenCV path, and forget how the source was encoded; each of those is handled here so
:func:`~.image_io.load_image` hands the editor one layout and keeps what a faithful
save needs.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageFile, ImageOps

from .errors import UnsupportedImageError


def _is_16bit_colour(img: Image.Image) -> bool:
    """Pillow silently decodes 48/64-bit PNG and TIFF as 8-bit RGB; detect that case."""
    if img.format == "PNG":
        # IHDR: bit depth at byte 24, colour type at 25 (2 = RGB, 6 = RGBA).
        if not isinstance(img, ImageFile.ImageFile):  # not read from a file: nothing to look at
            return False
        try:
            with open(img.filename, "rb") as fh:
                head = fh.read(26)
        except (OSError, AttributeError, TypeError):
            return False
        return len(head) == 26 and head[24] == 16 and head[25] in (2, 6)
    if img.format == "TIFF":
        bps = img.tag_v2.get(258) if hasattr(img, "tag_v2") else None  # BitsPerSample
        spp = img.tag_v2.get(277, 1) if hasattr(img, "tag_v2") else 1  # SamplesPerPixel
        if isinstance(bps, tuple):
            bps = bps[0] if bps else None
        return bps == 16 and spp in (3, 4)
    return False


def _webp_is_lossless(path: Path) -> bool:
    """Walk the RIFF chunks: a ``VP8L`` image chunk means lossless (Pillow does not say)."""
    import struct

    try:
        with open(path, "rb") as fh:
            head = fh.read(12)
            if len(head) < 12 or head[:4] != b"RIFF" or head[8:12] != b"WEBP":
                return False
            while True:
                hdr = fh.read(8)
                if len(hdr) < 8:
                    return False
                fourcc, size = hdr[:4], struct.unpack("<I", hdr[4:])[0]
                if fourcc == b"VP8L":
                    return True
                if fourcc == b"VP8 ":
                    return False
                fh.seek(size + (size & 1), 1)
    except OSError:
        return False


def _read_16bit_colour(path: Path) -> np.ndarray:
    import cv2  # local: only this rare path needs OpenCV's 16-bit decoder

    arr = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    if arr is None or arr.dtype != np.uint16 or arr.ndim != 3:
        raise UnsupportedImageError(f"{path}: could not decode the 16-bit colour image")
    # In place: a reordered copy would hold a second full frame (144 MB at 24 MP).
    code = cv2.COLOR_BGRA2RGBA if arr.shape[2] == 4 else cv2.COLOR_BGR2RGB
    return cv2.cvtColor(arr, code, dst=arr)


def _apply_orientation(arr: np.ndarray, orientation: int) -> np.ndarray:
    """EXIF orientation on a raw array (for the decoders that ignore it)."""
    ops = {
        2: lambda a: a[:, ::-1],
        3: lambda a: a[::-1, ::-1],
        4: lambda a: a[::-1],
        5: lambda a: np.swapaxes(a, 0, 1),
        6: lambda a: np.swapaxes(a, 0, 1)[:, ::-1],
        7: lambda a: np.swapaxes(a, 0, 1)[::-1, ::-1],
        8: lambda a: np.swapaxes(a, 0, 1)[::-1],
    }
    op = ops.get(orientation)
    return np.ascontiguousarray(op(arr)) if op else arr


def _pixels_from_pil(img: Image.Image, path: Path) -> tuple[np.ndarray, str]:
    mode = img.mode
    if mode in ("I;16", "I;16L", "I;16B", "I;16N", "I"):
        arr = np.asarray(img)
        if mode == "I":
            if arr.min() < 0 or arr.max() > 65535:
                raise UnsupportedImageError(f"{path}: 32-bit integer images are not supported")
        gray = arr.astype(np.uint16)
        return np.repeat(gray[..., None], 3, axis=2), "I;16"
    if mode == "F":
        raise UnsupportedImageError(f"{path}: floating-point images are not supported")
    if mode == "1":
        return np.asarray(img.convert("RGB")), "L"
    if mode == "L":
        g = np.asarray(img)
        return np.repeat(g[..., None], 3, axis=2), "L"
    if mode == "LA" or mode == "La":
        la = np.asarray(img.convert("LA"))
        return np.dstack([la[..., 0]] * 3 + [la[..., 1]]), "LA"
    if mode == "P" or mode == "PA":
        has_alpha = mode == "PA" or "transparency" in img.info
        conv = img.convert("RGBA" if has_alpha else "RGB")
        return np.asarray(conv), ("RGBA" if has_alpha else "RGB")
    if mode in ("RGBA", "RGBa"):
        return np.asarray(img.convert("RGBA")), "RGBA"
    if mode == "CMYK":
        return np.asarray(img.convert("RGB")), "CMYK"
    if mode == "RGB":  # convert() would copy 72 MB of a 24 MP photo for nothing
        return np.asarray(img), "RGB"
    try:
        return np.asarray(img.convert("RGB")), "RGB"
    except (ValueError, OSError) as exc:
        raise UnsupportedImageError(f"{path}: image mode {mode!r} is not supported") from exc


def encoder_settings(img: Image.Image, path: Path, orientation: int) -> dict[str, Any]:
    """How the source was encoded, for :func:`~.image_io.save_image` to repeat (JPEG
    tables and subsampling, WebP losslessness, TIFF compression, PNG text, palette)."""
    fmt = img.format
    save_params: dict[str, Any] = {"orientation": orientation}
    st = path.stat()
    # Lets a JPEG save check the source is still the file we decoded.
    save_params["source_stat"] = (st.st_size, st.st_mtime_ns)
    if "dpi" in img.info:
        save_params["dpi"] = img.info["dpi"]
    if fmt == "JPEG":
        from PIL import JpegImagePlugin

        save_params["qtables"] = getattr(img, "quantization", None)
        sampling = JpegImagePlugin.get_sampling(img)
        if sampling != -1:
            save_params["subsampling"] = sampling
        save_params["progressive"] = bool(img.info.get("progressive", False))
    elif fmt == "WEBP":
        save_params["lossless"] = _webp_is_lossless(path)
    elif fmt == "TIFF":
        comp = img.info.get("compression")
        if comp and comp != "raw":
            save_params["compression"] = comp
    elif fmt == "PNG":
        # tEXt/zTXt/iTXt chunks (captions, software, XMP packets) go back on save.
        text = dict(getattr(img, "text", {}) or {})
        if text:
            save_params["png_text"] = text
    if img.mode == "P" and fmt in ("PNG", "GIF"):
        from .palette import palette_of

        save_params["palette"] = palette_of(img)
    return save_params


def decode_pixels(img: Image.Image, path: Path, orientation: int, palette: bool) -> tuple[np.ndarray, str]:
    """``(pixels, source_mode)``: the photo upright as RGB(A) uint8/uint16, and what the
    file held (``"P"`` where ``palette``: the save maps the pixels back to it)."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        if _is_16bit_colour(img):
            pixels = _read_16bit_colour(path)
            pixels = _apply_orientation(pixels, orientation)
            source_mode = "RGBA;16" if pixels.shape[2] == 4 else "RGB;16"
        else:
            img.load()
            upright = ImageOps.exif_transpose(img) if orientation != 1 else img
            pixels, source_mode = _pixels_from_pil(upright, path)
            if palette:
                source_mode = "P"
    return pixels, source_mode
