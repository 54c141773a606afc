"""Edited pixels back into the source's file format, mode and metadata, in memory.

The source's grey/colour/CMYK mode, bit depth, palette, EXIF, ICC, DPI, PNG text and
encoder settings travel in the :class:`~.image_io.LoadedImage`; this module turns
them back into encoder arguments (Pillow, ``png16`` or tifffile for 16-bit colour),
and for an untouched-elsewhere JPEG tries a block splice first.  Nothing is written
here: :func:`~.image_io.save_image` writes the bytes atomically.
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING, Any

import numpy as np
from PIL import Image

if TYPE_CHECKING:
    from .image_io import LoadedImage


#: Pixels converted per step where a whole-frame temporary would cost memory.
_BLOCK_PIXELS = 1 << 18


def _block_rows(width: int) -> int:
    return max(1, _BLOCK_PIXELS // max(1, width))


def to_8bit(arr: np.ndarray) -> np.ndarray:
    if arr.dtype == np.uint8:
        return arr
    # Rounded 16->8 bit mapping (65535 -> 255), not truncation; a block of rows at a
    # time, so the uint32 temporary stays small.
    out = np.empty(arr.shape, np.uint8)
    rows = _block_rows(arr.shape[1] * (arr.shape[2] if arr.ndim == 3 else 1))
    for y in range(0, arr.shape[0], rows):
        out[y : y + rows] = (arr[y : y + rows].astype(np.uint32) * 255 + 32767) // 65535
    return out


def gray_from_rgb(rgb: np.ndarray) -> np.ndarray:
    """Luma that maps an untouched grey pixel (g, g, g) back to exactly g.

    Integer Rec. 601 weights (299 + 587 + 114 = 1000), a block of rows at a time into
    two small uint32 buffers: a whole-frame float64 copy of a 196 MP grey photo was
    4.7 GB, four times the photo.
    """
    h, w = rgb.shape[:2]
    out = np.empty((h, w), rgb.dtype)
    rows = _block_rows(w)
    acc = np.empty((min(rows, h), w), np.uint32)
    tmp = np.empty_like(acc)
    for y in range(0, h, rows):
        blk = rgb[y : y + rows]
        a, t = acc[: blk.shape[0]], tmp[: blk.shape[0]]
        np.multiply(blk[..., 0], np.uint32(299), out=a, dtype=np.uint32)
        np.multiply(blk[..., 1], np.uint32(587), out=t, dtype=np.uint32)
        a += t
        np.multiply(blk[..., 2], np.uint32(114), out=t, dtype=np.uint32)
        a += t
        a += 500
        a //= 1000
        out[y : y + blk.shape[0]] = a
    return out


def encode(image: LoadedImage, fmt: str, quality: int | None) -> bytes | memoryview | list:
    """Encode to bytes in memory (the atomic write happens afterwards); a list of
    buffers where joining them would copy a large file once more."""
    px = image.pixels
    mode = image.source_mode
    kwargs: dict[str, Any] = {}
    if image.icc_profile:
        kwargs["icc_profile"] = image.icc_profile
    if image.exif and fmt in ("JPEG", "PNG", "WEBP", "TIFF"):
        kwargs["exif"] = image.exif
    if "dpi" in image.save_params and fmt in ("JPEG", "PNG", "TIFF"):
        kwargs["dpi"] = image.save_params["dpi"]

    sixteen = px.dtype == np.uint16
    gray = mode in ("L", "LA", "I;16")
    alpha = px.shape[2] == 4

    if sixteen and fmt in ("PNG", "TIFF"):
        if gray and not alpha:
            g = gray_from_rgb(px)
            pil = Image.fromarray(np.ascontiguousarray(g.astype(np.uint16)))  # -> mode I;16
        else:
            return _encode_16bit_colour(image, fmt)
    elif gray:
        # Grey first, then 8 bits: one channel converted instead of three.
        if fmt in ("JPEG", "BMP"):
            alpha = False
        g = to_8bit(gray_from_rgb(px))
        pil = Image.fromarray(np.dstack([g, to_8bit(px[..., 3])]), "LA") if alpha else Image.fromarray(g, "L")
    else:
        px8 = to_8bit(px)
        if fmt in ("JPEG", "BMP") and alpha:
            px8 = px8[..., :3]
            alpha = False
        palette = image.save_params.get("palette") if mode == "P" else None
        if palette is not None and fmt in ("PNG", "GIF"):
            from .palette import to_palette_image

            pil = to_palette_image(px8, palette)
            trns = pil.info.pop("transparency", None)
            if trns is not None:
                if fmt == "PNG":
                    kwargs["transparency"] = trns
                else:
                    # GIF holds one transparent entry: the first fully transparent one.
                    zero = [i for i, a in enumerate(trns) if a == 0]
                    if zero:
                        kwargs["transparency"] = zero[0]
        elif alpha:
            pil = Image.fromarray(px8, "RGBA")
        else:
            pil = Image.fromarray(np.ascontiguousarray(px8[..., :3]), "RGB")
        if mode == "CMYK" and fmt in ("JPEG", "TIFF") and pil.mode == "RGB":
            pil = pil.convert("CMYK")

    if mode == "CMYK" and pil.mode != "CMYK":
        # A CMYK profile attached to RGB pixels would make viewers show garbage colours.
        kwargs.pop("icc_profile", None)
    if fmt == "JPEG":
        same_source = image.format == "JPEG" and quality is None and image.save_params.get("qtables")
        if same_source:
            # Re-use the source's quantisation tables and chroma subsampling, so a
            # re-save is as close to lossless as baseline JPEG allows.
            kwargs["qtables"] = image.save_params["qtables"]
            if "subsampling" in image.save_params:
                kwargs["subsampling"] = image.save_params["subsampling"]
        else:
            kwargs["quality"] = quality if quality is not None else 95
            kwargs["subsampling"] = 0 if (quality or 95) >= 90 else 2
        kwargs["optimize"] = True
    elif fmt == "WEBP":
        if image.format == "WEBP" and image.save_params.get("lossless") and quality is None:
            kwargs["lossless"] = True
        else:
            kwargs["quality"] = quality if quality is not None else 95
    elif fmt == "PNG":
        kwargs["compress_level"] = 6
        if image.save_params.get("png_text"):
            kwargs["pnginfo"] = _png_info(image.save_params["png_text"])
    elif fmt == "TIFF":
        kwargs["compression"] = image.save_params.get("compression", "tiff_lzw")
        if kwargs["compression"] in ("jpeg",):
            kwargs["compression"] = "tiff_lzw"
    buf = io.BytesIO()
    pil.save(buf, format=fmt, **kwargs)
    return buf.getbuffer()  # a view: getvalue() would copy the file once more


def _png_info(text: dict[str, str]) -> Any:
    """The source's text chunks for Pillow's PNG writer (XMP stays an iTXt chunk)."""
    from PIL import PngImagePlugin

    info = PngImagePlugin.PngInfo()
    for key, value in text.items():
        info.add_text(key, value)
    return info


def _png_text_chunks(text: dict[str, str]) -> list[bytes]:
    """The same chunks, raw, for the 16-bit PNG that OpenCV encodes."""
    out = []
    for key, value in text.items():
        k = key.encode("latin-1", "replace")[:79]
        try:
            if isinstance(value, str) and not hasattr(value, "lang"):
                out.append(_png_chunk(b"tEXt", k + b"\x00" + value.encode("latin-1")))
                continue
        except UnicodeEncodeError:
            pass
        lang = str(getattr(value, "lang", "") or "").encode("ascii", "replace")
        tkey = str(getattr(value, "tkey", "") or "").encode("utf-8")
        out.append(
            _png_chunk(b"iTXt", k + b"\x00\x00\x00" + lang + b"\x00" + tkey + b"\x00" + str(value).encode("utf-8"))
        )
    return out


def _encode_16bit_colour(image: LoadedImage, fmt: str) -> memoryview | list:
    """16-bit RGB(A): Pillow cannot hold it, so PNG goes through ``png16``, TIFF through tifffile."""
    px = image.pixels
    if fmt == "TIFF":
        import tifffile

        buf = io.BytesIO()
        tifffile.imwrite(
            buf,
            px,
            photometric="rgb",
            extrasamples=("unassalpha",) if px.shape[2] == 4 else None,
            compression="zlib",
            iccprofile=image.icc_profile,
            metadata=None,
        )
        return buf.getbuffer()  # a view: getvalue() would copy the file once more
    from .png16 import encode_rgb16

    chunks = []
    if image.icc_profile:
        import zlib

        chunks.append(_png_chunk(b"iCCP", b"icc\x00\x00" + zlib.compress(image.icc_profile)))
    if image.exif:
        exif = image.exif[6:] if image.exif.startswith(b"Exif\x00\x00") else image.exif
        chunks.append(_png_chunk(b"eXIf", exif))
    chunks += _png_text_chunks(image.save_params.get("png_text") or {})
    return encode_rgb16(px, chunks)


def _png_chunk(kind: bytes, payload: bytes) -> bytes:
    from .png16 import chunk

    return chunk(kind, payload)


def try_splice(image: LoadedImage, changed: np.ndarray) -> bytes | None:
    """The JPEG with only the blocks under ``changed`` recompressed, or ``None`` where a
    splice cannot be trusted (not an 8-bit RGB/grey JPEG, or the file changed since it
    was loaded): then the whole photo is encoded instead."""
    if (
        image.format != "JPEG"
        or image.path is None
        or image.source_mode not in ("RGB", "L")
        or image.pixels.dtype != np.uint8
        or changed.shape != image.pixels.shape[:2]
    ):
        return None
    try:
        st = image.path.stat()
    except OSError:
        return None
    if image.save_params.get("source_stat") != (st.st_size, st.st_mtime_ns):
        return None  # the file on disk is no longer the one we decoded
    from .jpeg_splice import splice_jpeg

    return splice_jpeg(image.path, image.pixels, changed, int(image.save_params.get("orientation", 1)))
