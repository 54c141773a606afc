"""Texture: a fill re-made from the photo's own patches, guided by the fill's colours.

A fill trained for PSNR (and Telea's) turns a large hole into smooth blobs of the most
likely colours: on grass, rock or foliage that reads as blur.  Patch-based tools
(GIMP's Resynthesizer, Photoshop's Content-Aware Fill) fill with real texture copied
from the photo, but know nothing of structure beyond colour.  This does both: the hole
is re-synthesised from the photo's own ``patch`` × ``patch`` patches (Wexler,
Shechtman & Irani, "Space-Time Completion of Video", 2007: PatchMatch nearest
neighbours, then each pixel the weighted vote of the patches that cover it, coarse to
fine), and every patch is also scored against the fill's low band, so the texture goes
where the fill put its colour: grass where it put a green-brown, sky where it put blue.

``guide_weight`` trades the two: large values keep the fill's colours and only
sharpen them with matching texture; small ones let the photo's patches take over (the
look of a patch-based tool).  It costs PSNR all the same (real texture in a guessed
place scores lower than the smooth mean); ``docs/BENCHMARKS.md`` has the numbers.

numpy and OpenCV only; runs at the working size the engine gives it (the engine scales
a large crop down first and carries the texture up as a difference).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import cv2
import numpy as np

#: Patch distances are measured on every TAP_STEP-th pixel of a patch each way.  On the
#: 68 validation pairs 3 scored as 2 did (+1.342 against +1.344 dB at texture 0.5) in
#: two thirds of the time.
TAP_STEP = 3


def _blur(x: np.ndarray, sigma: float) -> np.ndarray:
    if sigma <= 0.3:
        return x
    r = math.ceil(3 * sigma)
    return cv2.GaussianBlur(x, (2 * r + 1, 2 * r + 1), sigma, borderType=cv2.BORDER_REFLECT_101)


def _shrink_known(img: np.ndarray, known: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """``img`` at ``size`` (w, h), averaging known pixels only: hole pixels (blanked,
    or the object being removed) must not darken the border of the known region."""
    k = known.astype(np.float32)
    num = cv2.resize(img * k[..., None], size, interpolation=cv2.INTER_AREA)
    den = cv2.resize(k, size, interpolation=cv2.INTER_AREA)
    return num / np.maximum(den, 1e-6)[..., None]


class _Level:
    """One scale: the target patches (those touching the hole), the valid sources and
    the feature image the patch distance is measured on."""

    def __init__(self, photo: np.ndarray, hole: np.ndarray, avoid: np.ndarray, guide: np.ndarray, r: int,
                 guide_weight: float, guide_sigma: float) -> None:
        h, w = hole.shape
        self.h, self.w, self.r = h, w, r
        self.photo = photo
        self.hole = hole
        k = np.ones((2 * r + 1, 2 * r + 1), np.uint8)
        near = cv2.dilate(hole.astype(np.uint8), k) > 0
        ok = cv2.dilate(avoid.astype(np.uint8), k) == 0
        ok[:r] = False
        ok[h - r :] = False
        ok[:, :r] = False
        ok[:, w - r :] = False
        self.source_ok = ok
        self.sy, self.sx = np.nonzero(ok)
        self.ty, self.tx = np.nonzero(near)
        self.index = np.full((h, w), -1, np.int64)
        self.index[self.ty, self.tx] = np.arange(len(self.ty))
        self.glow = _blur(guide, guide_sigma) * guide_weight
        self.wp = w + 2 * r
        # Sparse taps (every TAP_STEP-th pixel of the patch): a fraction of the cost, and
        # on a slightly blurred image they see what the full patch would.
        step = min(TAP_STEP, r) if r >= 1 else 1
        taps = [(dy, dx) for dy in range(-r, r + 1, step) for dx in range(-r, r + 1, step)]
        self.taps = np.array([dy * self.wp + dx for dy, dx in taps], np.int64)
        # For the vote: per offset d of the patch, which target's patch covers hole
        # pixel q at d (t = q - d; every such t is a target, or off the image).
        self.qy, self.qx = np.nonzero(hole)
        self.cover: list[tuple[int, int, np.ndarray, np.ndarray]] = []
        for dy in range(-r, r + 1):
            for dx in range(-r, r + 1):
                y, x = self.qy - dy, self.qx - dx
                inside = (y >= 0) & (y < h) & (x >= 0) & (x < w)
                t = self.index[np.clip(y, 0, h - 1), np.clip(x, 0, w - 1)]
                self.cover.append((dy, dx, np.where(inside, t, 0), inside.astype(np.float32)))

    def base(self, ys: np.ndarray, xs: np.ndarray) -> np.ndarray:
        return (ys + self.r) * self.wp + (xs + self.r)

    def features(self, current: np.ndarray) -> np.ndarray:
        f = np.concatenate([_blur(current, 0.7), self.glow], -1)
        f = np.pad(f, ((self.r, self.r), (self.r, self.r), (0, 0)), mode="edge")
        return f.reshape(-1, f.shape[-1])


def synthesize(
    photo: np.ndarray,
    hole: np.ndarray,
    guide: np.ndarray,
    *,
    patch: int = 7,
    guide_weight: float = 3.0,
    guide_sigma: float = 3.0,
    scales: int = 3,
    iterations: tuple[int, ...] = (4, 3, 2),
    sharpness: float = 8.0,
    seed: int = 0,
    unknown: np.ndarray | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> np.ndarray:
    """``photo`` (H, W, 3 float32) with ``hole`` re-synthesised from its own patches.

    ``guide`` is a fill of the hole (equal to ``photo`` elsewhere); each target patch
    is matched on its current pixels and, with ``guide_weight``, on the guide's low band
    (Gaussian ``guide_sigma`` px at full size).  ``iterations`` are EM rounds per
    scale, coarsest first.  ``sharpness`` sharpens the vote: with plain averaging the
    overlapping patches blur each other, which is what this is meant to remove.
    ``unknown`` marks further pixels never to copy from.  Pixels outside ``hole`` are
    returned as in ``photo``.  Where there is nothing to copy from (a hole over nearly
    all of the photo) or ``should_stop`` says so, the hole is returned as the guide has
    it, never as ``photo`` has it: there it holds the object being removed.
    Deterministic for a given ``seed``.
    """
    photo = photo.astype(np.float32, copy=False)
    guide = guide.astype(np.float32, copy=False)
    result = photo.copy()
    result[hole] = guide[hole]
    if not hole.any():
        return result
    rng = np.random.default_rng(seed)
    h0, w0 = hole.shape
    avoid0 = hole if unknown is None else (hole | unknown)
    r = patch // 2
    current: np.ndarray | None = None
    prev: tuple[np.ndarray, np.ndarray] | None = None
    for lvl in range(scales - 1, -1, -1):
        f = 0.5**lvl
        h, w = max(2 * patch, round(h0 * f)), max(2 * patch, round(w0 * f))
        if (h, w) == (h0, w0):
            img, gd, m, avoid = photo, guide, hole, avoid0
        else:
            img = _shrink_known(photo, ~avoid0, (w, h))
            gd = cv2.resize(guide, (w, h), interpolation=cv2.INTER_AREA)
            m = cv2.resize(hole.astype(np.float32), (w, h), interpolation=cv2.INTER_AREA) > 0
            avoid = cv2.resize(avoid0.astype(np.float32), (w, h), interpolation=cv2.INTER_AREA) > 0
        lv = _Level(img, m, avoid, gd, r, guide_weight, guide_sigma * w / w0)
        if len(lv.sy) == 0 or len(lv.ty) == 0:
            continue
        n = len(lv.ty)
        if prev is None:
            out = gd.copy()
            out[~m] = img[~m]
            j = rng.integers(0, len(lv.sy), n)
            sy, sx = lv.sy[j], lv.sx[j]
        else:
            out = cv2.resize(current, (w, h), interpolation=cv2.INTER_LINEAR)
            out[~m] = img[~m]
            # The coarse match, doubled: a target takes its coarse pixel's offset.
            py, px = prev
            cy = np.minimum(lv.ty * py.shape[0] // h, py.shape[0] - 1)
            cx = np.minimum(lv.tx * py.shape[1] // w, py.shape[1] - 1)
            sy = lv.ty + (py[cy, cx] - cy) * h // py.shape[0]
            sx = lv.tx + (px[cy, cx] - cx) * w // py.shape[1]
            sy, sx = np.clip(sy, 0, h - 1), np.clip(sx, 0, w - 1)
            bad = ~lv.source_ok[sy, sx]
            j = rng.integers(0, len(lv.sy), int(bad.sum()))
            sy[bad], sx[bad] = lv.sy[j], lv.sx[j]
        tbase = lv.base(lv.ty, lv.tx)
        for _ in range(iterations[min(len(iterations) - 1, scales - 1 - lvl)]):
            if should_stop is not None and should_stop():
                return result
            feats = lv.features(out)
            target = feats[tbase[:, None] + lv.taps[None]]

            def dist(cy: np.ndarray, cx: np.ndarray, which: np.ndarray | slice = slice(None)) -> np.ndarray:
                src = feats[lv.base(cy, cx)[:, None] + lv.taps[None]]
                return ((target[which] - src) ** 2).sum((1, 2))

            best = dist(sy, sx)

            def consider(cy: np.ndarray, cx: np.ndarray) -> None:
                # Only valid candidates that differ from the current match are measured:
                # once the field settles, most propagated ones are the match itself.
                cy = np.clip(cy, 0, h - 1)
                cx = np.clip(cx, 0, w - 1)
                which = np.flatnonzero(lv.source_ok[cy, cx] & ((cy != sy) | (cx != sx)))
                if len(which) == 0:
                    return
                d = dist(cy[which], cx[which], which)
                better = d < best[which]
                idx = which[better]
                sy[idx] = cy[idx]
                sx[idx] = cx[idx]
                best[idx] = d[better]

            # Propagation (a neighbour's match, shifted back) at two strides, then a
            # random search around the match at halving radii, then one fresh guess.
            for step in (4, 1):
                for dy, dx in ((0, step), (0, -step), (step, 0), (-step, 0)):
                    ny, nx = lv.ty + dy, lv.tx + dx
                    # a neighbour outside the image or the target set proposes the current match
                    inside = (ny >= 0) & (ny < h) & (nx >= 0) & (nx < w)
                    nid = np.where(inside, lv.index[np.clip(ny, 0, h - 1), np.clip(nx, 0, w - 1)], -1)
                    has = nid >= 0
                    consider(np.where(has, sy[nid] - dy, sy), np.where(has, sx[nid] - dx, sx))
            # The coarsest scale searches the whole photo; finer ones refine the
            # doubled coarse match nearby.
            radius = max(h, w) // 2 if prev is None else 2 * patch
            while radius >= 1:
                consider(sy + rng.integers(-radius, radius + 1, n), sx + rng.integers(-radius, radius + 1, n))
                radius //= 2
            j = rng.integers(0, len(lv.sy), n)
            consider(lv.sy[j], lv.sx[j])
            out = _vote(lv, sy, sx, best, sharpness, out)
        prev_y = np.broadcast_to(np.arange(h)[:, None], (h, w)).copy()
        prev_x = np.broadcast_to(np.arange(w)[None], (h, w)).copy()
        prev_y[lv.ty, lv.tx] = sy
        prev_x[lv.ty, lv.tx] = sx
        prev = (prev_y, prev_x)
        current = out
    if current is not None and current.shape[:2] == (h0, w0):
        result[hole] = current[hole]
    return result


def _vote(lv: _Level, sy: np.ndarray, sx: np.ndarray, best: np.ndarray, sharpness: float,
          out: np.ndarray) -> np.ndarray:
    """Each hole pixel: the mean of the pixels the patches covering it copy there,
    weighted by how well each patch matched (sharper than a plain mean)."""
    h, w = lv.h, lv.w
    scale = 2.0 * float(np.percentile(best, 75)) + 1e-12
    # A floor on the exponent: where every covering patch matched badly, the weights
    # would underflow to 0 for all of them and the pixel turn black.
    weight = np.exp(np.maximum(-sharpness * best / scale, -80.0)).astype(np.float32)
    flat = lv.photo.reshape(-1, 3)
    acc = np.zeros((len(lv.qy), 3), np.float32)
    total = np.zeros(len(lv.qy), np.float32)
    for dy, dx, t, inside in lv.cover:
        wt = weight[t] * inside
        src = np.clip(sy[t] + dy, 0, h - 1) * w + np.clip(sx[t] + dx, 0, w - 1)
        acc += flat[src] * wt[:, None]
        total += wt
    res = out.copy()
    ok = total > 0
    res[lv.qy[ok], lv.qx[ok]] = acc[ok] / total[ok, None]
    return res
