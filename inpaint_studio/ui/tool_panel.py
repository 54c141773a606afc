"""Brush, model and compare controls: the right-hand "Tools" dock.

Widgets write user choices back through signals; ``set_*`` methods update them from the
model with signals blocked (napari's two-way binding), so keyboard shortcuts such as
``[``/``]`` and the spin boxes never fight.
"""

from __future__ import annotations

from PySide6.QtCore import QSignalBlocker, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractButton,
    QButtonGroup,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSlider,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from .client import cuda_available, default_edge_name, default_fill_name, edge_methods, fill_methods


def fill_method_choices() -> list[tuple[str, str, bool, str]]:
    """``(name, label, enabled, tooltip)`` for every registered fill plus ``auto``."""
    out = [("auto", f"auto (best available: {default_fill_name()})", True, "The best fill whose weights are present")]
    for m in fill_methods():
        ok, why = m.available()
        label = f"{m.name} ({m.kind})" if ok else f"{m.name} (unavailable)"
        out.append(
            (m.name, label, True, m.description + ("" if ok else f"\nUnavailable: {why}; Telea is used instead"))
        )
    return out


def edge_method_choices() -> list[tuple[str, str, bool, str]]:
    out = [("auto", f"auto (best available: {default_edge_name()})", True, "The best edge model available")]
    for m in edge_methods():
        ok, why = m.available()
        label = f"{m.name} ({m.kind})" if ok else f"{m.name} (unavailable)"
        out.append((m.name, label, True, m.description + ("" if ok else f"\nUnavailable: {why}")))
    return out


def fill_combo(items: list[tuple[str, str, bool, str]], current: str) -> QComboBox:
    cb = QComboBox()
    for name, label, _enabled, tip in items:
        cb.addItem(label, name)
        i = cb.count() - 1
        cb.setItemData(i, tip, Qt.ItemDataRole.ToolTipRole)
    idx = cb.findData(current)
    cb.setCurrentIndex(max(0, idx))
    return cb


def device_combo(current: str) -> QComboBox:
    cb = QComboBox()
    cb.addItem("auto", "auto")
    cb.addItem("CPU", "cpu")
    cb.addItem("CUDA GPU", "cuda")
    if not cuda_available():
        # Visible but disabled, with the reason, so users see why their GPU is not used.
        model = cb.model()
        item = model.item(2)  # type: ignore[attr-defined]
        item.setEnabled(False)
        cb.setItemData(2, "No CUDA GPU found (or torch is a CPU build)", Qt.ItemDataRole.ToolTipRole)
        if current == "cuda":
            current = "auto"
    cb.setCurrentIndex(max(0, cb.findData(current)))
    return cb


#: The tools, in the order of their buttons (the button group's ids).
TOOLS = ("brush", "eraser", "object", "outline", "strokes")


class ToolPanel(QWidget):
    toolChanged = Signal(str)  # one of TOOLS
    brushSizeChanged = Signal(int)
    sketchSizeChanged = Signal(int)
    fillMethodChanged = Signal(str)
    edgeMethodChanged = Signal(str)
    deviceChanged = Signal(str)
    splitChanged = Signal(float)
    fillRequested = Signal()
    cancelRequested = Signal()

    def __init__(
        self,
        brush: int,
        sketch: int,
        fill_method: str,
        edge_method: str,
        device: str,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(4, 4, 4, 4)

        tools = QGroupBox("Tool")
        tl = QFormLayout(tools)
        tl.setVerticalSpacing(3)  # as the Model box: the panel must fit 880 px (see there)
        row = QHBoxLayout()
        self.tool_group = QButtonGroup(self)
        self.brush_btn = QToolButton()
        self.brush_btn.setText("Brush (B)")
        self.eraser_btn = QToolButton()
        self.eraser_btn.setText("Eraser (E)")
        for i, b in enumerate((self.brush_btn, self.eraser_btn)):
            b.setCheckable(True)
            b.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
            self.tool_group.addButton(b, i)
            row.addWidget(b)
        self.brush_btn.setChecked(True)
        tl.addRow(row)
        # Selection tools: one click or drag selects a whole object into the mask.
        row = QHBoxLayout()
        self.object_btn = QToolButton()
        self.object_btn.setText("Object (O)")
        self.object_btn.setToolTip(
            "Object select: drag a box around an object, or click it; Alt or Ctrl "
            "(or the right button) subtracts. Strokes already painted on it guide it."
        )
        self.outline_btn = QToolButton()
        self.outline_btn.setText("Outline (L)")
        self.outline_btn.setToolTip(
            "Outline select: click around an object, the line snaps to its edges; "
            "click the first point, double-click or Enter closes; Alt or Ctrl at the "
            "first click subtracts"
        )
        self.strokes_btn = QToolButton()
        self.strokes_btn.setText("Strokes (T)")
        self.strokes_btn.setToolTip(
            "Edit the edge strokes the fill follows: click one to select it, drag its "
            "points to bend it, drag it to move it, Delete or right-click removes it, "
            "drag on empty photo draws a new one"
        )
        for i, b in enumerate((self.object_btn, self.outline_btn, self.strokes_btn), start=2):
            b.setCheckable(True)
            b.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
            self.tool_group.addButton(b, i)
            row.addWidget(b)
        self.tool_group.idClicked.connect(lambda i: self.toolChanged.emit(TOOLS[i]))
        tl.addRow(row)
        self.size_spin = QSpinBox()
        # Any number can be typed (up to the photo's long side, said when exceeded), and
        # it counts on Enter: a range here silently dropped the last digit of "700".
        self.size_spin.setRange(1, 999999)
        self.size_spin.setKeyboardTracking(False)
        self.size_spin.setSuffix(" px")
        self.size_spin.setValue(brush)
        self.size_spin.setToolTip(
            "Mask brush diameter in photo pixels, up to the photo's long side ([ and ], or Ctrl+wheel, change it)"
        )
        self.size_spin.valueChanged.connect(self.brushSizeChanged)
        tl.addRow("Mask brush", self.size_spin)
        self.sketch_spin = QSpinBox()
        self.sketch_spin.setRange(1, 50)
        self.sketch_spin.setSuffix(" px")
        self.sketch_spin.setValue(sketch)
        self.sketch_spin.setToolTip("Width of sketch and edge strokes")
        self.sketch_spin.valueChanged.connect(self.sketchSizeChanged)
        tl.addRow("Sketch / edges", self.sketch_spin)
        self.grow_spin = QSpinBox()
        self.grow_spin.setRange(1, 100)
        self.grow_spin.setValue(4)
        self.grow_spin.setSuffix(" px")
        self.grow_spin.setToolTip("Pixels for Grow / Shrink / Feather")
        tl.addRow("Grow / shrink by", self.grow_spin)
        lay.addWidget(tools)

        model = QGroupBox("Model")
        ml = QFormLayout(model)
        self.fill_combo = fill_combo(fill_method_choices(), fill_method)
        self.fill_combo.currentIndexChanged.connect(
            lambda _i: self.fillMethodChanged.emit(str(self.fill_combo.currentData()))
        )
        ml.addRow("Fill", self.fill_combo)
        self.edge_combo = fill_combo(edge_method_choices(), edge_method)
        self.edge_combo.currentIndexChanged.connect(
            lambda _i: self.edgeMethodChanged.emit(str(self.edge_combo.currentData()))
        )
        ml.addRow("Edges", self.edge_combo)
        self.device_combo = device_combo(device)
        self.device_combo.currentIndexChanged.connect(
            lambda _i: self.deviceChanged.emit(str(self.device_combo.currentData()))
        )
        ml.addRow("Device", self.device_combo)
        self.last_run = QLabel("")
        self.last_run.setWordWrap(True)
        self.last_run.setObjectName("lastRun")
        ml.addRow(self.last_run)
        btns = QHBoxLayout()
        self.fill_btn = QPushButton("Fill (F)")
        self.fill_btn.setObjectName("fillButton")
        self.fill_btn.setToolTip("Inpaint the masked area using sketch + edges as guidance (F or Ctrl+Enter)")
        self.fill_btn.clicked.connect(self.fillRequested)
        self.cancel_btn = QPushButton("Cancel")
        self.cancel_btn.setEnabled(False)
        self.cancel_btn.clicked.connect(self.cancelRequested)
        btns.addWidget(self.fill_btn, 2)
        btns.addWidget(self.cancel_btn, 1)
        ml.addRow(btns)
        lay.addWidget(model)

        cmp_box = QGroupBox("Compare")
        cl = QFormLayout(cmp_box)
        self.split_slider = QSlider(Qt.Orientation.Horizontal)
        self.split_slider.setRange(0, 100)
        self.split_slider.setValue(0)
        self.split_slider.setToolTip("Left of the line shows the original; hold Tab or \\ for the whole photo")
        self.split_slider.valueChanged.connect(lambda v: self.splitChanged.emit(v / 100.0))
        cl.addRow("Before | after", self.split_slider)
        hint = QLabel("Hold Tab (or \\) to see the original")
        hint.setStyleSheet("color: palette(mid);")
        cl.addRow(hint)
        lay.addWidget(cmp_box)
        lay.addStretch(1)
        # Buttons never keep keyboard focus: Space must pan the canvas, not re-click them.
        for button in self.findChildren(QAbstractButton):
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)

    def set_tool(self, tool: str) -> None:
        with QSignalBlocker(self.tool_group):
            self.tool_group.button(TOOLS.index(tool)).setChecked(True)

    def set_brush_size(self, v: int) -> None:
        with QSignalBlocker(self.size_spin):
            self.size_spin.setValue(v)

    def set_sketch_size(self, v: int) -> None:
        with QSignalBlocker(self.sketch_spin):
            self.sketch_spin.setValue(v)

    def set_busy(self, busy: bool) -> None:
        self.cancel_btn.setEnabled(busy)
