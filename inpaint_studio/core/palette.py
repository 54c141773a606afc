"""Palette (indexed-colour) images: edit as RGB(A), save back to the file's own palette.

A palette PNG or GIF is edited like any photo, as RGB(A) pixels.  Writing it back as
RGBA would quadruple the file and lose what the author chose (a fixed palette, often a
few colours), so the saver maps the pixels back onto the source's palette: a pixel
whose colour is a palette entry gets that entry (untouched pixels come back bit for
bit); a filled pixel gets the nearest entry, since a palette file cannot hold new
colours.
"""

from __future__ import annotations

import numpy as np
from PIL import Image


def palette_of(img: Image.Image) -> np.ndarray:
    """The ``(n, 4)`` RGBA entries of a ``P`` image (alpha from ``tRNS``/GIF transparency)."""
    rgb = np.asarray(img.getpalette("RGB") or [], np.uint8).reshape(-1, 3)
    alpha = np.full(len(rgb), 255, np.uint8)
    trns = img.info.get("transparency")
    if isinstance(trns, int):
        if 0 <= trns < len(alpha):
            alpha[trns] = 0
    elif isinstance(trns, (bytes, bytearray)):
        a = np.frombuffer(bytes(trns), np.uint8)[: len(alpha)]
        alpha[: len(a)] = a
    return np.ascontiguousarray(np.concatenate([rgb, alpha[:, None]], axis=1))


def _pack(px: np.ndarray) -> np.ndarray:
    """RGBA uint8 ``(..., 4)`` -> one uint32 per pixel, for exact colour lookups."""
    p = px.astype(np.uint32)
    return (p[..., 0] << 24) | (p[..., 1] << 16) | (p[..., 2] << 8) | p[..., 3]


def to_indices(px8: np.ndarray, palette: np.ndarray) -> np.ndarray:
    """Palette indices (``uint8 (H, W)``) for RGB(A) uint8 pixels.

    Exact colours map to their entry; the others (a fill's new colours) to the nearest
    entry in RGBA, computed once per distinct colour so a large hole costs its number of
    colours, not its pixels, times the palette size.  Done a block of rows at a time:
    whole-frame uint32/int64 temporaries made a 24 MP palette PNG peak at 3x an RGB one.
    """
    h, w = px8.shape[:2]
    pal_keys = _pack(palette)
    order = np.argsort(pal_keys, kind="stable")
    sorted_keys = pal_keys[order]
    pal = palette.astype(np.int32)
    out = np.empty((h, w), np.uint8)
    rows = max(1, (1 << 18) // max(1, w))
    for y in range(0, h, rows):
        blk = px8[y : y + rows]
        if blk.shape[2] == 3:
            rgba = np.empty(blk.shape[:2] + (4,), np.uint8)
            rgba[..., :3] = blk
            rgba[..., 3] = 255
            blk = rgba
        keys = _pack(blk).ravel()
        pos = np.minimum(np.searchsorted(sorted_keys, keys), len(sorted_keys) - 1)
        exact = sorted_keys[pos] == keys
        idx = order[pos].astype(np.uint8)
        if not exact.all():
            miss_keys, inverse = np.unique(keys[~exact], return_inverse=True)
            cols = np.stack([(miss_keys >> s) & 0xFF for s in (24, 16, 8, 0)], axis=1).astype(np.int32)
            nearest = np.empty(len(cols), np.uint8)
            for start in range(0, len(cols), 4096):  # bounded temporary: 4096 x 256 x 4
                d = ((cols[start : start + 4096, None, :] - pal[None]) ** 2).sum(axis=2)
                nearest[start : start + 4096] = d.argmin(axis=1)
            idx[~exact] = nearest[inverse.ravel()]
        out[y : y + rows] = idx.reshape(-1, w)
    return out


def to_palette_image(px8: np.ndarray, palette: np.ndarray) -> Image.Image:
    """A ``P`` image on ``palette`` (transparency carried as PNG ``tRNS`` bytes)."""
    pil = Image.fromarray(to_indices(px8, palette), "P")
    pil.putpalette(palette[:, :3].tobytes(), "RGB")
    alpha = palette[:, 3]
    if (alpha < 255).any():
        pil.info["transparency"] = alpha.tobytes()
    return pil
