"""Painting with real mouse events: coordinates under zoom, eraser, layers, undo/redo."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QPointF, Qt

from tests.ui.util import drag


@pytest.mark.parametrize("zoom", [0.5, 2.0, 3.7])
def test_stroke_paints_mask_at_image_coordinates_under_zoom(qtbot, window, photo_file: Path, zoom: float) -> None:
    assert window.open_path(photo_file)
    c = window.canvas
    c.set_zoom(zoom)
    c.centerOn(QPointF(150, 100))
    window.tools.size_spin.setValue(9)
    drag(qtbot, c, [(150.5, 100.5)])
    m = window.doc.layers["mask"]
    assert m[100, 150] == 255
    ys, xs = np.nonzero(m >= 128)
    # One viewport pixel is 1/zoom photo pixels: the dab lands within that of the target.
    tol = max(0.6, 0.6 / zoom)
    assert abs(xs.mean() - 150) <= tol and abs(ys.mean() - 100) <= tol
    assert 40 <= xs.size <= 90  # a 9 px disc, not a smear or a zoom-scaled blob
    # A drag paints a line; the overlay buffer shows it in red.
    drag(qtbot, c, [(100.5, 50.5), (200.5, 50.5)])
    assert (m[50, 102:199] == 255).all()
    assert c.overlay.buf[50, 150, 2] > 0 and c.overlay.buf[50, 150, 3] > 0
    assert c.overlay.buf[10, 10, 3] == 0


def test_right_drag_erases_and_brush_keys(qtbot, window, photo_file: Path) -> None:
    window.open_path(photo_file)
    c = window.canvas
    window.tools.size_spin.setValue(20)
    drag(qtbot, c, [(50.5, 150.5), (300.5, 150.5)])
    assert window.doc.layers["mask"][150, 200] == 255
    drag(qtbot, c, [(200.5, 150.5)], Qt.MouseButton.RightButton)
    assert window.doc.layers["mask"][150, 200] == 0
    assert window.doc.layers["mask"][150, 100] == 255
    window.act_bigger.trigger()
    assert c.brush_size > 20 and window.tools.size_spin.value() == int(c.brush_size)
    window.act_smaller.trigger()
    window.act_smaller.trigger()
    assert c.brush_size < 20
    # The brush cursor is drawn at the brush's size in photo pixels.
    assert c.cursor_item.rect().width() == pytest.approx(c.brush_size)
    window.act_eraser.trigger()
    drag(qtbot, c, [(100.5, 150.5)])
    assert window.doc.layers["mask"][150, 100] == 0
    assert window.settings.brush_size == int(c.brush_size)


def test_sketch_and_edges_layers_are_separate(qtbot, window, photo_file: Path) -> None:
    window.open_path(photo_file)
    c = window.canvas
    window.act_sketch.trigger()
    assert c.active_layer == "sketch"
    drag(qtbot, c, [(10.5, 10.5), (60.5, 10.5)])
    assert window.doc.layers["sketch"][10, 30] == 255
    assert not window.doc.layers["mask"].any()
    window.act_edges_layer.trigger()
    drag(qtbot, c, [(10.5, 30.5), (60.5, 30.5)])
    assert window.doc.layers["edges"][30, 30] == 255
    # Hiding a layer hides its overlay but keeps its pixels.
    window.masking.on_paint_visibility("sketch", False)
    assert c.overlay.buf[10, 30, 3] == 0 and window.doc.layers["sketch"][10, 30] == 255


def test_undo_redo_restores_exact_pixels(qtbot, window, photo_file: Path) -> None:
    window.open_path(photo_file)
    c = window.canvas
    drag(qtbot, c, [(40.5, 40.5), (120.5, 90.5), (200.5, 40.5)])
    a = window.doc.layers["mask"].copy()
    drag(qtbot, c, [(60.5, 60.5), (260.5, 200.5)])
    b = window.doc.layers["mask"].copy()
    drag(qtbot, c, [(100.5, 60.5), (100.5, 200.5)], Qt.MouseButton.RightButton)
    e = window.doc.layers["mask"].copy()
    assert window.undo_stack.count() == 3
    window.act_undo.trigger()
    assert np.array_equal(window.doc.layers["mask"], b)
    window.act_undo.trigger()
    assert np.array_equal(window.doc.layers["mask"], a)
    window.act_undo.trigger()
    assert not window.doc.layers["mask"].any()
    assert c.overlay.buf[..., 3].max() == 0  # the view followed
    window.act_redo.trigger()
    window.act_redo.trigger()
    window.act_redo.trigger()
    assert np.array_equal(window.doc.layers["mask"], e)
    # Redo is bound to both Ctrl+Shift+Z and Ctrl+Y.
    keys = {s.toString() for s in window.act_redo.shortcuts()}
    assert {"Ctrl+Shift+Z", "Ctrl+Y"} <= keys


def test_mask_operations_are_undoable(qtbot, window, photo_file: Path) -> None:
    window.open_path(photo_file)
    drag(qtbot, window.canvas, [(200.5, 150.5)])
    base = window.doc.layers["mask"].copy()
    n = int((base >= 128).sum())
    window.masking.mask_op("grow")
    assert int(window.doc.hole().sum()) > n
    window.masking.mask_op("shrink")
    window.masking.mask_op("shrink")
    assert int(window.doc.hole().sum()) < n
    window.masking.mask_op("clear")
    assert not window.doc.layers["mask"].any()
    for _ in range(4):
        window.undo_stack.undo()
    assert np.array_equal(window.doc.layers["mask"], base)


def test_zoom_fit_and_actual_size(qtbot, window, photo_file: Path) -> None:
    window.open_path(photo_file)
    c = window.canvas
    window.act_100.trigger()
    assert c.zoom() == pytest.approx(1.0)
    window.act_fit.trigger()
    vp = c.viewport().size()
    assert c.zoom() == pytest.approx(min(vp.width() / 400, vp.height() / 300), rel=0.05)
    # Still fitted after the window grows (until the user zooms).
    window.resize(window.width() + 300, window.height() + 200)
    qtbot.waitUntil(lambda: c.viewport().size() != vp, timeout=2000)
    vp = c.viewport().size()
    assert c.zoom() == pytest.approx(min(vp.width() / 400, vp.height() / 300), rel=0.05)


def test_hold_tab_shows_original_and_split_slider(qtbot, window, photo_file: Path) -> None:
    window.open_path(photo_file)
    c = window.canvas
    c.setFocus()
    qtbot.keyPress(c, Qt.Key.Key_Tab)
    assert not c.fills.results_clip.isVisible() and not c.overlay.isVisible()
    qtbot.keyRelease(c, Qt.Key.Key_Tab)
    assert c.fills.results_clip.isVisible() and c.overlay.isVisible()
    window.tools.split_slider.setValue(50)
    assert c.fills.results_clip.rect().left() == pytest.approx(200)
    assert c.split_line.isVisible()


def test_wheel_zoom_and_space_drag_pan_do_not_paint(qtbot, window, photo_file: Path) -> None:
    from PySide6.QtCore import QPoint
    from PySide6.QtGui import QWheelEvent
    from PySide6.QtWidgets import QApplication

    window.open_path(photo_file)
    c = window.canvas
    c.set_zoom(2.0)
    z = c.zoom()
    pos = QPointF(c.viewport().width() / 2, c.viewport().height() / 2)
    ev = QWheelEvent(
        pos,
        c.mapToGlobal(pos),
        QPoint(0, 0),
        QPoint(0, 120),
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier,
        Qt.ScrollPhase.NoScrollPhase,
        False,
    )
    QApplication.sendEvent(c.viewport(), ev)
    assert c.zoom() == pytest.approx(z * 1.2)
    c.setFocus()
    h0, v0 = c.horizontalScrollBar().value(), c.verticalScrollBar().value()
    qtbot.keyPress(c, Qt.Key.Key_Space)
    drag(qtbot, c, [(200.5, 150.5), (180.5, 140.5), (150.5, 120.5)])
    qtbot.keyRelease(c, Qt.Key.Key_Space)
    assert (c.horizontalScrollBar().value(), c.verticalScrollBar().value()) != (h0, v0)
    assert not window.doc.layers["mask"].any()


def test_drop_a_file_opens_it(qtbot, window, photo_file: Path) -> None:
    from PySide6.QtCore import QMimeData, QUrl
    from PySide6.QtGui import QDropEvent

    md = QMimeData()
    md.setUrls([QUrl.fromLocalFile(str(photo_file))])
    ev = QDropEvent(
        QPointF(10, 10), Qt.DropAction.CopyAction, md, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    )
    window.dropEvent(ev)
    assert window.doc is not None and window.doc.shape == (300, 400)
    assert window.photo_path == photo_file


def test_history_limit_keeps_qt_and_document_stacks_in_step(qtbot, window, photo_file: Path) -> None:
    from inpaint_studio.core.document import DEFAULT_HISTORY_LIMIT

    window.open_path(photo_file)
    doc = window.doc
    for i in range(DEFAULT_HISTORY_LIMIT + 5):
        doc.begin_stroke("mask")
        doc.stroke_to((float(i % 400), 5.0), (float(i % 400), 5.0), 1.0)
        window.push(doc.end_stroke())
    assert window.undo_stack.count() == len(doc.undo_stack) == DEFAULT_HISTORY_LIMIT
