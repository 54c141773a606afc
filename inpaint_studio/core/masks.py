"""Hole masks: boolean ``(H, W)`` arrays where ``True`` marks pixels to fill.

Masks arrive from paint programs in every shape (white on black, strokes on a
transparent layer, JPEG-compressed, another size than the photo); this module turns
all of them into one boolean convention and offers the morphology a mask editor needs.
"""

from __future__ import annotations

import os
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageChops, ImageOps

from .box import Box
from .errors import ImageLoadError, MaskError
from .filters import gaussian_blur
from .image_probe import max_pixels_limit, open_checked


def mask_from_array(arr: np.ndarray, threshold: int = 127) -> np.ndarray:
    """Binary hole mask from any grey/RGB/RGBA array (uint8 or uint16 or bool).

    Transparent-background masks (any alpha below opaque) use alpha as the hole;
    opaque masks use brightness, so white (or light) marks the hole.
    """
    if arr.dtype == bool:
        return arr if arr.ndim == 2 else np.asarray(arr.any(axis=2))
    a = arr
    if a.dtype == np.uint16:
        a = (a >> 8).astype(np.uint8)
    elif a.dtype != np.uint8:
        a = np.clip(a, 0, 255).astype(np.uint8)
    if a.ndim == 2:
        return a > threshold
    if a.shape[2] in (2, 4):
        alpha = a[..., -1]
        if alpha.min() < 255:
            return alpha > threshold
        a = a[..., :-1]
    if a.shape[2] == 1:
        return a[..., 0] > threshold
    return a.max(axis=2) > threshold


def load_mask(
    path: str | os.PathLike[str],
    size: tuple[int, int] | None = None,
    threshold: int = 127,
    *,
    stretch: bool = True,
    max_pixels: int | None = None,
) -> np.ndarray:
    """Read a mask file; optionally scale it (nearest neighbour) to ``size = (width, height)``.

    Decodes straight to one channel (no RGB detour): a 24 MP mask is read in a
    fraction of the time a photo takes, and a 196 MP one in a few bytes per pixel.
    With ``stretch=False`` a mask whose aspect ratio differs from ``size`` is refused
    (:func:`aspect_warning` says why) instead of being distorted onto the photo.
    """
    p = Path(path)
    try:
        img = open_checked(p, max_pixels_limit() if max_pixels is None else max_pixels)
        with img:
            img.load()
            img = ImageOps.exif_transpose(img)
            if size is not None and not stretch:
                why = aspect_warning(img.size, size, p)
                if why:
                    raise MaskError(why.split(": it was stretched")[0] + ": refusing to stretch it onto the photo")
            mask = _decode_mask(img, threshold)
    except ImageLoadError as exc:
        raise MaskError(f"mask {exc}") from exc
    except (OSError, ValueError, SyntaxError) as exc:
        raise MaskError(f"mask {p}: truncated or corrupt ({exc})") from exc
    if size is not None:
        mask = resize_mask(mask, size)
    return np.ascontiguousarray(mask)


def _decode_mask(img: Image.Image, threshold: int) -> np.ndarray:
    has_alpha = img.mode in ("RGBA", "LA", "PA", "RGBa", "La") or (img.mode == "P" and "transparency" in img.info)
    if has_alpha:
        a_img = img.getchannel("A") if img.mode in ("RGBA", "LA", "RGBa", "La") else img.convert("RGBA").getchannel("A")
        alpha = np.asarray(a_img)
        if alpha.min() < 255:
            return alpha > threshold
        del alpha
    if img.mode.startswith("I"):
        arr = np.asarray(img)
        # 16-bit values: compare the high byte without widening the array (x >> 8 > t
        # is x > 256 t + 255).
        return arr > (threshold * 256 + 255) if arr.max() > 255 else arr > threshold
    if img.mode == "L":
        return np.asarray(img) > threshold
    if img.mode == "1":
        return np.asarray(img.convert("L")) > threshold
    # Brightest channel, so a pure red or white stroke both count as hole; band by band
    # in Pillow, so no (H, W, 3) copy exists.
    rgb = img if img.mode == "RGB" else img.convert("RGB")
    r, g, b = rgb.split()[:3]
    return np.asarray(ImageChops.lighter(ImageChops.lighter(r, g), b)) > threshold


def aspect_warning(mask_size: tuple[int, int], photo_size: tuple[int, int], path: Path | None = None) -> str | None:
    """What to tell the user when a mask's shape is not the photo's, scaled (``(w, h)`` each).

    A mask at half or double the photo's size is fine; one of another aspect ratio is
    stretched, which moves the hole off what it was drawn around.  Rounding of a scaled
    mask (a pixel per side) is tolerated.  ``None`` when the shapes agree.
    """
    mw, mh = mask_size
    pw, ph = photo_size
    if (mw, mh) == (pw, ph):
        return None
    mask_ratio, photo_ratio = mw / max(1, mh), pw / max(1, ph)
    tolerance = max(0.01, 1.0 / max(1, mw) + 1.0 / max(1, mh))
    if abs(mask_ratio / photo_ratio - 1.0) <= tolerance:
        return None
    name = f"mask {path}" if path is not None else "the mask"
    return (
        f"{name} is {mw}x{mh} ({mask_ratio:.2f}:1) but the photo is {pw}x{ph} ({photo_ratio:.2f}:1): "
        "it was stretched to fit, so the hole may be off what it was drawn around"
    )


def mask_size(path: str | os.PathLike[str]) -> tuple[int, int]:
    """``(width, height)`` of a mask file as it is shown (EXIF rotation applied), header only."""
    p = Path(path)
    try:
        with Image.open(p) as img:
            w, h = img.size
            if int(img.getexif().get(0x0112, 1) or 1) in (5, 6, 7, 8):
                w, h = h, w
    except Exception as exc:  # noqa: BLE001 - unreadable masks fail in load_mask with its message
        raise MaskError(f"mask {p}: not a readable image ({exc})") from exc
    return w, h


def resize_mask(mask: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Nearest-neighbour resize to ``size = (width, height)``; keeps hard edges."""
    w, h = size
    if mask.shape == (h, w):
        return mask
    out = cv2.resize(mask.astype(np.uint8), (w, h), interpolation=cv2.INTER_NEAREST)
    return out.astype(bool)


def save_mask(path: str | os.PathLike[str], mask: np.ndarray, *, overwrite: bool = False) -> Path:
    """Write a mask as an 8-bit PNG, white = hole (the convention every tool reads)."""
    from .image_io import LoadedImage, save_image

    g = np.where(mask, 255, 0).astype(np.uint8)
    img = LoadedImage(pixels=np.repeat(g[..., None], 3, axis=2), source_mode="L", format="PNG")
    return save_image(path, img, format="PNG", overwrite=overwrite)


def _disk(radius: int) -> np.ndarray:
    d = 2 * radius + 1
    return cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (d, d))


def dilate(mask: np.ndarray, radius: int) -> np.ndarray:
    """Grow the hole by ``radius`` pixels (round brush), the usual fix for halos."""
    if radius <= 0:
        return mask.copy()
    return cv2.dilate(mask.astype(np.uint8), _disk(radius)).astype(bool)


def erode(mask: np.ndarray, radius: int) -> np.ndarray:
    """Shrink the hole by ``radius`` pixels."""
    if radius <= 0:
        return mask.copy()
    return cv2.erode(mask.astype(np.uint8), _disk(radius)).astype(bool)


def feather(mask: np.ndarray, radius: float) -> np.ndarray:
    """Soft float mask in [0, 1] (Gaussian), for display and soft blending."""
    return gaussian_blur(mask.astype(np.float32), radius)


def threshold(soft: np.ndarray, level: float = 0.5) -> np.ndarray:
    """Boolean mask from a soft one (float in [0, 1] or uint8)."""
    if soft.dtype == np.uint8:
        return soft > int(level * 255)
    return soft > level


def hole_ratio(mask: np.ndarray) -> float:
    """Fraction of the image that is hole, in [0, 1]."""
    return float(np.count_nonzero(mask)) / max(1, mask.size)


def connected_regions(mask: np.ndarray, min_pixels: int = 1) -> list[Box]:
    """Bounding boxes of the 8-connected hole regions (tiny specks dropped)."""
    if not mask.any():
        return []
    n, _labels, stats, _ = cv2.connectedComponentsWithStats(mask.astype(np.uint8), connectivity=8)
    boxes = []
    for i in range(1, n):
        x, y, w, h, area = (int(v) for v in stats[i])
        if area >= min_pixels:
            boxes.append(Box(y0=y, y1=y + h, x0=x, x1=x + w))
    return boxes


def load_mask_for_image(path: str | os.PathLike[str], image_size: tuple[int, int], threshold: int = 127) -> np.ndarray:
    """A mask scaled to the photo it belongs to (``image_size = (width, height)``).

    A mask with another aspect ratio is still scaled (watermark templates are often
    exported at a different size); callers that care can compare shapes first.
    """
    return load_mask(path, size=image_size, threshold=threshold)


def mask_image_from_pil(img: Image.Image) -> np.ndarray:
    """Mask from an in-memory PIL image (clipboard, drag and drop), EXIF-upright."""
    return mask_from_array(np.asarray(ImageOps.exif_transpose(img)))
