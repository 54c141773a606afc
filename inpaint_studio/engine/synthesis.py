"""Guided patch synthesis: a hole re-made at full resolution from the photo's own pixels.

A network trained for PSNR on two CPU cores knows where sky, a kerb or a wall should go
but paints them as a smooth mean; copying the photo's own patches gives real texture
but knows nothing of layout (the look of PatchMatch tools).  This takes the layout from
the network and the texture from the photo, the design of Zhang et al., "Inpainting at
Modern Camera Resolution by Guided PatchMatch with Auto-Curation" (ECCV 2022):

* coarse to fine over a pyramid of the crop (Wexler et al. 2007; Newson et al. 2014),
  starting from the network's fill at the coarsest scale;
* patch distances on the current estimate plus a guide term on the network's low band
  (and on an edge map, where strokes are given), so texture is taken from where the
  photo looks like what the network put there, and a capped cost for the distance
  between a pixel and its source, so of two sources that fit, the nearer one is used
  (what the hole hid is likelier to look like its surroundings than like the far side
  of the photo);
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
    #: EM rounds at the coarsest scale, then at each finer one down to the finest.
    coarse_iterations: int = 3
    fine_iterations: int = 2
    finest_iterations: int = 2
    #: Weight of the guide's low band against the patch's own pixels, coarsest scale
    #: and finest scale (geometric in between): the layout is decided coarse.
    guide_weight_coarse: float = 2.0
    guide_weight_fine: float = 0.5
    #: Weight of the edge channel (only where an edge map is given).
    edge_weight: float = 0.6
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
    onion_guide: float = 20.0
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
    #: After the melt, the copy's own detail finer than this blur (px; 0: the melt's)
    #: put back: the melt is for the seams' colour steps, not for the texture.
    melt_detail_sigma: float = 1.0
    #: Locality: the extra distance of a source a whole diagonal of the scale away from
    #: its target, in proportion for nearer ones, and never more than ``locality_cap``
    #: (so a far source that fits the guide clearly better still wins).
    locality: float = 256.0
    locality_cap: float = 16.0


DEFAULT = SynthesisParams()


def _shrink_known(img: np.ndarray, known: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """``img`` at ``size`` (w, h) averaging known pixels only, so the pixels being
    removed never darken the border of the known region."""
    k = known.astype(np.float32)
    num = cv2.resize(img * k[..., None], size, interpolation=cv2.INTER_AREA)
    den = cv2.resize(k, size, interpolation=cv2.INTER_AREA)
    return (num / np.maximum(den, 1e-6)[..., None]).astype(np.float32)


def _shrink_any(m: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """A boolean map at ``size``: true where any pixel under it was."""
    return cv2.resize(m.astype(np.float32), size, interpolation=cv2.INTER_AREA) > 1e-6


def _grow(m: np.ndarray, r: int) -> np.ndarray:
    if r <= 0:
        return m
    return cv2.dilate(m.astype(np.uint8), np.ones((2 * r + 1, 2 * r + 1), np.uint8)) > 0


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
    min_side: int,
    window: int,
) -> list[_Scale]:
    """Finest first; halving until the hole is at most ``coarse_depth`` deep (never
    below ``min_side``, where a patch would no longer fit)."""
    known = ~avoid
    tex = texture_features(photo, known, window)
    scales = [_Scale(photo, hole, avoid, guide, edges, tex)]
    h, w = hole.shape
    depth = hole_depth(hole)
    k = 1
    while min(h, w) / 2**k >= min_side and depth / 2 ** (k - 1) > coarse_depth:
        size = (max(1, math.ceil(w / 2**k)), max(1, math.ceil(h / 2**k)))
        e = None
        if edges is not None:
            # keep thin strokes: the area average of a 1-px line halves at every scale
            e = np.clip(cv2.resize(edges, size, interpolation=cv2.INTER_AREA) * 2.0**k, 0.0, 1.0)
        scales.append(
            _Scale(
                _shrink_known(photo, known, size),
                _shrink_any(hole, size),
                _shrink_any(avoid, size),
                cv2.resize(guide, size, interpolation=cv2.INTER_AREA),
                e,
                _shrink_known(tex, known, size),
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
    structure map: strokes inside the hole, the photo's own edges outside; texture is
    copied so that its edges fall on them.  ``unknown`` marks further pixels never to
    copy from (other holes).  Pixels outside ``hole`` come back as in ``photo``.

    The same ``seed`` gives the same pixels; another seed another plausible fill.
    Where nothing can be copied (a hole over nearly all of the crop) or ``should_stop``
    says so, the hole comes back as the guide has it, never as ``photo`` has it: there
    it holds the object being removed.
    """
    photo = np.ascontiguousarray(photo, np.float32)
    guide = np.ascontiguousarray(guide, np.float32)
    hole = np.ascontiguousarray(hole, bool)
    result = photo.copy()
    result[hole] = guide[hole]
    if not hole.any():
        return result
    p = params.patch | 1
    r = p // 2
    avoid = hole if unknown is None else (hole | unknown)
    if edges is not None:
        edges = np.ascontiguousarray(edges, np.float32)
    scales = _pyramid(photo, hole, avoid, guide, edges, params.coarse_depth, 3 * p, params.texture_window)
    n = len(scales)
    stop = should_stop or (lambda: False)
    report = progress or (lambda _f: None)
    est: np.ndarray | None = None
    prev: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
    # work per scale, for the progress fraction: about the hole's pixel count
    work = [float(s.hole.sum()) * (params.coarse_iterations if i == n - 1 else 1) for i, s in enumerate(scales)]
    done = 0.0
    for level in range(n - 1, -1, -1):
        sc = scales[level]
        h, w = sc.shape
        if stop():
            return result
        frac = level / max(1, n - 1)  # 1 at the coarsest scale, 0 at the finest
        gw = params.guide_weight_fine * (params.guide_weight_coarse / params.guide_weight_fine) ** frac
        src_ok = ~_grow(sc.avoid, r)
        src_ok[:r] = False
        src_ok[h - r :] = False
        src_ok[:, :r] = False
        src_ok[:, w - r :] = False
        src_y, src_x = (a.astype(np.int32) for a in np.nonzero(src_ok))
        is_target = _grow(sc.hole, r)
        ty, tx = (a.astype(np.int32) for a in np.nonzero(is_target))
        hy, hx = (a.astype(np.int32) for a in np.nonzero(sc.hole))
        if len(src_y) == 0 or len(ty) == 0:
            # nothing to copy from at this scale: keep the guide (or the coarser estimate)
            est = None
            prev = None
            continue
        band_map = np.full((h, w), -1, np.int32)
        band_map[ty, tx] = (np.arange(len(ty), dtype=np.int64) * pm.BANDS // len(ty)).astype(np.int32)

        # The estimate, colours and texture features: the guide at the coarsest scale
        # (texture unknown until the first vote), the coarser result above it.
        known_vals = np.concatenate([sc.photo, sc.texture], axis=-1)
        cur = known_vals.copy()
        if est is None:
            cur[sc.hole, :3] = sc.guide[sc.hole]
            cur[..., 3:] = _spread_into(sc.texture, sc.avoid)
        else:
            up = cv2.resize(est, (w, h), interpolation=cv2.INTER_LINEAR)
            cur[sc.hole] = up[sc.hole]
        glow = _blur(sc.guide, max(params.guide_min_sigma, guide_sigma * w / photo.shape[1])) * np.float32(gw)
        tw = np.float32(params.texture_weight)
        edge_part = None
        if sc.edges is not None:
            edge_part = (_blur(sc.edges, 1.0) * np.float32(params.edge_weight))[..., None]

        def features(vals: np.ndarray) -> np.ndarray:
            parts = [vals[..., :3], vals[..., 3:] * tw, glow]
            if edge_part is not None:
                parts.append(edge_part)
            return np.pad(np.concatenate(parts, axis=-1), ((r, r), (r, r), (0, 0)), mode="edge")

        # Built once per scale: between EM rounds only the hole's pixels change, so only
        # they are written again (a big crop's features are most of a round's time).
        # Where the hole touches the crop's edge, the padding copies them: rebuild.
        feat_cache = features(cur)
        on_edge = bool(sc.hole[0].any() or sc.hole[-1].any() or sc.hole[:, 0].any() or sc.hole[:, -1].any())

        def refreshed(vals: np.ndarray) -> np.ndarray:
            nonlocal feat_cache
            if on_edge:
                feat_cache = features(vals)
            else:
                inner = feat_cache[r : r + h, r : r + w]
                inner[hy, hx, :3] = vals[hy, hx, :3]
                inner[hy, hx, 3:5] = vals[hy, hx, 3:] * tw
            return feat_cache

        ny = np.zeros((h, w), np.int32)
        nx = np.zeros((h, w), np.int32)
        nd = np.full((h, w), np.inf, np.float32)
        if prev is None:
            pm.random_field(ty, tx, src_y, src_x, ny, nx, pm.seed_state(seed, level * 1000))
            if params.onion_candidates > 0:
                cur = _onion(
                    feat_cache,
                    cur,
                    known_vals,
                    sc.hole,
                    hy,
                    hx,
                    src_ok,
                    src_y,
                    src_x,
                    ny,
                    nx,
                    p,
                    params,
                    pm.seed_state(seed, level * 1000 + 2),
                )
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
        loc = np.float32(params.locality / math.hypot(h, w))
        cap = np.float32(params.locality_cap)
        for it in range(iterations):
            if stop():
                return result
            feat = refreshed(cur)
            pm.measure(feat, ty, tx, ny, nx, nd, p, step, loc, cap)
            for backward in (False, True):
                pm.field_pass(
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
                    1,
                    jumps,
                    backward,
                    pm.seed_state(seed, level * 1000 + 10 + 2 * it + backward),
                    np.float32(params.coherence),
                    loc,
                    cap,
                )
            last = it == iterations - 1
            if level == 0 and last and params.final == "best":
                cur = _copy_and_melt(
                    sc.photo, cur[..., :3], hy, hx, is_target, ny, nx, nd, r, sc.hole, ~sc.avoid, params
                )
            else:
                d = nd[ty, tx]
                bandwidth = float(np.percentile(d[np.isfinite(d)], 75)) + 1e-9 if np.isfinite(d).any() else 1.0
                out = cur.copy()
                pm.vote(known_vals, hy, hx, is_target, ny, nx, nd, r, np.float32(bandwidth), out)
                cur = out
        done += work[level]
        report(done / sum(work))
        est = cur
        prev = (ny, nx, is_target)
    if est is not None and est.shape[:2] == hole.shape:
        result[hole] = np.clip(est[hole][:, :3], 0.0, 1.0)
    return result


def _onion(
    feat: np.ndarray,
    cur: np.ndarray,
    known_vals: np.ndarray,
    hole: np.ndarray,
    hy: np.ndarray,
    hx: np.ndarray,
    src_ok: np.ndarray,
    src_y: np.ndarray,
    src_x: np.ndarray,
    ny: np.ndarray,
    nx: np.ndarray,
    p: int,
    params: SynthesisParams,
    state: np.ndarray,
) -> np.ndarray:
    """The coarsest scale's start: the hole peeled from its border inwards, each pixel
    copied from the source that best continues what is around it (see
    ``patchmatch.onion_fill``).  Starting from the guide alone, EM settles on patches
    that match the guide's blur, and a regular pattern loses its phase."""
    r = p // 2
    depth = depth_map(hole)
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
    )
    ny[hy, hx] = oy[hy, hx]
    nx[hy, hx] = ox[hy, hx]
    out = cur.copy()
    out[hy, hx] = known_vals[oy[hy, hx], ox[hy, hx]]
    return out


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
    out = np.ascontiguousarray(cur, np.float32).copy()
    fy = np.zeros((h, w), np.int32)
    fx = np.zeros((h, w), np.int32)
    pm.best_patch(photo, hy, hx, is_target, ny, nx, nd, r, out, fy, fx)
    if params.sweeps <= 0:
        return out
    rhs, cnt = pm.guidance(photo, known, out, fy, fx, hole, hy, hx)
    target = out[hy, hx].copy()
    parity = ((hy + hx) & 1).astype(np.int8)
    s = params.melt_detail_sigma
    copy_low = _blur(out, s)[hy, hx] if s > 0 else None  # the copy's own low band, hole pixels only
    pm.poisson_sweeps(
        out, hy, hx, parity, rhs, cnt, target, np.float32(params.screen), np.float32(params.omega), params.sweeps
    )
    if copy_low is not None:
        out[hy, hx] = _blur(out, s)[hy, hx] + target - copy_low
    return out
