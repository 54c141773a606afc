"""Document model: strokes, whole-layer edits, fills and exact undo/redo without Qt."""

from __future__ import annotations

import numpy as np
import pytest

from inpaint_studio.core.document import Document, mask_bbox, segment_alpha
from tests.helpers import photo


def _doc(h: int = 96, w: int = 128) -> Document:
    return Document(photo(h, w))


def test_dab_lands_on_the_pixel_under_the_cursor() -> None:
    doc = _doc()
    doc.begin_stroke("mask")
    doc.stroke_to((40.5, 30.5), (40.5, 30.5), radius=3)
    doc.end_stroke()
    m = doc.layers["mask"]
    assert m[30, 40] == 255
    ys, xs = np.nonzero(m)
    assert abs(ys.mean() - 30) < 0.01 and abs(xs.mean() - 40) < 0.01
    assert mask_bbox(m) == (27, 34, 37, 44)


def test_stroke_undo_redo_is_exact_with_overlapping_dabs() -> None:
    doc = _doc()
    doc.begin_stroke("mask")
    doc.stroke_to((10, 10), (100, 80), radius=6, hardness=0.3)
    doc.end_stroke()
    before = doc.layers["mask"].copy()
    doc.begin_stroke("mask")
    pts = [(5.0, 5.0), (60.0, 70.0), (120.0, 10.0), (200.0, 200.0)]  # leaves the photo
    for a, b in zip(pts, pts[1:]):
        doc.stroke_to(a, b, radius=9, hardness=0.5)
    e = doc.end_stroke()
    assert e is not None and len(e.atoms) == 1
    after = doc.layers["mask"].copy()
    assert not np.array_equal(before, after)
    assert e.atoms[0].old.shape == (96, 128)  # this stroke crossed the whole photo
    doc.undo()
    assert np.array_equal(doc.layers["mask"], before)
    doc.redo()
    assert np.array_equal(doc.layers["mask"], after)


def test_short_stroke_keeps_a_small_atom() -> None:
    doc = Document(photo(400, 600))
    doc.begin_stroke("mask")
    doc.stroke_to((300.5, 200.5), (310.5, 205.5), radius=4)
    e = doc.end_stroke()
    assert e is not None and e.atoms[0].old.size < 30 * 30


def test_eraser_removes_and_an_empty_stroke_records_nothing() -> None:
    doc = _doc()
    doc.begin_stroke("sketch")
    doc.stroke_to((20, 20), (80, 20), radius=2)
    doc.end_stroke()
    doc.begin_stroke("sketch", erase=True)
    doc.stroke_to((0, 20), (127, 20), radius=5)
    assert doc.end_stroke() is not None
    assert not doc.layers["sketch"].any()
    n = len(doc.undo_stack)
    doc.begin_stroke("mask", erase=True)
    doc.stroke_to((5, 5), (6, 6), radius=3)
    assert doc.end_stroke() is None
    assert len(doc.undo_stack) == n


def test_fill_adds_a_result_and_clears_paint_in_one_undo_step() -> None:
    doc = _doc()
    doc.begin_stroke("mask")
    doc.stroke_to((30, 30), (60, 40), radius=8)
    doc.end_stroke()
    doc.begin_stroke("edges")
    doc.stroke_to((30, 35), (60, 35), radius=1)
    doc.end_stroke()
    assert doc.guidance() is not None
    hole = doc.hole()
    filled = doc.photo.copy()
    filled[hole] = 7
    mask_before = doc.layers["mask"].copy()
    doc.add_result(filled, hole, method="telea")
    assert len(doc.results) == 1 and not doc.layers["mask"].any()
    comp = doc.composite()
    assert (comp[hole] == 7).all() and np.array_equal(comp[~hole], doc.photo[~hole])
    doc.set_result_visible(0, False)
    assert np.array_equal(doc.composite(), doc.photo)
    doc.undo()  # visibility
    doc.undo()  # fill
    assert doc.results == [] and np.array_equal(doc.layers["mask"], mask_before)
    assert doc.layers["edges"].any()
    doc.redo()
    assert len(doc.results) == 1 and doc.results[0].visible


def test_set_layer_and_remove_result() -> None:
    doc = _doc()
    m = np.zeros(doc.shape, np.uint8)
    m[10:20, 30:50] = 255
    e = doc.set_layer("mask", m, "Load mask")
    assert e is not None and e.atoms[0].bbox == (10, 20, 30, 50)
    assert doc.set_layer("mask", m, "again") is None
    doc.add_result(doc.photo.copy(), m > 0, "ns")
    doc.remove_result(0)
    assert doc.results == []
    doc.undo()
    assert len(doc.results) == 1
    with pytest.raises(ValueError):
        doc.set_layer("mask", np.zeros((3, 3), np.uint8), "bad")


def test_history_is_bounded() -> None:
    doc = Document(photo(32, 32), history_limit=3)
    for i in range(5):
        doc.begin_stroke("mask")
        doc.stroke_to((i * 5.0, 5.0), (i * 5.0, 5.0), radius=1)
        doc.end_stroke()
    assert len(doc.undo_stack) == 3


def test_soft_brush_fades() -> None:
    hit = segment_alpha((50, 50), (25.5, 25.5), (25.5, 25.5), radius=10, hardness=0.0)
    assert hit is not None
    _, a = hit
    assert a.max() == pytest.approx(1.0, abs=0.11) and 0 < a[a > 0].min() < 0.5
