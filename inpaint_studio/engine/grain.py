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

How much: as much as the fill lacks.  The photo's local grain energy is carried from
the known pixels into the hole, and each copied value is scaled so that the fill's own
fine band plus the copy reach it (``add_photo_grain``): no stripes copied into a clear
sky, no second layer on fur the detail pass has already textured.

It costs PSNR all the same (the grain is the right kind in the wrong place).  On the 68
validation pairs, added to deepfill's fill at its default detail, on the 10–50 % bins:
0.25 costs 0.02 dB, 0.5 0.08 dB, 1 0.28 dB (a plain copy without the target cost 0.20
and 0.70 dB at 0.5 and 1; ``docs/BENCHMARKS.md``).
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


class _Shrunk:
    """Energy maps at no more than ``size`` px a side.

    They are means over ``radius`` px, smooth by construction, so a 24 MP photo's can
    be computed on a small copy (box-averaged, which keeps mean energies exact) and
    read back by bilinear interpolation: blurs of radius 32 at full size cost seconds."""

    def __init__(self, shape: tuple[int, int], size: int, radius: float) -> None:
        h, w = shape
        self.full = (w, h)
        self.scale = min(1.0, size / max(h, w))
        self.small = (max(1, round(w * self.scale)), max(1, round(h * self.scale)))
        self.radius = max(radius * self.scale, 1.0) if self.scale < 1.0 else radius

    def shrink(self, x: np.ndarray) -> np.ndarray:
        x = x.astype(np.float32, copy=False)
        return x if self.scale == 1.0 else cv2.resize(x, self.small, interpolation=cv2.INTER_AREA)

    def at(self, x: np.ndarray, ys: np.ndarray, xs: np.ndarray) -> np.ndarray:
        """The small map ``x`` read at full-size pixels ``(ys, xs)``, bilinearly.

        Only the pixels' bounding box is resampled (as ``cv2.resize`` would place it),
        not the whole photo: the hole is often a fraction of its context."""
        if self.scale == 1.0:
            return x[ys, xs]
        y0, y1, x0, x1 = int(ys.min()), int(ys.max()) + 1, int(xs.min()), int(xs.max()) + 1
        fx, fy = x.shape[1] / self.full[0], x.shape[0] / self.full[1]
        m = np.float32([[fx, 0, (x0 + 0.5) * fx - 0.5], [0, fy, (y0 + 0.5) * fy - 0.5]])
        box = cv2.warpAffine(x, m, (x1 - x0, y1 - y0), flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
                             borderMode=cv2.BORDER_REPLICATE)
        return box[ys - y0, xs - x0]

    def local_means(self, where: np.ndarray, *energies: np.ndarray) -> tuple[list[np.ndarray], np.ndarray]:
        """Mean of each energy map over the ``where`` pixels within about ``radius`` px,
        and how much of that neighbourhood ``where`` covers (small size).  Several maps
        share one shrink and blur of ``where``."""
        cover = np.maximum(_blur(self.shrink(where), self.radius), 1e-6)
        return [_blur(self.shrink(e * where), self.radius) / cover for e in energies], cover


def _energy(x: np.ndarray) -> np.ndarray:
    """Squared values summed over the last (colour) axis, without a temporary the size of ``x``."""
    return np.einsum("...c,...c->...", x, x)


def _pull_push(values: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """``values`` where ``weight`` is 1, smoothly interpolated where it is 0.

    A weighted image pyramid: each level averages the known values below it, and on
    the way back up a pixel keeps its own estimate in proportion to its weight.  Cheap
    (about 1.3× the pixels) and fills holes of any size, which a blur cannot."""
    pyr = [(values * weight, weight)]
    while min(pyr[-1][1].shape) >= 2:
        a, w = pyr[-1]
        pyr.append((cv2.pyrDown(a), cv2.pyrDown(w)))
    total = float(weight.sum())
    est = np.full_like(pyr[-1][0], float((values * weight).sum()) / total if total > 0 else 0.0)
    for a, w in reversed(pyr):
        if est.shape != a.shape:
            est = cv2.resize(est, (a.shape[1], a.shape[0]), interpolation=cv2.INTER_LINEAR)
        own = a / np.maximum(w, 1e-8)
        keep = np.clip(w, 0.0, 1.0)
        est = keep * own + (1.0 - keep) * est
    return est


def _near(avoid: np.ndarray, sigma: float) -> np.ndarray:
    """Pixels within ``4 * sigma`` px of ``avoid``: their fine band holds its edge."""
    margin = math.ceil(4 * sigma)
    return cv2.dilate(avoid.astype(np.uint8), np.ones((2 * margin + 1, 2 * margin + 1), np.uint8)) > 0


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
    radius: float = 8.0,
    clip: float = 2.5,
    energy_size: int = 768,
) -> np.ndarray:
    """``filled`` (H, W, 3 or 4) with ``amount`` × the grain it lacks copied into ``hole``.

    "The grain it lacks" is measured, not assumed.  The photo's local grain energy
    (mean square of the fine band over ``radius`` px) is carried from the known pixels
    into the hole by a pull-push of its logarithm (energies differ by orders of
    magnitude between sky and foliage).  The copied grain is then scaled per pixel so
    that the fill's own fine band plus the copy reach that energy, never more than the
    copy itself: ``sqrt((E_target - E_fill) / E_copy)`` clipped to [0, 1].  Copied
    values beyond ``clip`` × the target's standard deviation are clipped first.  Why:
    the low-band match alone happily copies a windmill blade's or a mountain's edges
    into a clear sky, and stacks a full copy on fur the detail pass has already
    textured; both read as noise.  On the 68 validation pairs this cut the PSNR cost of
    grain 1 from 0.70 to 0.28 dB.  The energy maps are computed at no more than
    ``energy_size`` px a side (``_Shrunk``).

    Pixels outside ``hole`` and an alpha channel are returned unchanged; same dtype as
    ``filled`` (integers are rounded and clipped to their range).  ``unknown`` (default:
    ``hole``) marks pixels never to copy from, e.g. other holes not filled yet, which
    still hold the object being removed.  Deterministic for a given ``seed``.
    """
    if amount <= 0 or not hole.any():
        return filled
    img = np.array(filled[..., :3], dtype=np.float32, copy=True)  # never write into the caller's array
    low = _blur(img, sigma)
    fine = img - low
    near = _near(hole if unknown is None else (hole | unknown), sigma)
    ys, xs = np.nonzero(hole)
    grain = _copy_grain(low, fine, hole, near, ys, xs, shifts, win, match_size, seed)
    maps = _Shrunk(hole.shape, energy_size, radius)
    fine_energy = _energy(fine)
    del low, fine
    # The target: the usable known pixels' grain energy, where they cover their
    # neighbourhood well enough to measure it, carried into the hole.
    (known,), cover = maps.local_means(~near, fine_energy)
    weight = (cover > 0.5) * np.clip(maps.shrink(~near), 0.0, 1.0)
    target = maps.at(np.exp(_pull_push(np.log(known + 1e-3).astype(np.float32), weight)), ys, xs)
    limit = (clip * np.sqrt(target / 3.0))[:, None]
    grain = np.clip(grain, -limit, limit)
    copied_energy = np.zeros(hole.shape, np.float32)
    copied_energy[ys, xs] = _energy(grain)
    have, copied = (maps.at(m, ys, xs) for m in maps.local_means(hole, fine_energy, copied_energy)[0])
    gain = np.sqrt(np.clip((target - have) / np.maximum(copied, 1e-6), 0.0, 1.0))
    img[ys, xs] += amount * gain[:, None] * grain
    out = filled.copy()
    if np.issubdtype(filled.dtype, np.integer):
        top = np.iinfo(filled.dtype).max
        out[..., :3] = np.clip(np.rint(img), 0, top).astype(filled.dtype)
    else:
        out[..., :3] = img
    return out


def photo_grain(
    img: np.ndarray,
    hole: np.ndarray,
    *,
    sigma: float = 2.0,
    shifts: int = 48,
    win: int = 9,
    match_size: int = 384,
    seed: int = 0,
    unknown: np.ndarray | None = None,
) -> np.ndarray:
    """The photo's fine band as copied into ``hole``, before any scaling (float32
    (H, W, 3), 0 elsewhere): what ``add_photo_grain`` starts from."""
    img = np.asarray(img[..., :3], dtype=np.float32)
    low = _blur(img, sigma)
    near = _near(hole if unknown is None else (hole | unknown), sigma)
    ys, xs = np.nonzero(hole)
    out = np.zeros_like(img)
    out[ys, xs] = _copy_grain(low, img - low, hole, near, ys, xs, shifts, win, match_size, seed)
    return out


def _copy_grain(low: np.ndarray, fine: np.ndarray, hole: np.ndarray, near: np.ndarray, ys: np.ndarray,
                xs: np.ndarray, shifts: int, win: int, match_size: int, seed: int) -> np.ndarray:
    """Per hole pixel ``(ys, xs)``: the fine band of its matched source, (N, 3); 0 where
    no usable source was found."""
    h, w = hole.shape
    scale = min(1.0, match_size / max(h, w))
    if scale < 1.0:
        size = (max(1, round(w * scale)), max(1, round(h * scale)))
        low_s = cv2.resize(low, size, interpolation=cv2.INTER_AREA)
        hole_s = cv2.resize(hole.astype(np.float32), size, interpolation=cv2.INTER_AREA) > 0
        ok_s = cv2.resize((~near).astype(np.float32), size, interpolation=cv2.INTER_AREA) >= 1.0
    else:
        low_s, hole_s, ok_s = low, hole, ~near
    dy_s, dx_s, found_s = _best_shifts(low_s, hole_s, ok_s, shifts, win, seed)
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
    return np.where(usable[:, None], fine[src_y, src_x], 0.0).astype(np.float32)
