"""A watermark shared by a set of photos: estimate it, find it in each photo, undo it.

After Dekel, Rubinstein, Liu and Freeman, "On the Effectiveness of Visible Watermarks"
(CVPR 2017).  A visible mark is an alpha blend ``J = a*W + (1 - a)*I`` of a mark
``(a, W)`` over the photo ``I``, and a stock collection puts the *same* mark on every
photo.  That consistency is what gives the mark away:

1. **Where it is.**  Photos do not share edges, the mark does: the median across the
   photos of their gradients is ~0 except on the mark's edges (paper §3).  Without a
   hint, the photos are first aligned to one reference by correlating their gradient
   fields (the shared mark is the only structure they have in common).
2. **Its shape.**  The median gradient field's strong edges, closed, bound where the
   mark may be; what they enclose is the mark's solid interior where the field's
   integral (a Poisson solve: the "matted" mark) says so, and a letter's counter
   where it does not.  Each photo's own copy is then found by
   normalised cross-correlation of gradient fields against that template, so marks
   shifted by tens of pixels (or missing) are handled; the estimate is redone from the
   aligned copies.
3. **Its matte and colour.**  (The paper integrates the median gradients into the
   "matted" mark ``a*W`` first; that integral carries the photos' median under the
   mark too, so here the matte comes from the copies directly.)  Per pixel, across
   the aligned copies, the blend is a
   linear regression of the observed value on the photo's value, slope ``1 - a`` and
   intercept ``a*W``; each copy's photo value is guessed by harmonic interpolation
   from around the mark.  The photos are unrelated, so the guesses' errors are noise
   the regression averages over the copies, not a bias.  The colour is then smoothed
   over the mark and opacity and colour re-solved in turn (paper §4 alternates
   matte and colour the same way), with copies whose photo has an edge under the
   mark down-weighted.
4. **Per photo**, where the mark is semi-transparent the blend is inverted and the
   photo under it comes back; where it is near-opaque (the inversion would amplify
   noise past use) or the inversion lands out of range, the pixels are left for a fill.

Nothing here fills: :func:`invert_watermark` returns the pixels still to fill and the
caller hands them to ``Engine.inpaint``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np

from ..core.box import mask_box
from ..core.errors import InpaintStudioError
from .cancel import CancelToken, ProgressCallback, no_progress

#: Default search radius, in pixels, around the mark's usual place.
MAX_SHIFT = 64
#: Photos longer than this are searched shrunk to it first; the mark is then placed
#: exactly at full resolution on crops around it, so a set of 24 MP photos needs the
#: memory of a few crops, not of every photo's gradients.
SEARCH_SIDE = 1600
#: Above this opacity the inversion multiplies noise by more than ~7: fill instead.
OPAQUE_ALPHA = 0.85
#: Gradient magnitudes are clipped here (photo levels / 255) before matching, so a
#: photo's strong edges cannot outweigh a faint mark.
_CLIP = 0.15
#: A photo whose best match scores below this has no (recognisable) copy of the mark.
MIN_SCORE = 0.22
#: At or above this score the match counts as certain (confidence 1).
SURE_SCORE = 0.5
#: The estimate needs at least this many photos that carry the mark.
MIN_PHOTOS = 3
#: An inversion out of [0, 1] by more than this (times the noise gain 1/(1-a)) means
#: the matte does not fit there and the pixel is left to the fill; closer misses are
#: clipped, which on the benchmark beat filling them (a bright photo under a dark mark
#: overshoots a little where the matte is a little off, and the truth is near the top).
TOL = 0.25
#: Footprint: matte values above this are part of the mark.
_MIN_ALPHA = 0.012


class NoWatermarkError(InpaintStudioError):
    """The photos do not share a mark that can be estimated."""


@dataclass
class Watermark:
    """The estimated mark, in its own frame (``h x w``), and where it usually sits.

    Attributes:
        alpha: (h, w) float32 opacity in [0, 1].
        colour: (h, w, 3) float32 RGB in [0, 1] (meaningless where ``alpha`` is ~0).
        template: (h, w, 2) float32 median gradient field used to find the mark.
        origin: (x, y) of the frame's top-left in the photos' coordinates, the place
            most photos have it; :func:`find_watermark` searches around it.
        photos: how many photos the estimate was made from.
    """

    alpha: np.ndarray
    colour: np.ndarray
    template: np.ndarray
    origin: tuple[int, int]
    photos: int
    sources: list[str] = field(default_factory=list)

    @property
    def shape(self) -> tuple[int, int]:
        return self.alpha.shape  # type: ignore[return-value]

    @property
    def footprint(self) -> np.ndarray:
        """Bool (h, w): pixels the mark changes."""
        return self.alpha > _MIN_ALPHA

    def preview(self) -> np.ndarray:
        """uint8 RGBA (h, w, 4): the mark as it would be drawn, for showing to the user."""
        rgba = np.empty(self.alpha.shape + (4,), np.uint8)
        rgba[..., :3] = np.clip(np.rint(self.colour * 255), 0, 255)
        rgba[..., 3] = np.clip(np.rint(self.alpha * 255), 0, 255)
        return rgba


@dataclass
class MarkMatch:
    """Where a photo's copy of the mark is (top-left of the mark frame) and how sure."""

    found: bool
    x: int
    y: int
    #: Normalised cross-correlation of gradient fields at the best place (-1..1).
    score: float
    #: 0..1 from ``score`` (MIN_SCORE -> 0, SURE_SCORE -> 1).
    confidence: float

    def describe(self) -> str:
        if not self.found:
            return f"no watermark found (best match {self.score:.2f}, needs {MIN_SCORE:.2f})"
        return f"watermark at x={self.x}, y={self.y}, confidence {self.confidence:.2f} (match {self.score:.2f})"


@dataclass
class Inversion:
    """One photo with the mark undone where it could be.

    Attributes:
        pixels: the photo (same shape and dtype as given) with the blend inverted on
            the footprint; every other pixel is the input's, bit for bit.
        fill: bool (H, W) pixels still to fill (near-opaque or unreliable).
        footprint: bool (H, W) every pixel the mark covers in this photo.
        match: where the mark was found.
    """

    pixels: np.ndarray
    fill: np.ndarray
    footprint: np.ndarray
    match: MarkMatch

    @property
    def recovered_share(self) -> float:
        """Share of the footprint recovered by inversion rather than left to the fill."""
        n = int(self.footprint.sum())
        return 1.0 if n == 0 else float((self.footprint & ~self.fill).sum()) / n


# -- pixel helpers ---------------------------------------------------------------------


def _rgb_float(img: np.ndarray) -> np.ndarray:
    """(H, W, 3) float32 in [0, 1] from uint8/uint16 RGB(A) or grey."""
    if img.ndim == 2:
        img = img[..., None].repeat(3, axis=2)
    scale = 65535.0 if img.dtype == np.uint16 else 255.0 if img.dtype == np.uint8 else 1.0
    return img[..., :3].astype(np.float32) / np.float32(scale)


def _grey(rgb: np.ndarray) -> np.ndarray:
    return (0.299 * rgb[..., 0] + 0.587 * rgb[..., 1] + 0.114 * rgb[..., 2]).astype(np.float32)


def _gradients(grey: np.ndarray, clip: float | None = _CLIP) -> np.ndarray:
    """(H, W, 2) Sobel gradient (levels per pixel), magnitude clipped at ``clip``."""
    gx = cv2.Sobel(grey, cv2.CV_32F, 1, 0, ksize=3) / 8.0
    gy = cv2.Sobel(grey, cv2.CV_32F, 0, 1, ksize=3) / 8.0
    g = np.stack([gx, gy], axis=-1)
    if clip is not None:
        mag = np.sqrt(gx * gx + gy * gy)
        g *= (np.minimum(1.0, clip / np.maximum(mag, 1e-12)))[..., None]
    return g


# -- alignment ---------------------------------------------------------------------------


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


def _match(grad: np.ndarray, template: np.ndarray, origin: tuple[int, int], max_shift: int) -> tuple[int, int, float]:
    """Best top-left (x, y) of ``template`` in ``grad`` within ``max_shift`` of ``origin``."""
    h, w = template.shape[:2]
    H, W = grad.shape[:2]
    ox, oy = origin
    x0, y0 = max(0, ox - max_shift), max(0, oy - max_shift)
    x1, y1 = min(W - w, ox + max_shift), min(H - h, oy + max_shift)
    if x1 < x0 or y1 < y0:
        return ox, oy, -1.0
    region = grad[y0 : y1 + h, x0 : x1 + w]
    res = cv2.matchTemplate(np.ascontiguousarray(region), np.ascontiguousarray(template), cv2.TM_CCORR_NORMED)
    iy, ix = np.unravel_index(int(np.argmax(res)), res.shape)
    return x0 + int(ix), y0 + int(iy), float(res[iy, ix])


def _confidence(score: float) -> float:
    return float(np.clip((score - MIN_SCORE) / (SURE_SCORE - MIN_SCORE), 0.0, 1.0))


# -- shape of the mark -----------------------------------------------------------------


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


def _support(template: np.ndarray, grow: int = 2) -> np.ndarray:
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


# -- matte and colour ------------------------------------------------------------------


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
        levels.append((vp.reshape(v.shape[0], hh // 2, 2, ww // 2, 2).sum((2, 4)), kp.reshape(hh // 2, 2, ww // 2, 2).sum((1, 3))))
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
    crops: np.ndarray, unknown: np.ndarray, *, rounds: int = 3, passes: int = 3, colour_sigma: float = 4.0,
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


# -- public API ------------------------------------------------------------------------


def estimate_watermark(
    photos: list[np.ndarray],
    hint: np.ndarray | None = None,
    *,
    max_shift: int = MAX_SHIFT,
    names: list[str] | None = None,
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
) -> Watermark:
    """Estimate the mark shared by ``photos`` (uint8/uint16 RGB(A), any sizes).

    ``hint`` (bool, the size of the first photo) says roughly where the mark is, e.g.
    a template mask; without it the photos are aligned to each other first.  Photos
    without the mark are left out of the estimate.

    Raises:
        NoWatermarkError: fewer than ``MIN_PHOTOS`` photos share a recognisable mark.
        CancelledError: ``cancel`` was set.
    """
    progress = progress or no_progress
    cancel = cancel or CancelToken()
    if len(photos) < MIN_PHOTOS:
        raise NoWatermarkError(
            f"a shared watermark needs at least {MIN_PHOTOS} photos that carry it; got {len(photos)}"
        )
    n = len(photos)
    side = max(max(p.shape[:2]) for p in photos)
    scale = min(1.0, SEARCH_SIDE / side)
    work = photos if scale == 1.0 else [_shrink(p, scale) for p in photos]
    grads = [_gradients(_grey(_rgb_float(p))) for p in work]
    progress(0.05, "looking for the shared mark")
    ms = max(2, int(round(max_shift * scale)))
    if hint is not None and hint.any():
        if scale < 1.0:
            hint = cv2.resize(hint.astype(np.uint8), (work[0].shape[1], work[0].shape[0]), interpolation=cv2.INTER_NEAREST) > 0
        box = mask_box(hint)
        assert box is not None
        pad = 6
        x0, y0 = max(0, box.x0 - pad), max(0, box.y0 - pad)
        x1, y1 = min(grads[0].shape[1], box.x1 + pad), min(grads[0].shape[0], box.y1 + pad)
        region = (max(0, x0 - ms), max(0, y0 - ms), x1 + ms, y1 + ms)
        x0, y0, x1, y1, positions = _bootstrap(grads, ms, cancel, progress, region)
    else:
        x0, y0, x1, y1, positions = _bootstrap(grads, ms, cancel, progress)
    h, w = y1 - y0, x1 - x0
    origin = (x0, y0)

    for round_ in range(3):
        cancel.raise_if_cancelled()
        progress(0.3 + 0.1 * round_, f"aligning the mark (pass {round_ + 1})")
        positions = _inside(positions, (h, w), [g.shape for g in grads])
        if len(positions) < MIN_PHOTOS:
            raise NoWatermarkError("the shared structure lies across the photos' border in too many of them")
        stack = np.stack([grads[i][y:y + h, x:x + w] for i, (x, y) in positions.items()])
        template = np.median(stack, axis=0).astype(np.float32)
        found: dict[int, tuple[int, int]] = {}
        members = list(positions)
        for i in range(n):
            # A photo is matched against the others' median only: its own edges in the
            # template would make any photo look like it carries "the mark".
            if i in positions and len(members) > 2:
                loo = np.median(np.delete(stack, members.index(i), axis=0), axis=0).astype(np.float32)
            else:
                loo = template
            x, y, score = _match(grads[i], loo, origin, ms)
            if score >= MIN_SCORE:
                found[i] = (x, y)
        if len(found) < MIN_PHOTOS:
            raise NoWatermarkError(
                f"no watermark shared by these photos: only {len(found)} of {n} match a common mark "
                f"(at least {MIN_PHOTOS} needed)"
            )
        positions = found
        xs = sorted(p[0] for p in positions.values())
        ys = sorted(p[1] for p in positions.values())
        origin = (xs[len(xs) // 2], ys[len(ys) // 2])
    del grads, work
    if scale < 1.0:
        progress(0.55, "placing the mark at full resolution")
        positions, (h, w), origin = _refine_full(photos, positions, (h, w), scale, cancel)

    # Re-centre the frame on the mark with a ring of mark-free pixels around it.
    shapes = [p.shape for p in photos]
    gstack = np.stack([_gradients(_grey(_rgb_float(photos[i][y:y + h, x:x + w]))) for i, (x, y) in positions.items()])
    template = np.median(gstack, axis=0).astype(np.float32)
    sup = _support(template)
    bb = mask_box(sup)
    if bb is None:
        raise NoWatermarkError("the photos' common structure is too faint to be a watermark")
    ring = 4
    fx0, fy0, fx1, fy1 = bb.x0 - ring, bb.y0 - ring, bb.x1 + ring, bb.y1 + ring
    positions = {i: (x + fx0, y + fy0) for i, (x, y) in positions.items()}
    h, w = fy1 - fy0, fx1 - fx0
    origin = (origin[0] + fx0, origin[1] + fy0)
    inside = _inside(positions, (h, w), shapes)
    if len(inside) < MIN_PHOTOS:
        raise NoWatermarkError("the mark lies across the photos' border in too many photos to estimate it")
    crops = np.stack([_rgb_float(photos[i][y:y + h, x:x + w]) for i, (x, y) in inside.items()])
    gstack = np.stack([_gradients(_grey(c)) for c in crops])
    template = np.median(gstack, axis=0).astype(np.float32)
    progress(0.6, f"estimating the mark's opacity and colour from {len(inside)} photos")
    for grow in (0, 2):
        # Tight first; if the mark still shows on the region's rim, it reaches further.
        unknown = _support(template, grow)
        unknown[:2, :] = unknown[-2:, :] = False
        unknown[:, :2] = unknown[:, -2:] = False
        alpha, colour = estimate_matte(crops, unknown, cancel=cancel)
        alpha[~unknown] = 0.0
        rim = unknown & ~cv2.erode(unknown.astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool)
        if not rim.any() or float((alpha[rim] > 0.05).mean()) < 0.1:
            break
    progress(1.0, "watermark estimated")
    used = [names[i] for i in inside] if names else []
    return Watermark(alpha, colour, template, origin, len(inside), used)


def _shrink(img: np.ndarray, scale: float) -> np.ndarray:
    h, w = img.shape[:2]
    size = (max(1, int(round(w * scale))), max(1, int(round(h * scale))))
    return cv2.resize(np.ascontiguousarray(img[..., :3] if img.ndim == 3 else img), size, interpolation=cv2.INTER_AREA)


def _inside(
    positions: dict[int, tuple[int, int]], hw: tuple[int, int], shapes: list[tuple[int, ...]]
) -> dict[int, tuple[int, int]]:
    """The copies whose frame lies wholly inside their photo."""
    h, w = hw
    return {
        i: (x, y) for i, (x, y) in positions.items()
        if x >= 0 and y >= 0 and x + w <= shapes[i][1] and y + h <= shapes[i][0]
    }


def _refine_full(
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
        pos = _inside({i: (x - r, y - r) for i, (x, y) in pos.items()}, (H + 2 * r, W + 2 * r), [p.shape for p in photos])
        pos = {i: (x + r, y + r) for i, (x, y) in pos.items()}
        if len(pos) < MIN_PHOTOS:
            raise NoWatermarkError("the mark lies across the photos' border in too many photos to estimate it")
        wins = {i: _gradients(_grey(_rgb_float(photos[i][y - r : y + H + r, x - r : x + W + r]))) for i, (x, y) in pos.items()}
        template = np.median(np.stack([g[r : r + H, r : r + W] for g in wins.values()]), axis=0).astype(np.float32)
        new = {}
        for i, g in wins.items():
            dx, dy, _score = _match(g, template, (r, r), r)
            new[i] = (pos[i][0] - r + dx, pos[i][1] - r + dy)
        pos = new
    xs = sorted(p[0] for p in pos.values())
    ys = sorted(p[1] for p in pos.values())
    return pos, (H, W), (xs[len(xs) // 2], ys[len(ys) // 2])


def _bootstrap(
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
        raise NoWatermarkError(
            "no watermark shared by these photos: no structure lines up consistently across them"
        )
    r, (x0, y0, x1, y1), shifts = best
    positions = {k: (x0 + dx + ox, y0 + dy + oy) for k, (dx, dy) in shifts.items()}
    return x0 + ox, y0 + oy, x1 + ox, y1 + oy, positions


def _common_box(grads: list[np.ndarray], r: int, shifts: dict[int, tuple[int, int]]) -> tuple[int, int, int, int] | None:
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


def find_watermark(photo: np.ndarray, mark: Watermark, *, max_shift: int = MAX_SHIFT) -> MarkMatch:
    """Where ``photo``'s copy of ``mark`` is, searching ``max_shift`` px around its usual place.

    Only the searched window's gradients are computed (a 24 MP photo stays cheap).
    """
    h, w = mark.shape
    ox, oy = mark.origin
    pad = 2
    H, W = photo.shape[:2]
    x0, y0 = max(0, ox - max_shift - pad), max(0, oy - max_shift - pad)
    x1, y1 = min(W, ox + w + max_shift + pad), min(H, oy + h + max_shift + pad)
    if x1 - x0 < w or y1 - y0 < h:
        return MarkMatch(False, ox, oy, -1.0, 0.0)
    grad = _gradients(_grey(_rgb_float(photo[y0:y1, x0:x1])))
    x, y, score = _match(grad, mark.template, (ox - x0, oy - y0), max_shift)
    x, y = x + x0, y + y0
    return MarkMatch(score >= MIN_SCORE, x, y, score, _confidence(score) if score >= MIN_SCORE else 0.0)


def invert_watermark(
    photo: np.ndarray, mark: Watermark, match: MarkMatch | None = None, *, max_shift: int = MAX_SHIFT
) -> Inversion:
    """Undo ``mark`` in ``photo`` where it is semi-transparent; say what is left to fill.

    A photo without the mark (``match.found`` false) comes back unchanged with an
    empty fill.  Pixels outside the mark's footprint are never touched.
    """
    if match is None:
        match = find_watermark(photo, mark, max_shift=max_shift)
    H, W = photo.shape[:2]
    empty = np.zeros((H, W), bool)
    if not match.found:
        return Inversion(photo.copy(), empty, empty.copy(), match)
    h, w = mark.shape
    x, y = match.x, match.y
    x0, y0, x1, y1 = max(0, x), max(0, y), min(W, x + w), min(H, y + h)
    a = mark.alpha[y0 - y : y1 - y, x0 - x : x1 - x].astype(np.float64)
    col = mark.colour[y0 - y : y1 - y, x0 - x : x1 - x].astype(np.float64)
    foot = a > _MIN_ALPHA
    J = _rgb_float(photo[y0:y1, x0:x1]).astype(np.float64)
    semi = foot & (a < OPAQUE_ALPHA)
    I = (J - a[..., None] * col) / (1.0 - np.minimum(a, OPAQUE_ALPHA))[..., None]  # noqa: E741 - J = aW + (1-a)I, as Dekel et al.
    # Out of range by far more than the noise the inversion amplifies: the matte is off here.
    tol = TOL / (1.0 - np.minimum(a, OPAQUE_ALPHA))
    bad = ((I < -tol[..., None]) | (I > 1.0 + tol[..., None])).any(axis=-1) & semi
    bad = cv2.dilate(bad.astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool) & foot
    fill_local = foot & ~semi | bad
    out = photo.copy()
    scale = 65535.0 if photo.dtype == np.uint16 else 255.0
    rec = np.clip(np.rint(np.clip(I, 0.0, 1.0) * scale), 0, scale).astype(photo.dtype)
    sub = out[y0:y1, x0:x1]
    put = foot & ~fill_local
    if photo.ndim == 2:
        sub[put] = np.rint(_grey(np.clip(I, 0, 1).astype(np.float32)) * scale).astype(photo.dtype)[put]
    else:
        sub[..., :3][put] = rec[put]
    footprint = empty.copy()
    footprint[y0:y1, x0:x1] = foot
    fill = empty.copy()
    fill[y0:y1, x0:x1] = fill_local
    return Inversion(out, fill, footprint, match)
