"""What a file's header says before any pixel is decoded: the pixel limit, the format,
the frame count.

Refusing here is cheap: a 200 MP bomb or an animation is turned away before the
memory for its pixels is spent, and a folder scan can classify files without
decoding them.
"""

from __future__ import annotations

import os
from pathlib import Path

from PIL import Image, ImageFile, UnidentifiedImageError

from .errors import ImageLoadError, ImageTooLargeError

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


def open_checked(path: Path, max_pixels: int) -> Image.Image:
    """Open ``path`` lazily (header only), refusing what cannot or must not be decoded.

    Every reader (photos, masks) comes through here, so a missing, empty, corrupt or
    oversized file is named the same way whichever one meets it first.

    Raises:
        ImageLoadError: missing, a folder, empty, or not a readable image.
        ImageTooLargeError: more than ``max_pixels`` pixels.
    """
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
            return img.format, frames_in(img)
    except Exception:  # noqa: BLE001 - anything Pillow cannot identify is "not an image"
        return None, 0


def sniff_format(path: str | os.PathLike[str]) -> str | None:
    """The image format the file's content says, ``None`` if not an image."""
    return sniff(path)[0]


def frame_count(path: str | os.PathLike[str]) -> int:
    """Frames (or pages) in the file: > 1 for animated GIF/PNG/WebP and multi-page TIFF."""
    return max(1, sniff(path)[1])


def frames_in(img: Image.Image) -> int:
    """Frames (or pages) of an opened image, 1 for a still one."""
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
