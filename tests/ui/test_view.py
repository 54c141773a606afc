"""The view: wheel zoom keeps the point under the cursor, modifier+wheel sizes the brush."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import QApplication


def wheel(canvas: object, pos: QPointF, dy: int, mods: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier,
          dx: int = 0) -> None:
    ev = QWheelEvent(pos, canvas.mapToGlobal(pos), QPoint(0, 0), QPoint(dx, dy), Qt.MouseButton.NoButton,  # type: ignore[attr-defined]
                     mods, Qt.ScrollPhase.NoScrollPhase, False)
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
    assert c.zoom() == pytest.approx(1.2 ** 4)


@pytest.mark.parametrize("mods", [Qt.KeyboardModifier.ControlModifier, Qt.KeyboardModifier.ShiftModifier,
                                  Qt.KeyboardModifier.AltModifier])
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
