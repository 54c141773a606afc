"""Brush, model and compare controls: the right-hand "Tools" dock.

Widgets write user choices back through signals; ``set_*`` methods update them from the
model with signals blocked (napari's two-way binding), so keyboard shortcuts such as
``[``/``]`` and the spin boxes never fight.
"""

from __future__ import annotations

from collections.abc import Callable

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

from ..engine.device import cuda_available
from ..engine.registry import default_edge_name, default_fill_name, edge_methods, fill_methods


def fill_method_choices() -> list[tuple[str, str, bool, str]]:
    """``(name, label, enabled, tooltip)`` for every registered fill plus ``auto``."""
    out = [("auto", f"auto (best available: {default_fill_name()})", True, "The best fill whose weights are present")]
    for m in fill_methods():
        ok, why = m.available()
        label = f"{m.name} ({m.kind})" if ok else f"{m.name} (unavailable)"
        out.append((m.name, label, True, m.description + ("" if ok else f"\nUnavailable: {why}; Telea is used instead")))
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
    for name, label, enabled, tip in items:
        cb.addItem(label, name)
        i = cb.count() - 1
        cb.setItemData(i, tip, Qt.ItemDataRole.ToolTipRole)
    idx = cb.findData(current)
    cb.setCurrentIndex(max(0, idx))
    return cb


def percent_slider(on_change: Callable[[int], None]) -> tuple[QSlider, QLabel, QHBoxLayout]:
    """A 0–100 % slider with its value label beside it, in one form row."""
    slider = QSlider(Qt.Orientation.Horizontal)
    slider.setRange(0, 100)
    slider.setSingleStep(5)
    slider.setPageStep(10)
    label = QLabel()
    label.setMinimumWidth(36)
    slider.valueChanged.connect(on_change)
    row = QHBoxLayout()
    row.addWidget(slider, 1)
    row.addWidget(label)
    return slider, label, row


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
TOOLS = ("brush", "eraser", "object", "outline")


class ToolPanel(QWidget):
    toolChanged = Signal(str)  # one of TOOLS
    brushSizeChanged = Signal(int)
    sketchSizeChanged = Signal(int)
    fillMethodChanged = Signal(str)
    edgeMethodChanged = Signal(str)
    deviceChanged = Signal(str)
    detailChanged = Signal(float)
    grainChanged = Signal(float)
    textureChanged = Signal(float)
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
        self.object_btn.setToolTip("Object select: drag a box around an object, or click it; Alt or Ctrl "
                                   "(or the right button) subtracts. Strokes already painted on it guide it.")
        self.outline_btn = QToolButton()
        self.outline_btn.setText("Outline (L)")
        self.outline_btn.setToolTip("Outline select: click around an object, the line snaps to its edges; "
                                    "click the first point, double-click or Enter closes; Alt or Ctrl at the "
                                    "first click subtracts")
        for i, b in enumerate((self.object_btn, self.outline_btn), start=2):
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
        self.size_spin.setToolTip("Mask brush diameter in photo pixels, up to the photo's long side "
                                  "([ and ], or Ctrl+wheel, change it)")
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
        # Tighter rows: with Detail, Texture and Grain the panel must still fit a 880 px window
        # without scrolling (tests/ui/test_usability.py).
        ml.setVerticalSpacing(3)
        self.fill_combo = fill_combo(fill_method_choices(), fill_method)
        self.fill_combo.currentIndexChanged.connect(
            lambda _i: self.fillMethodChanged.emit(str(self.fill_combo.currentData()))
        )
        ml.addRow("Fill", self.fill_combo)
        self.detail_slider, self.detail_label, detail_row = percent_slider(self._on_detail)
        ml.addRow("Detail", detail_row)
        self.set_detail_available(False, 0.0)
        self.texture_slider, self.texture_label, texture_row = percent_slider(self._on_texture)
        self.texture_slider.setToolTip(
            "Texture: re-make the hole from the photo's own patches, guided by the fill's "
            "colours, and blend that in (100 %: all of it). Large holes then read as grass, "
            "cloud or gravel instead of a smooth blur; works with every fill method. 0 % = off. "
            "Costs a few seconds per fill and a little PSNR (the texture is real, its place a "
            "guess)."
        )
        ml.addRow("Texture", texture_row)
        self.grain_slider, self.grain_label, grain_row = percent_slider(self._on_grain)
        self.grain_label.setText("0 %")
        self.grain_slider.setToolTip(
            "Photo grain: copy the photo's own fine texture into the hole after the fill, as "
            "much as the fill lacks compared with the photo around it (100 %: about as grainy "
            "as its surroundings). For surfaces a fill leaves smooth (snow, haze, plaster, "
            "skin); works with every fill method. 0 % = off. The grain is real but placed by "
            "guess, so it lowers PSNR."
        )
        ml.addRow("Grain", grain_row)
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
        for b in self.findChildren(QAbstractButton):
            b.setFocusPolicy(Qt.FocusPolicy.NoFocus)

    def set_tool(self, tool: str) -> None:
        with QSignalBlocker(self.tool_group):
            self.tool_group.button(TOOLS.index(tool)).setChecked(True)

    def set_brush_size(self, v: int) -> None:
        with QSignalBlocker(self.size_spin):
            self.size_spin.setValue(v)

    def set_sketch_size(self, v: int) -> None:
        with QSignalBlocker(self.sketch_spin):
            self.sketch_spin.setValue(v)

    def _on_detail(self, v: int) -> None:
        self.detail_label.setText(f"{v} %")
        self.detailChanged.emit(v / 100.0)

    def _on_grain(self, v: int) -> None:
        self.grain_label.setText(f"{v} %")
        self.grainChanged.emit(v / 100.0)

    def grain(self) -> float:
        return self.grain_slider.value() / 100.0

    def _on_texture(self, v: int) -> None:
        self.texture_label.setText(f"{v} %")
        self.textureChanged.emit(v / 100.0)

    def texture(self) -> float:
        return self.texture_slider.value() / 100.0

    def set_texture(self, value: float) -> None:
        with QSignalBlocker(self.texture_slider):
            self.texture_slider.setValue(int(round(value * 100)))
        self.texture_label.setText(f"{self.texture_slider.value()} %")

    def set_grain(self, value: float) -> None:
        with QSignalBlocker(self.grain_slider):
            self.grain_slider.setValue(int(round(value * 100)))
        self.grain_label.setText(f"{self.grain_slider.value()} %")

    def set_detail_available(self, ok: bool, value: float, why: str = "") -> None:
        """Show ``value`` (0..1); the slider is live only where the fill method offers it."""
        with QSignalBlocker(self.detail_slider):
            self.detail_slider.setValue(int(round(value * 100)))
        self.detail_label.setText(f"{self.detail_slider.value()} %")
        self.detail_slider.setEnabled(ok)
        self.detail_label.setEnabled(ok)
        tip = ("Texture in the fill: 0 % is the smooth, most likely colour (highest PSNR); 100 % "
               "adds all the fine grain the GAN-tuned weights draw, on the same colours. It looks "
               "more like a photo but is not the photo's own detail, and takes a second pass.")
        self.detail_slider.setToolTip(tip if ok else f"{tip}\n\nUnavailable: {why}" if why else tip)

    def detail(self) -> float:
        return self.detail_slider.value() / 100.0

    def set_busy(self, busy: bool) -> None:
        self.cancel_btn.setEnabled(busy)
