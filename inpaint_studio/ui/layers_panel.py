"""Layers list (visibility, active paint layer, results) and per-layer actions.

Rows are rebuilt from the document whenever it says its results or a layer's visibility
changed (its change events), instead of being kept in sync edit by edit: there are
only a handful, and it cannot drift from the model.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor, QIcon, QPixmap
from PySide6.QtWidgets import (
    QAbstractButton,
    QGridLayout,
    QGroupBox,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ..core.document import Change, Document
from .pixmaps import OVERLAY_STYLE

ROLE_KIND = int(Qt.ItemDataRole.UserRole)
ROLE_KEY = ROLE_KIND + 1
LABELS = {"sketch": "Sketch", "edges": "Edges", "mask": "Mask"}


def _swatch(rgb: tuple[int, int, int]) -> QIcon:
    pm = QPixmap(12, 12)
    pm.fill(QColor(*rgb))
    return QIcon(pm)


class LayersPanel(QWidget):
    """Emits user intents; shows the document it was given and follows its changes."""

    paintVisibilityChanged = Signal(str, bool)
    resultVisibilityChanged = Signal(int, bool)
    activeLayerChanged = Signal(str)
    removeResultRequested = Signal(int)
    maskOp = Signal(str)  # grow | shrink | feather | clear | load | save | invert | text
    edgesOp = Signal(str)  # hallucinate | clear
    sketchOp = Signal(str)  # clear

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.list = QListWidget()
        self.list.setObjectName("layersList")
        self.list.itemChanged.connect(self._on_item_changed)
        self.list.currentItemChanged.connect(self._on_current)
        self._building = False
        self._active = "mask"
        self.doc: Document | None = None

        lay = QVBoxLayout(self)
        lay.setContentsMargins(4, 4, 4, 4)
        lay.addWidget(self.list, 1)

        self.remove_btn = QPushButton("Remove fill")
        self.remove_btn.setToolTip("Delete the selected fill layer (undoable)")
        self.remove_btn.clicked.connect(self._remove)
        lay.addWidget(self.remove_btn)

        mask_box = QGroupBox("Mask")
        g = QGridLayout(mask_box)
        self.mask_buttons: dict[str, QPushButton] = {}
        for i, (op, text, tip) in enumerate(
            [
                ("grow", "Grow", "Dilate the mask by the grow amount (covers halos)"),
                ("shrink", "Shrink", "Erode the mask"),
                ("feather", "Feather", "Soften the mask edge"),
                ("invert", "Invert", "Swap hole and keep"),
                ("load", "Load…", "Load a mask image (white = hole), scaled to the photo"),
                ("save", "Save…", "Save the mask as a PNG (white = hole)"),
                ("clear", "Clear", "Remove the whole mask"),
                ("text", "Detect text", "Add the photo's text (captions, date stamps, signs) to the mask (Ctrl+T)"),
            ]
        ):
            b = QPushButton(text)
            b.setToolTip(tip)
            b.clicked.connect(lambda _=False, o=op: self.maskOp.emit(o))
            g.addWidget(b, i // 3, i % 3)
            self.mask_buttons[op] = b
        lay.addWidget(mask_box)

        guide_box = QGroupBox("Structure guidance")
        g2 = QGridLayout(guide_box)
        self.hallucinate_btn = QPushButton("Re-hallucinate edges")
        self.hallucinate_btn.setToolTip(
            "Predict the edges inside the hole with the edge model; edit them with the "
            "sketch tools (S), then Fill uses them"
        )
        self.hallucinate_btn.clicked.connect(lambda: self.edgesOp.emit("hallucinate"))
        clear_edges = QPushButton("Clear edges")
        clear_edges.clicked.connect(lambda: self.edgesOp.emit("clear"))
        clear_sketch = QPushButton("Clear sketch")
        clear_sketch.clicked.connect(lambda: self.sketchOp.emit("clear"))
        g2.addWidget(self.hallucinate_btn, 0, 0, 1, 2)
        g2.addWidget(clear_edges, 1, 0)
        g2.addWidget(clear_sketch, 1, 1)
        lay.addWidget(guide_box)
        # Buttons never keep keyboard focus: Space must pan the canvas, not re-click them.
        for button in self.findChildren(QAbstractButton):
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self._update_buttons()  # nothing selected yet: "Remove fill" starts disabled

    # -- model -> view ----------------------------------------------------------------------
    def set_document(self, doc: Document | None, active: str | None = None) -> None:
        if self.doc is not None:
            self.doc.unsubscribe(self._on_change)
        self.doc = doc
        if doc is not None:
            doc.subscribe(self._on_change)
        self.refresh(doc, active)

    def _on_change(self, change: Change) -> None:
        if change.kind == "results":
            self.refresh(self.doc)
        elif change.kind == "visibility" and self.doc is not None:
            # In place, not rebuilt: the change may come from ticking that very row.
            on = self.doc.visible.get(change.name, True)
            for i in range(self.list.count()):
                it = self.list.item(i)
                if it.data(ROLE_KIND) == "paint" and it.data(ROLE_KEY) == change.name:
                    self._building = True
                    it.setCheckState(Qt.CheckState.Checked if on else Qt.CheckState.Unchecked)
                    self._building = False

    def refresh(self, doc: Document | None, active: str | None = None) -> None:
        if active is not None:
            self._active = active
        self._building = True
        try:
            self.list.clear()
            if doc is None:
                return
            current = None
            for name in ("sketch", "edges", "mask"):
                it = QListWidgetItem(_swatch(OVERLAY_STYLE[name][0]), LABELS[name])
                it.setFlags(it.flags() | Qt.ItemFlag.ItemIsUserCheckable)
                it.setCheckState(Qt.CheckState.Checked if doc.visible[name] else Qt.CheckState.Unchecked)
                it.setData(ROLE_KIND, "paint")
                it.setData(ROLE_KEY, name)
                it.setToolTip("Click to paint on this layer; tick to show/hide")
                self.list.addItem(it)
                if name == self._active:
                    current = it
            for idx in range(len(doc.results) - 1, -1, -1):
                r = doc.results[idx]
                label = doc.result_name(idx) + (" ⚠" if r.warnings else "")
                it = QListWidgetItem(label)
                it.setFlags(it.flags() | Qt.ItemFlag.ItemIsUserCheckable)
                it.setCheckState(Qt.CheckState.Checked if r.visible else Qt.CheckState.Unchecked)
                it.setData(ROLE_KIND, "result")
                it.setData(ROLE_KEY, idx)
                tip = f"{r.method} on {r.device}"
                if r.warnings:
                    tip += "\n" + "\n".join(r.warnings)
                it.setToolTip(tip)
                self.list.addItem(it)
            photo = QListWidgetItem("Photo (never modified)")
            photo.setFlags(Qt.ItemFlag.ItemIsEnabled)
            photo.setData(ROLE_KIND, "photo")
            self.list.addItem(photo)
            if current is not None:
                self.list.setCurrentItem(current)
        finally:
            self._building = False
        self._update_buttons()

    def set_active(self, name: str) -> None:
        self._active = name
        for i in range(self.list.count()):
            it = self.list.item(i)
            if it.data(ROLE_KIND) == "paint" and it.data(ROLE_KEY) == name:
                self._building = True
                self.list.setCurrentItem(it)
                self._building = False

    def _update_buttons(self) -> None:
        it = self.list.currentItem()
        self.remove_btn.setEnabled(bool(it is not None and it.data(ROLE_KIND) == "result"))

    # -- view -> intents --------------------------------------------------------------------
    def _on_item_changed(self, it: QListWidgetItem) -> None:
        if self._building:
            return
        on = it.checkState() == Qt.CheckState.Checked
        if it.data(ROLE_KIND) == "paint":
            self.paintVisibilityChanged.emit(str(it.data(ROLE_KEY)), on)
        elif it.data(ROLE_KIND) == "result":
            self.resultVisibilityChanged.emit(int(it.data(ROLE_KEY)), on)

    def _on_current(self, it: QListWidgetItem | None, _prev: QListWidgetItem | None) -> None:
        self._update_buttons()
        if self._building or it is None:
            return
        if it.data(ROLE_KIND) == "paint":
            self._active = str(it.data(ROLE_KEY))
            self.activeLayerChanged.emit(self._active)

    def _remove(self) -> None:
        it = self.list.currentItem()
        if it is not None and it.data(ROLE_KIND) == "result":
            self.removeResultRequested.emit(int(it.data(ROLE_KEY)))
