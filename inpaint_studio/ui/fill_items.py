"""The fills drawn over the photo: one pixmap item per result layer, and the preview.

Each sits in a clip rectangle so the before/after split can hide the left part of
every fill at once.  Every fill becomes its pixmap the same way, from a
:class:`~.pixmaps.PreviewImage`; a result's image made in the worker (offered before
its layer lands) is used as it is, so adding a layer converts nothing on the GUI thread.
"""

from __future__ import annotations

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QPen, QPixmap
from PySide6.QtWidgets import QGraphicsItem, QGraphicsPixmapItem, QGraphicsRectItem, QGraphicsScene

from ..core.document import Document
from .pixmaps import PreviewImage

#: The preview is drawn above the mask overlay (under it, the red hid the very pixels
#: the preview is there to show); results are under it.
PREVIEW_Z = 15


def _clip(doc: Document, z: float) -> QGraphicsRectItem:
    clip = QGraphicsRectItem(QRectF(0, 0, doc.width, doc.height))
    clip.setPen(QPen(Qt.PenStyle.NoPen))
    clip.setFlag(QGraphicsItem.GraphicsItemFlag.ItemClipsChildrenToShape, True)
    clip.setZValue(z)
    return clip


def _remove(item: QGraphicsItem) -> None:
    item.setParentItem(None)  # type: ignore[arg-type] # None detaches it (the stubs say otherwise)
    if item.scene() is not None:
        item.scene().removeItem(item)


class FillItems:
    """Result and preview items of one document in one scene."""

    def __init__(self, scene: QGraphicsScene, doc: Document) -> None:
        self.doc = doc
        self.results_clip = _clip(doc, 0)
        self.preview_clip = _clip(doc, PREVIEW_Z)
        scene.addItem(self.results_clip)
        scene.addItem(self.preview_clip)
        self.items: dict[int, QGraphicsPixmapItem] = {}
        #: Result images made off the GUI thread, by result uid, taken by ``sync``.
        self.prepared: dict[int, PreviewImage] = {}
        self.preview_item: QGraphicsPixmapItem | None = None
        self.smooth = True

    def sync(self) -> None:
        """Make result items match ``doc.results`` (crops are converted once each)."""
        live = {r.uid: (i, r) for i, r in enumerate(self.doc.results)}
        for uid in list(self.items):
            if uid not in live:
                _remove(self.items.pop(uid))
        for uid, (i, r) in live.items():
            item = self.items.get(uid)
            if item is None:
                pv = self.prepared.pop(uid, None)
                if pv is None or pv.image is None or pv.box != r.bbox:
                    pv = PreviewImage.of_result(r)
                item = self.items[uid] = self._item(pv, self.results_clip)
            item.setZValue(i)
            item.setVisible(r.visible)

    def offer(self, uid: int, image: PreviewImage) -> None:
        self.prepared = {uid: image}

    def _item(self, pv: PreviewImage, parent: QGraphicsItem) -> QGraphicsPixmapItem:
        assert pv.image is not None and pv.box is not None
        it = QGraphicsPixmapItem(QPixmap.fromImage(pv.image), parent)
        it.setOffset(pv.box[2], pv.box[0])
        it.setTransformationMode(self._mode())
        return it

    def show_preview(self, pv: PreviewImage) -> None:
        self.clear_preview()
        if pv.image is not None and pv.box is not None:
            self.preview_item = self._item(pv, self.preview_clip)

    def clear_preview(self) -> None:
        if self.preview_item is not None:
            _remove(self.preview_item)
        self.preview_item = None

    def _mode(self) -> Qt.TransformationMode:
        return Qt.TransformationMode.SmoothTransformation if self.smooth else Qt.TransformationMode.FastTransformation

    def set_smooth(self, smooth: bool) -> None:
        self.smooth = smooth
        for it in [*self.items.values(), self.preview_item]:
            if it is not None:
                it.setTransformationMode(self._mode())

    def set_split(self, x: float) -> None:
        """Fills show right of ``x`` only (left of it is *before*)."""
        r = QRectF(x, 0, self.doc.width - x, self.doc.height)
        self.results_clip.setRect(r)
        self.preview_clip.setRect(r)

    def set_visible(self, on: bool) -> None:
        self.results_clip.setVisible(on)
        self.preview_clip.setVisible(on)
