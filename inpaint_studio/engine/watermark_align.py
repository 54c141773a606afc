"""Lining the photos up on their shared mark, found from nothing but its consistency.

Steps 1 and 2 of :mod:`.watermark`: without a hint nobody says where the mark is, so
photos are aligned to each other by correlating gradient fields and the structure
they all share is taken for the mark; a shift is believed only where two references
agree on it.  Large photos are searched shrunk and placed exactly at full size.
"""

from __future__ import annotations

import cv2
import numpy as np

from .cancel import CancelToken, ProgressCallback
from .watermark import MIN_PHOTOS, NoWatermarkError, best_match, gradients, grey, rgb_float


def _pair_shift(gr: np.ndarray, gk: np.ndarray, max_shift: int) -> tuple[int, int, float]:
    """Shift ``d`` (dx, dy) with ``gk(p + d)`` best matching ``gr(p)``, and its prominence.

    Correlation of the complex gradient fields (real part = dot product of gradient
    vectors), partly whitened so broad photo structure does not swamp the mark's thin
    edges.  Prominence is the peak's height in robust standard deviations of the
    correlation over the searched shifts.
    """
    H = cv2.getOptimalDFTSize(max(gr.shape[0], gk.shape[0]) + max_shift + 1)
    W = cv2.getOptimalDFTSize(max(gr.shape[1], gk.shape[1]) + max_shift + 1)
    a = np.zeros((H, W), np.complex64)
    b = np.zeros((H, W), np.complex64)
    a[: gr.shape[0], : gr.shape[1]] = gr[..., 0] + 1j * gr[..., 1]
    b[: gk.shape[0], : gk.shape[1]] = gk[..., 0] + 1j * gk[..., 1]
    cross = np.conj(np.fft.fft2(a)) * np.fft.fft2(b)
    cross /= np.sqrt(np.abs(cross)) + 1e-6
    corr = np.fft.ifft2(cross).real
    s = max_shift
    rows = np.r_[H - s : H, 0 : s + 1]
    cols = np.r_[W - s : W, 0 : s + 1]
    win = corr[np.ix_(rows, cols)]
    iy, ix = np.unravel_index(int(np.argmax(win)), win.shape)
    med = float(np.median(win))
    mad = float(np.median(np.abs(win - med))) * 1.4826 + 1e-12
    return int(ix) - s, int(iy) - s, (float(win[iy, ix]) - med) / mad


def shrink(img: np.ndarray, scale: float) -> np.ndarray:
    """``img`` (its colour channels) scaled by ``scale`` with area averaging, for the search."""
    h, w = img.shape[:2]
    size = (max(1, int(round(w * scale))), max(1, int(round(h * scale))))
    return cv2.resize(np.ascontiguousarray(img[..., :3] if img.ndim == 3 else img), size, interpolation=cv2.INTER_AREA)


def inside_frames(
    positions: dict[int, tuple[int, int]], hw: tuple[int, int], shapes: list[tuple[int, ...]]
) -> dict[int, tuple[int, int]]:
    """The copies whose frame lies wholly inside their photo."""
    h, w = hw
    return {
        i: (x, y)
        for i, (x, y) in positions.items()
        if x >= 0 and y >= 0 and x + w <= shapes[i][1] and y + h <= shapes[i][0]
    }


def refine_full(
    photos: list[np.ndarray],
    positions: dict[int, tuple[int, int]],
    hw: tuple[int, int],
    scale: float,
    cancel: CancelToken,
) -> tuple[dict[int, tuple[int, int]], tuple[int, int], tuple[int, int]]:
    """Positions found on shrunk photos, made exact at full resolution.

    Only crops around each copy are read at full size (a 24 MP set would not fit in
    memory whole): the frame is scaled up with a margin, and each copy matched against
    the copies' median within the few pixels the shrinking could have lost, twice.
    """
    h, w = hw
    m = int(np.ceil(1.0 / scale)) + 2
    H, W = int(np.ceil(h / scale)) + 2 * m, int(np.ceil(w / scale)) + 2 * m
    pos = {i: (int(round(x / scale)) - m, int(round(y / scale)) - m) for i, (x, y) in positions.items()}
    r = m
    for _ in range(2):
        cancel.raise_if_cancelled()
        pos = inside_frames(
            {i: (x - r, y - r) for i, (x, y) in pos.items()}, (H + 2 * r, W + 2 * r), [p.shape for p in photos]
        )
        pos = {i: (x + r, y + r) for i, (x, y) in pos.items()}
        if len(pos) < MIN_PHOTOS:
            raise NoWatermarkError("the mark lies across the photos' border in too many photos to estimate it")
        wins = {
            i: gradients(grey(rgb_float(photos[i][y - r : y + H + r, x - r : x + W + r]))) for i, (x, y) in pos.items()
        }
        template = np.median(np.stack([g[r : r + H, r : r + W] for g in wins.values()]), axis=0).astype(np.float32)
        new = {}
        for i, g in wins.items():
            dx, dy, _score = best_match(g, template, (r, r), r)
            new[i] = (pos[i][0] - r + dx, pos[i][1] - r + dy)
        pos = new
    xs = sorted(p[0] for p in pos.values())
    ys = sorted(p[1] for p in pos.values())
    return pos, (H, W), (xs[len(xs) // 2], ys[len(ys) // 2])


def bootstrap(
    grads: list[np.ndarray],
    max_shift: int,
    cancel: CancelToken,
    progress: ProgressCallback,
    region: tuple[int, int, int, int] | None = None,
) -> tuple[int, int, int, int, dict[int, tuple[int, int]]]:
    """Align the photos to each other and find the structure they have in common.

    Each photo's shift against a reference comes from correlating gradient fields
    (within ``region`` of every photo, if given: the hint's box grown by the search
    radius).  A shift is believed only where a second reference agrees on it
    (``d(r1, k) = d(r1, r2) + d(r2, k)`` to a pixel): alignment chosen to maximise a
    correlation will line up *something* even in unrelated photos ("structure from
    noise"), but only a real shared mark lines up consistently from two references.

    Returns the common structure's box in the first reference's frame (full photo
    coordinates) and each consistent photo's box origin.
    """
    n = len(grads)
    ox, oy = 0, 0
    if region is not None:
        rx0, ry0, rx1, ry1 = region
        ox, oy = rx0, ry0
        grads = [g[ry0:ry1, rx0:rx1] for g in grads]
    best: tuple | None = None
    for ri, r in enumerate(dict.fromkeys([0, n // 2, n - 1, n // 4, (3 * n) // 4])):
        cancel.raise_if_cancelled()
        progress(0.05 + 0.05 * ri, "aligning the photos")
        d1 = {k: _pair_shift(grads[r], grads[k], max_shift) for k in range(n) if k != r}
        # Second reference: the photo that matched the first one best.
        r2 = max(d1, key=lambda k: d1[k][2])
        d2 = {k: _pair_shift(grads[r2], grads[k], max_shift) for k in range(n) if k not in (r, r2)}
        base = d1[r2][:2]
        shifts = {r: (0, 0), r2: base}
        for k, (dx, dy, _z) in d2.items():
            ex, ey = base[0] + dx, base[1] + dy
            if abs(ex - d1[k][0]) <= 1 and abs(ey - d1[k][1]) <= 1:
                shifts[k] = d1[k][:2]
        if len(shifts) < MIN_PHOTOS or (best is not None and len(shifts) <= len(best[2])):
            continue
        box = _common_box(grads, r, shifts)
        if box is not None:
            best = (r, box, shifts)
        if best is not None and len(best[2]) == n:
            break
    if best is None:
        raise NoWatermarkError("no watermark shared by these photos: no structure lines up consistently across them")
    r, (x0, y0, x1, y1), shifts = best
    positions = {k: (x0 + dx + ox, y0 + dy + oy) for k, (dx, dy) in shifts.items()}
    return x0 + ox, y0 + oy, x1 + ox, y1 + oy, positions


def _common_box(
    grads: list[np.ndarray], r: int, shifts: dict[int, tuple[int, int]]
) -> tuple[int, int, int, int] | None:
    """Box (in ``r``'s frame) of the strongest structure in the aligned median gradient."""
    H, W = grads[r].shape[:2]
    stack = np.full((len(shifts), H, W, 2), np.nan, np.float32)
    for j, (k, (dx, dy)) in enumerate(shifts.items()):
        g = grads[k]
        ys0, xs0 = max(0, -dy), max(0, -dx)
        ys1, xs1 = min(H, g.shape[0] - dy), min(W, g.shape[1] - dx)
        if ys1 > ys0 and xs1 > xs0:
            stack[j, ys0:ys1, xs0:xs1] = g[ys0 + dy : ys1 + dy, xs0 + dx : xs1 + dx]
    med = np.nan_to_num(np.nanmedian(stack, axis=0))
    mag = np.sqrt((med**2).sum(-1))
    noise = float(np.median(mag)) + 1e-4
    strong = (mag > max(0.015, 5.0 * noise)).astype(np.uint8)
    strong = cv2.morphologyEx(strong, cv2.MORPH_OPEN, np.ones((2, 2), np.uint8))
    strong = cv2.dilate(strong, np.ones((9, 9), np.uint8))
    cnt, lab, stats, _ = cv2.connectedComponentsWithStats(strong, connectivity=8)
    if cnt <= 1:
        return None
    energy = np.bincount(lab.ravel(), weights=mag.ravel(), minlength=cnt)
    energy[0] = 0
    c = int(np.argmax(energy))
    x, y, bw, bh = (int(v) for v in stats[c, :4])
    return x, y, x + bw, y + bh
