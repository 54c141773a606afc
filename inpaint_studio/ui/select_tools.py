"""Object select (drag a box or click) and Outline select (an edge-snapping lasso).

The canvas hands its mouse and key events to the active tool here; a tool only draws
its own guides and asks for a selection through the canvas's signals.  The selection
itself is computed by ``core/selection.py`` off the GUI thread, and lands as one
ordinary mask edit (one undo step), added or, with Alt or Ctrl (or the right button),
subtracted.

Why the lasso's maps come from their own task thread and not the editor's worker: each
anchor needs its own scissors map, and the worker is *latest wins* (a new job cancels
the running one), so quick clicks would lose the maps of the anchors before them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import QObject, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QKeyEvent, QMouseEvent, QPainterPath, QPen
from PySide6.QtWidgets import QGraphicsEllipseItem, QGraphicsItem, QGraphicsPathItem, QGraphicsRectItem

from ..core.selection import ScissorsMap, scissors_image
from .background import TaskThread, error_message

if TYPE_CHECKING:
    from .canvas import ImageCanvas

log = logging.getLogger(__name__)

#: A press and release closer than this (viewport pixels) is a click, not a box.
CLICK_SLOP = 4
#: A lasso click this close (viewport pixels) to its first anchor closes it.
CLOSE_SLOP = 8
GUIDE_Z = 30


def _subtracts(event: QMouseEvent) -> bool:
    mods = event.modifiers()
    alt_ctrl = Qt.KeyboardModifier.AltModifier | Qt.KeyboardModifier.ControlModifier
    return bool(mods & alt_ctrl) or event.button() == Qt.MouseButton.RightButton


def _guide_pen(colour: QColor, dashed: bool = False) -> QPen:
    pen = QPen(colour, 2)
    pen.setCosmetic(True)  # the same width on screen at any zoom
    if dashed:
        pen.setStyle(Qt.PenStyle.DashLine)
    return pen


class SelectTool:
    """What the canvas asks of a selection tool (every handler says if it took the event)."""

    name = ""
    #: Keys the tool needs even where a window shortcut has them (Esc is "fit").
    keys: tuple[int, ...] = ()

    def __init__(self, canvas: ImageCanvas) -> None:
        self.canvas = canvas

    def press(self, event: QMouseEvent, p: QPointF) -> bool:
        return False

    def move(self, event: QMouseEvent, p: QPointF) -> bool:
        return False

    def release(self, event: QMouseEvent, p: QPointF) -> bool:
        return False

    def double_click(self, event: QMouseEvent, p: QPointF) -> bool:
        return False

    def key(self, event: QKeyEvent) -> bool:
        return False

    def active(self) -> bool:
        """True while the tool holds unfinished input (its keys then win over shortcuts)."""
        return False

    def cancel(self) -> None:
        """Drop unfinished input and guides (tool switched, photo changed)."""

    def done(self) -> None:
        """The requested selection has landed (or failed): clear what waited for it."""

    def detach(self) -> None:
        """Take the guides out of the scene (it is about to be cleared or the tool left)."""
        self.cancel()
        for it in self._guide_items():
            if it is not None and it.scene() is not None:
                it.scene().removeItem(it)
        self._forget_items()

    def _guide_items(self) -> list[QGraphicsItem | None]:
        return []

    def _forget_items(self) -> None:
        pass


class BoxSelect(SelectTool):
    """Drag a box around an object, or click on it."""

    name = "object"
    keys = (Qt.Key.Key_Escape,)

    def __init__(self, canvas: ImageCanvas) -> None:
        super().__init__(canvas)
        self._start: QPointF | None = None
        self._start_view: QPointF | None = None
        self._subtract = False
        self._button = Qt.MouseButton.NoButton
        self.rect_item: QGraphicsRectItem | None = None

    def _rect(self) -> QGraphicsRectItem:
        if self.rect_item is None:
            self.rect_item = QGraphicsRectItem()
            self.rect_item.setZValue(GUIDE_Z)
            self.canvas.scene().addItem(self.rect_item)
        return self.rect_item

    def press(self, event: QMouseEvent, p: QPointF) -> bool:
        if event.button() not in (Qt.MouseButton.LeftButton, Qt.MouseButton.RightButton):
            return False
        self._start, self._start_view = p, event.position()
        self._button = event.button()
        self._subtract = _subtracts(event)
        r = self._rect()
        r.setPen(_guide_pen(QColor(255, 120, 120) if self._subtract else QColor(255, 255, 255), dashed=True))
        r.setRect(QRectF(p, p))
        r.show()
        return True

    def move(self, event: QMouseEvent, p: QPointF) -> bool:
        if self._start is None:
            return False
        self._rect().setRect(QRectF(self._start, p).normalized())
        return True

    def release(self, event: QMouseEvent, p: QPointF) -> bool:
        if self._start is None or event.button() != self._button:
            return False
        start, sv = self._start, self._start_view
        self._start = None
        d = event.position() - sv if sv is not None else QPointF()
        if abs(d.x()) < CLICK_SLOP and abs(d.y()) < CLICK_SLOP:
            self._rect().hide()
            self.canvas.objectSelectRequested.emit(None, (p.x(), p.y()), self._subtract)
            return True
        r = QRectF(start, p).normalized()
        box = (int(np.floor(r.top())), int(np.ceil(r.bottom())), int(np.floor(r.left())), int(np.ceil(r.right())))
        self.canvas.objectSelectRequested.emit(box, None, self._subtract)
        return True

    def key(self, event: QKeyEvent) -> bool:
        if event.key() == Qt.Key.Key_Escape and self._start is not None:
            self.cancel()
            return True
        return False

    def active(self) -> bool:
        return self._start is not None

    def cancel(self) -> None:
        self._start = None
        if self.rect_item is not None:
            self.rect_item.hide()

    def done(self) -> None:
        if self._start is None and self.rect_item is not None:
            self.rect_item.hide()

    def _guide_items(self) -> list[QGraphicsItem | None]:
        return [self.rect_item]

    def _forget_items(self) -> None:
        self.rect_item = None


class MapBuilder(QObject):
    """Builds scissors maps in order in one thread; results return on the GUI thread."""

    built = Signal(int, int, object)  # session, anchor index, ScissorsMap
    failed = Signal(str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._thread = TaskThread("scissors", self)
        self._small: tuple[np.ndarray, float] | None = None  # touched in the task thread only

    def prepare(self, image: np.ndarray) -> None:
        """Base the next maps on ``image`` (the photo as shown, fills included)."""
        self._thread.call("Outline select", self._prepare, image)  # a failure shows at the build

    def _prepare(self, image: np.ndarray) -> None:
        self._small = scissors_image(image)

    def build(self, session: int, k: int, anchor: tuple[float, float]) -> None:
        def built(scissors: ScissorsMap) -> None:
            self.built.emit(session, k, scissors)

        self._thread.call("Outline select", self._build, anchor, on_error=self._failed, on_done=built)

    def _build(self, anchor: tuple[float, float]) -> ScissorsMap:
        assert self._small is not None, "prepare() first"
        small, scale = self._small
        return ScissorsMap(small, scale, anchor)

    def _failed(self, exc: BaseException) -> None:
        log.error("scissors map failed: %s", exc)
        self.failed.emit(error_message("Outline select", exc))

    def wait(self, timeout: float = 30.0) -> None:
        self._thread.wait(timeout)

    def shutdown(self) -> None:
        self._thread.shutdown()


class OutlineSelect(SelectTool):
    """Click anchors around an object; the line between them follows its edges.

    Close the lasso by clicking its first anchor, double-clicking or Enter; Backspace
    takes back the last anchor, Esc drops the lasso.  Alt or Ctrl at the first click
    makes it subtract.
    """

    name = "outline"
    keys = (Qt.Key.Key_Escape, Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_Backspace)

    def __init__(self, canvas: ImageCanvas, builder: MapBuilder, image: Callable[[], np.ndarray | None]) -> None:
        super().__init__(canvas)
        self.builder = builder
        self.image = image
        builder.built.connect(self._on_built)
        self.session = 0
        self.anchors: list[tuple[float, float]] = []
        self.maps: dict[int, ScissorsMap] = {}
        self.subtract = False
        self._closing = False
        self._cursor: tuple[float, float] | None = None
        self.path_item: QGraphicsPathItem | None = None
        self.live_item: QGraphicsPathItem | None = None
        self._dots: list[QGraphicsEllipseItem] = []

    # -- geometry ------------------------------------------------------------------------------
    def segment(self, i: int) -> np.ndarray:
        """Path from anchor ``i - 1`` to anchor ``i`` (the closing one for ``i == len``)."""
        n = len(self.anchors)
        a, b = self.anchors[(i - 1) % n], self.anchors[i % n]
        prev, cur = self.maps.get((i - 1) % n), self.maps.get(i % n)
        if cur is not None:
            return cur.path_to(a, backward=True)
        if prev is not None:
            return prev.path_to(b)
        return np.array([a, b], np.float64)

    def _ready(self) -> bool:
        n = len(self.anchors)
        return all((i % n) in self.maps or ((i - 1) % n) in self.maps for i in range(1, n + 1))

    def points(self, closed: bool = False) -> np.ndarray:
        n = len(self.anchors)
        if n == 0:
            return np.zeros((0, 2))
        parts = [np.array([self.anchors[0]], np.float64)]
        parts += [self.segment(i) for i in range(1, n + (1 if closed else 0))]
        return np.concatenate(parts)

    # -- guides --------------------------------------------------------------------------------
    def _items(self) -> tuple[QGraphicsPathItem, QGraphicsPathItem]:
        sc = self.canvas.scene()
        if self.path_item is None:
            self.path_item = QGraphicsPathItem()
            self.live_item = QGraphicsPathItem()
            for it in (self.path_item, self.live_item):
                it.setZValue(GUIDE_Z)
                sc.addItem(it)
            self._dots = []
        colour = QColor(255, 120, 120) if self.subtract else QColor(80, 230, 255)
        self.path_item.setPen(_guide_pen(colour))
        assert self.live_item is not None
        self.live_item.setPen(_guide_pen(colour, dashed=True))
        return self.path_item, self.live_item

    @staticmethod
    def _path(pts: np.ndarray) -> QPainterPath:
        path = QPainterPath()
        if len(pts):
            path.moveTo(QPointF(*pts[0]))
            for x, y in pts[1:]:
                path.lineTo(QPointF(x, y))
        return path

    def redraw(self) -> None:
        if not self.anchors:
            return
        path_item, live = self._items()
        path_item.setPath(self._path(self.points()))
        last = len(self.anchors) - 1
        if self._cursor is not None and not self._closing:
            m = self.maps.get(last)
            live_pts = m.path_to(self._cursor) if m is not None else np.array([self.anchors[-1], self._cursor])
            live.setPath(self._path(live_pts))
        else:
            live.setPath(QPainterPath())
        while len(self._dots) < len(self.anchors):
            dot = QGraphicsEllipseItem(QRectF(-3.5, -3.5, 7, 7))
            dot.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIgnoresTransformations, True)
            dot.setZValue(GUIDE_Z + 1)
            dot.setBrush(QColor(255, 255, 255))
            dot.setPen(_guide_pen(QColor(0, 0, 0)))
            self.canvas.scene().addItem(dot)
            self._dots.append(dot)
        for i, dot in enumerate(self._dots):
            dot.setVisible(i < len(self.anchors))
            if i < len(self.anchors):
                dot.setPos(QPointF(*self.anchors[i]))

    # -- input ---------------------------------------------------------------------------------
    def _near_first(self, event: QMouseEvent) -> bool:
        if len(self.anchors) < 3:
            return False
        first = self.canvas.mapFromScene(QPointF(*self.anchors[0]))
        d = event.position() - QPointF(first)
        return abs(d.x()) <= CLOSE_SLOP and abs(d.y()) <= CLOSE_SLOP

    def press(self, event: QMouseEvent, p: QPointF) -> bool:
        if event.button() != Qt.MouseButton.LeftButton:
            return event.button() == Qt.MouseButton.RightButton and self.active()
        if self._closing:
            return True
        if self._near_first(event):
            self.close()
            return True
        if not self.anchors:
            image = self.image()
            if image is None:
                return False
            self.session += 1
            self.maps.clear()
            self.subtract = _subtracts(event)
            self.builder.prepare(image)  # the photo as shown now, fills included
        self.anchors.append((p.x(), p.y()))
        self.builder.build(self.session, len(self.anchors) - 1, self.anchors[-1])
        self.redraw()
        return True

    def move(self, event: QMouseEvent, p: QPointF) -> bool:
        if not self.anchors:
            return False
        self._cursor = (p.x(), p.y())
        self.redraw()
        return True

    def release(self, event: QMouseEvent, p: QPointF) -> bool:
        return bool(self.anchors)

    def double_click(self, event: QMouseEvent, p: QPointF) -> bool:
        if len(self.anchors) >= 3:
            self.close()
            return True
        return bool(self.anchors)

    def key(self, event: QKeyEvent) -> bool:
        k = event.key()
        if not self.anchors:
            return False
        if k == Qt.Key.Key_Escape:
            self.cancel()
        elif k in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            if len(self.anchors) >= 3:
                self.close()
        elif k == Qt.Key.Key_Backspace:
            self.anchors.pop()
            self.maps.pop(len(self.anchors), None)
            if not self.anchors:
                self.cancel()
            else:
                self.redraw()
        else:
            return False
        return True

    def active(self) -> bool:
        return bool(self.anchors)

    def close(self) -> None:
        """Finish the lasso now, or as soon as the maps it needs have been built."""
        if len(self.anchors) < 3:
            return
        self._closing = True
        if self._ready():
            self._finish()
        else:
            self.redraw()

    def _on_built(self, session: int, k: int, m: ScissorsMap) -> None:
        if session != self.session or k >= len(self.anchors) or self.anchors[k] != m.anchor:
            return  # a lasso since dropped, or an anchor taken back
        self.maps[k] = m
        if self._closing and self._ready():
            self._finish()
        else:
            self.redraw()

    def _finish(self) -> None:
        pts = self.points(closed=True)
        subtract = self.subtract
        self.cancel()
        self.canvas.outlineClosed.emit(pts, subtract)

    def cancel(self) -> None:
        self.anchors = []
        self.maps.clear()
        self._closing = False
        self._cursor = None
        self.session += 1  # maps still being built for this lasso are ignored
        for it in (self.path_item, self.live_item):
            if it is not None:
                it.setPath(QPainterPath())
        for dot in self._dots:
            dot.setVisible(False)

    def _guide_items(self) -> list[QGraphicsItem | None]:
        return [self.path_item, self.live_item, *self._dots]

    def _forget_items(self) -> None:
        self.path_item = self.live_item = None
        self._dots = []
