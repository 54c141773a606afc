"""Keyboard shortcuts reach their actions through real key events."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt


def test_tool_and_size_keys(qtbot, window, photo_file: Path) -> None:
    window.open_path(photo_file)
    window.activateWindow()
    qtbot.waitUntil(lambda: window.isActiveWindow(), timeout=2000)
    c = window.canvas
    c.setFocus()
    size = c.brush_size
    qtbot.keyClick(c, Qt.Key.Key_BracketRight)
    assert c.brush_size > size
    qtbot.keyClick(c, Qt.Key.Key_E)
    assert c.erase_tool
    qtbot.keyClick(c, Qt.Key.Key_B)
    assert not c.erase_tool
    qtbot.keyClick(c, Qt.Key.Key_S)
    assert c.active_layer == "sketch"
    qtbot.keyClick(c, Qt.Key.Key_M)
    assert c.active_layer == "mask"
    qtbot.keyClick(c, Qt.Key.Key_1, Qt.KeyboardModifier.ControlModifier)
    assert abs(c.zoom() - 1.0) < 1e-6


def test_hovering_the_canvas_after_typing_a_brush_size_gives_it_the_keys(qtbot, window, photo_file: Path) -> None:
    from PySide6.QtCore import QPointF
    from PySide6.QtGui import QEnterEvent

    window.open_path(photo_file)
    window.activateWindow()
    qtbot.waitUntil(lambda: window.isActiveWindow(), timeout=2000)
    spin = window.tools.size_spin
    spin.setFocus()
    qtbot.waitUntil(spin.hasFocus, timeout=2000)
    qtbot.keyClicks(spin, "5")
    p = QPointF(10, 10)
    window.canvas.enterEvent(QEnterEvent(p, p, p))  # the pointer moves onto the photo
    assert window.canvas.hasFocus()
    qtbot.keyPress(window.canvas, Qt.Key.Key_Tab)
    assert window.canvas._comparing  # Tab compares instead of moving to the next box
    qtbot.keyRelease(window.canvas, Qt.Key.Key_Tab)
    assert not window.canvas._comparing
