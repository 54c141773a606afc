"""Classical selection for painting out objects: GrabCut for a box, scissors for a lasso.

Painting an object's outline by hand is the slow part of removing it.  Two tools from
OpenCV need no downloaded weights:

* :func:`object_select` — GrabCut (Rother et al. 2004, "GrabCut: interactive foreground
  extraction using iterated graph cuts"): colour models of object and background are
  fitted to a box, the graph cut is iterated, and strokes the user already painted
  inside the box are taken as sure object.  The result is grown a few pixels, because
  an inpainting hole must cover the object's soft edge and contact shadow, which a
  segmentation leaves out.
* :class:`ScissorsMap` — Intelligent Scissors (Mortensen & Barrett 1995): from an
  anchor, the cheapest path along image edges to any point; a lasso of such paths
  snaps to the object's outline.

Both work on a copy scaled to a bounded size, so their cost does not grow with the
photo (a 24 MP photo costs what a 0.3 MP crop does); the masks come back at full size.
Numpy and OpenCV only: the editor runs these in a worker thread.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import cv2
import numpy as np

from .box import Box
from .box import mask_box as mask_bbox
from .document import BBox
from .masks import dilate

#: Longest side GrabCut works at (about half a second for five iterations on 2 cores).
GRABCUT_SIDE = 400
#: Longest side the scissors work at (a map takes ~0.2 s; the path is then instant).
SCISSORS_SIDE = 900
#: Iterations of GrabCut's colour-model / graph-cut loop.
ITERATIONS = 5


def to_rgb8(image: np.ndarray) -> np.ndarray:
    """8-bit RGB view of a photo (alpha dropped, 16-bit shifted), contiguous."""
    rgb = image[..., :3]
    if rgb.dtype == np.uint16:
        rgb = (rgb >> 8).astype(np.uint8)
    elif rgb.dtype != np.uint8:
        rgb = np.clip(rgb, 0, 255).astype(np.uint8)
    return np.ascontiguousarray(rgb)


def default_grow(box: BBox) -> int:
    """Pixels to grow a selection by: a few, more for big objects (their edges and
    shadows are wider, and the selection was computed at a coarser scale)."""
    y0, y1, x0, x1 = box
    return int(max(3, min(40, round(0.02 * max(y1 - y0, x1 - x0)))))


def click_box(shape: tuple[int, int], x: float, y: float, size: float | None = None) -> BBox:
    """The box a click stands for: a square around it, a quarter of the short side."""
    h, w = shape
    s = size if size is not None else max(16.0, min(h, w) / 4.0)
    return Box(max(0, int(y - s / 2)), min(h, int(y + s / 2) + 1), max(0, int(x - s / 2)), min(w, int(x + s / 2) + 1))


@dataclass
class Selection:
    """A selected area: ``mask`` (bool) covers ``bbox`` of the photo."""

    bbox: BBox
    mask: np.ndarray

    def full(self, shape: tuple[int, int]) -> np.ndarray:
        out = np.zeros(shape, bool)
        y0, y1, x0, x1 = self.bbox
        out[y0:y1, x0:x1] = self.mask
        return out


def object_select(
    image: np.ndarray,
    box: BBox,
    seeds: np.ndarray | None = None,
    *,
    point: tuple[float, float] | None = None,
    grow: int | None = None,
    iterations: int = ITERATIONS,
    work_side: int = GRABCUT_SIDE,
    check: Callable[[], None] | None = None,
) -> Selection | None:
    """The object inside ``box`` (y0, y1, x0, x1), or ``None`` when nothing stands out.

    Args:
        seeds: bool (H, W), pixels known to be object (strokes already painted); only
            those inside the box are used.
        point: a click (x, y) that is certainly on the object.
        grow: pixels added around the object (``None``: :func:`default_grow`).
        check: called between iterations; raises to stop (the worker's cancel).
    """
    h, w = image.shape[:2]
    y0, y1, x0, x1 = box
    y0, y1, x0, x1 = max(0, y0), min(h, y1), max(0, x0), min(w, x1)
    if y1 - y0 < 4 or x1 - x0 < 4:
        return None
    # A frame of background around the box: GrabCut learns the background there.
    m = max(8, int(0.25 * max(y1 - y0, x1 - x0)))
    cy0, cy1, cx0, cx1 = max(0, y0 - m), min(h, y1 + m), max(0, x0 - m), min(w, x1 + m)
    crop = to_rgb8(image[cy0:cy1, cx0:cx1])
    scale = min(1.0, work_side / max(crop.shape[:2]))
    small = crop if scale == 1.0 else cv2.resize(crop, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    sh, sw = small.shape[:2]

    def to_small(v: float, origin: int) -> int:
        return int(round((v - origin) * scale))

    gc = np.full((sh, sw), cv2.GC_BGD, np.uint8)
    by0, by1 = max(0, to_small(y0, cy0)), min(sh, max(to_small(y1, cy0), to_small(y0, cy0) + 2))
    bx0, bx1 = max(0, to_small(x0, cx0)), min(sw, max(to_small(x1, cx0), to_small(x0, cx0) + 2))
    gc[by0:by1, bx0:bx1] = cv2.GC_PR_FGD
    sure = np.zeros((sh, sw), bool)
    if seeds is not None:
        s: np.ndarray = seeds[cy0:cy1, cx0:cx1].astype(np.uint8)
        if scale != 1.0:
            s = cv2.resize(s, (sw, sh), interpolation=cv2.INTER_NEAREST)
        inside = np.zeros_like(sure)
        inside[by0:by1, bx0:bx1] = True
        sure |= (s > 0) & inside
    if point is not None:
        px, py = to_small(point[0], cx0), to_small(point[1], cy0)
        r = max(2, int(0.03 * max(by1 - by0, bx1 - bx0)))
        cv2.circle(sure.view(np.uint8), (px, py), r, 1, -1)
        sure &= gc == cv2.GC_PR_FGD
    gc[sure] = cv2.GC_FGD
    if (gc == cv2.GC_BGD).all() or not (gc == cv2.GC_BGD).any():
        return None  # the box is the whole photo: no background to learn from
    bgd, fgd = np.zeros((1, 65), np.float64), np.zeros((1, 65), np.float64)
    small_bgr = np.ascontiguousarray(small[..., ::-1])
    for i in range(max(1, iterations)):
        if check is not None:
            check()
        mode = cv2.GC_INIT_WITH_MASK if i == 0 else cv2.GC_EVAL
        # OpenCV's stubs want a rect, which the mask modes ignore and take as None.
        cv2.grabCut(small_bgr, gc, None, bgd, fgd, 1, mode)  # type: ignore[call-overload]
    fg = (gc == cv2.GC_FGD) | (gc == cv2.GC_PR_FGD)
    fg = _main_parts(fg, sure)
    if not fg.any():
        return None
    if scale != 1.0:
        soft = cv2.resize(fg.astype(np.float32), (crop.shape[1], crop.shape[0]), interpolation=cv2.INTER_LINEAR)
        fg = soft >= 0.5
    g = default_grow(box) if grow is None else int(grow)
    fg = _fill_holes(_grow(fg, g))
    bb = mask_bbox(fg)
    if bb is None:
        return None
    fy0, fy1, fx0, fx1 = bb
    return Selection(Box(cy0 + fy0, cy0 + fy1, cx0 + fx0, cx0 + fx1), fg[fy0:fy1, fx0:fx1].copy())


def _grow(mask: np.ndarray, radius: int) -> np.ndarray:
    """Round growth by ``radius`` px in time independent of the radius: a distance
    transform, where a 40 px disc kernel took seconds on a 24 MP photo's object."""
    if radius <= 0:
        return mask
    pad = np.pad(~mask, radius + 1, constant_values=True).astype(np.uint8)
    d = cv2.distanceTransform(pad, cv2.DIST_L2, cv2.DIST_MASK_PRECISE)
    r = radius + 1
    return d[r:-r, r:-r] <= radius


def _main_parts(fg: np.ndarray, sure: np.ndarray) -> np.ndarray:
    """Keep the largest region and any region holding a sure pixel, drop specks
    (GrabCut often adds a few background blobs of the object's colours)."""
    n, labels, stats, _ = cv2.connectedComponentsWithStats(fg.astype(np.uint8), connectivity=8)
    if n <= 2:
        return fg
    areas = stats[1:, cv2.CC_STAT_AREA]
    keep = np.zeros(n, bool)
    keep[1 + int(np.argmax(areas))] = True
    keep[1:] |= areas >= 0.2 * areas.max()
    if sure.any():
        keep[np.unique(labels[sure & fg])] = True
    keep[0] = False
    return keep[labels]


def _fill_holes(mask: np.ndarray) -> np.ndarray:
    """Close holes inside the selection: an object removed is removed whole."""
    pad = np.pad(mask, 1).astype(np.uint8)
    ff = pad.copy()
    cv2.floodFill(ff, np.zeros((pad.shape[0] + 2, pad.shape[1] + 2), np.uint8), (0, 0), 1)
    return mask | (ff[1:-1, 1:-1] == 0)


class ScissorsMap:
    """Cheapest edge-following paths from one anchor (photo coordinates in and out).

    Building it is the slow part (run it in a worker); :meth:`path_to` is then instant,
    which is what the live lasso preview needs on every mouse move.  Each anchor gets
    its own map, so a map in use is never rebuilt under the caller.
    """

    def __init__(self, small: np.ndarray, scale: float, anchor: tuple[float, float]) -> None:
        self.scale = scale
        self.shape = small.shape[:2]
        self.anchor = anchor
        self._tool = cv2.segmentation.IntelligentScissorsMB()
        self._tool.setEdgeFeatureCannyParameters(32, 100)
        self._tool.setGradientMagnitudeMaxLimit(200)
        self._tool.applyImage(small)
        self._tool.buildMap(self._small(anchor))

    def _small(self, p: tuple[float, float]) -> tuple[int, int]:
        h, w = self.shape
        return (
            int(min(w - 1, max(0, round(p[0] * self.scale - 0.5)))),
            int(min(h - 1, max(0, round(p[1] * self.scale - 0.5)))),
        )

    def path_to(self, target: tuple[float, float], backward: bool = False) -> np.ndarray:
        """(N, 2) float ``x, y`` points from the anchor to ``target`` (reversed with
        ``backward``), at pixel centres of the photo."""
        c = self._tool.getContour(self._small(target), backward=backward)
        pts = np.asarray(c, np.float64).reshape(-1, 2)
        if pts.size == 0:
            pts = np.array([self._small(self.anchor), self._small(target)], np.float64)
        return (pts + 0.5) / self.scale


def scissors_image(image: np.ndarray, work_side: int = SCISSORS_SIDE) -> tuple[np.ndarray, float]:
    """The scaled 8-bit copy every :class:`ScissorsMap` of one photo is built on."""
    rgb = to_rgb8(image)
    scale = min(1.0, work_side / max(rgb.shape[:2]))
    if scale < 1.0:
        rgb = cv2.resize(rgb, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    return np.ascontiguousarray(rgb[..., ::-1]), scale


def lasso_mask(shape: tuple[int, int], points: np.ndarray, grow: int = 2) -> Selection | None:
    """The area a closed lasso (``(N, 2)`` x, y photo points) encloses, grown a little
    (the snapped line runs along the edge, and the hole must cover the edge itself)."""
    pts = np.asarray(points, np.float64).reshape(-1, 2)
    if len(pts) < 3:
        return None
    h, w = shape
    lo = np.floor(pts.min(axis=0)).astype(int) - grow - 1
    hi = np.ceil(pts.max(axis=0)).astype(int) + grow + 2
    x0, y0 = max(0, int(lo[0])), max(0, int(lo[1]))
    x1, y1 = min(w, int(hi[0])), min(h, int(hi[1]))
    if x1 <= x0 or y1 <= y0:
        return None
    local = np.zeros((y1 - y0, x1 - x0), np.uint8)
    poly = np.round((pts - 0.5 - [x0, y0]) * 16).astype(np.int32)  # 4 fractional bits
    cv2.fillPoly(local, [poly], 1, lineType=cv2.LINE_8, shift=4)
    cv2.polylines(local, [poly], True, 1, lineType=cv2.LINE_8, shift=4)
    m = local.astype(bool)
    if grow > 0:
        m = dilate(m, grow)
    bb = mask_bbox(m)
    if bb is None:
        return None
    fy0, fy1, fx0, fx1 = bb
    return Selection(Box(y0 + fy0, y0 + fy1, x0 + fx0, x0 + fx1), m[fy0:fy1, fx0:fx1].copy())
