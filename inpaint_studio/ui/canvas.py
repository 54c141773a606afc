"""The photo view: zoom/pan, brush painting into the document, overlays and compare.

Scene coordinates are photo pixels (the photo item sits at (0, 0) unscaled), so a
mouse position maps to a pixel with one ``mapToScene`` and no bookkeeping of zoom.
The canvas subscribes to its document's change events and redraws only what changed
(a dab's box of the overlay, the strokes, the fills): editors never repaint it by hand.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import QEvent, QPointF, QRect, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QKeyEvent, QMouseEvent, QPainter, QPen, QPixmap, QWheelEvent
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QGraphicsEllipseItem,
    QGraphicsLineItem,
    QGraphicsPixmapItem,
    QGraphicsScene,
    QGraphicsView,
    QLineEdit,
    QWidget,
)

from ..core.document import BBox, Change, Document
from .fill_items import FillItems
from .pixmaps import OVERLAY_STYLE, OverlayItem, PreviewImage, draw_checkerboard, draw_hint, qimage_from_array

if TYPE_CHECKING:
    from .select_tools import SelectTool
    from .stroke_tools import StrokesItem

__all__ = ["OVERLAY_STYLE", "EMPTY_HINT", "ImageCanvas", "PreviewImage"]

MIN_ZOOM, MAX_ZOOM = 0.01, 64.0
#: Any of these held turns the wheel into brush size instead of zoom.
BRUSH_WHEEL_MODIFIERS = (
    Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier | Qt.KeyboardModifier.AltModifier
)
#: Shown on the empty canvas before a photo is opened.
EMPTY_HINT = "Open a photo to start\n\nCtrl+O, drag and drop a file here, or paste (Ctrl+V)"


class ImageCanvas(QGraphicsView):
    """Photo, results, overlays and the brush; emits finished strokes as history entries."""

    strokeFinished = Signal(object)  # Entry
    zoomChanged = Signal(float)
    cursorMoved = Signal(int, int)
    compareHeld = Signal(bool)
    brushSizeStep = Signal(int)
    #: Object select asked for: box (y0, y1, x0, x1) or None, click (x, y) or None, subtract.
    objectSelectRequested = Signal(object, object, bool)
    #: Outline select closed: (N, 2) x, y points of the lasso, subtract.
    outlineClosed = Signal(object, bool)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setScene(QGraphicsScene(self))
        self.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, True)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorUnderMouse)
        self.setResizeAnchor(QGraphicsView.ViewportAnchor.AnchorViewCenter)
        self.setViewportUpdateMode(QGraphicsView.ViewportUpdateMode.SmartViewportUpdate)
        self.setMouseTracking(True)
        self.setBackgroundBrush(QColor(48, 48, 52))
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setAcceptDrops(False)  # the main window takes drops
        self.viewport().setAcceptDrops(False)
        self.zoomChanged.connect(self._pick_sampling)
        self.viewport().setCursor(Qt.CursorShape.CrossCursor)
        self.doc: Document | None = None
        self.photo_item: QGraphicsPixmapItem | None = None
        self.overlay: OverlayItem | None = None
        self.fills: FillItems | None = None
        self.strokes_item: StrokesItem | None = None
        self.split_line: QGraphicsLineItem | None = None
        self.cursor_item = QGraphicsEllipseItem()
        self.cursor_item2 = QGraphicsEllipseItem()
        pen = QPen(QColor(0, 0, 0, 200), 0)
        pen2 = QPen(QColor(255, 255, 255, 230), 0, Qt.PenStyle.DashLine)
        self.cursor_item.setPen(pen)
        self.cursor_item2.setPen(pen2)
        for it in (self.cursor_item, self.cursor_item2):
            it.setZValue(100)
            it.setVisible(False)
        # Painting state.
        self.active_layer = "mask"
        self.erase_tool = False
        self.brush_size = 40.0  # diameter in photo pixels
        self.sketch_size = 3.0
        self.painting_enabled = True
        self._last: tuple[float, float] | None = None
        self._panning = False
        self._space = False
        self._pan_from = QPointF()
        self._split = 0.0
        self._comparing = False
        self._size_wheel = 0
        #: Object or outline select (ui/select_tools.py) when active; None = the brush.
        self.select_tool: SelectTool | None = None
        self._cursor_scene: QPointF | None = None  # the pointer on the photo, None: off the canvas
        self._fit_mode = False

    # -- document ---------------------------------------------------------------------------
    def set_document(self, doc: Document | None) -> None:
        """Show ``doc`` (one photo conversion per document, never per stroke); from now on
        the canvas redraws itself from the document's change events."""
        sc = self.scene()
        for it in (self.cursor_item, self.cursor_item2):
            if it.scene() is sc:
                sc.removeItem(it)
        if self.select_tool is not None:
            self.select_tool.detach()  # its guides belong to the old photo
        if self.doc is not None:
            self.doc.unsubscribe(self._on_change)
        sc.clear()
        self.doc = doc
        self.photo_item = self.overlay = self.split_line = self.fills = self.strokes_item = None
        if doc is None:
            return
        self.photo_item = QGraphicsPixmapItem(QPixmap.fromImage(qimage_from_array(doc.photo)))
        self.photo_item.setTransformationMode(Qt.TransformationMode.SmoothTransformation)
        sc.addItem(self.photo_item)
        self.fills = FillItems(sc, doc)
        self.overlay = OverlayItem(doc)
        self.overlay.setZValue(10)
        sc.addItem(self.overlay)
        from .stroke_tools import StrokesItem

        self.strokes_item = StrokesItem(doc)
        sc.addItem(self.strokes_item)
        self.strokes_item.refresh()
        self.split_line = QGraphicsLineItem()
        self.split_line.setPen(QPen(QColor(255, 255, 255, 220), 0))
        self.split_line.setZValue(20)
        sc.addItem(self.split_line)
        sc.addItem(self.cursor_item)
        sc.addItem(self.cursor_item2)
        sc.setSceneRect(QRectF(0, 0, doc.width, doc.height))
        self.sync_results()
        self.set_split(self._split)
        self.fit()
        doc.subscribe(self._on_change)

    def _on_change(self, change: Change) -> None:
        """Redraw what the document says changed."""
        if change.kind == "layer":
            if self.overlay is not None:
                self.overlay.refresh(change.box)
        elif change.kind == "visibility":
            self.refresh_overlay()
        elif change.kind == "strokes":
            if self.strokes_item is not None:
                self.strokes_item.refresh()
        elif change.kind == "results":
            self.sync_results()

    @property
    def preview_item(self) -> QGraphicsPixmapItem | None:
        return self.fills.preview_item if self.fills is not None else None

    def sync_results(self) -> None:
        if self.fills is not None:
            self.fills.sync()

    def offer_result_image(self, uid: int, image: PreviewImage) -> None:
        """The image of result ``uid``, made in the worker from the filled photo and hole
        (a :class:`PreviewImage` of the final), so adding the layer does not convert a
        24 MP crop on the GUI thread.  Used once, when the layer's item is made: offer it
        before the layer is added."""
        if self.fills is not None:
            self.fills.offer(uid, image)

    def show_preview(self, pixels: np.ndarray | PreviewImage, hole: np.ndarray | None = None) -> None:
        """A temporary, not-undoable view of a preview fill (replaced by the result).

        ``pixels`` is the filled photo (with ``hole``) or a :class:`PreviewImage` made of
        them beforehand, off the GUI thread.  Opaque: it is drawn over the red mask, and
        it shows the layout the final fill keeps (the status bar says it is a preview).
        """
        if self.fills is None:
            return
        if isinstance(pixels, PreviewImage):
            pv = pixels
        else:
            assert hole is not None
            pv = PreviewImage(pixels, hole)
        self.fills.show_preview(pv)

    def clear_preview(self) -> None:
        if self.fills is not None:
            self.fills.clear_preview()

    def refresh_overlay(self, box: BBox | None = None) -> None:
        if self.overlay is not None:
            self.overlay.refresh(box)
        if box is None and self.strokes_item is not None:
            self.strokes_item.refresh()

    # -- view -------------------------------------------------------------------------------
    def _pick_sampling(self, z: float) -> None:
        """Smooth when zoomed out; crisp pixels from 300 % on, where retouchers judge them."""
        smooth = z < 3.0
        self.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, smooth)
        mode = Qt.TransformationMode.SmoothTransformation if smooth else Qt.TransformationMode.FastTransformation
        if self.photo_item is not None:
            self.photo_item.setTransformationMode(mode)
        if self.fills is not None:
            self.fills.set_smooth(smooth)

    def zoom(self) -> float:
        return float(self.transform().m11())

    def set_zoom(self, z: float, anchor_view_centre: bool = True) -> None:
        self._fit_mode = False
        z = max(MIN_ZOOM, min(MAX_ZOOM, z))
        old = self.transformationAnchor()
        if anchor_view_centre:
            self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorViewCenter)
        f = z / self.zoom()
        self.scale(f, f)
        self.setTransformationAnchor(old)
        self.zoomChanged.emit(self.zoom())
        self._update_cursor_item()

    def fit(self) -> None:
        if self.doc is None:
            return
        self.fitInView(QRectF(0, 0, self.doc.width, self.doc.height), Qt.AspectRatioMode.KeepAspectRatio)
        self._fit_mode = True  # keep fitting as the window resizes, until the user zooms
        self.zoomChanged.emit(self.zoom())

    def resizeEvent(self, event: object) -> None:
        super().resizeEvent(event)  # type: ignore[arg-type]
        if self._fit_mode:
            self.fit()

    def actual_size(self) -> None:
        self.set_zoom(1.0)

    def wheelEvent(self, event: QWheelEvent) -> None:
        mods = event.modifiers()
        dy = event.angleDelta().y() or event.pixelDelta().y()
        # Ctrl+ or Shift+wheel size the brush (Alt+wheel too, where the window manager
        # leaves it to the app: many take Alt+wheel or Alt+drag for themselves).
        if mods & BRUSH_WHEEL_MODIFIERS:
            a = event.angleDelta()
            dy = a.y() or a.x()  # Shift may turn the wheel sideways
            # One step per notch (120); a touchpad's many small deltas add up to one.
            self._size_wheel += dy
            steps = int(self._size_wheel / 120)
            self._size_wheel -= steps * 120
            for _ in range(abs(steps)):
                self.brushSizeStep.emit(1 if steps > 0 else -1)
            return
        if dy == 0:
            return
        # Exponential in the delta: smooth on touchpads (small deltas), 1.2x per notch.
        self.zoom_at(self.zoom() * 1.2 ** (dy / 120.0), event.position())

    def zoom_at(self, z: float, view_pos: QPointF) -> None:
        """Zoom so the photo point under ``view_pos`` (viewport pixels) stays under it.

        Why not Qt's ``AnchorUnderMouse``: it anchors at the position QGraphicsView last saw
        in its own ``mouseMoveEvent``, which this view replaces, so zoom drifted to the
        top-left; the wheel event carries the exact position.
        """
        self._fit_mode = False
        z = max(MIN_ZOOM, min(MAX_ZOOM, z))
        inv, _ = self.viewportTransform().inverted()
        anchor = inv.map(view_pos)
        old = self.transformationAnchor()
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.NoAnchor)
        f = z / self.zoom()
        self.scale(f, f)
        self.setTransformationAnchor(old)
        d = self.viewportTransform().map(anchor) - view_pos
        hb, vb = self.horizontalScrollBar(), self.verticalScrollBar()
        hb.setValue(hb.value() + round(d.x()))
        vb.setValue(vb.value() + round(d.y()))
        self.zoomChanged.emit(self.zoom())
        self._update_cursor_item()

    # -- compare ----------------------------------------------------------------------------
    def set_comparing(self, on: bool) -> None:
        """Show the untouched photo (results and overlays hidden) while ``on``."""
        self._comparing = on
        if self.fills is not None:
            self.fills.set_visible(not on)
        if self.overlay is not None:
            self.overlay.setVisible(not on)
        if self.strokes_item is not None:
            self.strokes_item.setVisible(not on and self.doc is not None and self.doc.visible.get("edges", True))
        if self.split_line is not None:
            self.split_line.setVisible(not on and self._split > 0)

    def set_split(self, fraction: float) -> None:
        """Left ``fraction`` of the photo shows *before*, the rest *after* (0 = all after)."""
        self._split = max(0.0, min(1.0, fraction))
        if self.doc is None or self.fills is None or self.split_line is None:
            return
        x = self._split * self.doc.width
        self.fills.set_split(x)
        self.split_line.setLine(x, 0, x, self.doc.height)
        self.split_line.setVisible(self._split > 0 and not self._comparing)

    # -- brush ------------------------------------------------------------------------------
    def current_diameter(self) -> float:
        return self.sketch_size if self.active_layer in ("sketch", "edges") else self.brush_size

    def _update_cursor_item(self, scene_pos: QPointF | None = None) -> None:
        if scene_pos is not None:
            self._cursor_scene = scene_pos
        pos = self._cursor_scene
        show = (
            pos is not None
            and self.doc is not None
            and not self._panning
            and not self._space
            and self.select_tool is None
        )
        for it in (self.cursor_item, self.cursor_item2):
            it.setVisible(bool(show))
        if not show or pos is None:
            return
        r = self.current_diameter() / 2.0
        rect = QRectF(pos.x() - r, pos.y() - r, 2 * r, 2 * r)
        self.cursor_item.setRect(rect)
        self.cursor_item2.setRect(rect)

    def _scene_xy(self, event: QMouseEvent) -> tuple[float, float]:
        """Photo coordinates of the centre of the viewport pixel under the mouse."""
        inv, _ = self.viewportTransform().inverted()
        p = inv.map(event.position() + QPointF(0.5, 0.5))
        return (p.x(), p.y())

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.MiddleButton or (
            self._space and event.button() == Qt.MouseButton.LeftButton
        ):
            self._panning = True
            self._pan_from = event.position()
            self.viewport().setCursor(Qt.CursorShape.ClosedHandCursor)
            self._update_cursor_item()
            return
        if self.doc is None or not self.painting_enabled:
            return
        if self.select_tool is not None:
            if self.select_tool.press(event, QPointF(*self._scene_xy(event))):
                event.accept()
            return
        if event.button() in (Qt.MouseButton.LeftButton, Qt.MouseButton.RightButton):
            erase = self.erase_tool or event.button() == Qt.MouseButton.RightButton
            layer = self.active_layer
            if not self.doc.visible.get(layer, True):
                # Painting on a hidden layer would be invisible work; show it first.
                self.doc.set_visible(layer, True)
            self.doc.begin_stroke(layer, erase=erase)
            p = self._scene_xy(event)
            self._last = p
            self._dab(p, p)
            event.accept()

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if self._panning:
            d = event.position() - self._pan_from
            self._pan_from = event.position()
            self.horizontalScrollBar().setValue(self.horizontalScrollBar().value() - int(d.x()))
            self.verticalScrollBar().setValue(self.verticalScrollBar().value() - int(d.y()))
            return
        x, y = self._scene_xy(event)
        self._update_cursor_item(QPointF(x, y))
        self.cursorMoved.emit(int(x // 1), int(y // 1))
        if self.select_tool is not None:
            self.select_tool.move(event, QPointF(x, y))
            return
        if self.doc is not None and self.doc.stroking and self._last is not None:
            p = self._scene_xy(event)
            self._dab(self._last, p)
            self._last = p

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if self._panning:
            self._panning = False
            self.viewport().setCursor(Qt.CursorShape.OpenHandCursor if self._space else Qt.CursorShape.CrossCursor)
            return
        if self.select_tool is not None:
            self.select_tool.release(event, QPointF(*self._scene_xy(event)))
            return
        if self.doc is not None and self.doc.stroking:
            entry = self.doc.end_stroke()
            self._last = None
            if entry is not None:
                self.strokeFinished.emit(entry)

    def enterEvent(self, event: object) -> None:
        # Space (pan), Tab (compare), [ ] and F must reach the canvas when the pointer is
        # over it, not the brush-size box typed into last (Tab moved focus to the next box,
        # Space opened a combo's list).  Only real text fields keep their focus.
        fw = QApplication.focusWidget()
        typing = isinstance(fw, QLineEdit) and not isinstance(fw.parentWidget(), QAbstractSpinBox)
        typing = typing or (isinstance(fw, QComboBox) and fw.isEditable())
        if not typing:
            self.setFocus(Qt.FocusReason.MouseFocusReason)
        super().enterEvent(event)  # type: ignore[arg-type]

    def leaveEvent(self, event: object) -> None:
        self._cursor_scene = None
        self._update_cursor_item()
        super().leaveEvent(event)  # type: ignore[arg-type]

    def _dab(self, p0: tuple[float, float], p1: tuple[float, float]) -> None:
        assert self.doc is not None
        # Hard everywhere: the mask is binary (see Document.stroke_to), lines are crisp.
        # The dab's box is redrawn from the document's change event.
        self.doc.stroke_to(p0, p1, self.current_diameter() / 2.0, 1.0)

    # -- keys -------------------------------------------------------------------------------
    def focusNextPrevChild(self, next: bool) -> bool:  # noqa: A002 - Qt's name
        return False  # Tab is the compare key here, not focus navigation

    def set_select_tool(self, tool: SelectTool | None) -> None:
        if self.select_tool is not None and self.select_tool is not tool:
            self.select_tool.detach()
        self.select_tool = tool
        self._update_cursor_item()

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:
        if self.select_tool is not None and self.doc is not None:
            if self.select_tool.double_click(event, QPointF(*self._scene_xy(event))):
                event.accept()
            return
        super().mouseDoubleClickEvent(event)

    def event(self, event: QEvent) -> bool:
        # Esc ("fit"), Enter and Backspace belong to an unfinished selection, not to the
        # window's shortcuts.
        if (
            event.type() == QEvent.Type.ShortcutOverride
            and self.select_tool is not None
            and self.select_tool.active()
            and isinstance(event, QKeyEvent)
            and event.key() in self.select_tool.keys
        ):
            event.accept()
            return True
        return super().event(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if self.select_tool is not None and self.select_tool.key(event):
            return
        key = event.key()
        if key == Qt.Key.Key_Space and not event.isAutoRepeat():
            self._space = True
            self.viewport().setCursor(Qt.CursorShape.OpenHandCursor)
            self._update_cursor_item()
            return
        if key in (Qt.Key.Key_Tab, Qt.Key.Key_Backslash):
            if not event.isAutoRepeat():
                self.set_comparing(True)
                self.compareHeld.emit(True)
            return
        super().keyPressEvent(event)

    def keyReleaseEvent(self, event: QKeyEvent) -> None:
        key = event.key()
        if event.isAutoRepeat():
            return
        if key == Qt.Key.Key_Space:
            self._space = False
            self.viewport().setCursor(Qt.CursorShape.CrossCursor)
            self._update_cursor_item()
            return
        if key in (Qt.Key.Key_Tab, Qt.Key.Key_Backslash):
            self.set_comparing(False)
            self.compareHeld.emit(False)
            return
        super().keyReleaseEvent(event)

    def drawBackground(self, painter: QPainter, rect: QRectF | QRect) -> None:  # noqa: N802 - Qt's name
        super().drawBackground(painter, rect)
        if self.doc is None:
            # Empty window: say how to start instead of showing a blank grey area.
            draw_hint(painter, self.viewport().rect(), EMPTY_HINT)
        elif self.doc.photo.shape[2] == 4:
            draw_checkerboard(painter, rect, self.doc.width, self.doc.height)  # under transparent photos
