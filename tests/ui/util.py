"""Drive the canvas with real mouse events at photo coordinates."""

from __future__ import annotations

from PySide6.QtCore import QPoint, QPointF, Qt


def view_pos(canvas: object, x: float, y: float) -> QPoint:
    return canvas.mapFromScene(QPointF(x, y))  # type: ignore[attr-defined]


def drag(
    qtbot: object, canvas: object, pts: list[tuple[float, float]], button: Qt.MouseButton = Qt.MouseButton.LeftButton
) -> None:
    vp = canvas.viewport()  # type: ignore[attr-defined]
    qtbot.mousePress(vp, button, pos=view_pos(canvas, *pts[0]))  # type: ignore[attr-defined]
    for p in pts[1:]:
        qtbot.mouseMove(vp, view_pos(canvas, *p))  # type: ignore[attr-defined]
    qtbot.mouseRelease(vp, button, pos=view_pos(canvas, *pts[-1]))  # type: ignore[attr-defined]
