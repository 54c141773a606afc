"""The round brush: a dab's coverage and an open stroke's saved pixels.

Why tiles: a long stroke crosses a small part of a 24 MP layer; saving the old pixels
of each tile it reaches, on first touch, makes the undo atom exact where dabs overlap
and costs only the tiles crossed.
"""

from __future__ import annotations

import math

import numpy as np

from .box import Box, clip_box, union_box

BBox = Box
#: Stroke tiles whose old pixels are saved on first touch (see :class:`Stroke`).
_TILE = 128


def segment_alpha(
    shape: tuple[int, int],
    p0: tuple[float, float],
    p1: tuple[float, float],
    radius: float,
    hardness: float,
) -> tuple[BBox, np.ndarray] | None:
    """Coverage (float32 in [0, 1]) of a round brush swept from ``p0`` to ``p1``.

    Points are ``(x, y)`` in photo pixels with pixel centres at ``+0.5``, so a click at
    scene position (10.5, 20.5) is centred on pixel column 10, row 20.  ``hardness`` 1 is
    a hard edge; lower values fade the outer ``1 - hardness`` of the radius.  Returns the
    clipped box and its coverage, or ``None`` when the dab misses the photo.
    """
    h, w = shape
    r = max(0.5, float(radius))
    (ax, ay), (bx, by) = p0, p1
    box = clip_box(
        (
            int(math.floor(min(ay, by) - r)),
            int(math.ceil(max(ay, by) + r)) + 1,
            int(math.floor(min(ax, bx) - r)),
            int(math.ceil(max(ax, bx) + r)) + 1,
        ),
        h,
        w,
    )
    if box is None:
        return None
    y0, y1, x0, x1 = box
    ys = np.arange(y0, y1, dtype=np.float32)[:, None] + 0.5
    xs = np.arange(x0, x1, dtype=np.float32)[None, :] + 0.5
    dx, dy = bx - ax, by - ay
    ll = dx * dx + dy * dy
    if ll > 1e-9:
        t = np.clip(((xs - ax) * dx + (ys - ay) * dy) / ll, 0.0, 1.0)
        d = np.sqrt((xs - (ax + t * dx)) ** 2 + (ys - (ay + t * dy)) ** 2)
    else:
        d = np.sqrt((xs - np.float32(ax)) ** 2 + (ys - np.float32(ay)) ** 2)
    soft = max(1e-3, r * (1.0 - float(np.clip(hardness, 0.0, 1.0))))
    # Hard brush: full inside r, anti-aliased over one pixel; soft: linear ramp inwards.
    if soft <= 1.0:
        alpha = np.clip(r - d + 0.5, 0.0, 1.0)
    else:
        alpha = np.clip((r - d) / soft, 0.0, 1.0)
    if not (alpha > 0).any():
        return None
    return box, alpha.astype(np.float32)


class Stroke:
    """An open brush stroke on one paint layer; ``Document.end_stroke`` turns it into an Entry.

    Old pixels are saved per tile the first time a dab reaches it, so a long stroke costs
    only the tiles it crossed, and the undo atom is exact even where dabs overlap.
    """

    def __init__(self, layer: str, data: np.ndarray, erase: bool, value: int, binary: bool = False) -> None:
        self.layer = layer
        self.erase = erase
        self.value = int(value)
        self.binary = binary
        self._data = data
        self._tiles: dict[tuple[int, int], np.ndarray] = {}
        self.bbox: BBox | None = None

    def save_tiles(self, box: BBox) -> None:
        y0, y1, x0, x1 = box
        for ty in range(y0 // _TILE, (y1 - 1) // _TILE + 1):
            for tx in range(x0 // _TILE, (x1 - 1) // _TILE + 1):
                if (ty, tx) not in self._tiles:
                    sl = (slice(ty * _TILE, (ty + 1) * _TILE), slice(tx * _TILE, (tx + 1) * _TILE))
                    self._tiles[(ty, tx)] = self._data[sl].copy()
        self.bbox = union_box(self.bbox, box)

    def old_pixels(self) -> np.ndarray:
        assert self.bbox is not None
        y0, y1, x0, x1 = self.bbox
        old = self._data[y0:y1, x0:x1].copy()
        for (ty, tx), tile in self._tiles.items():
            ty0, tx0 = ty * _TILE, tx * _TILE
            # Intersection of the tile with the box, in both coordinate frames.
            iy0, iy1 = max(y0, ty0), min(y1, ty0 + tile.shape[0])
            ix0, ix1 = max(x0, tx0), min(x1, tx0 + tile.shape[1])
            if iy0 < iy1 and ix0 < ix1:
                old[iy0 - y0 : iy1 - y0, ix0 - x0 : ix1 - x0] = tile[iy0 - ty0 : iy1 - ty0, ix0 - tx0 : ix1 - tx0]
        return old
