"""Photo grain: the known photo's own fine texture copied into a filled hole.

A fill, neural or classical, is smoother than the photo around it, and on low-contrast
surfaces (snow, haze, plaster, skin) that is what gives the hole away: a smudge on a
grainy photo.  The GAN-tuned refiner adds texture where it has learned some, but
hardly any there.  This copies the photo's fine band (what a Gaussian blur of ``sigma``
px removes) from the known region into the hole, one shift per hole pixel, chosen so
that the coarse colours around source and target agree.

How the shift is chosen: for ``shifts`` random shifts, the cost at a pixel is the
squared difference between the fill's low band and the shifted low band, summed over a
``win`` × ``win`` window.  Neighbouring pixels share most of their window, so they pick
the same shift and the copied grain stays coherent (a patch of real texture) instead
of averaging into noise.  The search runs on a copy scaled to ``match_size``; the grain
is copied at full size, so a 24 MP photo gets its own native grain.  Sources within
``4 * sigma`` px of the hole are never used (their fine band holds the hole's edge).

It costs PSNR (the grain is the right kind in the wrong place): on the 68 validation
pairs, added to deepfill's smooth fill, 0.5 cost 0.20 dB and 1 cost 0.70 dB on the
10–50 % bins (``docs/BENCHMARKS.md``), so it is off unless the user asks for it.
"""

from __future__ import annotations

import math

import cv2
import numpy as np


def _blur(x: np.ndarray, sigma: float) -> np.ndarray:
    r = math.ceil(4 * sigma)
    return cv2.GaussianBlur(x, (2 * r + 1, 2 * r + 1), sigma, borderType=cv2.BORDER_REFLECT_101)


def _best_shifts(low: np.ndarray, hole: np.ndarray, source_ok: np.ndarray, shifts: int, win: int,
                 seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per pixel of ``hole``: the best shift ``(dy, dx)`` and whether any was valid."""
    h, w = hole.shape
    rng = np.random.default_rng(seed)
    best = np.full((h, w), np.inf, np.float32)
    dy_map = np.zeros((h, w), np.int32)
    dx_map = np.zeros((h, w), np.int32)
    for _ in range(shifts):
        dy, dx = int(rng.integers(-h + 1, h)), int(rng.integers(-w + 1, w))
        y0, y1, x0, x1 = max(0, -dy), min(h, h - dy), max(0, -dx), min(w, w - dx)
        moved = np.zeros_like(low)
        ok = np.zeros((h, w), bool)
        moved[y0:y1, x0:x1] = low[y0 + dy : y1 + dy, x0 + dx : x1 + dx]
        ok[y0:y1, x0:x1] = source_ok[y0 + dy : y1 + dy, x0 + dx : x1 + dx]
        cost = np.where(ok, ((low - moved) ** 2).sum(-1), 1e6).astype(np.float32)
        cost = cv2.boxFilter(cost, -1, (win, win))
        cost[~ok] = np.inf
        better = (cost < best) & hole
        best[better] = cost[better]
        dy_map[better] = dy
        dx_map[better] = dx
    return dy_map, dx_map, np.isfinite(best)


def add_photo_grain(
    filled: np.ndarray,
    hole: np.ndarray,
    amount: float,
    *,
    sigma: float = 2.0,
    shifts: int = 48,
    win: int = 9,
    match_size: int = 384,
    seed: int = 0,
    unknown: np.ndarray | None = None,
) -> np.ndarray:
    """``filled`` (H, W, 3 or 4) with ``amount`` × the photo's fine band copied into ``hole``.

    Pixels outside ``hole`` and an alpha channel are returned unchanged; same dtype as
    ``filled`` (integers are rounded and clipped to their range).  ``unknown`` (default:
    ``hole``) marks pixels never to copy from, e.g. other holes not filled yet, which
    still hold the object being removed.  Deterministic for a given ``seed``.
    """
    if amount <= 0 or not hole.any():
        return filled
    img = np.array(filled[..., :3], dtype=np.float32, copy=True)  # never write into the caller's array
    h, w = hole.shape
    low = _blur(img, sigma)
    fine = img - low
    margin = math.ceil(4 * sigma)
    avoid = hole if unknown is None else (hole | unknown)
    near = cv2.dilate(avoid.astype(np.uint8), np.ones((2 * margin + 1, 2 * margin + 1), np.uint8)) > 0
    scale = min(1.0, match_size / max(h, w))
    if scale < 1.0:
        size = (max(1, round(w * scale)), max(1, round(h * scale)))
        low_s = cv2.resize(low, size, interpolation=cv2.INTER_AREA)
        hole_s = cv2.resize(hole.astype(np.float32), size, interpolation=cv2.INTER_AREA) > 0
        ok_s = cv2.resize((~near).astype(np.float32), size, interpolation=cv2.INTER_AREA) >= 1.0
    else:
        low_s, hole_s, ok_s = low, hole, ~near
    dy_s, dx_s, found_s = _best_shifts(low_s, hole_s, ok_s, shifts, win, seed)
    ys, xs = np.nonzero(hole)
    # Each full-size hole pixel uses the shift of the small pixel it falls in.
    sy = np.minimum((ys * low_s.shape[0]) // h, low_s.shape[0] - 1)
    sx = np.minimum((xs * low_s.shape[1]) // w, low_s.shape[1] - 1)
    ry, rx = h / low_s.shape[0], w / low_s.shape[1]
    src_y = ys + np.rint(dy_s[sy, sx] * ry).astype(np.int64)
    src_x = xs + np.rint(dx_s[sy, sx] * rx).astype(np.int64)
    inside = (src_y >= 0) & (src_y < h) & (src_x >= 0) & (src_x < w) & found_s[sy, sx]
    src_y, src_x = np.clip(src_y, 0, h - 1), np.clip(src_x, 0, w - 1)
    # A scaled shift can land a few pixels off its checked source: never copy hole edges.
    usable = inside & ~near[src_y, src_x]
    grain = np.where(usable[:, None], fine[src_y, src_x], 0.0)
    img[ys, xs] += amount * grain
    out = filled.copy()
    if np.issubdtype(filled.dtype, np.integer):
        top = np.iinfo(filled.dtype).max
        out[..., :3] = np.clip(np.rint(img), 0, top).astype(filled.dtype)
    else:
        out[..., :3] = img
    return out
