"""Edge prediction as strokes: curves across the hole that continue the photo's edges.

Two sources, made to agree:

* **Completion.** Every known edge that runs into the hole leaves an *end*: where it
  meets the hole, its direction, and the colours on its two sides.  Ends are paired
  (directions facing each other along the chord, the same colours on the same sides,
  the chord through the hole) and each pair is joined by a cubic Hermite curve whose
  tangents are the two edges' directions, so the curve leaves each edge the way it
  arrived (a kerb or a horizon continues straight, a bent contour bends).  An end
  with no partner stops at the hole.
* **The network's map.** The edge network's thinned map inside the hole is traced
  into pixel chains, smoothed and fitted with a few control points; chains shorter
  than :data:`MIN_STROKE` px inside the hole are specks and go.

The network's map scores the completion candidates (the share of the curve the
network also drew lowers its cost), and a network stroke that repeats an accepted
completion is dropped.  The result is :class:`core.strokes.EdgeStroke` objects: what
the editor draws and edits, what ``inpaint-studio edges`` writes, and, rasterised by
:func:`structure_map`, the edge channel the fill follows.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import cv2
import numpy as np

from ..core.box import Box, clip_box, mask_box
from ..core.strokes import EdgeStroke, make_stroke, rasterize, sample, simplify, smooth_polyline
from .skeleton import merge_at_junctions, thin, trace

#: Network chains shorter than this inside the hole (px) are dropped as specks.
MIN_STROKE = 12
#: Known edges shorter than this (px, 8-connected) are texture, not structure to continue.
MIN_KNOWN_EDGE = 20
#: Known edges are dropped this close to the hole (``engine.edges.NEAR_HOLE_MARGIN``);
#: an end is looked for just beyond.
END_BAND = 4
#: Largest angle (degrees) between an end's direction and the chord to its partner.
MAX_TURN = 50.0
#: Accept a pair below this cost (angles in units of MAX_TURN, colours in units of
#: COLOUR_SCALE, both squared and summed; see :func:`pair_cost`).
MAX_COST = 1.6
COLOUR_SCALE = 0.12
#: How much the network's agreement (0..1 of the curve) lowers a candidate's cost.
NET_BONUS = 0.8


@dataclass(frozen=True)
class End:
    """A known edge meeting the hole: point ``(x, y)``, unit direction into the hole,
    colours (RGB in [0, 1]) left and right of the direction, and how long an edge it is."""

    point: tuple[float, float]
    direction: tuple[float, float]
    left: tuple[float, float, float]
    right: tuple[float, float, float]
    length: int


# -- network strokes --------------------------------------------------------------------
def network_strokes(
    net: np.ndarray, hole: np.ndarray, threshold: float = 0.5, min_length: int = MIN_STROKE
) -> list[EdgeStroke]:
    """The network's edge map inside the hole as smooth strokes (specks dropped)."""
    binary = (np.asarray(net) >= threshold) & hole
    if not binary.any():
        return []
    # Close 1-px gaps first: the ridge map of an uncertain edge breaks every few pixels.
    closed = cv2.morphologyEx(binary.astype(np.uint8), cv2.MORPH_CLOSE, np.ones((3, 3), np.uint8)) > 0
    chains = merge_at_junctions(trace(thin(closed & hole)))
    out = []
    for c in chains:
        if _inside_length(c, hole) < min_length:
            continue
        sm = smooth_polyline(c, 5)
        strength = float(np.clip(np.mean(np.asarray(net)[_rc(c, hole.shape)]), 0.5, 1.0))
        out.append(make_stroke(simplify(sm, 0.8), source="predicted", strength=strength))
    return out


def _rc(p: np.ndarray, shape: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    h, w = shape
    return (np.clip(np.floor(p[:, 1]).astype(int), 0, h - 1), np.clip(np.floor(p[:, 0]).astype(int), 0, w - 1))


def _inside_length(chain: np.ndarray, hole: np.ndarray) -> float:
    if len(chain) < 2:
        return 0.0
    r, c = _rc(chain, hole.shape)
    inside = hole[r, c]
    seg = np.hypot(*np.diff(chain, axis=0).T)
    return float(seg[inside[1:] & inside[:-1]].sum())


# -- completion of known edges ----------------------------------------------------------
def structural_known_edges(
    rgb: np.ndarray, hole: np.ndarray, sigma: float = 2.0, min_size: int = MIN_KNOWN_EDGE
) -> np.ndarray:
    """The photo's edges outside the hole (``engine.edges.known_edges``), without the
    short texture edges that are not worth continuing."""
    from .edges import known_edges

    e = known_edges(rgb, hole, sigma=sigma) > 0.5
    return _drop_small(e, min_size)


def _drop_small(binary: np.ndarray, min_size: int) -> np.ndarray:
    n, labels, stats, _ = cv2.connectedComponentsWithStats(binary.astype(np.uint8), connectivity=8)
    keep = np.zeros(n, bool)
    keep[1:] = stats[1:, cv2.CC_STAT_AREA] >= min_size
    return keep[labels]


def find_ends(rgb: np.ndarray, hole: np.ndarray, known: np.ndarray, band: int = END_BAND) -> list[End]:
    """Where the known edges ``known`` (bool) run into the hole."""
    if not hole.any() or not known.any():
        return []
    dist = cv2.distanceTransform((~hole).astype(np.uint8), cv2.DIST_L2, 5)
    ring = known & (dist <= band + 3.5)
    n, comp, cstats, _ = cv2.connectedComponentsWithStats(known.astype(np.uint8), connectivity=8)
    nr, rlab = cv2.connectedComponents(ring.astype(np.uint8), connectivity=8)
    # The direction into the hole at each pixel: down the distance's gradient.
    gy, gx = np.gradient(cv2.GaussianBlur(dist, (0, 0), 1.5))
    h, w = hole.shape
    ends = []
    for k in range(1, nr):
        ys, xs = np.nonzero(rlab == k)
        i = int(np.argmin(dist[ys, xs]))
        py, px = int(ys[i]), int(xs[i])
        lab = comp[py, px]
        y0, y1, x0, x1 = max(0, py - 12), min(h, py + 13), max(0, px - 12), min(w, px + 13)
        cy, cx = np.nonzero(comp[y0:y1, x0:x1] == lab)
        cy, cx = cy + y0, cx + x0
        near = np.hypot(cy - py, cx - px) <= 12
        cy, cx = cy[near], cx[near]
        if len(cy) < 5:
            continue
        pts = np.stack([cx, cy], 1).astype(np.float64)
        mean = pts.mean(0)
        cov = np.cov((pts - mean).T)
        evals, evecs = np.linalg.eigh(cov)
        if evals[1] <= 1e-6 or evals[0] / evals[1] > 0.25:
            continue  # a blob or a corner, not a line ending at the hole
        d = evecs[:, 1]
        inward = -np.array([gx[py, px], gy[py, px]])
        nin = float(np.hypot(*inward))
        if nin < 1e-6:
            continue
        inward /= nin
        if d @ inward < 0:
            d = -d
        if d @ inward < math.cos(math.radians(70)):
            continue  # runs along the hole's border
        # Colours a few pixels back along the edge, either side.
        nrm = np.array([-d[1], d[0]])  # left of the direction (x right, y down)
        back = np.array([px + 0.5, py + 0.5]) - d * 3.0
        left = _mean_colour(rgb, hole, back + nrm * 3.0)
        right = _mean_colour(rgb, hole, back - nrm * 3.0)
        if left is None or right is None:
            continue
        length = int(cstats[lab, cv2.CC_STAT_AREA])
        ends.append(End((px + 0.5, py + 0.5), (float(d[0]), float(d[1])), left, right, length))
    return ends


def _mean_colour(rgb: np.ndarray, hole: np.ndarray, p: np.ndarray) -> tuple[float, float, float] | None:
    h, w = hole.shape
    x, y = int(math.floor(p[0])), int(math.floor(p[1]))
    y0, y1, x0, x1 = max(0, y - 1), min(h, y + 2), max(0, x - 1), min(w, x + 2)
    if y0 >= y1 or x0 >= x1:
        return None
    ok = ~hole[y0:y1, x0:x1]
    if not ok.any():
        return None
    c = rgb[y0:y1, x0:x1][ok].mean(0)
    return (float(c[0]), float(c[1]), float(c[2]))


def hermite(p0: np.ndarray, d0: np.ndarray, p1: np.ndarray, d1: np.ndarray, n: int = 32) -> np.ndarray:
    """Cubic Hermite curve from ``p0`` leaving along ``d0`` to ``p1`` arriving along
    ``d1`` (unit vectors), tangent lengths the chord's: the smooth continuation that
    matches both edges' directions at its ends."""
    L = float(np.hypot(*(p1 - p0)))
    m0, m1 = d0 * L, d1 * L
    t = np.linspace(0.0, 1.0, n)[:, None]
    h00 = 2 * t**3 - 3 * t**2 + 1
    h10 = t**3 - 2 * t**2 + t
    h01 = -2 * t**3 + 3 * t**2
    h11 = t**3 - t**2
    return h00 * p0 + h10 * m0 + h01 * p1 + h11 * m1


def pair_cost(a: End, b: End) -> float | None:
    """How unlikely ``a`` and ``b`` are one edge cut by the hole (``None``: impossible).

    Both must point along the chord towards each other; facing each other, ``a``'s
    left side is ``b``'s right, so those colours must match, and so must the others.
    """
    pa, pb = np.array(a.point), np.array(b.point)
    v = pb - pa
    L = float(np.hypot(*v))
    if L < 3.0:
        return None
    u = v / L
    ta = math.degrees(math.acos(float(np.clip(np.dot(a.direction, u), -1, 1))))
    tb = math.degrees(math.acos(float(np.clip(np.dot(b.direction, -u), -1, 1))))
    if ta > MAX_TURN or tb > MAX_TURN:
        return None
    col = 0.5 * float(np.linalg.norm(np.subtract(a.left, b.right)) + np.linalg.norm(np.subtract(a.right, b.left)))
    contrast = min(
        float(np.linalg.norm(np.subtract(a.left, a.right))), float(np.linalg.norm(np.subtract(b.left, b.right)))
    )
    # Two edges with the same colour pair swapped across (a dark band) are not one edge;
    # the colour term says so once the contrast is clear of the noise.
    return (ta / MAX_TURN) ** 2 + (tb / MAX_TURN) ** 2 + (col / max(COLOUR_SCALE, 0.5 * contrast)) ** 2


def complete_edges(
    rgb: np.ndarray, hole: np.ndarray, net: np.ndarray | None = None, known: np.ndarray | None = None
) -> list[EdgeStroke]:
    """Strokes joining the pairs of known edge ends across the hole."""
    if known is None:
        known = structural_known_edges(rgb, hole)
    ends = find_ends(rgb, hole, known)
    if len(ends) < 2:
        return []
    near_net = None
    if net is not None and (net >= 0.5).any():
        near_net = cv2.dilate(((net >= 0.5) & hole).astype(np.uint8), np.ones((5, 5), np.uint8)) > 0
    grown = cv2.dilate(hole.astype(np.uint8), np.ones((2 * END_BAND + 3,) * 2, np.uint8)) > 0
    cands = []
    for i in range(len(ends)):
        for j in range(i + 1, len(ends)):
            c = pair_cost(ends[i], ends[j])
            if c is None:
                continue
            a, b = ends[i], ends[j]
            curve = hermite(np.array(a.point), np.array(a.direction), np.array(b.point), -np.array(b.direction), 48)
            r, cc = _rc(curve, hole.shape)
            if grown[r, cc].mean() < 0.9:
                continue  # the curve leaves the hole: the photo shows what is there
            if near_net is not None:
                inside = hole[r, cc]
                if inside.any():
                    c -= NET_BONUS * float(near_net[r, cc][inside].mean())
            if c <= MAX_COST:
                cands.append((c, i, j, curve))
    cands.sort(key=lambda t: t[0])
    used: set[int] = set()
    out = []
    for c, i, j, curve in cands:
        if i in used or j in used:
            continue
        used.update((i, j))
        n = max(3, int(np.hypot(*(curve[-1] - curve[0])) / 10.0) + 2)
        idx = np.linspace(0, len(curve) - 1, n).round().astype(int)
        strength = float(np.clip(1.0 - 0.25 * max(0.0, c), 0.5, 1.0))
        out.append(make_stroke(curve[idx], source="predicted", strength=strength))
    return out


# -- the two together -------------------------------------------------------------------
def predict_crop_strokes(rgb: np.ndarray, hole: np.ndarray, net: np.ndarray | None) -> list[EdgeStroke]:
    """Strokes for one crop: completions, then the network's strokes they do not repeat."""
    hole = np.asarray(hole, bool)
    done = complete_edges(rgb, hole, net)
    if net is None:
        return done
    drawn = rasterize(done, hole.shape) > 0
    covered = cv2.dilate(drawn.astype(np.uint8), np.ones((7, 7), np.uint8)) > 0
    out = list(done)
    for s in network_strokes(net, hole):
        p = sample(s, 1.0)
        if covered[_rc(p, hole.shape)].mean() > 0.5:
            continue
        out.append(s)
    return out


def to_float_rgb(image: np.ndarray) -> np.ndarray:
    x = image[..., :3]
    if x.dtype == np.uint8:
        return x.astype(np.float32) / 255.0
    if x.dtype == np.uint16:
        return x.astype(np.float32) / 65535.0
    return np.clip(x.astype(np.float32), 0.0, 1.0)


#: Context (px) around the hole that the stroke search reads.
CONTEXT = 32


def predict_strokes(
    image: np.ndarray,
    mask: np.ndarray,
    net: np.ndarray | None,
    progress: Callable[[float, str], None] | None = None,
) -> list[EdgeStroke]:
    """Strokes for the whole photo; ``net`` is the edge network's map (``(H, W)`` in
    [0, 1] inside the hole, e.g. ``Engine.hallucinate_edges``) or ``None``."""
    box = _around_hole(mask, CONTEXT)
    if box is None:
        return []
    y0, y1, x0, x1 = box
    rgb = to_float_rgb(image[y0:y1, x0:x1])
    crop_net = None if net is None else np.asarray(net[y0:y1, x0:x1], np.float32)
    strokes = predict_crop_strokes(rgb, mask[y0:y1, x0:x1], crop_net)
    if progress is not None:
        progress(1.0, "strokes")
    return [s.translated(x0, y0) for s in strokes]


def _around_hole(mask: np.ndarray, margin: int) -> Box | None:
    """The hole's box grown by ``margin`` px and cut to the photo; ``None`` without a hole."""
    box = mask_box(mask)
    return (
        None
        if box is None
        else clip_box((box[0] - margin, box[1] + margin, box[2] - margin, box[3] + margin), *mask.shape)
    )


def structure_map(image: np.ndarray, mask: np.ndarray, inside: np.ndarray, copy: bool = True) -> np.ndarray:
    """The fill's edge channel: ``inside`` (strokes, the user's guidance) in and next to
    the hole, the photo's own edges elsewhere, so the synthesis finds source patches
    whose edges lie where the strokes say (``engine.synthesis`` reads it that way).
    ``copy=False`` may write into ``inside`` (a map made for the call)."""
    from .edges import known_edges

    out = np.array(inside, np.float32) if copy else np.asarray(inside, np.float32)
    box = _around_hole(mask, 2 * CONTEXT)
    if box is None:
        return out
    y0, y1, x0, x1 = box
    k = known_edges(to_float_rgb(image[y0:y1, x0:x1]), mask[y0:y1, x0:x1])
    region = out[y0:y1, x0:x1]
    np.maximum(region, k, out=region)
    return out


def strokes_map(strokes: list[EdgeStroke], image: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Strokes rasterised into the fill's structure map (:func:`structure_map`)."""
    return structure_map(image, mask, rasterize(strokes, mask.shape), copy=False)
