"""Painting: the active tool and layer, brush sizes, mask operations, layer visibility and
mask files.

Every edit here is a document method plus ``win.push`` (one undo step); the canvas and
the layers list follow the document's change events, so nothing is repainted by hand.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import QObject

from ..core import masks as maskops
from ..core.document import Document
from ..core.errors import InpaintStudioError
from .brush_limits import brush_limit, scaled_brush, stepped
from .files_controller import IMAGE_FILTER
from .select_tools import BoxSelect, OutlineSelect
from .stroke_tools import StrokeTool

if TYPE_CHECKING:
    from .main_window import MainWindow


class MaskController(QObject):
    """Tools, brush sizes, the mask and the paint layers of the window's document."""

    def __init__(self, win: MainWindow) -> None:
        super().__init__(win)
        self.win = win
        self.tool = "brush"
        canvas = win.canvas
        self.box_select = BoxSelect(canvas)
        self.outline_select = OutlineSelect(
            canvas, win.map_builder, lambda: win.doc.composite() if win.doc is not None else None
        )
        self.stroke_tool = StrokeTool(canvas, win.push)

    # -- tools and layers -----------------------------------------------------------------
    def set_tool(self, tool: str) -> None:
        win, canvas = self.win, self.win.canvas
        self.tool = tool
        canvas.erase_tool = tool == "eraser"
        win.tools.set_tool(tool)
        select = {"object": self.box_select, "outline": self.outline_select, "strokes": self.stroke_tool}.get(tool)
        canvas.set_select_tool(select)
        if tool == "strokes":
            win.statusBar().showMessage(
                "Strokes: click one to select, drag its points to bend it, Delete removes it, "
                "drag on empty photo draws one; then Fill",
                8000,
            )
            return
        if select is not None:
            canvas.active_layer = "mask"  # a selection always edits the mask
            win.layers.set_active("mask")
            hint = (
                "Object select: drag a box around an object, or click it"
                if tool == "object"
                else "Outline select: click around an object; close at the first point, double-click or Enter"
            )
            win.statusBar().showMessage(f"{hint}; Alt or Ctrl subtracts", 6000)
            return
        win.statusBar().showMessage(f"{tool.capitalize()} on {canvas.active_layer}", 3000)

    def sketch_tool(self) -> None:
        self.set_active_layer("sketch")
        self.set_tool("brush")

    def set_active_layer(self, name: str) -> None:
        win = self.win
        if self.tool == "strokes" or (name != "mask" and self.tool in ("object", "outline")):
            self.set_tool("brush")  # sketch and edges are painted, not selected
        win.canvas.active_layer = name
        win.layers.set_active(name)
        win.canvas._update_cursor_item()
        win.statusBar().showMessage(f"Painting on {name} (right-drag erases)", 3000)

    # -- brush sizes ------------------------------------------------------------------------
    def step_brush(self, direction: int) -> None:
        win = self.win
        if win.canvas.active_layer in ("sketch", "edges"):
            v = int(win.canvas.sketch_size)
            v = max(1, min(50, v + direction * max(1, v // 5)))
            win.tools.set_sketch_size(v)
            self.set_sketch_size(v)
        else:
            v = stepped(int(win.canvas.brush_size), direction, self._brush_limit())
            win.tools.set_brush_size(v)
            self.set_brush_size(v)

    def _brush_limit(self) -> int:
        return brush_limit(self.win.doc.shape if self.win.doc is not None else None)

    def set_brush_size(self, v: int) -> None:
        win, doc = self.win, self.win.doc
        limit = self._brush_limit()
        if v > limit:
            what = (
                f"this {doc.width}×{doc.height} photo's long side"
                if doc is not None
                else "the largest brush before a photo is open"
            )
            win.show_notice(f"Brush size {v} px is more than {what}; set to {limit} px.", "info")
            v = limit
            win.tools.set_brush_size(v)
        win.canvas.brush_size = float(v)
        win.settings.brush_size = v
        if doc is not None:
            win.settings.brush_fraction = v / min(doc.shape)
        win.canvas._update_cursor_item()

    def set_sketch_size(self, v: int) -> None:
        self.win.canvas.sketch_size = float(v)
        self.win.settings.sketch_size = v
        self.win.canvas._update_cursor_item()

    def fit_brush_to(self, doc: Document) -> None:
        """The remembered brush is a share of the photo's short side: the same apparent size
        on a 24 MP photo as on a small one (in pixels it was a speck, or covered it all)."""
        win = self.win
        v = scaled_brush(win.settings.brush_fraction, doc.shape)
        if v != int(win.canvas.brush_size):
            win.tools.set_brush_size(v)
            win.canvas.brush_size = float(v)
            win.settings.brush_size = v
            win.canvas._update_cursor_item()
            win.statusBar().showMessage(
                f"Brush {v} px for this {doc.width}×{doc.height} photo ([ and ] change it)", 6000
            )

    # -- layers -------------------------------------------------------------------------------
    def on_paint_visibility(self, name: str, on: bool) -> None:
        if self.win.doc is None:
            return
        self.win.doc.set_visible(name, on)
        self.win.autosaver.changed()

    def on_result_visibility(self, idx: int, on: bool) -> None:
        doc = self.win.doc
        if doc is not None and 0 <= idx < len(doc.results):
            self.win.push(doc.set_result_visible(idx, on))

    def remove_result(self, idx: int) -> None:
        doc = self.win.doc
        if doc is not None and 0 <= idx < len(doc.results):
            self.win.push(doc.remove_result(idx))

    def clear_layer(self, name: str) -> None:
        doc = self.win.doc
        if doc is not None:
            self.win.push(doc.set_layer(name, np.zeros(doc.shape, np.uint8), f"Clear {name}"))

    def edges_op(self, op: str) -> None:
        doc = self.win.doc
        if op == "hallucinate":
            self.win.fills.hallucinate_edges()
            return
        if doc is not None and doc.strokes:
            self.win.push(doc.set_strokes((), "Clear strokes"))
        if doc is not None and doc.layers["edges"].any():
            self.clear_layer("edges")

    # -- the mask -----------------------------------------------------------------------------
    def mask_op(self, op: str) -> None:
        win, doc = self.win, self.win.doc
        if doc is None:
            return
        n = win.tools.grow_spin.value()
        hole = doc.hole()
        if op == "grow":
            new = maskops.dilate(hole, n)
        elif op == "shrink":
            new = maskops.erode(hole, n)
        elif op == "feather":
            soft = maskops.feather(hole, n / 2.0)
            win.push(doc.set_layer("mask", np.rint(np.clip(soft, 0, 1) * 255).astype(np.uint8), "Feather mask"))
            return
        elif op == "invert":
            new = ~hole
        elif op == "clear":
            new = np.zeros(doc.shape, bool)
        elif op == "text":
            win.marks.detect_text()
            return
        elif op == "load":
            p = win.choose_open_path("Load mask", IMAGE_FILTER, "mask")
            if p is None:
                return
            self.load_mask_file(p)
            return
        elif op == "save":
            stem = win.photo_path.stem if win.photo_path else "mask"
            p = win.choose_save_path("Save mask", f"{stem}-mask.png", "PNG (*.png)", "mask")
            if p is not None:
                self.save_mask_file(p)
            return
        else:
            raise ValueError(op)
        win.push(doc.set_layer("mask", np.where(new, 255, 0).astype(np.uint8), f"{op.capitalize()} mask"))

    def load_mask_file(self, p: Path) -> bool:
        win, doc = self.win, self.win.doc
        if doc is None:
            return False
        try:
            m = maskops.load_mask(p, size=(doc.width, doc.height))
            stretched = maskops.aspect_warning(maskops.mask_size(p), (doc.width, doc.height), p)
        except InpaintStudioError as exc:
            win.show_notice(str(exc), "error")
            return False
        win.settings.set_last_dir("mask", p)
        win.push(doc.set_layer("mask", np.where(m, 255, 0).astype(np.uint8), "Load mask"))
        if stretched:
            win.show_notice(stretched, "warning")  # loaded, but not silently distorted
        return True

    def save_mask_file(self, p: Path) -> bool:
        win, doc = self.win, self.win.doc
        if doc is None:
            return False
        overwrite = False
        if p.exists():
            if not win.ask_yes_no("Replace file?", f"{p.name} already exists. Replace it?"):
                return False
            overwrite = True
        try:
            maskops.save_mask(p, doc.hole(), overwrite=overwrite)
        except InpaintStudioError as exc:
            win.show_notice(str(exc), "error")
            return False
        win.settings.set_last_dir("mask", p)
        win.statusBar().showMessage(f"Saved mask {p}", 5000)
        return True
