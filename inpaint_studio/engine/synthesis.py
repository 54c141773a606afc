"""Guided patch synthesis: a hole re-made at full resolution from the photo's own pixels.

A network trained for PSNR on two CPU cores knows where sky, a kerb or a wall should go
but paints them as a smooth mean; copying the photo's own patches gives real texture
but knows nothing of layout (the look of PatchMatch tools).  This takes the layout from
the network and the texture from the photo, the design of Zhang et al., "Inpainting at
Modern Camera Resolution by Guided PatchMatch with Auto-Curation" (ECCV 2022):

* coarse to fine over a pyramid of the crop (Wexler et al. 2007; Newson et al. 2014),
  starting from the network's fill at the coarsest scale;
* patch distances on the current estimate plus a guide term on the network's low band
  (and, with an edge weight set, on an edge map), so texture is taken from where the
  photo looks like what the network put there (with less weight the deeper a pixel
  lies in the hole, where the network's fill is a smooth guess), and at the coarsest
  scale a capped cost for the distance between a pixel and its source beyond its nearest known
  pixels, so of two sources that fit, the nearer one is used (what the hole hid is
  likelier to look like its surroundings than like the far side of the photo), but
  the few pixels nearest to the border are not copied over and over;
* a weighted vote at the coarse scales, where averaging is the point, and at the
  finest scale each pixel copied from its best patch and the seams removed in the
  gradient domain (a screened Poisson solve, as in "Image Melding", Darabi et al. 2012),
  the copy's own finest detail put back afterwards.

The kernels are compiled (``engine.patchmatch``); this module plans the scales.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import cv2
import numpy as np

from ..core.filters import gaussian_blur as _blur
from . import patchmatch as pm


@dataclass(frozen=True)
class SynthesisParams:
    """How the synthesis is run; the defaults are what the app uses."""

    #: Patch side (odd).
    patch: int = 7
    #: The coarsest scale is the first where no hole pixel is farther than this from
    #: the hole's border (in that scale's pixels): there a copy can reach across the
    #: hole in a few EM rounds, and the guide has already put everything in place, so
    #: further (blurrier) scales only lose detail.
    coarse_depth: float = 40.0
    #: A hole no deeper than this is made at its own scale only: its copies still reach
    #: across it there, and a coarser scale would only blur what the guide placed.
    one_scale_depth: float = 60.0
    #: EM rounds at the coarsest scale, then at each finer one down to the finest.
    coarse_iterations: int = 3
    fine_iterations: int = 2
    finest_iterations: int = 2
    #: Weight of the guide's low band against the patch's own pixels, at every scale,
    #: where the guide is trusted (``guide_depth``).  Near the border the network's fill
    #: is close to the truth, so its colour there is worth following closely.
    guide_weight: float = 2.0
    #: Trust in the guide by depth: the network's fill of a hole's deep inside is a
    #: smooth guess of the mean, and following it there closely copies smooth sources
    #: that match its colour.  Full weight up to ``guide_depth[0]`` of
    #: the guide's blurs (``guide_sigma``) from the border, ``guide_floor`` of it from
    #: ``guide_depth[1]`` on, linear in between; the rest is left to the border's
    #: texture growing inwards, as in a PatchMatch fill.
    guide_depth: tuple[float, float] = (4.0, 16.0)
    guide_floor: float = 0.35
    #: Weight of the edge channel (only where an edge map is given), at the coarsest
    #: scale, and at the finest (``None``: the same; linear in between).  Off: the
    #: strokes reach the fill through the network's layout, which follows them; as a
    #: cost on which sources are copied they made real fills worse (docs/EVAL.md,
    #: "Strokes to the network only").
    edge_weight: float = 0.0
    edge_weight_fine: float | None = None
    #: Weight of the texture features (Newson et al. 2014: the photo's mean absolute
    #: derivatives around each pixel, voted into the hole along with the colours), and
    #: the side of the window they are averaged over, in full-size pixels.  Without
    #: them a blurred estimate matches smooth sources best, and the fill stays smooth.
    texture_weight: float = 30.0
    texture_window: int = 8
    #: Random sources each hole pixel tries when the coarsest scale is first filled in
    #: from the border inwards (0: start from the guide alone).
    onion_candidates: int = 8
    #: The guide's weight there, relative to the EM's: the guide, not only the border,
    #: decides what grows into the hole.
    onion_guide: float = 10.0
    #: Extra distance for a candidate that does not continue a neighbour's copy.
    coherence: float = 2.0
    #: Random sources tried per target and pass at the coarsest scale.
    jumps: int = 2
    #: Random-search radius and random sources per pass at the finer scales (their field
    #: comes from the coarser one).
    fine_radius: int = 6
    fine_jumps: int = 0
    #: Taps every ``step`` pixels of a patch at scales whose longer side exceeds
    #: ``sparse_side``: the finest scales of a large crop are mostly copying.
    sparse_side: int = 800
    #: How the finest scale is made: "best" (each pixel from its best patch, then the
    #: seams melted) or "vote" (the weighted vote, as at the coarser scales).
    final: str = "best"
    #: The guide's low band is compared at a blur of at least this many pixels of each
    #: scale, so textured sources are not ruled out by the guide's smoothness.
    guide_min_sigma: float = 4.0
    #: Screened Poisson: pull towards the copy, SOR factor, sweeps.
    screen: float = 0.05
    omega: float = 1.8
    sweeps: int = 30
    #: After the melt, the detail finer than this blur (px; 0: the melt's), taken from
    #: each pixel's source in the photo, put back: the melt is for the seams' colour
    #: steps, not for the texture, and the source's detail has no seam in it.
    melt_detail_sigma: float = 2.0
    #: Locality, where the coarsest scale chooses its sources: the extra distance of a
    #: source a whole diagonal of the scale away from its target, in proportion for
    #: nearer ones, and never more than ``locality_cap`` (so a far source that fits the
    #: guide clearly better still wins).
    locality: float = 256.0
    locality_cap: float = 16.0
    #: Sources no farther from a target than its nearest known pixel plus this many of
    #: the scale's pixels all cost the same (see ``patchmatch._far``), where the photo
    #: around the hole is grain: there every source fits alike, and a pull towards the
    #: nearest ones repeats them in streaks along the border.  Where it has texture or
    #: structure, the nearest sources are the likelier ones and the cost starts at 0.
    locality_free: float = 14.0
    #: How grain is told from texture: the correlation of horizontally and vertically
    #: adjacent pixels of the finest band (the luminance less its 1-px blur) next to the
    #: hole, at the coarsest scale: white noise's is negative, a texture's positive;
    #: the free radius is all there at ``grain_corr[0]`` and below, none at ``[1]`` and above.
    grain_corr: tuple[float, float] = (-0.1, 0.1)


DEFAULT = SynthesisParams()


def _area(x: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    return cv2.resize(x, size, interpolation=cv2.INTER_AREA)


def _known_mean(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    """Colours from a pyramid level's known-weighted sums: the pixels being removed
    never darken the border of the known region."""
    return (num / np.maximum(den, 1e-6)[..., None]).astype(np.float32)


def _grow(m: np.ndarray, r: int) -> np.ndarray:
    if r <= 0:
        return m
    return cv2.dilate(m.astype(np.uint8), np.ones((2 * r + 1, 2 * r + 1), np.uint8)) > 0


def _low_band(x: np.ndarray, sigma: float) -> np.ndarray:
    """``_blur(x, sigma)`` for the guide's wide blurs of a big crop: blurred on a grid
    ``f`` times coarser and interpolated back, a few percent of the full-size cost.
    The area average and the interpolation are blurs themselves (variances of about
    f²/12 and f²/6 in full-size pixels), so the coarse blur is what is left of
    ``sigma``.  Below a blur of 8 px the full-size one is used (the same pixels)."""
    f = int(sigma // 2.0)
    if f < 4:
        return _blur(x, sigma)
    h, w = x.shape[:2]
    small = cv2.resize(x, (math.ceil(w / f), math.ceil(h / f)), interpolation=cv2.INTER_AREA)
    rest = math.sqrt(max(sigma * sigma - f * f / 4.0, 1.0)) / f
    return cv2.resize(_blur(small, rest), (w, h), interpolation=cv2.INTER_LINEAR)


@dataclass
class _Scale:
    """One scale of the pyramid."""

    photo: np.ndarray  # known pixels (hole pixels: anything)
    hole: np.ndarray
    avoid: np.ndarray  # never copied from (hole and other unknown pixels)
    guide: np.ndarray
    edges: np.ndarray | None
    texture: np.ndarray  # (h, w, 2) texture features of the known pixels

    @property
    def shape(self) -> tuple[int, int]:
        return self.hole.shape


def texture_features(photo: np.ndarray, known: np.ndarray, window: int) -> np.ndarray:
    """Mean absolute horizontal and vertical derivative of the luminance over a
    ``window``-px square, from known pixel pairs only: how busy the photo is there."""
    grey = photo @ np.array([0.299, 0.587, 0.114], np.float32)
    h, w = grey.shape
    feats = np.zeros((h, w, 2), np.float32)
    k = (max(1, window), max(1, window))
    for c, (a, b, ok) in enumerate(
        (
            (grey[:, 1:], grey[:, :-1], known[:, 1:] & known[:, :-1]),
            (grey[1:], grey[:-1], known[1:] & known[:-1]),
        )
    ):
        d = np.zeros((h, w), np.float32)
        valid = np.zeros((h, w), np.float32)
        sl = (slice(None), slice(0, w - 1)) if c == 0 else (slice(0, h - 1), slice(None))
        d[sl] = np.abs(a - b) * ok
        valid[sl] = ok
        num = cv2.boxFilter(d, -1, k, normalize=True, borderType=cv2.BORDER_REFLECT)
        den = cv2.boxFilter(valid, -1, k, normalize=True, borderType=cv2.BORDER_REFLECT)
        feats[..., c] = num / np.maximum(den, 1e-6)
    return feats


def _spread_into(values: np.ndarray, unknown: np.ndarray) -> np.ndarray:
    """``values`` with the unknown pixels filled in from the known ones around them
    (Telea's fast marching on a quantised copy): the hole's texture energy is first
    guessed to continue that of its border."""
    if not unknown.any() or unknown.all():
        return values
    out = values.copy()
    hi = float(values[~unknown].max()) + 1e-6
    for c in range(values.shape[2]):
        q = np.clip(values[..., c] / hi * 255.0, 0, 255).astype(np.uint8)
        f = cv2.inpaint(q, unknown.astype(np.uint8), 3, cv2.INPAINT_TELEA)
        out[..., c] = np.where(unknown, f.astype(np.float32) * (hi / 255.0), values[..., c])
    return out


def depth_map(hole: np.ndarray) -> np.ndarray:
    """Each hole pixel's distance to the nearest known one (px; 0 outside the hole).
    The crop's edge counts as known: a hole running off it is shallow there."""
    m = np.pad(hole, 1, constant_values=False).astype(np.uint8)
    return cv2.distanceTransform(m, cv2.DIST_L2, 3)[1:-1, 1:-1]


def hole_depth(hole: np.ndarray) -> float:
    """How far the farthest hole pixel is from a known one (px)."""
    return float(depth_map(hole).max()) if hole.any() else 0.0


def _pyramid(
    photo: np.ndarray,
    hole: np.ndarray,
    avoid: np.ndarray,
    guide: np.ndarray,
    edges: np.ndarray | None,
    coarse_depth: float,
    one_scale_depth: float,
    min_side: int,
    window: int,
) -> list[_Scale]:
    """Finest first; halving until the hole is at most ``coarse_depth`` deep (never
    below ``min_side``, where a patch would no longer fit), and not at all for a hole
    at most ``one_scale_depth`` deep.  Each level is the area average of the one
    before (a full-size pass per level would cost a 24 MP photo's crop most of the
    pyramid's time)."""
    known = ~avoid
    tex = texture_features(photo, known, window)
    scales = [_Scale(photo, hole, avoid, guide, edges, tex)]
    h, w = hole.shape
    depth = hole_depth(hole)
    if depth <= one_scale_depth:
        coarse_depth = math.inf
    den = known.astype(np.float32)
    num_p, num_t = photo * den[..., None], tex * den[..., None]  # known-weighted sums
    hole_f, avoid_f, g, e_mean = hole.astype(np.float32), avoid.astype(np.float32), guide, edges
    k = 1
    while min(h, w) / 2**k >= min_side and depth / 2 ** (k - 1) > coarse_depth:
        size = (max(1, math.ceil(w / 2**k)), max(1, math.ceil(h / 2**k)))
        num_p, num_t, den, hole_f, avoid_f, g = (_area(a, size) for a in (num_p, num_t, den, hole_f, avoid_f, g))
        e = None
        if e_mean is not None:
            e_mean = _area(e_mean, size)
            # keep thin strokes: the area average of a 1-px line halves at every scale
            e = np.clip(e_mean * 2.0**k, 0.0, 1.0)
        scales.append(
            _Scale(
                _known_mean(num_p, den),
                hole_f > 1e-6,  # any pixel under it
                avoid_f > 1e-6,
                g,
                e,
                _known_mean(num_t, den),
            )
        )
        k += 1
    return scales


def synthesize(
    photo: np.ndarray,
    hole: np.ndarray,
    guide: np.ndarray,
    *,
    edges: np.ndarray | None = None,
    unknown: np.ndarray | None = None,
    guide_sigma: float = 2.0,
    seed: int = 0,
    params: SynthesisParams = DEFAULT,
    should_stop: Callable[[], bool] | None = None,
    progress: Callable[[float], None] | None = None,
) -> np.ndarray:
    """``photo`` (H, W, 3 float32 in [0, 1]) with ``hole`` re-made from its own pixels.

    ``guide`` is a fill of the hole (the network's), equal to ``photo`` elsewhere; its
    low band (Gaussian ``guide_sigma`` px at full size: the detail the network can
    resolve) says what should go where.  ``edges`` (H, W) in [0, 1], where given, is a
    structure map: strokes inside the hole, the photo's own edges outside; with an
    edge weight in ``params``, texture is copied so that its edges fall on them (the
    default leaves the strokes to the guide, whose network drew them).  ``unknown`` marks further pixels never to
    copy from (other holes).  Pixels outside ``hole`` come back as in ``photo``.

    The same ``seed`` gives the same pixels; another seed another plausible fill.
    Where nothing can be copied (a hole over nearly all of the crop) or ``should_stop``
    says so, the hole comes back as the guide has it, never as ``photo`` has it: there
    it holds the object being removed.
    """
    photo = np.ascontiguousarray(photo, np.float32)
    guide = np.ascontiguousarray(guide, np.float32)
    hole = np.ascontiguousarray(hole, bool)

    def result(fill: np.ndarray | None = None) -> np.ndarray:
        # made only at the end: a 24 MP photo's crop is tens of megabytes a copy
        out = photo.copy()
        out[hole] = guide[hole] if fill is None else fill
        return out

    if not hole.any():
        return result()
    p = params.patch | 1
    r = p // 2
    avoid = hole if unknown is None else (hole | unknown)
    if edges is not None:
        # the edge channel's pyramid only where some scale weighs it
        uses_edges = params.edge_weight > 0 or (params.edge_weight_fine or 0.0) > 0
        edges = np.ascontiguousarray(edges, np.float32) if uses_edges else None
    scales = _pyramid(
        photo, hole, avoid, guide, edges, params.coarse_depth, params.one_scale_depth, 3 * p, params.texture_window
    )
    n = len(scales)
    stop = should_stop or (lambda: False)
    report = progress or (lambda _f: None)
    est: np.ndarray | None = None
    prev: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
    # work per scale, for the progress fraction: about the hole's pixel count
    work = [float(s.hole.sum()) * (params.coarse_iterations if i == n - 1 else 1) for i, s in enumerate(scales)]
    done = 0.0
    for level in range(n - 1, -1, -1):
        sc = scales.pop()  # coarsest first; a finished scale's arrays are let go
        h, w = sc.shape
        if stop():
            return result()
        frac = level / max(1, n - 1)  # 1 at the coarsest scale, 0 at the finest
        gw = params.guide_weight
        ew_fine = params.edge_weight if params.edge_weight_fine is None else params.edge_weight_fine
        ew = ew_fine + (params.edge_weight - ew_fine) * (1.0 if n == 1 else frac)
        src_ok = ~_grow(sc.avoid, r)
        src_ok[:r] = False
        src_ok[h - r :] = False
        src_ok[:, :r] = False
        src_ok[:, w - r :] = False
        src_y, src_x = pm.where(src_ok)
        is_target = _grow(sc.hole, r)
        ty, tx = pm.where(is_target)
        hy, hx = pm.where(sc.hole)
        if len(src_y) == 0 or len(ty) == 0:
            # nothing to copy from at this scale: keep the guide (or the coarser estimate)
            est = None
            prev = None
            continue
        band_map = pm.band_map(ty, tx, h, w)

        # The estimate (colours, and texture features times their weight) lives in the
        # padded feature image itself, beside the guide and edge channels: between EM
        # rounds only the hole's pixels change, and the vote writes them there in place
        # (a big crop's features are the largest array and most of a round's time).
        # Its known pixels never change, so it is also what the copies are taken from.
        # At the coarsest scale the hole starts as the guide (texture unknown until the
        # first vote), below it as the coarser result.
        tw = np.float32(params.texture_weight)
        edge_on = sc.edges is not None and ew > 0  # a channel of zeros would only cost time
        feat_cache = np.empty((h + 2 * r, w + 2 * r, 9 if edge_on else 8), np.float32)
        inner = feat_cache[r : r + h, r : r + w]
        estimate = inner[..., :5]
        inner[..., :3] = sc.photo
        if est is None:
            inner[hy, hx, :3] = sc.guide[hy, hx]
            np.multiply(_spread_into(sc.texture, sc.avoid), tw, out=inner[..., 3:5])
        else:
            np.multiply(sc.texture, tw, out=inner[..., 3:5])
            inner[hy, hx, :5] = cv2.resize(est, (w, h), interpolation=cv2.INTER_LINEAR)[hy, hx]
        glow_sigma = max(params.guide_min_sigma, guide_sigma * w / photo.shape[1])
        for c in range(3):  # a channel at a time: one temporary a third the size
            np.multiply(_low_band(sc.guide[..., c], glow_sigma), np.float32(gw), out=inner[..., 5 + c])
        if edge_on:
            assert sc.edges is not None
            np.multiply(_blur(sc.edges, 1.0), np.float32(ew), out=inner[..., 8])
        _pad_edges(feat_cache, r)
        on_edge = bool(sc.hole[0].any() or sc.hole[-1].any() or sc.hole[:, 0].any() or sc.hole[:, -1].any())

        depth = depth_map(sc.hole) if prev is None else None  # the onion's order and the locality's free radius
        # The radius within which the locality costs nothing, per target (below the
        # coarsest scale the locality is off and the map is never read).
        free = _free_radius(sc.photo, sc.hole, depth, params) if depth is not None else np.zeros((1, 1), np.float32)
        gwt = _guide_trust(sc.hole, depth, photo.shape[1] / w / guide_sigma, params)
        ny = np.zeros((h, w), np.int32)
        nx = np.zeros((h, w), np.int32)
        nd = np.full((h, w), np.inf, np.float32)
        if prev is None:
            pm.random_field(ty, tx, src_y, src_x, ny, nx, pm.seed_state(seed, level * 1000))
            if params.onion_candidates > 0:
                assert depth is not None  # made for the coarsest scale, this one
                _onion(
                    feat_cache,
                    sc.hole,
                    hy,
                    hx,
                    src_ok,
                    src_y,
                    src_x,
                    ny,
                    nx,
                    p,
                    depth,
                    free,
                    params,
                    pm.seed_state(seed, level * 1000 + 2),
                    gwt,
                )
                if on_edge:
                    _pad_edges(feat_cache, r)
            iterations = params.coarse_iterations
            radius = max(h, w)
            jumps = params.jumps
        else:
            py_f, px_f, p_target = prev
            pm.upsample_field(
                ty, tx, py_f, px_f, p_target, src_ok, src_y, src_x, ny, nx, pm.seed_state(seed, level * 1000 + 1)
            )
            iterations = params.finest_iterations if level == 0 else params.fine_iterations
            radius = params.fine_radius
            jumps = params.fine_jumps
        step = 2 if max(h, w) > params.sparse_side else 1
        # The locality only where sources are chosen from anywhere (the coarsest scale);
        # below it the field is inherited and only refined nearby, and a pull towards
        # the nearest known pixels there stretches copies of the hole's border inwards.
        loc = np.float32(params.locality / math.hypot(h, w) if prev is None else 0.0)
        cap = np.float32(params.locality_cap)
        for it in range(iterations):
            if stop():
                return result()
            pm.measure(feat_cache, ty, tx, ny, nx, nd, p, step, loc, cap, free, gwt)
            for backward in (False, True):
                pm.field_pass(
                    feat_cache,
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
                    1,
                    jumps,
                    backward,
                    pm.seed_state(seed, level * 1000 + 10 + 2 * it + backward),
                    np.float32(params.coherence),
                    loc,
                    cap,
                    free,
                    gwt,
                )
            last = it == iterations - 1
            if level == 0 and last and params.final == "best":
                colours = np.array(inner[..., :3])
                del inner, estimate, feat_cache  # not needed again; the melt's arrays are as large
                est = _copy_and_melt(sc.photo, colours, hy, hx, is_target, ny, nx, nd, r, sc.hole, ~sc.avoid, params)
                break
            d = nd[ty, tx]
            bandwidth = float(np.percentile(d[np.isfinite(d)], 75)) + 1e-9 if np.isfinite(d).any() else 1.0
            # in place: the copies are read from known pixels, written to hole pixels
            pm.vote(estimate, hy, hx, is_target, ny, nx, nd, r, np.float32(bandwidth), estimate)
            if on_edge:
                _pad_edges(feat_cache, r)
        else:
            est = np.ascontiguousarray(estimate)
        done += work[level]
        report(done / sum(work))
        prev = (ny, nx, is_target)
    if est is not None and est.shape[:2] == hole.shape:
        return result(np.clip(est[hole][:, :3], 0.0, 1.0))
    return result()


def _grain(photo: np.ndarray, hole: np.ndarray, band: int, lo: float, hi: float) -> float:
    """1 where the photo next to ``hole`` is grain (its finest band as uncorrelated
    between neighbours as white noise is), 0 where it has texture or structure."""
    lum = photo.mean(axis=2, dtype=np.float32)
    fine = lum - _blur(lum, 1.0)
    near = _grow(hole, band) & ~_grow(hole, 3)
    corr = []
    for a, b, m in (
        (fine[:, :-1], fine[:, 1:], near[:, :-1] & near[:, 1:]),
        (fine[:-1], fine[1:], near[:-1] & near[1:]),
    ):
        u, v = a[m], b[m]
        if u.size < 16 or u.std() < 1e-6 or v.std() < 1e-6:
            continue  # too few pixels, or a flat area: no evidence either way
        corr.append(float(np.corrcoef(u, v)[0, 1]))
    if not corr:
        return 0.0
    return float(np.clip((hi - np.mean(corr)) / max(hi - lo, 1e-6), 0.0, 1.0))


def _free_radius(photo: np.ndarray, hole: np.ndarray, depth: np.ndarray, params: SynthesisParams) -> np.ndarray:
    """Per target, the locality's free radius (``SynthesisParams.locality_free``)."""
    lo, hi = params.grain_corr
    g = _grain(photo, hole, 3 * params.patch, lo, hi)
    return np.float32(g) * (depth + np.float32(params.locality_free))


def _guide_trust(hole: np.ndarray, depth: np.ndarray | None, units: float, params: SynthesisParams) -> np.ndarray:
    """Per target, the factor on the guide's squared distance (``SynthesisParams.guide_depth``);
    a 1×1 map of 1 where the guide is trusted everywhere.  ``units``: the guide's blurs
    per pixel of this scale; ``depth``: ``depth_map(hole)`` where already made."""
    d0, d1 = params.guide_depth
    if not math.isfinite(d0) or params.guide_floor >= 1.0:
        return np.ones((1, 1), np.float32)
    c = depth_map(hole) if depth is None else depth.copy()
    # in place, a crop-sized array at a time: the finest scale of a 24 MP crop is large
    c *= np.float32(units / max(d1 - d0, 1e-6))
    c -= np.float32(d0 / max(d1 - d0, 1e-6))
    np.clip(c, 0.0, 1.0, out=c)
    c *= np.float32(-(1.0 - params.guide_floor))
    c += np.float32(1.0)
    c *= c
    return c


def _pad_edges(padded: np.ndarray, r: int) -> None:
    """The ``r``-px frame of ``padded`` set to its inner image's nearest edge pixels
    (``np.pad``'s "edge" mode, without a second copy of the features)."""
    if r <= 0:
        return
    h, w = padded.shape[0] - 2 * r, padded.shape[1] - 2 * r
    padded[:r, r : r + w] = padded[r : r + 1, r : r + w]
    padded[r + h :, r : r + w] = padded[r + h - 1 : r + h, r : r + w]
    padded[:, :r] = padded[:, r : r + 1]
    padded[:, r + w :] = padded[:, r + w - 1 : r + w]


def _onion(
    feat: np.ndarray,
    hole: np.ndarray,
    hy: np.ndarray,
    hx: np.ndarray,
    src_ok: np.ndarray,
    src_y: np.ndarray,
    src_x: np.ndarray,
    ny: np.ndarray,
    nx: np.ndarray,
    p: int,
    depth: np.ndarray,
    free: np.ndarray,
    params: SynthesisParams,
    state: np.ndarray,
    gwt: np.ndarray,
) -> None:
    """The coarsest scale's start: the hole peeled from its border inwards, each pixel
    copied from the source that best continues what is around it (see
    ``patchmatch.onion_fill``).  Starting from the guide alone, EM settles on patches
    that match the guide's blur, and a regular pattern loses its phase.  ``cur``'s hole
    pixels are set to their copies' values (its known pixels are the sources)."""
    r = p // 2
    order = np.argsort(depth[hy, hx], kind="stable")
    oy = np.full(hole.shape, -1, np.int32)
    ox = np.full(hole.shape, -1, np.int32)
    filled = np.pad(~hole, r, constant_values=False)
    feat = np.ascontiguousarray(feat)
    pm.onion_fill(
        feat,
        filled,
        hy[order],
        hx[order],
        src_ok,
        src_y,
        src_x,
        oy,
        ox,
        p,
        5,
        np.float32(params.onion_guide),
        params.onion_candidates,
        np.float32(params.coherence),
        state,
        np.float32(params.locality / math.hypot(*hole.shape)),
        np.float32(params.locality_cap),
        free,
        gwt,
    )
    ny[hy, hx] = oy[hy, hx]
    nx[hy, hx] = ox[hy, hx]


def _copy_and_melt(
    photo: np.ndarray,
    cur: np.ndarray,
    hy: np.ndarray,
    hx: np.ndarray,
    is_target: np.ndarray,
    ny: np.ndarray,
    nx: np.ndarray,
    nd: np.ndarray,
    r: int,
    hole: np.ndarray,
    known: np.ndarray,
    params: SynthesisParams,
) -> np.ndarray:
    """The finest scale: each pixel from its best patch, then the seams removed."""
    h, w = hole.shape
    out = np.ascontiguousarray(cur, np.float32)  # written in place
    fy = np.zeros((h, w), np.int32)
    fx = np.zeros((h, w), np.int32)
    pm.best_patch(photo, hy, hx, is_target, ny, nx, nd, r, out, fy, fx)
    if params.sweeps <= 0:
        return out
    rhs, cnt = pm.guidance(photo, known, out, fy, fx, hole, hy, hx)
    target = out[hy, hx].copy()
    parity = ((hy + hx) & 1).astype(np.int8)
    s = params.melt_detail_sigma
    pm.poisson_sweeps(
        out, hy, hx, parity, rhs, cnt, target, np.float32(params.screen), np.float32(params.omega), params.sweeps
    )
    if s > 0:
        # the detail as it is at each pixel's source, so a seam's step is not put back
        fyh, fxh = fy[hy, hx], fx[hy, hx]
        out[hy, hx] = _blur_at(out, hy, hx, s) + photo[fyh, fxh] - _blur_at(photo, fyh, fxh, s, known)
    return out


def _blur_at(
    img: np.ndarray, ys: np.ndarray, xs: np.ndarray, sigma: float, known: np.ndarray | None = None
) -> np.ndarray:
    """``_blur(img, sigma)[ys, xs]``, blurring only the box around those pixels that
    the kernel reaches (the same values: the box's edges are the image's or lie beyond
    the kernel's reach); with ``known``, a mean over known pixels only."""
    h, w = img.shape[:2]
    m = math.ceil(3 * sigma) + 1
    y0, y1 = max(0, int(ys.min()) - m), min(h, int(ys.max()) + m + 1)
    x0, x1 = max(0, int(xs.min()) - m), min(w, int(xs.max()) + m + 1)
    box, at = img[y0:y1, x0:x1], (ys - y0, xs - x0)
    if known is None:
        return _blur(box, sigma)[at]
    k = known[y0:y1, x0:x1].astype(np.float32)
    return _blur(box * k[..., None], sigma)[at] / np.maximum(_blur(k, sigma)[at], 1e-6)[:, None]
