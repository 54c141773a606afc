"""Brush sizes relative to the photo.

Why relative: a fixed 500 px ceiling is 1/8 of a 24 MP photo's short side, and a size
remembered in pixels from a small photo is a speck on a big one.  The remembered size
is a share of the photo's short side, so each photo opens with a brush of the same
apparent size, and the ceiling is the photo's long side (a brush that covers the whole
photo is the largest anyone needs).
"""

from __future__ import annotations

#: Share of the short side a brush gets before the user ever chose one (40 px on a
#: 1000 px photo, 160 px on a 24 MP one).
DEFAULT_FRACTION = 0.04
#: Largest diameter accepted before any photo is open, and the floor of every limit.
MIN_LIMIT = 64
#: Each `]` / `[` press (or wheel notch) scales the brush by this factor.
STEP = 1.25


def brush_limit(shape: tuple[int, int] | None) -> int:
    """Largest mask brush diameter for a photo of ``shape`` (H, W): its long side."""
    if shape is None:
        return 500
    return max(MIN_LIMIT, int(max(shape)))


def scaled_brush(fraction: float, shape: tuple[int, int]) -> int:
    """The remembered share of the short side, in pixels of this photo."""
    return max(1, min(brush_limit(shape), int(round(fraction * min(shape)))))


def stepped(size: int, direction: int, limit: int) -> int:
    """One press of `]` (direction 1) or `[` (-1): about 25 %, at least one pixel."""
    if direction > 0:
        new = max(size + 1, int(round(size * STEP)))
    else:
        new = min(size - 1, int(round(size / STEP)))
    return max(1, min(limit, new))
