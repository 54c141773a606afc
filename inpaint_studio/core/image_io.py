"""Loading and saving photos without losing what the user cares about.

Editing happens on a plain numpy array (RGB or RGBA, uint8 or uint16) so every fill
method sees one layout.  Everything needed to write the photo back the way it came in
(format, bit depth, grey vs colour, CMYK, EXIF, ICC, JPEG quantisation) travels beside
the pixels in :class:`LoadedImage`.

This module is the round trip a caller sees; the parts live beside it by what they
hold: ``image_probe`` (header checks and the pixel limit, before any decoding),
``image_decode`` (pixels and encoder settings out of a file), ``image_encode`` (back
into the source's format in memory) and ``image_formats`` (the one format table).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from .atomic import atomic_write_bytes as _atomic_write_bytes
from .errors import ImageLoadError, ImageSaveError, OutputExistsError, UnsupportedImageError
from .image_decode import decode_pixels, encoder_settings
from .image_encode import encode, try_splice
from .image_formats import format_for_path
from .image_probe import animation_message, frames_in, max_pixels_limit, open_checked


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
    img = open_checked(p, max_pixels_limit() if max_pixels is None else max_pixels)
    try:
        with img:
            fmt = img.format
            frames = frames_in(img)
            if frames > 1:
                raise UnsupportedImageError(animation_message(p, fmt, frames))
            icc = img.info.get("icc_profile")
            exif_obj = img.getexif()
            orientation = int(exif_obj.get(0x0112, 1) or 1)
            save_params = encoder_settings(img, p, orientation)
            pixels, source_mode = decode_pixels(img, p, orientation, palette="palette" in save_params)
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
    data: bytes | memoryview | list | None = None
    if changed is not None and fmt == "JPEG" and quality is None:
        data = try_splice(image, changed)
    try:
        if data is None:
            data = encode(image, fmt, quality)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ImageSaveError(f"{dest}: could not encode as {fmt} ({exc})") from exc
    atomic_write_bytes(dest, data, overwrite=overwrite)
    return dest
