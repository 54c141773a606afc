"""Photo arrays to Qt images and back, and the paint-layer overlay.

Why the overlay is one ARGB image that wraps a numpy buffer: converting a 24 MP layer
to a QImage per stroke would take hundreds of milliseconds.  A brush dab only recomposes
the pixels of its dirty box into that buffer and calls ``update(rect)``; with
``DeviceCoordinateCache`` Qt repaints just that rectangle.
"""

from __future__ import annotations

import cv2
import numpy as np
from PySide6.QtCore import QRect, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QImage, QPainter
from PySide6.QtWidgets import QGraphicsItem, QStyleOptionGraphicsItem, QWidget

from ..core.box import Box, mask_box
from ..core.document import MASK_THRESHOLD, BBox, Document, ResultLayer

#: Overlay colours (RGB) and opacity per paint layer, drawn bottom to top.
OVERLAY_STYLE: dict[str, tuple[tuple[int, int, int], float]] = {
    "mask": ((255, 40, 40), 0.45),
    "edges": ((40, 255, 120), 0.95),
    "sketch": ((255, 215, 0), 1.0),
}


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
    thread would freeze the editor just as the preview arrives.  The canvas draws every
    fill this way, previews and result layers alike.
    """

    def __init__(self, pixels: np.ndarray, hole: np.ndarray) -> None:
        box = mask_box(hole)
        self.box: BBox | None = box
        self.image: QImage | None = None
        if box is not None:
            y0, y1, x0, x1 = box
            self._make(pixels[y0:y1, x0:x1], hole[y0:y1, x0:x1])

    @classmethod
    def of_result(cls, r: ResultLayer) -> PreviewImage:
        """The image of a result layer (its crop and the crop's hole)."""
        pv = cls.__new__(cls)
        pv.box, pv.image = r.bbox, None
        pv._make(r.pixels, r.mask)
        return pv

    def _make(self, crop: np.ndarray, hole: np.ndarray) -> None:
        px = to_display_rgb8(crop)
        inside = np.ascontiguousarray(hole).view(np.uint8)
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
                self._compose(Box(y, min(h, y + 512), 0, self.doc.width))
            self.update()
            return
        self._compose(box)
        y0, y1, x0, x1 = box
        self.update(QRectF(x0, y0, x1 - x0, y1 - y0))

    def _compose(self, box: BBox) -> None:
        y0, y1, x0, x1 = box
        if not any(self.doc.visible.get(n, True) and self.doc.layers[n][y0:y1, x0:x1].any() for n in OVERLAY_STYLE):
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


def qimage_to_array(img: QImage) -> np.ndarray:
    """RGB or RGBA uint8 copy of a QImage (clipboard, drops)."""
    has_alpha = img.hasAlphaChannel()
    img = img.convertToFormat(QImage.Format.Format_RGBA8888 if has_alpha else QImage.Format.Format_RGB888)
    w, h, bpl = img.width(), img.height(), img.bytesPerLine()
    c = 4 if has_alpha else 3
    buf = np.frombuffer(img.constBits(), np.uint8, count=bpl * h).reshape(h, bpl)
    return buf[:, : w * c].reshape(h, w, c).copy()


def draw_hint(painter: QPainter, rect: QRect, text: str) -> None:
    """``text`` centred in ``rect`` (viewport pixels), a little larger than the UI font."""
    painter.save()
    painter.resetTransform()
    painter.setPen(QColor(190, 190, 196))
    f = painter.font()
    f.setPointSizeF(f.pointSizeF() * 1.3)
    painter.setFont(f)
    painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, text)
    painter.restore()


def draw_checkerboard(painter: QPainter, rect: QRectF | QRect, width: int, height: int) -> None:
    """The transparency checkerboard over ``rect``, inside the photo's ``width`` x ``height``."""
    painter.save()
    painter.setClipRect(QRectF(0, 0, width, height))
    painter.fillRect(rect, QBrush(QColor(200, 200, 200), Qt.BrushStyle.Dense4Pattern))
    painter.restore()
