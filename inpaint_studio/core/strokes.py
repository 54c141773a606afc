"""Edge strokes: the structure guide of a fill as vector curves the user can edit.

A stroke is a smooth curve through a few control points (a centripetal Catmull-Rom
spline, so a dragged control point stays on the curve and the curve never loops
between two close points).  Predicted strokes and the user's own are the same kind of
object; ``source`` tells them apart, so re-predicting replaces the predicted ones
and keeps the user's.

Numpy and OpenCV only: the document, the project file, the engine and the editor
share this module.  Points are photo ``(x, y)`` with pixel centres at ``+0.5``, the
convention of :mod:`core.document`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal

import cv2
import numpy as np

Source = Literal["predicted", "user"]
SOURCES: tuple[str, ...] = ("predicted", "user")
#: Default drawn width (px) of a stroke; the edge map is drawn 1 px wide below 2.5.
DEFAULT_WIDTH = 1.5
#: Bounds a project file's strokes must keep (an untrusted file cannot make the editor
#: allocate without limit).
MAX_STROKES = 20000
MAX_POINTS = 4096


@dataclass(frozen=True)
class EdgeStroke:
    """One curve: control points, width, who made it, and how strongly it guides.

    Immutable, so the undo history can keep the list before and after an edit by
    reference: an edit makes new strokes, it never changes old ones.
    """

    points: tuple[tuple[float, float], ...]
    width: float = DEFAULT_WIDTH
    source: Source = "predicted"
    #: 0..1, the value the stroke has in the edge map (a weak guess guides less).
    strength: float = 1.0

    def moved(self, index: int, x: float, y: float) -> EdgeStroke:
        pts = list(self.points)
        pts[index] = (float(x), float(y))
        return replace(self, points=tuple(pts))

    def translated(self, dx: float, dy: float) -> EdgeStroke:
        return replace(self, points=tuple((x + dx, y + dy) for x, y in self.points))

    def length(self) -> float:
        s = sample(self)
        return float(np.hypot(*np.diff(s, axis=0).T).sum()) if len(s) > 1 else 0.0


def make_stroke(
    points: Iterable[Sequence[float]], width: float = DEFAULT_WIDTH, source: Source = "predicted", strength: float = 1.0
) -> EdgeStroke:
    pts = tuple((float(p[0]), float(p[1])) for p in points)
    return EdgeStroke(pts, float(width), source, float(np.clip(strength, 0.0, 1.0)))


# -- geometry ---------------------------------------------------------------------------
def sample(stroke: EdgeStroke | np.ndarray, step: float = 1.0) -> np.ndarray:
    """The curve as a dense ``(N, 2)`` polyline, points about ``step`` px apart.

    Centripetal Catmull-Rom (alpha 0.5) through the control points; the end segments
    use mirrored phantom points, so the curve starts and ends on its end points.
    """
    p = np.asarray(stroke.points if isinstance(stroke, EdgeStroke) else stroke, np.float64).reshape(-1, 2)
    if len(p) < 3:
        if len(p) < 2:
            return p.copy()
        n = max(2, int(math.ceil(np.hypot(*(p[1] - p[0])) / step)) + 1)
        t = np.linspace(0.0, 1.0, n)[:, None]
        return p[0] * (1 - t) + p[1] * t
    ext = np.vstack([2 * p[0] - p[1], p, 2 * p[-1] - p[-2]])
    out = [p[:1]]
    for i in range(1, len(ext) - 2):
        p0, p1, p2, p3 = ext[i - 1], ext[i], ext[i + 1], ext[i + 2]
        seg = float(np.hypot(*(p2 - p1)))
        n = max(1, int(math.ceil(seg / step)))
        out.append(_catmull_rom(p0, p1, p2, p3, n)[1:])
    return np.vstack(out)


def _catmull_rom(p0: np.ndarray, p1: np.ndarray, p2: np.ndarray, p3: np.ndarray, n: int) -> np.ndarray:
    def knot(a: np.ndarray, b: np.ndarray) -> float:
        return max(1e-6, float(np.hypot(*(b - a))) ** 0.5)

    t0 = 0.0
    t1 = t0 + knot(p0, p1)
    t2 = t1 + knot(p1, p2)
    t3 = t2 + knot(p2, p3)
    t = np.linspace(t1, t2, n + 1)[:, None]
    a1 = (t1 - t) / (t1 - t0) * p0 + (t - t0) / (t1 - t0) * p1
    a2 = (t2 - t) / (t2 - t1) * p1 + (t - t1) / (t2 - t1) * p2
    a3 = (t3 - t) / (t3 - t2) * p2 + (t - t2) / (t3 - t2) * p3
    b1 = (t2 - t) / (t2 - t0) * a1 + (t - t0) / (t2 - t0) * a2
    b2 = (t3 - t) / (t3 - t1) * a2 + (t - t1) / (t3 - t1) * a3
    return (t2 - t) / (t2 - t1) * b1 + (t - t1) / (t2 - t1) * b2


def simplify(points: np.ndarray, tolerance: float = 0.8) -> np.ndarray:
    """Fewest control points whose polyline stays within ``tolerance`` px (Douglas-Peucker)."""
    p = np.asarray(points, np.float32).reshape(-1, 1, 2)
    if len(p) <= 2:
        return p.reshape(-1, 2).astype(np.float64)
    return cv2.approxPolyDP(p, float(tolerance), False).reshape(-1, 2).astype(np.float64)


def smooth_polyline(points: np.ndarray, window: int = 5) -> np.ndarray:
    """Moving average along the curve, end points kept (a traced pixel chain's
    staircase becomes a line)."""
    p = np.asarray(points, np.float64).reshape(-1, 2)
    if len(p) <= 2 or window <= 1:
        return p.copy()
    k = min(window, len(p) - (1 - len(p) % 2))
    k = max(1, k | 1)
    if k <= 1:
        return p.copy()
    pad = k // 2
    ext = np.vstack([np.repeat(p[:1], pad, 0), p, np.repeat(p[-1:], pad, 0)])
    ker = np.ones(k) / k
    out = np.stack([np.convolve(ext[:, d], ker, mode="valid") for d in range(2)], axis=1)
    out[0], out[-1] = p[0], p[-1]
    return out


def freehand_stroke(
    points: Sequence[Sequence[float]], width: float = DEFAULT_WIDTH, tolerance: float = 1.5
) -> EdgeStroke | None:
    """A hand-drawn line as a user's stroke: jitter smoothed away, a few control points
    kept (``None`` for a click with no length)."""
    p = np.asarray(points, np.float64).reshape(-1, 2)
    if len(p) < 2:
        return None
    keep = np.concatenate([[True], np.hypot(*np.diff(p, axis=0).T) > 1e-6])
    p = p[keep]
    if len(p) < 2 or float(np.hypot(*(p[-1] - p[0]))) + float(np.hypot(*np.diff(p, axis=0).T).sum()) < 2.0:
        return None
    # Resample evenly first, so the smoothing window is a length, not a count of mouse events.
    d = np.concatenate([[0.0], np.cumsum(np.hypot(*np.diff(p, axis=0).T))])
    n = max(2, int(d[-1] / 1.0) + 1)
    s = np.linspace(0.0, d[-1], n)
    even = np.stack([np.interp(s, d, p[:, 0]), np.interp(s, d, p[:, 1])], axis=1)
    ctrl = simplify(smooth_polyline(even, 7), tolerance)
    return make_stroke(ctrl, width, "user")


def distance_to(stroke: EdgeStroke, x: float, y: float) -> float:
    """Distance (px) from a point to the drawn curve."""
    s = sample(stroke, 1.0)
    if len(s) == 1:
        return float(np.hypot(s[0, 0] - x, s[0, 1] - y))
    a, b = s[:-1], s[1:]
    ab = b - a
    ll = np.maximum((ab**2).sum(1), 1e-12)
    t = np.clip(((x - a[:, 0]) * ab[:, 0] + (y - a[:, 1]) * ab[:, 1]) / ll, 0.0, 1.0)
    px, py = a[:, 0] + t * ab[:, 0], a[:, 1] + t * ab[:, 1]
    return float(np.hypot(px - x, py - y).min())


def stroke_at(strokes: Sequence[EdgeStroke], x: float, y: float, tolerance: float) -> int | None:
    """Index of the stroke nearest ``(x, y)`` within ``tolerance`` px, or ``None``."""
    best, best_d = None, float(tolerance)
    for i, s in enumerate(strokes):
        d = distance_to(s, x, y)
        if d <= best_d:
            best, best_d = i, d
    return best


def control_point_at(stroke: EdgeStroke, x: float, y: float, tolerance: float) -> int | None:
    """Index of the control point nearest ``(x, y)`` within ``tolerance`` px, or ``None``."""
    p = np.asarray(stroke.points, np.float64)
    if len(p) == 0:
        return None
    d = np.hypot(p[:, 0] - x, p[:, 1] - y)
    i = int(np.argmin(d))
    return i if d[i] <= tolerance else None


def stroke_bbox(strokes: Iterable[EdgeStroke], margin: float = 0.0) -> tuple[int, int, int, int] | None:
    """``(y0, y1, x0, x1)`` covering the strokes' curves, or ``None``."""
    box = None
    for s in strokes:
        p = sample(s, 2.0)
        if len(p) == 0:
            continue
        r = margin + s.width
        b = (
            int(math.floor(p[:, 1].min() - r)),
            int(math.ceil(p[:, 1].max() + r)) + 1,
            int(math.floor(p[:, 0].min() - r)),
            int(math.ceil(p[:, 0].max() + r)) + 1,
        )
        box = b if box is None else (min(box[0], b[0]), max(box[1], b[1]), min(box[2], b[2]), max(box[3], b[3]))
    return box


def touches(stroke: EdgeStroke, region: np.ndarray, margin: int = 0) -> bool:
    """Whether the curve passes over a True pixel of ``region`` (within ``margin`` px)."""
    s = sample(stroke, 1.0)
    h, w = region.shape
    c = np.clip(np.floor(s[:, 0]).astype(int), 0, w - 1)
    r = np.clip(np.floor(s[:, 1]).astype(int), 0, h - 1)
    inside = (s[:, 0] >= -margin) & (s[:, 0] < w + margin) & (s[:, 1] >= -margin) & (s[:, 1] < h + margin)
    if margin <= 0:
        return bool(region[r[inside], c[inside]].any())
    for dy in range(-margin, margin + 1):
        for dx in range(-margin, margin + 1):
            rr, cc = np.clip(r + dy, 0, h - 1), np.clip(c + dx, 0, w - 1)
            if region[rr[inside], cc[inside]].any():
                return True
    return False


# -- raster -----------------------------------------------------------------------------
def rasterize(strokes: Iterable[EdgeStroke], shape: tuple[int, int], thin: bool = True) -> np.ndarray:
    """The strokes as an edge map: float32 ``(H, W)`` in [0, 1], each curve drawn with its
    ``strength``.

    ``thin`` (the fill's structure map) draws strokes under 2.5 px wide as 8-connected
    one-pixel lines, the shape of the Canny edges the generator learnt from; wider
    strokes keep their width either way.
    """
    h, w = shape
    out = np.zeros((h, w), np.float32)
    for s in strokes:
        p = sample(s, 1.0)
        if len(p) < 2:
            continue
        thick = 1 if (thin and s.width < 2.5) else max(1, int(round(s.width)))
        # drawn into the stroke's own box (integer shifts draw the same pixels), not a
        # layer the size of the photo: a 24 MP photo with many strokes
        pad = thick + 2
        x0, y0 = max(0, int(np.floor(p[:, 0].min())) - pad), max(0, int(np.floor(p[:, 1].min())) - pad)
        x1, y1 = min(w, int(np.ceil(p[:, 0].max())) + pad), min(h, int(np.ceil(p[:, 1].max())) + pad)
        if x1 <= x0 or y1 <= y0:
            continue
        pts = (np.rint((p - 0.5) * 16.0).astype(np.int32) - np.array([x0 * 16, y0 * 16], np.int32)).reshape(-1, 1, 2)
        layer = np.zeros((y1 - y0, x1 - x0), np.uint8)
        cv2.polylines(layer, [pts], False, 255, thickness=thick, lineType=cv2.LINE_8, shift=4)
        part = out[y0:y1, x0:x1]
        np.maximum(part, (layer > 0) * np.float32(s.strength), out=part)
    return out


# -- serialisation ----------------------------------------------------------------------
def to_json(strokes: Iterable[EdgeStroke]) -> list[dict[str, Any]]:
    return [
        {
            "points": [[round(x, 3), round(y, 3)] for x, y in s.points],
            "width": round(s.width, 3),
            "source": s.source,
            "strength": round(s.strength, 4),
        }
        for s in strokes
    ]


def from_json(data: Any, size: tuple[int, int] | None = None) -> list[EdgeStroke]:
    """Strokes from :func:`to_json`'s form, checked: an untrusted file gets a clear
    ``ValueError`` naming the bad field, never a crash later.

    ``size`` ``(w, h)`` bounds the coordinates (a stroke may reach a little past the
    photo, never far).
    """
    if not isinstance(data, list):
        raise ValueError("strokes is not a list")
    if len(data) > MAX_STROKES:
        raise ValueError(f"{len(data)} strokes (at most {MAX_STROKES})")
    out = []
    for i, d in enumerate(data):
        what = f"strokes[{i}]"
        if not isinstance(d, dict):
            raise ValueError(f"{what} is not an object")
        pts = d.get("points")
        if not isinstance(pts, list) or not 1 <= len(pts) <= MAX_POINTS:
            raise ValueError(f"{what}.points is not a list of 1 to {MAX_POINTS} points")
        clean = []
        for p in pts:
            if (
                not isinstance(p, (list, tuple))
                or len(p) != 2
                or not all(isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) for v in p)
            ):
                raise ValueError(f"{what}.points holds something that is not an (x, y) pair of numbers")
            if size is not None:
                w, h = size
                lim = 0.5 * max(w, h)
                if not (-lim <= p[0] <= w + lim and -lim <= p[1] <= h + lim):
                    raise ValueError(f"{what}.points reaches far outside the photo")
            clean.append((float(p[0]), float(p[1])))
        width = d.get("width", DEFAULT_WIDTH)
        if not isinstance(width, (int, float)) or isinstance(width, bool) or not 0.1 <= width <= 256:
            raise ValueError(f"{what}.width is not a number between 0.1 and 256")
        source = d.get("source", "predicted")
        if source not in SOURCES:
            raise ValueError(f"{what}.source {source!r} is not one of {SOURCES}")
        strength = d.get("strength", 1.0)
        if not isinstance(strength, (int, float)) or isinstance(strength, bool) or not 0.0 <= strength <= 1.0:
            raise ValueError(f"{what}.strength is not a number in [0, 1]")
        out.append(EdgeStroke(tuple(clean), float(width), source, float(strength)))
    return out
