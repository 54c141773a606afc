"""The one box type: a half-open pixel rectangle, rows first.

A ``Box`` is a named 4-tuple ``(y0, y1, x0, x1)`` (rows ``[y0, y1)``, columns
``[x0, x1)``), so it unpacks and compares like the plain tuples the document, the
project files and the editor pass around, and those tuples are accepted wherever a
box is; the names and methods are there for the code that needs more than indexing.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np


class Box(NamedTuple):
    y0: int
    y1: int
    x0: int
    x1: int

    @property
    def width(self) -> int:
        return self.x1 - self.x0

    @property
    def height(self) -> int:
        return self.y1 - self.y0

    @property
    def area(self) -> int:
        return max(0, self.width) * max(0, self.height)

    def overlaps(self, other: tuple[int, int, int, int]) -> bool:
        o = Box(*other)
        return self.x0 < o.x1 and o.x0 < self.x1 and self.y0 < o.y1 and o.y0 < self.y1

    def union(self, other: tuple[int, int, int, int]) -> Box:
        o = Box(*other)
        return Box(min(self.y0, o.y0), max(self.y1, o.y1), min(self.x0, o.x0), max(self.x1, o.x1))

    def intersection(self, other: tuple[int, int, int, int]) -> Box | None:
        """The common part, ``None`` when there is none."""
        o = Box(*other)
        return clip_box(self, o.y1, o.x1, o.y0, o.x0)

    def shifted(self, dy: int, dx: int) -> Box:
        return Box(self.y0 + dy, self.y1 + dy, self.x0 + dx, self.x1 + dx)

    def slices(self) -> tuple[slice, slice]:
        return slice(self.y0, self.y1), slice(self.x0, self.x1)


def union_box(a: tuple[int, int, int, int] | None, b: tuple[int, int, int, int] | None) -> Box | None:
    """The box around both; either may be ``None`` (nothing yet)."""
    if a is None:
        return None if b is None else Box(*b)
    return Box(*a) if b is None else Box(*a).union(b)


def clip_box(b: tuple[int, int, int, int], h: int, w: int, top: int = 0, left: int = 0) -> Box | None:
    """``b`` cut to rows ``[top, h)`` and columns ``[left, w)``; ``None`` if nothing is left."""
    y0, y1, x0, x1 = max(top, b[0]), min(h, b[1]), max(left, b[2]), min(w, b[3])
    if y0 >= y1 or x0 >= x1:
        return None
    return Box(y0, y1, x0, x1)


def mask_box(mask: np.ndarray) -> Box | None:
    """Tight box of the True/non-zero pixels, ``None`` when there are none.

    Rows and columns are reduced first (``any`` per axis), not every pixel listed: on a
    24 MP mask that is two passes instead of millions of coordinates.
    """
    rows = np.flatnonzero(mask.any(axis=1))
    if rows.size == 0:
        return None
    cols = np.flatnonzero(mask.any(axis=0))
    return Box(int(rows[0]), int(rows[-1]) + 1, int(cols[0]), int(cols[-1]) + 1)
