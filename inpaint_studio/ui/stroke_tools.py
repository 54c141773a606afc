"""The edge strokes on the canvas: drawn as vector paths, edited with the Strokes tool.

With the tool (T): click a stroke to select it (its control points show), drag a
control point to bend it, drag elsewhere on it to move it whole, Delete (or a
right-click on it) removes it, and a drag on empty photo draws a new stroke (the
freehand line is smoothed into a few control points, ``core.strokes.freehand_stroke``).
Each finished gesture is one ``Document.set_strokes`` call, so one undo step.
Predicted strokes are green, the user's own orange.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QKeyEvent, QMouseEvent, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import QGraphicsItem, QStyleOptionGraphicsItem, QWidget

from ..core.document import Document, Entry
from ..core.strokes import (
    DEFAULT_WIDTH,
    EdgeStroke,
    control_point_at,
    freehand_stroke,
    sample,
    stroke_at,
)
from .select_tools import SelectTool

if TYPE_CHECKING:
    from .canvas import ImageCanvas

PREDICTED = QColor(40, 255, 120)
USER = QColor(255, 150, 30)
SELECTED = QColor(255, 255, 255)
#: How close (screen pixels) a click must be to pick a stroke or a control point.
PICK_PX = 7.0
STROKES_Z = 12


def stroke_path(s: EdgeStroke) -> QPainterPath:
    pts = sample(s, 1.0)
    path = QPainterPath()
    if len(pts) == 0:
        return path
    path.moveTo(QPointF(float(pts[0, 0]), float(pts[0, 1])))
    for x, y in pts[1:]:
        path.lineTo(QPointF(float(x), float(y)))
    return path


class StrokesItem(QGraphicsItem):
    """Every stroke of the document; the selected one with its control points.

    ``preview`` replaces the document's strokes while a gesture is under way (the drag
    shows live, the document changes once, on release).
    """

    def __init__(self, doc: Document) -> None:
        super().__init__()
        self.doc = doc
        self.selected: int | None = None
        self.preview: tuple[EdgeStroke, ...] | None = None
        self.drawing: list[tuple[float, float]] = []
        self.setZValue(STROKES_Z)
        self._paths: dict[EdgeStroke, QPainterPath] = {}

    def strokes(self) -> tuple[EdgeStroke, ...]:
        return self.preview if self.preview is not None else self.doc.strokes

    def boundingRect(self) -> QRectF:
        return QRectF(-50, -50, self.doc.width + 100, self.doc.height + 100)

    def refresh(self) -> None:
        if self.selected is not None and self.selected >= len(self.strokes()):
            self.selected = None
        live = set(self.strokes())
        self._paths = {s: p for s, p in self._paths.items() if s in live}
        self.setVisible(self.doc.visible.get("edges", True))
        self.update()

    def _path(self, s: EdgeStroke) -> QPainterPath:
        p = self._paths.get(s)
        if p is None:
            p = self._paths[s] = stroke_path(s)
        return p

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None) -> None:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        strokes = self.strokes()
        for i, s in enumerate(strokes):
            colour = QColor(USER if s.source == "user" else PREDICTED)
            colour.setAlphaF(0.45 + 0.55 * s.strength)
            if i == self.selected:
                halo = QPen(QColor(0, 0, 0, 160), 5)
                halo.setCosmetic(True)
                painter.setPen(halo)
                painter.drawPath(self._path(s))
            pen = QPen(colour, max(2.0, s.width) if i != self.selected else 3.0)
            pen.setCosmetic(True)
            pen.setCapStyle(Qt.PenCapStyle.RoundCap)
            painter.setPen(pen)
            painter.drawPath(self._path(s))
        if self.selected is not None and self.selected < len(strokes):
            s = strokes[self.selected]
            scale = painter.transform().m11() or 1.0
            r = 4.0 / scale
            painter.setPen(QPen(QColor(0, 0, 0), 0))
            painter.setBrush(QBrush(SELECTED))
            for x, y in s.points:
                painter.drawRect(QRectF(x - r, y - r, 2 * r, 2 * r))
        if len(self.drawing) > 1:
            pen = QPen(USER, 2, Qt.PenStyle.DashLine)
            pen.setCosmetic(True)
            painter.setPen(pen)
            path = QPainterPath(QPointF(*self.drawing[0]))
            for x, y in self.drawing[1:]:
                path.lineTo(QPointF(x, y))
            painter.drawPath(path)


class StrokeTool(SelectTool):
    """Select, bend, move, delete and draw edge strokes (see the module doc)."""

    name = "strokes"
    keys = (Qt.Key.Key_Delete, Qt.Key.Key_Backspace, Qt.Key.Key_Escape)

    def __init__(self, canvas: ImageCanvas, on_entry: Callable[[Entry], None]) -> None:
        super().__init__(canvas)
        self.on_entry = on_entry
        self.width = DEFAULT_WIDTH
        self._mode: str | None = None  # "point", "move", "draw"
        self._point = -1
        self._from = QPointF()
        self._start: tuple[EdgeStroke, ...] = ()

    # -- helpers ----------------------------------------------------------------------------
    def _item(self) -> StrokesItem | None:
        return getattr(self.canvas, "strokes_item", None)

    def _tol(self) -> float:
        return PICK_PX / max(1e-6, self.canvas.zoom())

    def _commit(self, strokes: tuple[EdgeStroke, ...], text: str) -> None:
        doc = self.canvas.doc
        item = self._item()
        if item is not None:
            item.preview = None
        if doc is None:
            return
        entry = doc.set_strokes(strokes, text)
        if item is not None:
            item.refresh()
        if entry is not None:
            self.on_entry(entry)

    def select(self, index: int | None) -> None:
        item = self._item()
        if item is not None:
            item.selected = index
            item.update()

    def selected(self) -> int | None:
        item = self._item()
        return None if item is None else item.selected

    def delete_selected(self) -> bool:
        item, doc = self._item(), self.canvas.doc
        if item is None or doc is None or item.selected is None:
            return False
        i = item.selected
        item.selected = None
        self._commit(doc.strokes[:i] + doc.strokes[i + 1 :], "Delete stroke")
        return True

    # -- events -----------------------------------------------------------------------------
    def press(self, event: QMouseEvent, p: QPointF) -> bool:
        item, doc = self._item(), self.canvas.doc
        if item is None or doc is None:
            return False
        x, y, tol = p.x(), p.y(), self._tol()
        doc.set_visible("edges", True)  # the strokes item redraws from the change event
        sel = item.selected
        if event.button() == Qt.MouseButton.RightButton:
            hit = stroke_at(doc.strokes, x, y, tol)
            if hit is not None:
                item.selected = hit
                return self.delete_selected()
            return False
        if event.button() != Qt.MouseButton.LeftButton:
            return False
        self._start = doc.strokes
        if sel is not None and sel < len(doc.strokes):
            k = control_point_at(doc.strokes[sel], x, y, tol)
            if k is not None:
                self._mode, self._point = "point", k
                return True
        hit = stroke_at(doc.strokes, x, y, tol)
        if hit is not None:
            self.select(hit)
            k = control_point_at(doc.strokes[hit], x, y, tol)
            self._mode, self._point, self._from = ("point", k, p) if k is not None else ("move", -1, p)
            return True
        self.select(None)
        self._mode = "draw"
        item.drawing = [(x, y)]
        item.update()
        return True

    def move(self, event: QMouseEvent, p: QPointF) -> bool:
        item = self._item()
        if item is None or self._mode is None or item.selected is None and self._mode != "draw":
            return False
        if self._mode == "draw":
            item.drawing.append((p.x(), p.y()))
            item.update()
            return True
        i = item.selected
        assert i is not None
        s = self._start[i]
        if self._mode == "point":
            new = s.moved(self._point, p.x(), p.y())
        else:
            new = s.translated(p.x() - self._from.x(), p.y() - self._from.y())
        item.preview = self._start[:i] + (new,) + self._start[i + 1 :]
        item.update()
        return True

    def release(self, event: QMouseEvent, p: QPointF) -> bool:
        item, mode = self._item(), self._mode
        self._mode = None
        if item is None or mode is None:
            return False
        if mode == "draw":
            pts, item.drawing = item.drawing, []
            s = freehand_stroke(pts, self.width)
            item.update()
            if s is not None and self.canvas.doc is not None:
                self._commit(self.canvas.doc.strokes + (s,), "Draw stroke")
                self.select(len(self.canvas.doc.strokes) - 1)
            return True
        if item.preview is not None:
            text = "Move stroke point" if mode == "point" else "Move stroke"
            self._commit(item.preview, text)
        return True

    def key(self, event: QKeyEvent) -> bool:
        if event.key() in (Qt.Key.Key_Delete, Qt.Key.Key_Backspace):
            return self.delete_selected()
        if event.key() == Qt.Key.Key_Escape and self.selected() is not None:
            self.select(None)
            return True
        return False

    def active(self) -> bool:
        return self.selected() is not None or self._mode is not None

    def cancel(self) -> None:
        item = self._item()
        self._mode = None
        if item is not None:
            item.preview = None
            item.drawing = []
            item.selected = None
            item.update()
