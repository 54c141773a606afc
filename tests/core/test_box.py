"""core.box: the one box type, and the plain tuples it stands in for."""

from __future__ import annotations

import numpy as np

from inpaint_studio.core.box import Box, clip_box, mask_box, union_box


def test_box_is_rows_first_and_interchangeable_with_a_plain_tuple() -> None:
    b = Box(y0=2, y1=5, x0=10, x1=14)
    y0, y1, x0, x1 = b
    assert (y0, y1, x0, x1) == (2, 5, 10, 14) == b
    assert (b.height, b.width, b.area) == (3, 4, 12)
    m = np.zeros((8, 20), bool)
    m[b.slices()] = True
    assert mask_box(m) == b
    assert mask_box(np.zeros((3, 3), bool)) is None


def test_union_clip_and_overlap_take_plain_tuples_too() -> None:
    a = Box(0, 4, 0, 4)
    assert union_box(None, None) is None
    assert union_box(None, (1, 2, 3, 4)) == Box(1, 2, 3, 4)
    assert union_box(a, (2, 6, 3, 9)) == Box(0, 6, 0, 9)
    assert clip_box((-3, 5, 2, 50), 4, 10) == Box(0, 4, 2, 10)
    assert clip_box((5, 9, 0, 3), 4, 10) is None
    assert a.overlaps((3, 5, 3, 5)) and not a.overlaps((4, 6, 0, 4))  # half-open: touching is apart
    assert a.intersection((2, 9, -1, 2)) == Box(2, 4, 0, 2)
    assert a.shifted(1, -1) == Box(1, 5, -1, 3)
