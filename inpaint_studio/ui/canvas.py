"""The photo view: zoom/pan, brush painting into the document, overlays and compare.

Scene coordinates are photo pixels (the photo item sits at (0, 0) unscaled), so a
mouse position maps to a pixel with one ``mapToScene`` and no bookkeeping of zoom.

Why the overlay is one ARGB image that wraps a numpy buffer: converting a 24 MP layer
to a QImage per stroke would take hundreds of milliseconds.  A brush dab only recomposes
the pixels of its dirty box into that buffer and calls ``update(rect)``; with
``DeviceCoordinateCache`` Qt repaints just that rectangle.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import QEvent, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import (
    QBrush,
    QColor,
    QImage,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPen,
    QPixmap,
    QWheelEvent,
)
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QGraphicsEllipseItem,
    QGraphicsItem,
    QGraphicsLineItem,
    QGraphicsPixmapItem,
    QGraphicsRectItem,
    QGraphicsScene,
    QGraphicsView,
    QLineEdit,
    QStyleOptionGraphicsItem,
    QWidget,
)

from ..core.document import MASK_THRESHOLD, BBox, Document, Entry, ResultLayer

if TYPE_CHECKING:
    from .select_tools import SelectTool

#: Overlay colours (RGB) and opacity per paint layer, drawn bottom to top.
OVERLAY_STYLE: dict[str, tuple[tuple[int, int, int], float]] = {
    "mask": ((255, 40, 40), 0.45),
    "edges": ((40, 255, 120), 0.95),
    "sketch": ((255, 215, 0), 1.0),
}
MIN_ZOOM, MAX_ZOOM = 0.01, 64.0
#: Any of these held turns the wheel into brush size instead of zoom.
BRUSH_WHEEL_MODIFIERS = (
    Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier | Qt.KeyboardModifier.AltModifier
)
#: Shown on the empty canvas before a photo is opened.
EMPTY_HINT = "Open a photo to start\n\nCtrl+O, drag and drop a file here, or paste (Ctrl+V)"


def to_display_rgb8(pixels: np.ndarray) -> np.ndarray:
    """8-bit contiguous copy for display (16-bit photos are shown at 8 bits)."""
    if pixels.dtype == np.uint16:
        pixels = (pixels >> 8).astype(np.uint8)
    return np.ascontiguousarray(pixels)


def qimage_from_array(arr: np.ndarray) -> QImage:
    """Deep-copied QImage from an RGB/RGBA uint8 array (the array may then be freed)."""
    arr = to_display_rgb8(arr)
    h, w = arr.shape[:2]
    fmt = QImage.Format.Format_RGBA8888 if arr.shape[2] == 4 else QImage.Format.Format_RGB888
    return QImage(arr.data, w, h, arr.strides[0], fmt).copy()


class PreviewImage:
    """A fill's hole as a premultiplied ARGB image, ready to become a pixmap at once.

    Made off the GUI thread (``QImage`` may be, ``QPixmap`` may not): for a hole over a
    24 MP photo the per-pixel work takes a good part of a second, which on the GUI
    thread would freeze the editor just as the preview arrives.
    """

    def __init__(self, pixels: np.ndarray, hole: np.ndarray) -> None:
        import cv2

        from ..core.document import mask_bbox

        self.box = mask_bbox(hole)
        self.image: QImage | None = None
        if self.box is None:
            return
        y0, y1, x0, x1 = self.box
        px = to_display_rgb8(pixels[y0:y1, x0:x1])
        inside = np.ascontiguousarray(hole[y0:y1, x0:x1]).view(np.uint8)
        # B, G, R, A byte order = Format_ARGB32_Premultiplied on little-endian machines.
        bgra = cv2.cvtColor(np.ascontiguousarray(px[..., :3]), cv2.COLOR_RGB2BGRA)
        if px.shape[2] == 4:
            # Fills never change alpha: where the photo is transparent the fill is too.
            bgra[..., 3] = px[..., 3]
            a = bgra[..., 3:].astype(np.uint16)
            bgra[..., :3] = ((bgra[..., :3] * a + 127) // 255).astype(np.uint8)
        self._buf = cv2.bitwise_and(bgra, bgra, mask=inside)  # nothing outside the hole
        h, w = self._buf.shape[:2]
        self.image = QImage(self._buf.data, w, h, self._buf.strides[0], QImage.Format.Format_ARGB32_Premultiplied)


class OverlayItem(QGraphicsItem):
    """Mask/sketch/edges drawn from one premultiplied ARGB buffer kept in sync by box."""

    def __init__(self, doc: Document) -> None:
        super().__init__()
        self.doc = doc
        h, w = doc.shape
        # B, G, R, A byte order = Format_ARGB32_Premultiplied on little-endian machines.
        self.buf = np.zeros((h, w, 4), np.uint8)
        self.image = QImage(self.buf.data, w, h, w * 4, QImage.Format.Format_ARGB32_Premultiplied)
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemUsesExtendedStyleOption, True)
        self.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
        self.refresh(None)

    def boundingRect(self) -> QRectF:
        return QRectF(0, 0, self.doc.width, self.doc.height)

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None) -> None:
        # The exposed part, grown by more than one device pixel: its edges fall between
        # device pixels at most zooms, and a source rect cut there left those pixels half
        # drawn (1-px seams after partial updates).  The painter's clip keeps the rest.
        scale = max(1e-6, min(abs(painter.worldTransform().m11()), abs(painter.worldTransform().m22())))
        m = int(np.ceil(2.0 / scale)) + 1
        r = option.exposedRect.toAlignedRect().adjusted(-m, -m, m, m)
        r = r.intersected(self.boundingRect().toAlignedRect())
        if not r.isEmpty():
            painter.drawImage(r, self.image, r)

    def refresh(self, box: BBox | None) -> None:
        """Recompose ``box`` (None = everything) from the document's layers."""
        if box is None:
            # In bands, so a 24 MP recomposition never holds 4 float copies of the photo.
            h = self.doc.height
            for y in range(0, h, 512):
                self._compose((y, min(h, y + 512), 0, self.doc.width))
            self.update()
            return
        self._compose(box)
        y0, y1, x0, x1 = box
        self.update(QRectF(x0, y0, x1 - x0, y1 - y0))

    def _compose(self, box: BBox) -> None:
        y0, y1, x0, x1 = box
        if not any(
            self.doc.visible.get(n, True) and self.doc.layers[n][y0:y1, x0:x1].any() for n in OVERLAY_STYLE
        ):
            self.buf[y0:y1, x0:x1] = 0  # nothing to show here: skip the float maths
            return
        acc_c = np.zeros((y1 - y0, x1 - x0, 3), np.float32)
        acc_a = np.zeros((y1 - y0, x1 - x0), np.float32)
        for name, (rgb, opacity) in OVERLAY_STYLE.items():
            if not self.doc.visible.get(name, True):
                continue
            v = self.doc.layers[name][y0:y1, x0:x1]
            if name == "mask":
                # Exactly the pixels a fill replaces, at one strength: a soft mask (Feather,
                # an older project) drawn soft showed red where nothing would be filled.
                v = np.where(v >= MASK_THRESHOLD, np.uint8(255), np.uint8(0))
            if not v.any():
                continue
            a = v.astype(np.float32) * np.float32(opacity / 255.0)
            keep = 1.0 - a
            acc_c *= keep[..., None]
            acc_c += a[..., None] * np.asarray(rgb, np.float32)
            acc_a *= keep
            acc_a += a
        out = self.buf[y0:y1, x0:x1]
        out[..., 0] = np.rint(acc_c[..., 2]).astype(np.uint8)
        out[..., 1] = np.rint(acc_c[..., 1]).astype(np.uint8)
        out[..., 2] = np.rint(acc_c[..., 0]).astype(np.uint8)
        out[..., 3] = np.rint(acc_a * 255.0).astype(np.uint8)


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
        self.results_clip: QGraphicsRectItem | None = None
        self.preview_clip: QGraphicsRectItem | None = None
        self.split_line: QGraphicsLineItem | None = None
        self._result_items: dict[int, QGraphicsPixmapItem] = {}
        self.preview_item: QGraphicsPixmapItem | None = None
        #: Result images made off the GUI thread, by result uid, taken by ``sync_results``.
        self._prepared: dict[int, PreviewImage] = {}
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

    # -- document ---------------------------------------------------------------------------
    def set_document(self, doc: Document | None) -> None:
        """Show ``doc`` (one photo conversion per document, never per stroke)."""
        sc = self.scene()
        for it in (self.cursor_item, self.cursor_item2):
            if it.scene() is sc:
                sc.removeItem(it)
        if self.select_tool is not None:
            self.select_tool.detach()  # its guides belong to the old photo
        sc.clear()
        self._result_items.clear()
        self._prepared.clear()
        self.preview_item: QGraphicsPixmapItem | None = None
        self.doc = doc
        self.photo_item = self.overlay = self.results_clip = self.split_line = self.preview_clip = None
        self.strokes_item = None
        if doc is None:
            return
        self.photo_item = QGraphicsPixmapItem(QPixmap.fromImage(qimage_from_array(doc.photo)))
        self.photo_item.setTransformationMode(Qt.TransformationMode.SmoothTransformation)
        sc.addItem(self.photo_item)
        self.results_clip = QGraphicsRectItem(QRectF(0, 0, doc.width, doc.height))
        self.results_clip.setPen(QPen(Qt.PenStyle.NoPen))
        self.results_clip.setFlag(QGraphicsItem.GraphicsItemFlag.ItemClipsChildrenToShape, True)
        sc.addItem(self.results_clip)
        self.overlay = OverlayItem(doc)
        self.overlay.setZValue(10)
        sc.addItem(self.overlay)
        from .stroke_tools import StrokesItem

        self.strokes_item = StrokesItem(doc)
        sc.addItem(self.strokes_item)
        self.strokes_item.refresh()
        # The quick preview is drawn above the mask overlay (under it, the red hid the
        # very pixels the preview is there to show), clipped like the results.
        self.preview_clip = QGraphicsRectItem(QRectF(0, 0, doc.width, doc.height))
        self.preview_clip.setPen(QPen(Qt.PenStyle.NoPen))
        self.preview_clip.setFlag(QGraphicsItem.GraphicsItemFlag.ItemClipsChildrenToShape, True)
        self.preview_clip.setZValue(15)
        sc.addItem(self.preview_clip)
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

    def sync_results(self) -> None:
        """Make result items match ``doc.results`` (crops are converted once each)."""
        if self.doc is None or self.results_clip is None:
            return
        live = {r.uid: (i, r) for i, r in enumerate(self.doc.results)}
        for uid in list(self._result_items):
            if uid not in live:
                it = self._result_items.pop(uid)
                it.setParentItem(None)
                self.scene().removeItem(it)
        for uid, (i, r) in live.items():
            it = self._result_items.get(uid)
            if it is None:
                pv = self._prepared.pop(uid, None)
                if pv is not None and pv.image is not None and pv.box == r.bbox:
                    it = self._item_from_image(pv, self.results_clip)
                else:
                    it = self._make_result_item(r)
                self._result_items[uid] = it
            it.setZValue(i)
            it.setVisible(r.visible)

    def offer_result_image(self, uid: int, image: PreviewImage) -> None:
        """The image of result ``uid``, made in the worker from the filled photo and hole
        (a :class:`PreviewImage` of the final), so adding the layer does not convert a
        24 MP crop on the GUI thread.  Used once, when the layer's item is made."""
        self._prepared = {uid: image}

    def _item_from_image(self, pv: PreviewImage, parent: QGraphicsItem | None) -> QGraphicsPixmapItem:
        assert pv.image is not None and pv.box is not None
        it = QGraphicsPixmapItem(QPixmap.fromImage(pv.image), parent)
        it.setOffset(pv.box[2], pv.box[0])
        if self.zoom() < 3.0:
            it.setTransformationMode(Qt.TransformationMode.SmoothTransformation)
        return it

    def _make_result_item(self, r: ResultLayer) -> QGraphicsPixmapItem:
        px = to_display_rgb8(r.pixels)
        rgba = np.empty(px.shape[:2] + (4,), np.uint8)
        rgba[..., :3] = px[..., :3]
        # Fills never change alpha: where the photo is transparent the fill is too (as in
        # the exported file), instead of an opaque patch over the checkerboard.
        alpha = px[..., 3] if px.shape[2] == 4 else np.uint8(255)
        rgba[..., 3] = np.where(r.mask, alpha, 0)
        it = QGraphicsPixmapItem(QPixmap.fromImage(qimage_from_array(rgba)), self.results_clip)
        it.setOffset(r.bbox[2], r.bbox[0])
        if self.zoom() < 3.0:
            it.setTransformationMode(Qt.TransformationMode.SmoothTransformation)
        return it

    def show_preview(self, pixels: np.ndarray | PreviewImage, hole: np.ndarray | None = None) -> None:
        """A temporary, not-undoable view of a preview fill (replaced by the result).

        ``pixels`` is the filled photo (with ``hole``) or a :class:`PreviewImage` made of
        them beforehand, off the GUI thread.  Opaque: it is drawn over the red mask, and
        it shows the layout the final fill keeps (the status bar says it is a preview).
        """
        self.clear_preview()
        if self.doc is None or self.preview_clip is None:
            return
        pv = pixels if isinstance(pixels, PreviewImage) else PreviewImage(pixels, hole)  # type: ignore[arg-type]
        if pv.image is None or pv.box is None:
            return
        self.preview_item = self._item_from_image(pv, self.preview_clip)

    def clear_preview(self) -> None:
        it = getattr(self, "preview_item", None)
        if it is not None:
            it.setParentItem(None)
            if it.scene() is not None:
                it.scene().removeItem(it)
        self.preview_item = None

    def refresh_overlay(self, box: BBox | None = None) -> None:
        if self.overlay is not None:
            self.overlay.refresh(box)
        if box is None and getattr(self, "strokes_item", None) is not None:
            self.strokes_item.refresh()

    def apply_entry_view(self, entry: Entry | None) -> None:
        """Repaint what an undo/redo of ``entry`` changed."""
        if entry is None:
            return
        for a in entry.atoms:
            self.refresh_overlay(a.bbox)
        if entry.strokes_after is not None and getattr(self, "strokes_item", None) is not None:
            self.strokes_item.refresh()
        if entry.result_added or entry.result_removed or entry.visibility:
            self.sync_results()

    # -- view -------------------------------------------------------------------------------
    def _pick_sampling(self, z: float) -> None:
        """Smooth when zoomed out; crisp pixels from 300 % on, where retouchers judge them."""
        smooth = z < 3.0
        self.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, smooth)
        mode = Qt.TransformationMode.SmoothTransformation if smooth else Qt.TransformationMode.FastTransformation
        if self.photo_item is not None:
            self.photo_item.setTransformationMode(mode)
        for it in self._result_items.values():
            it.setTransformationMode(mode)
        if self.preview_item is not None:
            self.preview_item.setTransformationMode(mode)

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

    def resizeEvent(self, event: object) -> None:  # type: ignore[override]
        super().resizeEvent(event)  # type: ignore[arg-type]
        if getattr(self, "_fit_mode", False):
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
        for clip in (self.results_clip, self.preview_clip):
            if clip is not None:
                clip.setVisible(not on)
        if self.overlay is not None:
            self.overlay.setVisible(not on)
        if getattr(self, "strokes_item", None) is not None:
            self.strokes_item.setVisible(not on and self.doc is not None and self.doc.visible.get("edges", True))
        if self.split_line is not None:
            self.split_line.setVisible(not on and self._split > 0)

    def set_split(self, fraction: float) -> None:
        """Left ``fraction`` of the photo shows *before*, the rest *after* (0 = all after)."""
        self._split = max(0.0, min(1.0, fraction))
        if self.doc is None or self.results_clip is None or self.split_line is None:
            return
        x = self._split * self.doc.width
        self.results_clip.setRect(QRectF(x, 0, self.doc.width - x, self.doc.height))
        if self.preview_clip is not None:
            self.preview_clip.setRect(self.results_clip.rect())
        self.split_line.setLine(x, 0, x, self.doc.height)
        self.split_line.setVisible(self._split > 0 and not self._comparing)

    # -- brush ------------------------------------------------------------------------------
    def current_diameter(self) -> float:
        return self.sketch_size if self.active_layer in ("sketch", "edges") else self.brush_size

    def _update_cursor_item(self, scene_pos: QPointF | None = None) -> None:
        if scene_pos is not None:
            self._cursor_scene = scene_pos
        pos = getattr(self, "_cursor_scene", None)
        show = (pos is not None and self.doc is not None and not self._panning and not self._space
                and self.select_tool is None)
        for it in (self.cursor_item, self.cursor_item2):
            it.setVisible(bool(show))
        if not show:
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
                self.doc.visible[layer] = True
                self.refresh_overlay()
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
            self.viewport().setCursor(
                Qt.CursorShape.OpenHandCursor if self._space else Qt.CursorShape.CrossCursor
            )
            return
        if self.select_tool is not None:
            self.select_tool.release(event, QPointF(*self._scene_xy(event)))
            return
        if self.doc is not None and self.doc.stroking:
            entry = self.doc.end_stroke()
            self._last = None
            if entry is not None:
                self.strokeFinished.emit(entry)

    def enterEvent(self, event: object) -> None:  # type: ignore[override]
        # Space (pan), Tab (compare), [ ] and F must reach the canvas when the pointer is
        # over it, not the brush-size box typed into last (Tab moved focus to the next box,
        # Space opened a combo's list).  Only real text fields keep their focus.
        fw = QApplication.focusWidget()
        typing = isinstance(fw, QLineEdit) and not isinstance(fw.parentWidget(), QAbstractSpinBox)
        typing = typing or (isinstance(fw, QComboBox) and fw.isEditable())
        if not typing:
            self.setFocus(Qt.FocusReason.MouseFocusReason)
        super().enterEvent(event)  # type: ignore[arg-type]

    def leaveEvent(self, event: object) -> None:  # type: ignore[override]
        self._cursor_scene = None
        self._update_cursor_item()
        super().leaveEvent(event)  # type: ignore[arg-type]

    def _dab(self, p0: tuple[float, float], p1: tuple[float, float]) -> None:
        assert self.doc is not None
        # Hard everywhere: the mask is binary (see Document.stroke_to), lines are crisp.
        box = self.doc.stroke_to(p0, p1, self.current_diameter() / 2.0, 1.0)
        if box is not None:
            self.refresh_overlay(box)

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
        if (event.type() == QEvent.Type.ShortcutOverride and self.select_tool is not None
                and self.select_tool.active() and isinstance(event, QKeyEvent)
                and event.key() in self.select_tool.keys):
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

    def drawBackground(self, painter: QPainter, rect: QRectF) -> None:
        super().drawBackground(painter, rect)
        if self.doc is None:
            # Empty window: say how to start instead of showing a blank grey area.
            painter.save()
            painter.resetTransform()
            painter.setPen(QColor(190, 190, 196))
            f = painter.font()
            f.setPointSizeF(f.pointSizeF() * 1.3)
            painter.setFont(f)
            painter.drawText(self.viewport().rect(), Qt.AlignmentFlag.AlignCenter, EMPTY_HINT)
            painter.restore()
            return
        if self.doc is not None and self.doc.photo.shape[2] == 4:
            # Checkerboard under transparent photos.
            painter.save()
            painter.setClipRect(QRectF(0, 0, self.doc.width, self.doc.height))
            painter.fillRect(rect, QBrush(QColor(200, 200, 200), Qt.BrushStyle.Dense4Pattern))
            painter.restore()
