"""Compiled kernels of the guided patch synthesis (``engine.synthesis``).

Nearest-neighbour fields by propagation and random search (Barnes, Shechtman,
Finkelstein & Goldman, "PatchMatch", SIGGRAPH 2009), the EM vote of overlapping
patches (Wexler, Shechtman & Irani, "Space-Time Completion of Video", PAMI 2007), a
best-patch-per-pixel reconstruction and a screened Poisson solve in the gradient
domain (Darabi et al., "Image Melding", SIGGRAPH 2012).  Written from the papers.

Conventions shared by every kernel:

* ``feat`` is the feature image padded by the patch radius ``r`` on every side, so the
  patch centred on unpadded pixel ``(y, x)`` is ``feat[y : y + p, x : x + p]`` with
  ``p = 2 r + 1``: targets near the crop's border need no bounds checks.
* Fields (``ny``, ``nx``, ``nd``) are full ``(h, w)`` arrays in unpadded coordinates;
  only entries of target pixels mean anything.
* ``src_ok[y, x]`` says the patch centred there lies wholly in known pixels, so it may
  be copied from.
* Kernels release the GIL (``nogil``), so the editor's GUI thread keeps running while a
  fill is refined in its worker.
* Work is split into a fixed number of row bands, each with its own random stream and
  no propagation across its edges: the result depends on the seed, never on how many
  threads ran it.
"""

from __future__ import annotations

import numba as nb
import numpy as np

#: Row bands a field pass is split into (the unit of parallel work).  Fixed, so that
#: results do not depend on the number of threads.
BANDS = 16
#: The feature image's channels before this are the estimate (colours, texture), the
#: rest the guide's (its low band, the edge map).
GUIDE_CHANNEL = 5


@nb.njit(cache=True, inline="always")
def _next(state: np.ndarray, k: int) -> int:
    """xorshift64* step of stream ``k``; returns 31 random bits."""
    x = state[k]
    x ^= x >> np.uint64(12)
    x ^= x << np.uint64(25)
    x ^= x >> np.uint64(27)
    state[k] = x
    return int((x * np.uint64(2685821657736338717)) >> np.uint64(33))


@nb.njit(cache=True, inline="always")
def _dist(
    feat: np.ndarray, ty: int, tx: int, sy: int, sx: int, p: int, step: int, limit: float, gwt: np.ndarray
) -> float:
    """Squared distance of two patches on every ``step``-th row and column; stops
    early once past ``limit`` (a candidate that cannot win need not be finished).
    The guide's channels (from ``GUIDE_CHANNEL`` on) count ``gwt[ty, tx]`` times, where
    ``gwt`` is a per-target map (a 1×1 one: every target alike, times one)."""
    c = feat.shape[2]
    g = min(GUIDE_CHANNEL, c)
    wg = gwt[ty, tx] if gwt.shape[0] > 1 else 1.0
    dc = 0.0
    dg = 0.0
    for i in range(0, p, step):
        for j in range(0, p, step):
            for k in range(g):
                v = feat[ty + i, tx + j, k] - feat[sy + i, sx + j, k]
                dc += v * v
            for k in range(g, c):
                v = feat[ty + i, tx + j, k] - feat[sy + i, sx + j, k]
                dg += v * v
        if dc + wg * dg >= limit:
            return dc + wg * dg
    return dc + wg * dg


@nb.njit(cache=True, inline="always")
def _far(ty: int, tx: int, sy: int, sx: int, loc: float, cap: float, free: np.ndarray) -> float:
    """The locality cost of copying from ``(sy, sx)`` to ``(ty, tx)``: ``loc`` per pixel
    of distance beyond ``free[ty, tx]``, at most ``cap``.  Nearby sources are likelier to
    hold what the hole hid; the cap keeps a source far away that matches the guide
    clearly better (what the network or a sketch asked for) within reach.  ``free``
    reaches past the nearest known pixels: were they always the cheapest, every target
    where the texture gives no reason to prefer another source (grain, noise) would
    copy the few pixels nearest to it, and those would repeat as streaks."""
    if loc <= 0.0:
        return 0.0
    d = np.sqrt(float((ty - sy) * (ty - sy) + (tx - sx) * (tx - sx)))
    return min(cap, loc * max(0.0, d - free[ty, tx]))


@nb.njit(cache=True, inline="always")
def _try(feat, ty, tx, cy, cx, src_ok, ny, nx, nd, p, step, penalty, loc, cap, free, gwt):  # noqa: ANN001, ANN202
    h, w = src_ok.shape
    if cy < 0 or cy >= h or cx < 0 or cx >= w or not src_ok[cy, cx]:
        return
    if cy == ny[ty, tx] and cx == nx[ty, tx]:
        return
    best = nd[ty, tx]
    penalty += _far(ty, tx, cy, cx, loc, cap, free)
    d = _dist(feat, ty, tx, cy, cx, p, step, best - penalty, gwt) + penalty
    if d < best:
        ny[ty, tx] = cy
        nx[ty, tx] = cx
        nd[ty, tx] = d


@nb.njit(cache=True, nogil=True)
def seed_state(seed: int, salt: int) -> np.ndarray:
    """One xorshift state per band, from ``seed`` and ``salt`` (level, iteration)."""
    state = np.empty(BANDS, np.uint64)
    for k in range(BANDS):
        z = np.uint64((seed * 1000003 + salt * 7919 + k * 104729 + 1) & 0x7FFFFFFFFFFFFFFF)
        # splitmix64, so that neighbouring seeds give unrelated streams
        z = z + np.uint64(0x9E3779B97F4A7C15)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        z = z ^ (z >> np.uint64(31))
        state[k] = z if z != 0 else np.uint64(1)
    return state


@nb.njit(cache=True, nogil=True)
def where(mask):  # noqa: ANN001, ANN201
    """``np.nonzero`` of a 2-D mask as int32 (the kernels' index type) in one pass."""
    h, w = mask.shape
    n = 0
    for y in range(h):
        for x in range(w):
            if mask[y, x]:
                n += 1
    ys = np.empty(n, np.int32)
    xs = np.empty(n, np.int32)
    i = 0
    for y in range(h):
        for x in range(w):
            if mask[y, x]:
                ys[i] = y
                xs[i] = x
                i += 1
    return ys, xs


@nb.njit(cache=True, nogil=True)
def band_map(ty, tx, h, w):  # noqa: ANN001, ANN201
    """The band of each target (-1 elsewhere), split exactly as the passes split them:
    a neighbour that another band's thread is rewriting is never propagated from."""
    out = np.full((h, w), -1, np.int32)
    n = len(ty)
    for b in range(BANDS):
        for i in range(b * n // BANDS, (b + 1) * n // BANDS):
            out[ty[i], tx[i]] = b
    return out


@nb.njit(cache=True, parallel=True, nogil=True)
def random_field(ty, tx, src_y, src_x, ny, nx, state):  # noqa: ANN001, ANN201
    """Each target gets a random valid source (the start of the coarsest scale)."""
    n = len(ty)
    m = len(src_y)
    for b in nb.prange(BANDS):
        for i in range(b * n // BANDS, (b + 1) * n // BANDS):
            j = _next(state, b) % m
            ny[ty[i], tx[i]] = src_y[j]
            nx[ty[i], tx[i]] = src_x[j]


@nb.njit(cache=True, parallel=True, nogil=True)
def measure(feat, ty, tx, ny, nx, nd, p, step, loc, cap, free, gwt):  # noqa: ANN001, ANN201
    """Distance of every target to its current source (after the features changed)."""
    for i in nb.prange(len(ty)):
        y, x = ty[i], tx[i]
        nd[y, x] = _dist(feat, y, x, ny[y, x], nx[y, x], p, step, np.inf, gwt) + _far(
            y, x, ny[y, x], nx[y, x], loc, cap, free
        )


@nb.njit(cache=True, parallel=True, nogil=True)
def field_pass(
    feat,
    ty,
    tx,
    band_map,
    src_ok,
    src_y,
    src_x,
    ny,
    nx,
    nd,
    p,
    step,
    radius,
    min_radius,
    jumps,
    backward,
    state,
    coherence,
    loc,
    cap,
    free,
    gwt,
):  # noqa: ANN001, ANN201
    """One PatchMatch sweep over the targets (in scan order, or reversed).

    Each target tries its scan predecessors' sources shifted by one pixel
    (propagation: coherent copies spread), then candidates around its own source at
    halving radii from ``radius`` down to ``min_radius`` (random search), then
    ``jumps`` sources drawn anywhere.  ``coherence`` is added to the distance of every
    candidate that is not a propagated one: small values favour larger coherent
    copies, which keeps texture whole and the seams few.
    """
    n = len(ty)
    m = len(src_y)
    for b in nb.prange(BANDS):
        lo = b * n // BANDS
        hi = (b + 1) * n // BANDS
        for k in range(hi - lo):
            i = hi - 1 - k if backward else lo + k
            y, x = ty[i], tx[i]
            d = -1 if backward else 1
            # propagation from the left/right and upper/lower neighbour, same band only
            # (``band_map`` is the band of each target, -1 elsewhere)
            xx = x - d
            if 0 <= xx < band_map.shape[1] and band_map[y, xx] == b:
                _try(feat, y, x, ny[y, xx], nx[y, xx] + d, src_ok, ny, nx, nd, p, step, 0.0, loc, cap, free, gwt)
            yy = y - d
            if 0 <= yy < band_map.shape[0] and band_map[yy, x] == b:
                _try(feat, y, x, ny[yy, x] + d, nx[yy, x], src_ok, ny, nx, nd, p, step, 0.0, loc, cap, free, gwt)
            r = radius
            while r >= min_radius:
                cy = ny[y, x] + _next(state, b) % (2 * r + 1) - r
                cx = nx[y, x] + _next(state, b) % (2 * r + 1) - r
                _try(feat, y, x, cy, cx, src_ok, ny, nx, nd, p, step, coherence, loc, cap, free, gwt)
                r //= 2
            for _ in range(jumps):
                j = _next(state, b) % m
                _try(feat, y, x, src_y[j], src_x[j], src_ok, ny, nx, nd, p, step, coherence, loc, cap, free, gwt)


@nb.njit(cache=True, parallel=True, nogil=True)
def vote(values, hy, hx, is_target, ny, nx, nd, r, bandwidth, out):  # noqa: ANN001, ANN201
    """Each hole pixel: the weighted mean of what the patches covering it copy there
    (Wexler et al.), weight ``exp(-d / bandwidth)`` of each patch's distance, for every
    channel of ``values`` (colours, and the texture features voted along with them)."""
    h, w = is_target.shape
    k = values.shape[2]
    if len(hy) == 0:
        return
    # Each patch's weight once, not once per pixel it covers; only the patches within
    # ``r`` of a voted pixel count, so only that box is kept.
    y0, y1 = max(0, hy.min() - r), min(h, hy.max() + r + 1)
    x0, x1 = max(0, hx.min() - r), min(w, hx.max() + r + 1)
    weight = np.zeros((y1 - y0, x1 - x0), np.float64)
    for y in nb.prange(y0, y1):
        for x in range(x0, x1):
            if is_target[y, x]:
                wt = np.exp(-max(nd[y, x], 0.0) / bandwidth)
                weight[y - y0, x - x0] = wt if wt >= 1e-30 else 1e-30
    for i in nb.prange(len(hy)):
        py, px = hy[i], hx[i]
        acc = np.zeros(k, np.float64)
        total = 0.0
        for dy in range(-r, r + 1):
            qy = py + dy
            if qy < 0 or qy >= h:
                continue
            for dx in range(-r, r + 1):
                qx = px + dx
                if qx < 0 or qx >= w or not is_target[qy, qx]:
                    continue
                wt = weight[qy - y0, qx - x0]
                sy = ny[qy, qx] - dy
                sx = nx[qy, qx] - dx
                for c in range(k):
                    acc[c] += wt * values[sy, sx, c]
                total += wt
        if total > 0.0:
            for c in range(k):
                out[py, px, c] = acc[c] / total


@nb.njit(cache=True, parallel=True, nogil=True)
def best_patch(img, hy, hx, is_target, ny, nx, nd, r, out, from_y, from_x):  # noqa: ANN001, ANN201
    """Each hole pixel from the one covering patch that matched best: no averaging,
    so the photo's texture arrives whole.  ``from_y/from_x`` record where each pixel
    was copied from (the gradient domain solve needs it)."""
    h, w = is_target.shape
    for i in nb.prange(len(hy)):
        py, px = hy[i], hx[i]
        best = np.inf
        by = -1
        bx = -1
        for dy in range(-r, r + 1):
            qy = py + dy
            if qy < 0 or qy >= h:
                continue
            for dx in range(-r, r + 1):
                qx = px + dx
                if qx < 0 or qx >= w or not is_target[qy, qx]:
                    continue
                # the patch centred on the pixel itself wins ties, then the nearer ones
                d = nd[qy, qx] * (1.0 + 0.02 * (abs(dy) + abs(dx)))
                if d < best:
                    best = d
                    by = ny[qy, qx] - dy
                    bx = nx[qy, qx] - dx
        if by >= 0:
            from_y[py, px] = by
            from_x[py, px] = bx
            out[py, px, 0] = img[by, bx, 0]
            out[py, px, 1] = img[by, bx, 1]
            out[py, px, 2] = img[by, bx, 2]


@nb.njit(cache=True, inline="always")
def _guided_gradient(img, known, copy, fy, fx, hole, y, x, yy, xx, c):  # noqa: ANN001, ANN202
    """The gradient from ``(y, x)`` to its neighbour ``(yy, xx)`` the copy asks for.

    Where both were copied from neighbouring source pixels it is the source's own
    gradient, so a coherent copy comes through unchanged; across a seam it is the mean
    of what the two sources have there, which is what hides the seam.  A source
    neighbour that is not a known pixel does not count; with none left, the copy's own
    difference is kept."""
    h, w = hole.shape
    g = 0.0
    n = 0
    sy = fy[y, x] + (yy - y)
    sx = fx[y, x] + (xx - x)
    if 0 <= sy < h and 0 <= sx < w and known[sy, sx]:
        g += img[sy, sx, c] - img[fy[y, x], fx[y, x], c]
        n += 1
    if hole[yy, xx]:
        ty = fy[yy, xx] - (yy - y)
        tx = fx[yy, xx] - (xx - x)
        if 0 <= ty < h and 0 <= tx < w and known[ty, tx]:
            g += img[fy[yy, xx], fx[yy, xx], c] - img[ty, tx, c]
            n += 1
    if n == 0:
        return copy[yy, xx, c] - copy[y, x, c]
    return g / n


@nb.njit(cache=True, parallel=True, nogil=True)
def guidance(img, known, copy, fy, fx, hole, hy, hx):  # noqa: ANN001, ANN201
    """Per hole pixel, the sum over its 4 neighbours of the asked-for gradients and
    the neighbour count: the right-hand side of the Poisson equation, computed once."""
    n = len(hy)
    rhs = np.zeros((n, 3), np.float32)
    cnt = np.zeros(n, np.float32)
    h, w = hole.shape
    for i in nb.prange(n):
        y, x = hy[i], hx[i]
        for k in range(4):
            yy = y + (1 if k == 0 else (-1 if k == 1 else 0))
            xx = x + (1 if k == 2 else (-1 if k == 3 else 0))
            if yy < 0 or yy >= h or xx < 0 or xx >= w:
                continue
            cnt[i] += 1.0
            for c in range(3):
                rhs[i, c] += _guided_gradient(img, known, copy, fy, fx, hole, y, x, yy, xx, c)
    return rhs, cnt


@nb.njit(cache=True, parallel=True, nogil=True)
def poisson_sweeps(f, hy, hx, parity, rhs, cnt, target, screen, omega, sweeps):  # noqa: ANN001, ANN201
    """Red-black SOR on ``f`` (hole pixels only; every other pixel is a fixed boundary)
    for  sum over neighbours (f_q - f_p - g_pq)^2 + screen (f_p - target_p)^2.

    The screen term ties the solution to ``target`` (the copy itself), so only the
    seams and the border move, not the overall colour of a large fill.
    """
    h, w = f.shape[0], f.shape[1]
    by_colour = (np.nonzero(parity == 0)[0], np.nonzero(parity == 1)[0])
    for _ in range(sweeps):
        for colour in range(2):
            idx = by_colour[colour]
            for j in nb.prange(len(idx)):
                i = idx[j]
                y, x = hy[i], hx[i]
                for c in range(3):
                    s = 0.0
                    if y + 1 < h:
                        s += f[y + 1, x, c]
                    if y > 0:
                        s += f[y - 1, x, c]
                    if x + 1 < w:
                        s += f[y, x + 1, c]
                    if x > 0:
                        s += f[y, x - 1, c]
                    new = (s - rhs[i, c] + screen * target[i, c]) / (cnt[i] + screen)
                    f[y, x, c] += omega * (new - f[y, x, c])


@nb.njit(cache=True, parallel=True, nogil=True)
def upsample_field(ty, tx, cy_field, cx_field, coarse_target, src_ok, src_y, src_x, ny, nx, state):  # noqa: ANN001, ANN201
    """A finer scale's field from the coarser one: each target takes the source of the
    coarse pixel above it, doubled, at the same sub-pixel offset; where that is no
    valid source (or the coarse pixel was no target), a random nearby one is looked
    for, and failing that one anywhere."""
    n = len(ty)
    m = len(src_y)
    h, w = src_ok.shape
    ch, cw = coarse_target.shape
    for b in nb.prange(BANDS):
        for i in range(b * n // BANDS, (b + 1) * n // BANDS):
            y, x = ty[i], tx[i]
            py = min(y // 2, ch - 1)
            px = min(x // 2, cw - 1)
            if coarse_target[py, px]:
                sy = 2 * cy_field[py, px] + (y - 2 * py)
                sx = 2 * cx_field[py, px] + (x - 2 * px)
            else:
                sy = y
                sx = x
            sy = min(max(sy, 0), h - 1)
            sx = min(max(sx, 0), w - 1)
            tries = 0
            while not src_ok[sy, sx] and tries < 64:
                rad = 4 + tries * 4
                sy = min(max(sy + _next(state, b) % (2 * rad + 1) - rad, 0), h - 1)
                sx = min(max(sx + _next(state, b) % (2 * rad + 1) - rad, 0), w - 1)
                tries += 1
            if not src_ok[sy, sx]:
                j = _next(state, b) % m
                sy = src_y[j]
                sx = src_x[j]
            ny[y, x] = sy
            nx[y, x] = sx


@nb.njit(cache=True, inline="always")
def _masked_dist(feat, filled, ty, tx, sy, sx, p, content, gm, limit):  # noqa: ANN001, ANN202
    """Patch distance for a target that is only partly filled in: the first ``content``
    channels (colours, texture) over the target's filled pixels only, scaled up to the
    whole patch; the others (guide, edges: known everywhere) over the whole patch,
    times ``gm``."""
    c = feat.shape[2]
    dc = 0.0
    dg = 0.0
    n = 0
    for i in range(p):
        for j in range(p):
            f = filled[ty + i, tx + j]
            if f:
                n += 1
            for k in range(c):
                v = feat[ty + i, tx + j, k] - feat[sy + i, sx + j, k]
                if k < content:
                    if f:
                        dc += v * v
                else:
                    dg += v * v
        if dg * gm >= limit:
            return dg * gm
    if n == 0:
        return dg * gm
    return dg * gm + dc * (p * p) / n


@nb.njit(cache=True, nogil=True)
def onion_fill(
    feat,
    filled,
    order_y,
    order_x,
    src_ok,
    src_y,
    src_x,
    ny,
    nx,
    p,
    content,
    gm,
    candidates,
    coherence,
    state,
    loc,
    cap,
    free,
    gwt,
):  # noqa: ANN001, ANN201
    """Fill the hole from its border inwards, one pixel at a time (onion peel), each
    copied from the source whose patch best matches what is already there.

    ``feat`` and ``filled`` are padded by the patch radius (the conventions above);
    ``order_y/order_x`` are the hole pixels, nearest to the known pixels first.  A
    pixel tries the sources of its filled neighbours shifted by their offset (so a copy
    grows coherently, which is what carries a pattern's phase into the hole), a few
    around the best so far, and ``candidates`` drawn anywhere (paying ``coherence``).
    Each filled pixel takes its source's content channels, so later pixels match it.
    """
    h, w = src_ok.shape
    m = len(src_y)
    r = p // 2
    for i in range(len(order_y)):
        y, x = order_y[i], order_x[i]
        gmt = gm * (gwt[y, x] if gwt.shape[0] > 1 else 1.0)
        best = np.inf
        by = -1
        bx = -1
        for dy in range(-1, 2):
            for dx in range(-1, 2):
                if dy == 0 and dx == 0:
                    continue
                qy, qx = y + dy, x + dx
                if qy < 0 or qy >= h or qx < 0 or qx >= w or ny[qy, qx] < 0:
                    continue
                cy, cx = ny[qy, qx] - dy, nx[qy, qx] - dx
                if cy < 0 or cy >= h or cx < 0 or cx >= w or not src_ok[cy, cx]:
                    continue
                d = _masked_dist(feat, filled, y, x, cy, cx, p, content, gmt, best) + _far(y, x, cy, cx, loc, cap, free)
                if d < best:
                    best, by, bx = d, cy, cx
        for _ in range(candidates):
            j = _next(state, 0) % m
            cy, cx = src_y[j], src_x[j]
            d = (
                _masked_dist(feat, filled, y, x, cy, cx, p, content, gmt, best - coherence)
                + coherence
                + _far(y, x, cy, cx, loc, cap, free)
            )
            if d < best:
                best, by, bx = d, cy, cx
        rad = max(h, w) // 4
        while rad >= 1 and by >= 0:
            cy = by + _next(state, 0) % (2 * rad + 1) - rad
            cx = bx + _next(state, 0) % (2 * rad + 1) - rad
            if 0 <= cy < h and 0 <= cx < w and src_ok[cy, cx]:
                d = (
                    _masked_dist(feat, filled, y, x, cy, cx, p, content, gmt, best - coherence)
                    + coherence
                    + _far(y, x, cy, cx, loc, cap, free)
                )
                if d < best:
                    best, by, bx = d, cy, cx
            rad //= 2
        # hill-climb to the best-aligned neighbour of the winner: a copy one pixel off
        # matches a pattern nearly as well, and propagation would carry the slip on
        moved = by >= 0
        while moved:
            moved = False
            for sy in range(by - 1, by + 2):
                for sx in range(bx - 1, bx + 2):
                    if (sy != by or sx != bx) and 0 <= sy < h and 0 <= sx < w and src_ok[sy, sx]:
                        d = _masked_dist(feat, filled, y, x, sy, sx, p, content, gmt, best) + _far(
                            y, x, sy, sx, loc, cap, free
                        )
                        if d < best:
                            best, by, bx = d, sy, sx
                            moved = True
        if by < 0:
            j = _next(state, 0) % m
            by, bx = src_y[j], src_x[j]
        ny[y, x] = by
        nx[y, x] = bx
        for k in range(content):
            feat[y + r, x + r, k] = feat[by + r, bx + r, k]
        filled[y + r, x + r] = True
