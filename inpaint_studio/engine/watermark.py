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

This module holds the mark, the per-photo side (finding a copy, step 2's search, and
inverting it, step 4) and the gradient helpers every step uses.  Estimating the mark
from a set is :func:`~.watermark_estimate.estimate_watermark`, which aligns the photos
with ``watermark_align`` (steps 1 and 2) and solves the mark's shape, matte and colour
with ``watermark_matte`` (steps 2 and 3).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np

from ..core.errors import InpaintStudioError

#: Default search radius, in pixels, around the mark's usual place.
MAX_SHIFT = 64
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
        return int(self.alpha.shape[0]), int(self.alpha.shape[1])

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


def rgb_float(img: np.ndarray) -> np.ndarray:
    """(H, W, 3) float32 in [0, 1] from uint8/uint16 RGB(A) or grey."""
    if img.ndim == 2:
        img = img[..., None].repeat(3, axis=2)
    scale = 65535.0 if img.dtype == np.uint16 else 255.0 if img.dtype == np.uint8 else 1.0
    return img[..., :3].astype(np.float32) / np.float32(scale)


def grey(rgb: np.ndarray) -> np.ndarray:
    return (0.299 * rgb[..., 0] + 0.587 * rgb[..., 1] + 0.114 * rgb[..., 2]).astype(np.float32)


def gradients(grey: np.ndarray, clip: float | None = _CLIP) -> np.ndarray:
    """(H, W, 2) Sobel gradient (levels per pixel), magnitude clipped at ``clip``."""
    gx = cv2.Sobel(grey, cv2.CV_32F, 1, 0, ksize=3) / 8.0
    gy = cv2.Sobel(grey, cv2.CV_32F, 0, 1, ksize=3) / 8.0
    g = np.stack([gx, gy], axis=-1)
    if clip is not None:
        mag = np.sqrt(gx * gx + gy * gy)
        g *= (np.minimum(1.0, clip / np.maximum(mag, 1e-12)))[..., None]
    return g


def best_match(
    grad: np.ndarray, template: np.ndarray, origin: tuple[int, int], max_shift: int
) -> tuple[int, int, float]:
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


# -- one photo -----------------------------------------------------------------------


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
    grad = gradients(grey(rgb_float(photo[y0:y1, x0:x1])))
    x, y, score = best_match(grad, mark.template, (ox - x0, oy - y0), max_shift)
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
    J = rgb_float(photo[y0:y1, x0:x1]).astype(np.float64)
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
        sub[put] = np.rint(grey(np.clip(I, 0, 1).astype(np.float32)) * scale).astype(photo.dtype)[put]
    else:
        sub[..., :3][put] = rec[put]
    footprint = empty.copy()
    footprint[y0:y1, x0:x1] = foot
    fill = empty.copy()
    fill[y0:y1, x0:x1] = fill_local
    return Inversion(out, fill, footprint, match)
