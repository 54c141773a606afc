"""Loading and saving photos without losing what the user cares about.

Editing happens on a plain numpy array (RGB or RGBA, uint8 or uint16) so every fill
method sees one layout.  Everything needed to write the photo back the way it came in
(format, bit depth, grey vs colour, CMYK, EXIF, ICC, JPEG quantisation) travels beside
the pixels in :class:`LoadedImage`.
"""

from __future__ import annotations

import io
import os
import warnings
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
from PIL import Image, ImageFile, ImageOps, UnidentifiedImageError

from .atomic import atomic_write_bytes as _atomic_write_bytes
from .errors import (
    ImageLoadError,
    ImageSaveError,
    ImageTooLargeError,
    OutputExistsError,
    UnsupportedImageError,
)

#: Default refusal limit; a 200 MP RGBA uint16 photo is already 1.6 GB in memory.
DEFAULT_MAX_PIXELS = 200_000_000
#: Environment variable that moves the limit (in megapixels) for every front end.
MAX_MEGAPIXELS_ENV = "INPAINT_STUDIO_MAX_MEGAPIXELS"


def max_pixels_limit() -> int:
    """The pixel limit in force: ``$INPAINT_STUDIO_MAX_MEGAPIXELS`` or 200 MP."""
    env = os.environ.get(MAX_MEGAPIXELS_ENV, "").strip()
    try:
        return max(1, int(float(env) * 1e6)) if env else DEFAULT_MAX_PIXELS
    except ValueError:
        return DEFAULT_MAX_PIXELS

# We enforce our own, configurable limit from the header before decoding; Pillow's
# global bomb check would otherwise refuse legitimate 100+ MP panoramas.
Image.MAX_IMAGE_PIXELS = None
# Truncated files must fail loudly, never decode as grey garbage.
ImageFile.LOAD_TRUNCATED_IMAGES = False

#: File suffix per Pillow format name, for ``--format`` and "keep".
FORMAT_SUFFIX = {"JPEG": ".jpg", "PNG": ".png", "TIFF": ".tif", "WEBP": ".webp", "BMP": ".bmp"}
SUFFIX_FORMAT = {
    ".jpg": "JPEG",
    ".jpeg": "JPEG",
    ".jpe": "JPEG",
    ".png": "PNG",
    ".tif": "TIFF",
    ".tiff": "TIFF",
    ".webp": "WEBP",
    ".bmp": "BMP",
    ".gif": "GIF",
}
#: Suffixes the batch command and the open dialog treat as photos.
IMAGE_SUFFIXES = frozenset(SUFFIX_FORMAT)
#: Formats (as Pillow names them, found from the content) that load and save faithfully.
SUPPORTED_FORMATS = frozenset(SUFFIX_FORMAT.values()) | {"MPO"}


class OutputFormat(NamedTuple):
    """One choice of output format: what the dialogs call it, its suffix and Pillow name
    (both ``None`` for ``keep``: the source's own)."""

    label: str
    suffix: str | None
    pil: str | None


#: The output formats every front end offers (``batch --format``, the Export and Batch
#: dialogs), in menu order.
OUTPUT_FORMATS: dict[str, OutputFormat] = {
    "keep": OutputFormat("Same as the original", None, None),
    "png": OutputFormat("PNG (lossless)", FORMAT_SUFFIX["PNG"], "PNG"),
    "jpg": OutputFormat("JPEG", FORMAT_SUFFIX["JPEG"], "JPEG"),
    "webp": OutputFormat("WebP", FORMAT_SUFFIX["WEBP"], "WEBP"),
    "tif": OutputFormat("TIFF (16-bit kept)", FORMAT_SUFFIX["TIFF"], "TIFF"),
}
#: Other names accepted for an output format.
OUTPUT_FORMAT_ALIASES = {"jpeg": "jpg", "tiff": "tif"}
#: Image suffixes no decoder here reads; a folder scan lists them instead of ignoring them.
UNREADABLE_SUFFIXES = {
    ".heic": "HEIC", ".heif": "HEIF", ".avif": "AVIF", ".jxl": "JPEG XL", ".psd": "Photoshop",
    ".svg": "SVG", ".dng": "raw (DNG)", ".cr2": "raw (CR2)", ".cr3": "raw (CR3)", ".nef": "raw (NEF)",
    ".arw": "raw (ARW)", ".orf": "raw (ORF)", ".rw2": "raw (RW2)", ".raf": "raw (RAF)", ".raw": "raw",
}


@dataclass
class LoadedImage:
    """Pixels ready for editing plus what is needed to save them faithfully.

    Attributes:
        pixels: ``(H, W, 3)`` RGB or ``(H, W, 4)`` RGBA, ``uint8`` or ``uint16``,
            already rotated upright by EXIF orientation.
        source_mode: what the file held: ``"RGB"``, ``"RGBA"``, ``"L"``, ``"LA"``,
            ``"CMYK"``, ``"I;16"``, ``"RGB;16"``, ``"RGBA;16"``... Saving converts
            back to it where the target format allows.
        format: Pillow format name of the source (``"JPEG"``, ``"PNG"``...) or ``None``.
        exif: EXIF block with orientation reset to 1 (pixels are already upright).
        icc_profile: embedded colour profile, copied verbatim on save.
        save_params: format-specific encoder settings to reuse (JPEG tables, DPI...).
    """

    pixels: np.ndarray
    source_mode: str = "RGB"
    format: str | None = None
    path: Path | None = None
    exif: bytes | None = None
    icc_profile: bytes | None = None
    save_params: dict[str, Any] = field(default_factory=dict)

    @property
    def height(self) -> int:
        return int(self.pixels.shape[0])

    @property
    def width(self) -> int:
        return int(self.pixels.shape[1])

    @property
    def has_alpha(self) -> bool:
        return self.pixels.shape[2] == 4

    @property
    def is_16bit(self) -> bool:
        return self.pixels.dtype == np.uint16

    def with_pixels(self, pixels: np.ndarray) -> LoadedImage:
        """Same metadata, new pixels (the result of an edit)."""
        return replace(self, pixels=pixels)


def _open_checked(path: Path, max_pixels: int) -> Image.Image:
    if not path.exists():
        raise ImageLoadError(f"{path}: file not found")
    if path.is_dir():
        raise ImageLoadError(f"{path}: is a folder, not an image")
    if path.stat().st_size == 0:
        raise ImageLoadError(f"{path}: the file is empty (0 bytes)")
    try:
        img = Image.open(path)
    except UnidentifiedImageError as exc:
        raise ImageLoadError(f"{path}: not a readable image (unknown or corrupt format)") from exc
    except OSError as exc:
        raise ImageLoadError(f"{path}: not a readable image; the file is truncated or corrupt ({exc})") from exc
    w, h = img.size
    if w <= 0 or h <= 0:
        raise ImageLoadError(f"{path}: image has no pixels ({w}x{h})")
    if w * h > max_pixels:
        img.close()
        raise ImageTooLargeError(
            f"{path}: {w}x{h} = {w * h / 1e6:.0f} MP exceeds the limit of "
            f"{max_pixels / 1e6:.0f} MP; if you trust the file, raise the limit with "
            f"`batch --max-megapixels N` or the {MAX_MEGAPIXELS_ENV} environment variable"
        )
    return img


def sniff(path: str | os.PathLike[str]) -> tuple[str | None, int]:
    """``(format, frames)`` from the file's content (Pillow's format name), header only.

    ``(None, 0)`` for a file that is not an image.  For folder scans: a ``.heic`` name
    with JPEG inside is a JPEG, a GIF is a GIF whatever its name, and an animation
    (frames > 1) is found before it could be flattened to one frame.
    """
    try:
        with Image.open(path) as img:
            return img.format, _frames(img)
    except Exception:  # noqa: BLE001 - anything Pillow cannot identify is "not an image"
        return None, 0


def sniff_format(path: str | os.PathLike[str]) -> str | None:
    """The image format the file's content says, ``None`` if not an image."""
    return sniff(path)[0]


def frame_count(path: str | os.PathLike[str]) -> int:
    """Frames (or pages) in the file: > 1 for animated GIF/PNG/WebP and multi-page TIFF."""
    return max(1, sniff(path)[1])


def _frames(img: Image.Image) -> int:
    # MPO is a JPEG with extra pictures (previews, depth) after the main one: it is
    # edited and saved as the main JPEG, as before.
    if img.format == "MPO":
        return 1
    try:
        return int(getattr(img, "n_frames", 1) or 1)
    except Exception:  # noqa: BLE001 - a damaged later frame fails on decode instead
        return 1


def animation_message(path: Path | None, fmt: str | None, frames: int) -> str:
    """Why an animation is not filled (prefixed with ``path`` when given)."""
    kind = "multi-page TIFF" if fmt == "TIFF" else f"animated {fmt or 'image'}"
    what = "pages" if fmt == "TIFF" else "frames"
    msg = (
        f"{kind} with {frames} {what}: only still images can be filled "
        f"(saving it would keep one {what[:-1]} and lose the rest); export the {what[:-1]} you want first"
    )
    return f"{path}: {msg}" if path is not None else msg


def _is_16bit_colour(img: Image.Image) -> bool:
    """Pillow silently decodes 48/64-bit PNG and TIFF as 8-bit RGB; detect that case."""
    if img.format == "PNG":
        # IHDR: bit depth at byte 24, colour type at 25 (2 = RGB, 6 = RGBA).
        try:
            with open(img.filename, "rb") as fh:  # type: ignore[attr-defined]
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


def load_image(path: str | os.PathLike[str], max_pixels: int | None = None) -> LoadedImage:
    """Read a photo upright, as RGB(A) uint8/uint16, with its metadata for saving.

    ``max_pixels`` defaults to :func:`max_pixels_limit`.

    Raises:
        ImageLoadError: missing, empty, truncated or corrupt file.
        ImageTooLargeError: more than ``max_pixels`` pixels (checked before decoding).
        UnsupportedImageError: a mode we cannot edit faithfully (float, 32-bit int), or
            an animation / multi-page file (saving would keep only one frame).
    """
    p = Path(path)
    img = _open_checked(p, max_pixels_limit() if max_pixels is None else max_pixels)
    try:
        with img:
            fmt = img.format
            frames = _frames(img)
            if frames > 1:
                raise UnsupportedImageError(animation_message(p, fmt, frames))
            icc = img.info.get("icc_profile")
            exif_obj = img.getexif()
            orientation = int(exif_obj.get(0x0112, 1) or 1)
            save_params: dict[str, Any] = {"orientation": orientation}
            st = p.stat()
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
                save_params["lossless"] = _webp_is_lossless(p)
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
            with warnings.catch_warnings():
                warnings.simplefilter("error", Image.DecompressionBombWarning)
                if _is_16bit_colour(img):
                    pixels = _read_16bit_colour(p)
                    pixels = _apply_orientation(pixels, orientation)
                    source_mode = "RGBA;16" if pixels.shape[2] == 4 else "RGB;16"
                else:
                    img.load()
                    upright = ImageOps.exif_transpose(img) if orientation != 1 else img
                    pixels, source_mode = _pixels_from_pil(upright, p)
                    if "palette" in save_params:
                        source_mode = "P"
    except ImageLoadError:
        raise
    except (OSError, SyntaxError, ValueError, EOFError, Image.DecompressionBombError) as exc:
        raise ImageLoadError(f"{p}: the file is truncated or corrupt ({exc})") from exc

    if exif_obj:
        if 0x0112 in exif_obj:
            exif_obj[0x0112] = 1
        exif = exif_obj.tobytes()
    else:
        exif = None
    pixels = np.ascontiguousarray(pixels)
    if not pixels.flags.writeable:
        pixels = pixels.copy()
    return LoadedImage(
        pixels=pixels,
        source_mode=source_mode,
        format=fmt,
        path=p,
        exif=exif,
        icc_profile=icc,
        save_params=save_params,
    )


def format_for_path(path: str | os.PathLike[str]) -> str | None:
    return SUFFIX_FORMAT.get(Path(path).suffix.lower())


#: Pixels converted per step where a whole-frame temporary would cost memory.
_BLOCK_PIXELS = 1 << 18


def _block_rows(width: int) -> int:
    return max(1, _BLOCK_PIXELS // max(1, width))


def _to_8bit(arr: np.ndarray) -> np.ndarray:
    if arr.dtype == np.uint8:
        return arr
    # Rounded 16->8 bit mapping (65535 -> 255), not truncation; a block of rows at a
    # time, so the uint32 temporary stays small.
    out = np.empty(arr.shape, np.uint8)
    rows = _block_rows(arr.shape[1] * (arr.shape[2] if arr.ndim == 3 else 1))
    for y in range(0, arr.shape[0], rows):
        out[y : y + rows] = (arr[y : y + rows].astype(np.uint32) * 255 + 32767) // 65535
    return out


def _gray_from_rgb(rgb: np.ndarray) -> np.ndarray:
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


def _encode(image: LoadedImage, fmt: str, quality: int | None) -> bytes | memoryview | list:
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
            g = _gray_from_rgb(px)
            pil = Image.fromarray(np.ascontiguousarray(g.astype(np.uint16)))  # -> mode I;16
        else:
            return _encode_16bit_colour(image, fmt)
    elif gray:
        # Grey first, then 8 bits: one channel converted instead of three.
        if fmt in ("JPEG", "BMP"):
            alpha = False
        g = _to_8bit(_gray_from_rgb(px))
        pil = Image.fromarray(np.dstack([g, _to_8bit(px[..., 3])]), "LA") if alpha else Image.fromarray(g, "L")
    else:
        px8 = _to_8bit(px)
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
        out.append(_png_chunk(b"iTXt", k + b"\x00\x00\x00" + lang + b"\x00" + tkey + b"\x00" + str(value).encode("utf-8")))
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


def _try_splice(image: LoadedImage, changed: np.ndarray) -> bytes | None:
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


def atomic_write_bytes(
    path: str | os.PathLike[str], data: bytes | memoryview | list, *, overwrite: bool = False
) -> None:
    """Write a file so that readers see the old file or the complete new one, never half.

    ``core.atomic`` does the writing; this names the failures as saving errors.  Without
    ``overwrite`` an existing file is never replaced, even if it appears meanwhile.
    """
    dest = Path(path)
    try:
        _atomic_write_bytes(dest, data, overwrite=overwrite)
    except FileExistsError:
        raise OutputExistsError(f"{dest}: already exists (use overwrite to replace it)") from None
    except OSError as exc:
        raise ImageSaveError(f"{dest}: could not write ({exc.strerror or exc})") from exc


def save_image(
    path: str | os.PathLike[str],
    image: LoadedImage,
    *,
    format: str | None = None,
    quality: int | None = None,
    overwrite: bool = False,
    changed: np.ndarray | None = None,
) -> Path:
    """Save an edited image atomically, in the source's format and depth unless told otherwise.

    When the source is a JPEG saved again as JPEG with its own settings and ``changed``
    (boolean ``(H, W)``, the pixels the edit may have touched) is given, only the 8x8
    blocks under ``changed`` are recompressed; the rest of the file's coefficients are
    copied, so pixels away from the edit stay bit-identical (see ``jpeg_splice``).

    Args:
        path: destination; its suffix picks the format when ``format`` is ``None``.
        image: pixels and the metadata to carry over (EXIF, ICC, JPEG tables).
        format: Pillow format name (``"JPEG"``, ``"PNG"``, ``"TIFF"``, ``"WEBP"``).
        quality: JPEG/WebP quality 1-100; ``None`` keeps the source's encoding.
        overwrite: replace an existing file (never done silently).

    Raises:
        OutputExistsError: the file exists and ``overwrite`` is false.
        ImageSaveError: encoding or writing failed; nothing was changed on disk.
    """
    dest = Path(path)
    fmt = (format or format_for_path(dest) or image.format or "PNG").upper()
    if fmt == "JPG":
        fmt = "JPEG"
    if dest.exists() and not overwrite:
        raise OutputExistsError(f"{dest}: already exists (use overwrite to replace it)")
    data = None
    if changed is not None and fmt == "JPEG" and quality is None:
        data = _try_splice(image, changed)
    try:
        if data is None:
            data = _encode(image, fmt, quality)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ImageSaveError(f"{dest}: could not encode as {fmt} ({exc})") from exc
    atomic_write_bytes(dest, data, overwrite=overwrite)
    return dest
