"""What the red overlay shows is exactly what a fill replaces, and a fill consumes all of it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6.QtCore import QPointF

from tests.ui.conftest import choose
from tests.ui.util import drag


def _shown(window) -> np.ndarray:  # noqa: ANN001
    """Photo pixels the overlay tints (any alpha), as the user sees them."""
    return window.canvas.overlay.buf[..., 3] > 0


def test_the_red_area_is_the_hole_and_covers_the_cursor(qtbot, window, photo_file: Path) -> None:
    window.open_path(photo_file)
    c = window.canvas
    window.tools.size_spin.setValue(40)
    c.set_zoom(2.0)
    c.centerOn(QPointF(200, 150))
    drag(qtbot, c, [(200.5, 150.5)])
    hole = window.doc.hole()
    assert np.array_equal(_shown(window), hole)
    # Every pixel inside the brush circle (the cursor) is hole: the object's outline
    # under the cursor's edge is filled too.  (Half a photo pixel of slack: at 200 % the
    # click lands within a quarter pixel of the target.)
    yy, xx = np.mgrid[0:300, 0:400]
    d = np.hypot(xx + 0.5 - 200.5, yy + 0.5 - 150.5)
    assert hole[d <= 19.5].all()
    # ...and nothing beyond it is hole, or tinted.
    outside = d > 20.5
    assert not hole[outside].any() and not _shown(window)[outside].any()


def test_a_soft_mask_shows_exactly_what_will_be_filled(qtbot, window, photo_file: Path) -> None:
    window.open_path(photo_file)
    m = np.zeros((300, 400), np.uint8)
    yy, xx = np.mgrid[0:300, 0:400]
    d = np.hypot(xx - 200, yy - 150)
    m[:] = np.clip((60 - d) / 30 * 255, 0, 255).astype(np.uint8)  # a feathered disc (old project)
    window.push(window.doc.set_layer("mask", m, "Load soft mask"))
    assert np.array_equal(_shown(window), window.doc.hole())


def test_a_fill_leaves_no_mask_behind(qtbot, window, photo_file: Path) -> None:
    window.open_path(photo_file)
    choose(window, "telea")
    window.tools.size_spin.setValue(50)
    drag(qtbot, window.canvas, [(120.5, 80.5), (260.5, 200.5)])
    soft = np.zeros((300, 400), np.uint8)
    yy, xx = np.mgrid[0:300, 0:400]
    soft[:] = np.clip((40 - np.hypot(xx - 300, yy - 100)) / 30 * 255, 0, 255).astype(np.uint8)
    window.push(window.doc.set_layer("mask", np.maximum(window.doc.layers["mask"], soft), "soft part"))
    hole = window.doc.hole()
    window.fill()
    qtbot.waitUntil(lambda: len(window.doc.results) == 1, timeout=15000)
    assert not window.doc.layers["mask"].any()  # the soft fringe too: no red lines left
    assert not _shown(window).any()
    r = window.doc.results[0]
    y0, y1, x0, x1 = r.bbox
    filled = np.zeros_like(hole)
    filled[y0:y1, x0:x1] = r.mask
    assert np.array_equal(filled, hole)


def test_strokes_painted_while_a_fill_runs_survive_it(qtbot, window, photo_file: Path) -> None:
    window.open_path(photo_file)
    choose(window, "test-slow")
    window.tools.size_spin.setValue(30)
    drag(qtbot, window.canvas, [(100.5, 100.5), (300.5, 200.5)])  # a diagonal: its box is mostly not hole
    hole = window.doc.hole()
    window.fill()
    assert window.worker.busy
    # While it runs: a new stroke inside the first one's box, away from its hole, and a
    # sketch line.
    drag(qtbot, window.canvas, [(280.5, 110.5), (290.5, 115.5)])
    window.act_sketch.trigger()
    drag(qtbot, window.canvas, [(120.5, 180.5), (150.5, 185.5)])
    later_mask = window.doc.layers["mask"].copy()
    later_sketch = window.doc.layers["sketch"].copy()
    assert not (later_mask[~hole] == 0).all()
    qtbot.waitUntil(lambda: len(window.doc.results) == 1, timeout=15000)
    m = window.doc.layers["mask"]
    assert not m[hole].any()
    assert np.array_equal(m[~hole], later_mask[~hole])  # the new stroke is still there
    assert np.array_equal(window.doc.layers["sketch"], later_sketch)
    window.undo_stack.undo()  # the fill: the first stroke's hole is back, with the later ones
    assert (window.doc.layers["mask"][hole] == 255).all()
