"""The view: wheel zoom keeps the point under the cursor, modifier+wheel sizes the brush."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import QApplication


def wheel(
    canvas: object, pos: QPointF, dy: int, mods: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier, dx: int = 0
) -> None:
    ev = QWheelEvent(
        pos,
        canvas.mapToGlobal(pos),
        QPoint(0, 0),
        QPoint(dx, dy),
        Qt.MouseButton.NoButton,  # type: ignore[attr-defined]
        mods,
        Qt.ScrollPhase.NoScrollPhase,
        False,
    )
    QApplication.sendEvent(canvas.viewport(), ev)  # type: ignore[attr-defined]


def photo_point(canvas: object, pos: QPointF) -> QPointF:
    inv, _ = canvas.viewportTransform().inverted()  # type: ignore[attr-defined]
    return inv.map(pos)


@pytest.mark.parametrize("pos", [(700.0, 400.0), (80.0, 60.0), (420.0, 500.0)])
def test_wheel_zoom_keeps_the_point_under_the_cursor(qtbot, window, pos: tuple[float, float]) -> None:
    window.open_array(np.zeros((2000, 3000, 3), np.uint8))
    c = window.canvas
    c.set_zoom(1.0)
    c.centerOn(QPointF(1500, 1000))
    p = QPointF(*pos)
    start = before = photo_point(c, p)
    for dy in (120, 120, 120, -120, 240):
        wheel(c, p, dy)
        after = photo_point(c, p)
        # Scroll bars move in whole viewport pixels: each notch keeps the point within one.
        tol = 1.0 / c.zoom()
        assert abs(after.x() - before.x()) <= tol and abs(after.y() - before.y()) <= tol, (dy, before, after)
        before = after
    assert abs(after.x() - start.x()) <= 2 and abs(after.y() - start.y()) <= 2
    assert c.zoom() == pytest.approx(1.2**4)


@pytest.mark.parametrize(
    "mods", [Qt.KeyboardModifier.ControlModifier, Qt.KeyboardModifier.ShiftModifier, Qt.KeyboardModifier.AltModifier]
)
def test_modifier_wheel_sizes_the_brush_instead_of_zooming(qtbot, window, photo_file, mods) -> None:  # noqa: ANN001
    window.open_path(photo_file)
    c = window.canvas
    z, size = c.zoom(), window.tools.size_spin.value()
    pos = QPointF(200, 200)
    wheel(c, pos, 120, mods)
    assert c.zoom() == z and window.tools.size_spin.value() > size
    big = window.tools.size_spin.value()
    wheel(c, pos, 0, mods, dx=-120)  # Shift+wheel arrives sideways on some systems
    assert window.tools.size_spin.value() < big
    # A touchpad's small deltas add up to one step per notch, not one per event.
    size = window.tools.size_spin.value()
    for _ in range(3):
        wheel(c, pos, 40, mods)
    assert window.tools.size_spin.value() > size
    once = window.tools.size_spin.value()
    wheel(c, pos, 40, mods)
    assert window.tools.size_spin.value() == once


def _pixels(widget: object) -> np.ndarray:
    from PySide6.QtGui import QImage

    img = widget.grab().toImage().convertToFormat(QImage.Format.Format_RGB32)  # type: ignore[attr-defined]
    a = np.frombuffer(img.constBits(), np.uint8, count=img.sizeInBytes())
    return a.reshape(img.height(), img.bytesPerLine() // 4, 4)[:, : img.width(), :3].copy()


@pytest.mark.parametrize("zoom", [0.18, 0.26, 0.5, 2.19])
def test_the_mask_overlay_has_no_seams_after_many_small_updates(qtbot, window, zoom: float) -> None:
    h, w = 1200, 1600
    window.open_array(np.full((h, w, 3), 128, np.uint8))
    c, doc = window.canvas, window.doc
    c.set_zoom(zoom)
    c.centerOn(QPointF(w / 2, h / 2))
    QApplication.processEvents()
    _pixels(c.viewport())  # the overlay's device cache exists before the strokes
    rng = np.random.default_rng(0)
    doc.begin_stroke("mask")
    for k in range(300):  # dabs repaint small boxes; the view scrolls now and then
        x, y = rng.uniform(300, w - 300), rng.uniform(300, h - 300)
        box = doc.stroke_to((x, y), (x + rng.uniform(-40, 40), y + rng.uniform(-40, 40)), rng.uniform(3, 30))
        if box:
            c.refresh_overlay(box)
        if k % 10 == 0:
            c.horizontalScrollBar().setValue(c.horizontalScrollBar().value() + int(rng.integers(-13, 14)))
            c.verticalScrollBar().setValue(c.verticalScrollBar().value() + int(rng.integers(-13, 14)))
            QApplication.processEvents()
    doc.end_stroke()
    QApplication.processEvents()
    got = _pixels(c.viewport())
    c.overlay.setCacheMode(c.overlay.CacheMode.NoCache)  # the same state drawn in one go
    c.overlay.update()
    QApplication.processEvents()
    want = _pixels(c.viewport())
    assert np.abs(got.astype(int) - want.astype(int)).max() <= 8


def test_a_notice_floats_over_the_canvas_and_goes_when_stale(qtbot, window, photo_file, monkeypatch) -> None:  # noqa: ANN001
    from inpaint_studio.ui.widgets import NoticeBar
    from tests.ui.util import drag

    window.open_path(photo_file)
    c = window.canvas
    QApplication.processEvents()
    where = (c.viewport().mapToGlobal(QPoint(0, 0)), c.viewport().size(), c.transform().m11())
    window.show_notice("Fill finished with warnings:\nline one\nline two", "warning")
    QApplication.processEvents()
    assert window.notice.isVisible() and window.notice.height() > 10
    # The photo does not move under the cursor: same viewport place, size and zoom.
    assert (c.viewport().mapToGlobal(QPoint(0, 0)), c.viewport().size(), c.transform().m11()) == where
    assert window.notice.geometry().top() == 0 and window.notice.width() == c.width()
    window.resize(window.width() + 120, window.height())
    qtbot.waitUntil(lambda: window.notice.width() == c.width(), timeout=2000)
    # A warning stays through edits; an info notice goes at the next edit...
    drag(qtbot, c, [(100.5, 100.5)])
    assert window.notice.isVisible()
    window.show_notice("Paint over what should disappear first (B = brush)", "info")
    drag(qtbot, c, [(150.5, 100.5)])
    assert not window.notice.isVisible()
    # ...or by itself after a while.
    monkeypatch.setattr(NoticeBar, "INFO_MS", 50)
    window.show_notice("Brush 40 px for this photo", "info")
    qtbot.waitUntil(lambda: not window.notice.isVisible(), timeout=2000)
    # A new fill replaces an old error with its own outcome.
    from tests.ui.conftest import choose

    choose(window, "telea")
    window.show_notice("Fill failed: boom", "error")
    window.fill()
    assert not window.notice.isVisible()
    qtbot.waitUntil(lambda: not window.worker.busy, timeout=15000)


def test_the_quick_preview_shows_above_the_red_mask(qtbot, window, photo_file) -> None:  # noqa: ANN001
    from tests.ui.util import drag, view_pos

    window.open_path(photo_file)
    c = window.canvas
    window.tools.size_spin.setValue(60)
    drag(qtbot, c, [(200.5, 150.5)])
    hole = window.doc.hole()
    green = window.doc.photo.copy()
    green[hole] = (0, 220, 0)
    c.show_preview(green, hole)
    QApplication.processEvents()
    px = _pixels(c.viewport())
    p = view_pos(c, 200.5, 150.5)
    r, g, b = (int(v) for v in px[p.y(), p.x()][::-1])  # BGRA in memory
    assert g > 150 and r < 60, (r, g, b)  # the preview's green, not tinted red


def test_the_dock_layout_survives_a_tiny_window_and_the_next_launch(qtbot, window) -> None:
    from inpaint_studio.ui.main_window import MainWindow

    def tools_scroll(w: MainWindow) -> int:
        return w.tools.parentWidget().parentWidget().verticalScrollBar().maximum()

    window.resize(1400, 900)
    qtbot.wait(50)
    assert tools_scroll(window) == 0
    window.resize(200, 150)
    qtbot.wait(50)
    assert window.width() >= 800 and window.height() >= 560  # never squeezed below the docks
    window.resize(1400, 900)
    qtbot.wait(50)
    assert tools_scroll(window) == 0  # the Tools dock got its height back
    window.close()  # saves geometry and dock state, as a real exit does
    again = MainWindow()
    again.prompt_on_close = False
    qtbot.addWidget(again)
    again.show()
    qtbot.waitExposed(again)
    again.resize(1400, 900)
    qtbot.wait(50)
    assert tools_scroll(again) == 0
    assert not again.tools_dock.isFloating() and again.tools_dock.height() > again.tools.minimumSizeHint().height()
    again.close()


def test_the_preview_image_keeps_the_photos_alpha_and_nothing_outside_the_hole(qapp) -> None:  # noqa: ANN001
    """Made in the worker: 16-bit RGBA in, premultiplied 8-bit out, transparent off the hole."""
    from PySide6.QtGui import QColor

    from inpaint_studio.ui.canvas import PreviewImage

    px = np.zeros((20, 30, 4), np.uint16)
    px[..., :3] = (60000, 30000, 2000)
    px[..., 3] = 65535
    px[:, 15:, 3] = 32768  # right half half-transparent
    hole = np.zeros((20, 30), bool)
    hole[5:15, 10:20] = True
    hole[8, 12] = False
    pv = PreviewImage(px, hole)
    assert pv.box == (5, 15, 10, 20) and pv.image is not None
    img = pv.image
    assert (img.width(), img.height()) == (10, 10)
    opaque = QColor(img.pixelColor(0, 0))
    assert (opaque.red(), opaque.green(), opaque.blue(), opaque.alpha()) == (234, 117, 7, 255)
    half = img.pixelColor(8, 0)  # photo column 18: half transparent, as in the photo
    assert abs(half.alpha() - 128) <= 1 and abs(half.red() - 234) <= 2
    assert img.pixelColor(2, 3).alpha() == 0  # the one pixel inside the box but not the hole
