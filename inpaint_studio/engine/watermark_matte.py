"""The mark's shape, opacity and colour from its aligned copies (steps 2 and 3 of
:mod:`.watermark`).

Where the mark may be comes from its median gradient field (edges closed, solid
interiors told from letters' counters by the field's integral); its matte and colour
come from regressing each copy on a harmonic guess of the photo under it, which is
unbiased because the photos are unrelated.
"""

from __future__ import annotations

import cv2
import numpy as np

from .cancel import CancelToken


def _dst1(x: np.ndarray, axis: int) -> np.ndarray:
    """Unnormalised DST-I along ``axis`` via an odd extension and the FFT."""
    x = np.moveaxis(x, axis, -1)
    n = x.shape[-1]
    z = np.zeros(x.shape[:-1] + (1,), x.dtype)
    ext = np.concatenate([z, x, z, -x[..., ::-1]], axis=-1)
    y = -np.fft.fft(ext, axis=-1).imag[..., 1 : n + 1] / 2.0
    return np.moveaxis(y, -1, axis)


def poisson_integrate(gx: np.ndarray, gy: np.ndarray) -> np.ndarray:
    """The field whose (forward-difference) gradients best match ``(gx, gy)``, zero on the border.

    Used on the median gradient field, whose integral is the "matted" mark (paper §3).
    """
    h, w = gx.shape
    div = np.zeros((h, w), np.float64)
    div[:, 1:] += gx[:, :-1]
    div[:, :-1] -= gx[:, :-1]
    div[1:, :] += gy[:-1, :]
    div[:-1, :] -= gy[:-1, :]
    f = div[1:-1, 1:-1]  # minus the Laplacian: the eigenvalues below are positive
    if f.size == 0:
        return np.zeros((h, w), np.float32)
    ny, nx = f.shape
    fh = _dst1(_dst1(f, 0), 1)
    ky = 2.0 - 2.0 * np.cos(np.pi * np.arange(1, ny + 1) / (ny + 1))
    kx = 2.0 - 2.0 * np.cos(np.pi * np.arange(1, nx + 1) / (nx + 1))
    uh = fh / (ky[:, None] + kx[None, :])
    u = _dst1(_dst1(uh, 0), 1) * (2.0 / (ny + 1)) * (2.0 / (nx + 1))
    out = np.zeros((h, w), np.float32)
    out[1:-1, 1:-1] = u
    return out


def mark_support(template: np.ndarray, grow: int = 2) -> np.ndarray:
    """Where the mark may be, from its median gradient field: its edges, closed, with
    what they enclose filled in (solid interiors have no edges of their own), grown
    by ``grow`` px.

    As tight as it can be: the photo under the mark is guessed from the pixels just
    outside this region, and every pixel of margin makes that guess worse.
    """
    mag = np.sqrt((template**2).sum(-1))
    noise = float(np.median(mag)) + 1e-4
    thr = max(0.01, 4.0 * noise, 0.1 * float(np.percentile(mag, 99.5)))
    edges = (mag > thr).astype(np.uint8)
    n, lab, stats, _ = cv2.connectedComponentsWithStats(edges, connectivity=8)
    keep = np.zeros(n, bool)
    keep[1:] = stats[1:, cv2.CC_STAT_AREA] >= 6
    edges = keep[lab].astype(np.uint8)
    closed = cv2.morphologyEx(edges, cv2.MORPH_CLOSE, np.ones((5, 5), np.uint8))
    # Fill enclosed holes: flood the outside from the frame's border.
    h, w = closed.shape
    pad = np.zeros((h + 2, w + 2), np.uint8)
    pad[1:-1, 1:-1] = closed
    flood = pad.copy()
    cv2.floodFill(flood, np.zeros((h + 4, w + 4), np.uint8), (0, 0), 2)
    enclosed = (flood[1:-1, 1:-1] != 2) & ~closed.astype(bool)
    # An enclosed hole is the mark's solid interior, or a letter's counter: the
    # integrated median gradient (the "matted" mark, paper §3) tells them apart.
    matted = np.abs(poisson_integrate(template[..., 0], template[..., 1]))
    level = float(np.median(matted[closed.astype(bool)])) if closed.any() else 0.0
    n_h, lab_h = cv2.connectedComponents(enclosed.astype(np.uint8), connectivity=4)
    fill = np.zeros(n_h, bool)
    if n_h > 1:
        mean_h = np.bincount(lab_h.ravel(), weights=matted.ravel(), minlength=n_h) / np.maximum(
            np.bincount(lab_h.ravel(), minlength=n_h), 1
        )
        fill[1:] = mean_h[1:] > 0.5 * level
    inside = closed.astype(bool) | fill[lab_h]
    if grow <= 0:
        return inside
    return cv2.dilate(inside.astype(np.uint8), np.ones((2 * grow + 1, 2 * grow + 1), np.uint8)).astype(bool)


def harmonic_fill(stack: np.ndarray, hole: np.ndarray, sweeps: int = 250) -> np.ndarray:
    """``stack`` (..., h, w) with ``hole`` filled by harmonic interpolation of its border.

    Pull-push start (known-pixel means over a pyramid), then Jacobi sweeps; all copies
    and channels at once.  This is each copy's guess of the photo under the mark: not
    its texture, but unbiased for it, which is what the regressions below need.
    """
    X = stack.astype(np.float64).copy()
    if not hole.any():
        return X
    known = (~hole).astype(np.float64)
    lead = X.shape[:-2]
    flat = X.reshape((-1,) + X.shape[-2:])
    levels = [(flat * known, known)]
    while min(levels[-1][1].shape) > 2 and not (levels[-1][1] > 0).all():
        v, k = levels[-1]
        hh, ww = (k.shape[0] + 1) // 2 * 2, (k.shape[1] + 1) // 2 * 2
        vp = np.zeros((v.shape[0], hh, ww))
        kp = np.zeros((hh, ww))
        vp[:, : v.shape[1], : v.shape[2]] = v
        kp[: k.shape[0], : k.shape[1]] = k
        levels.append(
            (vp.reshape(v.shape[0], hh // 2, 2, ww // 2, 2).sum((2, 4)), kp.reshape(hh // 2, 2, ww // 2, 2).sum((1, 3)))
        )
    v, k = levels[-1]
    est = v / np.maximum(k, 1e-12)
    est[:, k <= 0] = (v.sum((1, 2)) / max(k.sum(), 1e-12))[:, None]
    for v, k in reversed(levels[:-1]):
        up = est.repeat(2, axis=1).repeat(2, axis=2)[:, : k.shape[0], : k.shape[1]]
        est = np.where(k > 0, v / np.maximum(k, 1e-12), up)
    X = np.where(hole, est.reshape(X.shape), X)
    for _ in range(sweeps):
        P = np.pad(X, [(0, 0)] * len(lead) + [(1, 1), (1, 1)], mode="edge")
        nb = 0.25 * (P[..., :-2, 1:-1] + P[..., 2:, 1:-1] + P[..., 1:-1, :-2] + P[..., 1:-1, 2:])
        X[..., hole] = nb[..., hole]
    return X


def _robust_weights(res: np.ndarray) -> np.ndarray:
    """Per copy and pixel, down-weight residuals far beyond the typical one (Huber-like):
    a copy whose photo has an edge or texture under the mark should not steer it."""
    r = np.abs(res).max(axis=-1, keepdims=True)
    s = 1.5 * float(np.median(r)) + 1e-3
    return 1.0 / np.maximum(1.0, r / (2.0 * s))


def _smooth_colour(alpha: np.ndarray, colour: np.ndarray, unknown: np.ndarray, sigma: float) -> np.ndarray:
    """Colour averaged over nearby mark pixels, weighted by opacity squared: the colour
    is only measurable where the mark is opaque enough to show it."""
    wgt = (alpha**2 * unknown).astype(np.float32)
    den = cv2.GaussianBlur(wgt, (0, 0), sigma) + 1e-6
    out = np.empty_like(colour, dtype=np.float32)
    for c in range(colour.shape[-1]):
        out[..., c] = cv2.GaussianBlur((wgt * colour[..., c]).astype(np.float32), (0, 0), sigma) / den
    # Where no mark pixel is near, fall back to the mark's overall colour.
    overall = (wgt[..., None] * colour).sum((0, 1)) / (wgt.sum() + 1e-6)
    far = den < 1e-3
    out[far] = overall
    return np.clip(out, 0.0, 1.0)


def _texture_weights(J: np.ndarray, alpha: np.ndarray, colour: np.ndarray, floor: float = 0.01) -> np.ndarray:
    """Per copy and pixel, 1 / (local fine texture of the recovered photo + floor^2).

    The harmonic guess is good on a smooth photo and poor on gravel or foliage, so a
    copy whose photo is busy near a pixel says little about the mark there: weighting
    each copy by how predictable its photo is there is what makes textured sets work.
    """
    A = alpha[None, ..., None]
    rec = ((J - A * colour[None]) / (1.0 - np.minimum(A, 0.9))).mean(axis=-1).astype(np.float32)
    out = np.empty(rec.shape, np.float64)
    for k in range(rec.shape[0]):
        hp = rec[k] - cv2.GaussianBlur(rec[k], (0, 0), 1.5)
        out[k] = cv2.GaussianBlur(hp * hp, (0, 0), 6.0)
    return (1.0 / (out + floor * floor))[..., None]


def estimate_matte(
    crops: np.ndarray,
    unknown: np.ndarray,
    *,
    rounds: int = 3,
    passes: int = 3,
    colour_sigma: float = 4.0,
    cancel: CancelToken | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Opacity (h, w) and colour (h, w, 3) of a mark from ``crops`` (K, h, w, 3), its
    aligned copies in [0, 1]; ``unknown`` is where the mark may be.

    Each copy's photo under the mark is guessed by harmonic interpolation ``B``.  Per
    pixel, across copies and channels, ``J = a*W + (1 - a)*B`` is then a linear
    regression: its slope gives ``1 - a`` and its intercept ``a*W``.  The photos are
    unrelated, so the guesses' errors are noise around the truth that the regression
    averages out, not a bias.  The colour is then smoothed over the mark (one colour, or
    a few, is what marks have) and the opacity solved again with the colour known,
    which is far better conditioned; alternating a few times, then again with each
    copy weighted by how smooth its photo is near each pixel.
    """
    K, h, w, C = crops.shape
    J = crops.astype(np.float64)
    B = harmonic_fill(J.transpose(0, 3, 1, 2), unknown).transpose(0, 2, 3, 1)
    wts = np.ones((K, h, w, 1))
    tex = np.ones((K, h, w, 1))
    # 1. free regression: slope and intercept per pixel.
    for _ in range(3):
        sw = wts.sum(0)
        mJ, mB = (wts * J).sum(0) / sw, (wts * B).sum(0) / sw
        Jc, Bc = J - mJ, B - mB
        slope = (wts * Jc * Bc).sum((0, 3)) / ((wts * Bc * Bc).sum((0, 3)) + 1e-9)
        icpt = mJ - slope[..., None] * mB
        wts = _robust_weights(J - icpt - slope[..., None] * B)
    alpha = np.clip(1.0 - slope, 0.0, 0.995) * unknown
    colour = icpt / np.maximum(alpha, 1e-3)[..., None]
    for pass_ in range(passes):
        if pass_ > 0:
            tex = _texture_weights(J, alpha, _smooth_colour(alpha, colour, unknown, colour_sigma))
        for _ in range(rounds):
            if cancel is not None:
                cancel.raise_if_cancelled()
            W = _smooth_colour(alpha, colour, unknown, colour_sigma).astype(np.float64)
            # 2. opacity with the colour known: J - B = a * (W - B).
            D = W[None] - B
            for _ in range(2):
                ww = wts * tex
                alpha = (ww * (J - B) * D).sum((0, 3)) / ((ww * D * D).sum((0, 3)) + 1e-9)
                alpha = np.clip(alpha, 0.0, 0.995) * unknown
                wts = _robust_weights(J - alpha[None, ..., None] * W[None] - (1 - alpha[None, ..., None]) * B)
            # 3. colour with the opacity known: J - (1 - a) B = a W.
            A = alpha[None, ..., None]
            ww = wts * tex
            colour = (ww * A * (J - (1 - A) * B)).sum(0) / ((ww * A * A).sum(0) + 1e-9)
    W = _smooth_colour(alpha, colour, unknown, colour_sigma).astype(np.float64)
    alpha = _significant(alpha, J, B, W, wts * tex)
    return alpha.astype(np.float32), W.astype(np.float32)


def _significant(alpha: np.ndarray, J: np.ndarray, B: np.ndarray, W: np.ndarray, ww: np.ndarray) -> np.ndarray:
    """Opacity kept only where the copies show it beyond their noise (hysteresis).

    Clipping at zero turns the regression's noise off the mark into a faint positive
    "mark"; each pixel's opacity is compared with its standard error, kept where it
    stands 3 errors clear, and where it stands 1.5 clear next to such pixels (the
    anti-aliased rim of a stroke).
    """
    D = W[None] - B
    res = J - alpha[None, ..., None] * W[None] - (1 - alpha[None, ..., None]) * B
    sw = ww.sum((0, 3)) * J.shape[-1] / ww.shape[-1]
    var = (ww * res * res).sum((0, 3)) / (sw + 1e-12)
    n_eff = sw**2 / ((ww * ww).sum((0, 3)) * J.shape[-1] / ww.shape[-1] + 1e-12)
    info = (ww * D * D).sum((0, 3)) / (sw + 1e-12) * n_eff
    z = alpha / np.sqrt(var / (info + 1e-12) + 1e-12)
    sure = (z >= 3.0).astype(np.uint8)
    maybe = z >= 1.5
    for _ in range(3):
        sure = (cv2.dilate(sure, np.ones((3, 3), np.uint8)).astype(bool) & maybe).astype(np.uint8)
    return alpha * sure.astype(bool)
