"""Object select and Outline select in the editor: each lands as one mask edit."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import Qt

from inpaint_studio.core.image_io import LoadedImage, save_image
from tests.core.test_selection import box_around, iou, scene
from tests.ui.conftest import choose
from tests.ui.util import view_pos

NO = Qt.KeyboardModifier.NoModifier
LEFT = Qt.MouseButton.LeftButton


@pytest.fixture
def object_photo(tmp_path: Path) -> tuple[Path, np.ndarray]:
    img, obj = scene(3, 300, 400, shape="star", contrast=40.0)
    p = tmp_path / "object.png"
    save_image(p, LoadedImage(pixels=img, format="PNG"))
    return p, obj


def drag_box(qtbot, canvas, box, mods=NO, button=LEFT) -> None:  # noqa: ANN001
    y0, y1, x0, x1 = box
    vp = canvas.viewport()
    qtbot.mousePress(vp, button, mods, view_pos(canvas, x0, y0))
    qtbot.mouseMove(vp, view_pos(canvas, (x0 + x1) / 2, (y0 + y1) / 2))
    qtbot.mouseMove(vp, view_pos(canvas, x1, y1))
    qtbot.mouseRelease(vp, button, mods, view_pos(canvas, x1, y1))


def test_object_select_adds_the_object_then_subtracts_in_single_steps(qtbot, window, object_photo) -> None:  # noqa: ANN001
    path, obj = object_photo
    window.open_path(path)
    window.act_object.trigger()
    assert window.tools.object_btn.isChecked() and window.canvas.select_tool is not None
    n = window.undo_stack.count()
    drag_box(qtbot, window.canvas, box_around(obj))
    qtbot.waitUntil(lambda: window.undo_stack.count() == n + 1, timeout=20000)
    hole = window.doc.hole()
    assert hole[obj].mean() >= 0.99 and iou(hole, obj) >= 0.75  # grown a few px past the edge
    assert np.array_equal(window.canvas.overlay.buf[..., 3] > 0, hole)
    assert "Object select" in window.undo_stack.text(n)
    # A stroke elsewhere, then Alt+drag around the object takes the object out of the mask
    # again (one more step) and leaves the stroke.
    from tests.ui.util import drag

    window.act_brush.trigger()
    window.tools.size_spin.setValue(16)
    drag(qtbot, window.canvas, [(20.5, 280.5), (90.5, 280.5)])
    stroke = window.doc.hole() & ~hole
    assert stroke.any()
    window.act_object.trigger()
    drag_box(qtbot, window.canvas, box_around(obj), Qt.KeyboardModifier.AltModifier)
    qtbot.waitUntil(lambda: window.undo_stack.count() == n + 3, timeout=20000)
    after = window.doc.hole()
    assert after[obj].mean() <= 0.01 and np.array_equal(after & stroke, stroke)
    assert "subtract" in window.undo_stack.text(n + 2)
    window.undo_stack.undo()
    window.undo_stack.undo()
    assert np.array_equal(window.doc.hole(), hole)
    window.undo_stack.undo()
    assert not window.doc.hole().any()


def test_a_click_selects_and_painted_strokes_seed_it(qtbot, window, tmp_path: Path) -> None:
    img, _ = scene(7, 300, 400)
    disc = np.zeros((300, 400), np.uint8)
    import cv2

    cv2.circle(disc, (200, 150), 25, 1, -1)
    img[disc > 0] = (230, 20, 200)
    p = tmp_path / "disc.png"
    save_image(p, LoadedImage(pixels=img, format="PNG"))
    window.open_path(p)
    window.act_object.trigger()
    c = window.canvas
    qtbot.mouseClick(c.viewport(), LEFT, NO, view_pos(c, 200.5, 150.5))
    qtbot.waitUntil(lambda: window.doc.hole().any(), timeout=20000)
    assert iou(window.doc.hole(), disc > 0) >= 0.7


def test_outline_select_snaps_a_lasso_to_the_edges(qtbot, window, tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    import cv2

    img = (cv2.GaussianBlur(rng.random((300, 400, 3)).astype(np.float32), (0, 0), 2) * 128 + 90).astype(np.uint8)
    img[80:220, 100:300] = (160, 30, 30)
    p = tmp_path / "square.png"
    save_image(p, LoadedImage(pixels=img, format="PNG"))
    window.open_path(p)
    c = window.canvas
    window.act_outline.trigger()
    assert window.canvas.select_tool.name == "outline"
    vp = c.viewport()
    n = window.undo_stack.count()
    # Clicks a few pixels off the corners; the line between them finds the edges.
    for x, y in [(103, 84), (296, 83), (297, 216), (104, 217)]:
        qtbot.mouseClick(vp, LEFT, NO, view_pos(c, x + 0.5, y + 0.5))
        qtbot.mouseMove(vp, view_pos(c, x + 20.5, y + 20.5))  # the live preview follows
    assert c.select_tool.active()
    qtbot.mouseClick(vp, LEFT, NO, view_pos(c, 103.5, 84.5))  # back on the first: closes
    qtbot.waitUntil(lambda: window.undo_stack.count() == n + 1, timeout=20000)
    sq = np.zeros((300, 400), bool)
    sq[80:220, 100:300] = True
    hole = window.doc.hole()
    assert hole[sq].mean() >= 0.99 and iou(hole, sq) >= 0.9
    assert not c.select_tool.active()
    # Esc drops a lasso in progress (and is not "fit to window"); Backspace takes back a point.
    window.undo_stack.undo()
    c.set_zoom(2.0)
    z = c.zoom()
    for x, y in [(120, 100), (200, 100), (200, 180)]:
        qtbot.mouseClick(vp, LEFT, NO, view_pos(c, x + 0.5, y + 0.5))
    qtbot.keyClick(c, Qt.Key.Key_Backspace)
    assert len(c.select_tool.anchors) == 2
    qtbot.keyClick(c, Qt.Key.Key_Escape)
    assert not c.select_tool.active() and c.zoom() == z
    window.map_builder.wait()
    qtbot.wait(50)
    assert not window.doc.hole().any() and window.undo_stack.index() == n


def test_a_selection_does_not_cancel_a_running_fill(qtbot, window, object_photo) -> None:  # noqa: ANN001
    path, obj = object_photo
    window.open_path(path)
    window.tools.size_spin.setValue(20)
    from tests.ui.util import drag

    drag(qtbot, window.canvas, [(20.5, 20.5), (60.5, 20.5)])
    choose(window, "test-slow")
    window.fill()
    window.act_object.trigger()
    drag_box(qtbot, window.canvas, box_around(obj))
    qtbot.waitUntil(lambda: len(window.doc.results) == 1, timeout=20000)
    qtbot.waitUntil(lambda: window.doc.hole()[obj].mean() > 0.99, timeout=20000)
    assert window.doc.results[0].mask.any()
