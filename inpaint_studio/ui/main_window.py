"""The editor window: builds the canvas, panels, docks, actions and menus, and wires them
to the controllers that hold the behaviour.

- ``files`` (:mod:`.files_controller`): open, paste, drop, save, export, recent, recovery;
- ``masking`` (:mod:`.mask_controller`): tools, brush sizes, mask operations, layers, mask files;
- ``fills`` (:mod:`.fill_controller`): fill and preview, edges, object/outline select, progress.

The window owns the shared state (the document, its photo and project paths, the undo
stack, the worker threads) and the modal questions (:mod:`.dialogs`, so tests can
answer them).  Views follow the document's change events; a controller's edit is a
document method plus :meth:`MainWindow.push`.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
from PySide6.QtCore import QSize, QTimer
from PySide6.QtGui import (
    QAction,
    QCloseEvent,
    QDragEnterEvent,
    QDragMoveEvent,
    QDropEvent,
    QKeySequence,
    QResizeEvent,
    QShowEvent,
    QUndoStack,
)
from PySide6.QtWidgets import QDockWidget, QLabel, QMainWindow, QMenu, QProgressBar, QPushButton, QVBoxLayout, QWidget

from ..core.document import DEFAULT_HISTORY_LIMIT, Document, Entry
from ..core.image_io import LoadedImage
from .autosave import Autosaver
from .canvas import ImageCanvas
from .client import Engine, InpaintOptions
from .dialogs import Questions
from .files_controller import FilesController
from .fill_controller import FillController
from .layers_panel import LayersPanel
from .mask_controller import MaskController
from .select_tools import MapBuilder
from .settings import AppSettings
from .tool_panel import ToolPanel
from .undo import push_entry
from .widgets import NoticeBar, add_dock, balance_docks, sane_geometry
from .worker import WorkerHost

#: The smallest window: the docks at their narrowest beside a usable canvas.
MIN_WINDOW = QSize(800, 560)
Shortcuts = str | QKeySequence.StandardKey | list[str] | list[QKeySequence.StandardKey] | None


class MainWindow(Questions, QMainWindow):
    def __init__(self, engine: Engine | None = None) -> None:
        super().__init__()
        self.setWindowTitle("Inpaint Studio")
        self.setAcceptDrops(True)
        self.settings = AppSettings()
        self.engine = engine or Engine()
        self.worker = WorkerHost(self)
        # Selections run beside fills: on the fill worker a selection would cancel a fill.
        self.selector = WorkerHost(self)
        self.map_builder = MapBuilder(self)
        self.undo_stack = QUndoStack(self)
        # Same depth as the document's own history, so both drop their oldest step together.
        self.undo_stack.setUndoLimit(DEFAULT_HISTORY_LIMIT)
        self.autosaver = Autosaver(parent=self)
        self.doc: Document | None = None
        self.loaded: LoadedImage | None = None
        self.photo_path: Path | None = None
        self.project_path: Path | None = None
        self.prompt_on_close = True
        self.save_settings_on_close = True

        self.canvas = ImageCanvas()
        self.canvas.brush_size = float(self.settings.brush_size)
        self.canvas.sketch_size = float(self.settings.sketch_size)
        central = QWidget()
        cl = QVBoxLayout(central)
        cl.setContentsMargins(0, 0, 0, 0)
        cl.setSpacing(0)
        cl.addWidget(self.canvas, 1)
        self.notice = NoticeBar(self.canvas)
        self.setCentralWidget(central)
        s = self.settings
        self.tools = ToolPanel(s.brush_size, s.sketch_size, s.fill_method, s.edge_method, s.device)
        self.layers = LayersPanel()
        self.tools_dock = self._dock("Tools", self.tools, "toolsDock")
        self.layers_dock = self._dock("Layers", self.layers, "layersDock")
        # Below this the docks are squeezed to their minimum and Qt forgets their
        # proportions (the Tools dock then scrolled at full size, and was saved so).
        self.setMinimumSize(MIN_WINDOW)
        self._build_status_bar()
        self.files = FilesController(self)
        self.fills = FillController(self)
        self.masking = MaskController(self)
        self._build_actions()
        from .marks import MarkTools

        self.marks = MarkTools(self)  # Detect text, Remove watermark (Inpaint menu)
        self._connect()
        self.update_enabled()
        geo = self.settings.geometry()
        if geo is None or not self.restoreGeometry(geo):
            self.resize(1400, 900)
        sane_geometry(self)
        state = self.settings.window_state()
        if state is not None:
            self.restoreState(state)
        self.fills.update_model_label()

    # -- construction ---------------------------------------------------------------------------
    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 - Qt's name
        super().showEvent(event)
        QTimer.singleShot(0, self._balance_docks)  # once the restored layout is laid out

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 - Qt's name
        super().resizeEvent(event)  # the docks already have their new geometry here
        self._balance_docks()

    def _balance_docks(self) -> None:
        balance_docks(self, self.tools_dock, self.layers_dock)

    def _dock(self, title: str, w: QWidget, name: str) -> QDockWidget:
        return add_dock(self, title, w, name, full_height=w is self.tools)

    def _build_status_bar(self) -> None:
        sb = self.statusBar()
        self.progress_bar = QProgressBar()
        self.progress_bar.setRange(0, 1000)
        self.progress_bar.setMaximumWidth(220)
        self.progress_bar.setTextVisible(False)
        self.progress_bar.hide()
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.hide()
        self.model_label = QLabel()
        self.zoom_label = QLabel("")
        self.pos_label = QLabel("")
        for w in (self.progress_bar, self.cancel_button, self.model_label, self.pos_label, self.zoom_label):
            sb.addPermanentWidget(w)

    def action(self, text: str, slot: Callable[[], object], shortcuts: Shortcuts = None, tip: str = "") -> QAction:
        a = QAction(text, self)
        if shortcuts is not None:
            keys = shortcuts if isinstance(shortcuts, list) else [shortcuts]
            a.setShortcuts([QKeySequence(k) for k in keys])
        if tip:
            a.setStatusTip(tip)
            a.setToolTip(tip)
        a.triggered.connect(lambda _=False: slot())
        self.addAction(a)  # shortcuts work even with menus hidden
        return a

    def _build_actions(self) -> None:
        K, act, f, m, c = QKeySequence, self.action, self.files, self.masking, self.canvas
        self.act_open = act("&Open…", f.open_dialog, K.StandardKey.Open)
        self.act_paste = act("&Paste image", f.paste, K.StandardKey.Paste)
        self.act_save = act("&Save project", f.save_project, K.StandardKey.Save)
        self.act_save_as = act("Save project &as…", lambda: f.save_project(ask=True), "Ctrl+Shift+S")
        self.act_export = act("&Export image…", f.export_dialog, "Ctrl+E")
        self.act_batch = act("&Batch…", self.batch_dialog, "Ctrl+B")
        self.act_quit = act("&Quit", self.close, K.StandardKey.Quit)
        self.act_undo = self.undo_stack.createUndoAction(self, "&Undo")
        self.act_undo.setShortcuts([K("Ctrl+Z")])
        self.act_redo = self.undo_stack.createRedoAction(self, "&Redo")
        self.act_redo.setShortcuts([K("Ctrl+Shift+Z"), K("Ctrl+Y")])
        self.addAction(self.act_undo)
        self.addAction(self.act_redo)
        self.act_fit = act("&Fit to window", c.fit, ["Ctrl+0", "Esc"])
        self.act_100 = act("&Actual pixels (100 %)", c.actual_size, "Ctrl+1")
        self.act_zoom_in = act("Zoom &in", lambda: c.set_zoom(c.zoom() * 1.25), K.StandardKey.ZoomIn)
        self.act_zoom_out = act("Zoom &out", lambda: c.set_zoom(c.zoom() / 1.25), K.StandardKey.ZoomOut)
        self.act_brush = act("&Brush", lambda: m.set_tool("brush"), "B")
        self.act_eraser = act("&Eraser", lambda: m.set_tool("eraser"), "E")
        self.act_object = act(
            "&Object select",
            lambda: m.set_tool("object"),
            "O",
            "Drag a box around an object (or click it) to add it to the mask",
        )
        self.act_outline = act(
            "O&utline select",
            lambda: m.set_tool("outline"),
            "L",
            "Click around an object; the outline snaps to its edges",
        )
        self.act_sketch = act("&Sketch", m.sketch_tool, "S", "Draw thin structure lines that guide the fill")
        self.act_mask_layer = act("Paint &mask", lambda: m.set_active_layer("mask"), "M")
        self.act_edges_layer = act("Edit &edges", lambda: m.set_active_layer("edges"), "G")
        self.act_strokes = act(
            "Edit s&trokes",
            lambda: m.set_tool("strokes"),
            "T",
            "Select, bend, move, delete or draw the edge strokes the fill follows",
        )
        self.act_smaller = act("Smaller brush", lambda: m.step_brush(-1), "[")
        self.act_bigger = act("Bigger brush", lambda: m.step_brush(1), "]")
        self.act_fill = act("&Fill", self.fills.fill, ["F", "Ctrl+Return", "Ctrl+Enter"], "Inpaint the masked area")
        self.act_edges = act("&Re-hallucinate edges", self.fills.hallucinate_edges, "Ctrl+G")
        self.act_cancel = act("&Cancel", self.fills.cancel_job, "Ctrl+.")
        self.act_about = act("&About", self.about)
        self.act_keys = act("&Keyboard shortcuts", self.show_shortcuts, "F1")

        mb = self.menuBar()
        file_menu = mb.addMenu("&File")
        file_menu.addActions([self.act_open, self.act_paste])
        self.recent_menu = QMenu("Open &recent", self)
        file_menu.addMenu(self.recent_menu)
        for group in ([self.act_save, self.act_save_as, self.act_export], [self.act_batch], [self.act_quit]):
            file_menu.addSeparator()
            file_menu.addActions(group)
        mb.addMenu("&Edit").addActions([self.act_undo, self.act_redo])
        mb.addMenu("&View").addActions([self.act_fit, self.act_100, self.act_zoom_in, self.act_zoom_out])
        mb.addMenu("&Tools").addActions(
            [
                self.act_brush,
                self.act_eraser,
                self.act_object,
                self.act_outline,
                self.act_sketch,
                self.act_mask_layer,
                self.act_edges_layer,
                self.act_strokes,
                self.act_smaller,
                self.act_bigger,
            ]
        )
        mb.addMenu("&Inpaint").addActions([self.act_fill, self.act_edges, self.act_cancel])
        mb.addMenu("&Help").addActions([self.act_keys, self.act_about])
        self.files.rebuild_recent()

    def _connect(self) -> None:
        c, t, lp, m, fl = self.canvas, self.tools, self.layers, self.masking, self.fills
        c.strokeFinished.connect(self.push)
        c.zoomChanged.connect(lambda z: self.zoom_label.setText(f"{z * 100:.0f} %"))
        c.cursorMoved.connect(lambda x, y: self.pos_label.setText(f"{x}, {y}"))
        c.brushSizeStep.connect(m.step_brush)
        c.objectSelectRequested.connect(fl.object_select)
        c.outlineClosed.connect(fl.outline_select)
        self.map_builder.failed.connect(lambda msg: self.show_notice(msg, "error"))
        t.toolChanged.connect(m.set_tool)
        t.brushSizeChanged.connect(m.set_brush_size)
        t.sketchSizeChanged.connect(m.set_sketch_size)
        t.fillMethodChanged.connect(fl.on_fill_method)
        t.edgeMethodChanged.connect(fl.on_edge_method)
        t.deviceChanged.connect(fl.on_device)
        t.splitChanged.connect(c.set_split)
        t.fillRequested.connect(fl.fill)
        t.cancelRequested.connect(fl.cancel_job)
        self.cancel_button.clicked.connect(fl.cancel_job)
        lp.paintVisibilityChanged.connect(m.on_paint_visibility)
        lp.resultVisibilityChanged.connect(m.on_result_visibility)
        lp.activeLayerChanged.connect(m.set_active_layer)
        lp.removeResultRequested.connect(m.remove_result)
        lp.maskOp.connect(m.mask_op)
        lp.edgesOp.connect(m.edges_op)
        lp.sketchOp.connect(lambda _op: m.clear_layer("sketch"))
        self.worker.busyChanged.connect(fl.on_busy)
        self.worker.progress.connect(fl.on_progress)
        self.undo_stack.indexChanged.connect(lambda _i: self._after_history())
        self.undo_stack.cleanChanged.connect(lambda clean: self.setWindowModified(self.doc is not None and not clean))
        self.autosaver.failed.connect(lambda msg: self.statusBar().showMessage(f"Autosave failed: {msg}", 8000))

    # -- shared by the controllers ------------------------------------------------------------
    def show_notice(self, text: str, level: str = "info") -> None:
        self.notice.show_message(text, level)
        line = " ".join(t.strip() for t in text.splitlines() if t.strip())
        self.statusBar().showMessage(line if len(line) <= 160 else line[:157] + "…", 10000)

    def push(self, entry: Entry | None) -> None:
        """Put a document edit on the undo stack (the views already follow the document)."""
        if self.doc is not None and entry is not None:
            push_entry(self.undo_stack, self.doc, entry)

    def _after_history(self) -> None:
        self.notice.dismiss()  # "paint first", "brush set to…": the user has moved on
        self.autosaver.changed()
        self.update_enabled()
        self.fills.update_last_run()

    def update_enabled(self) -> None:
        has = self.doc is not None
        for a in (self.act_save, self.act_save_as, self.act_export, self.act_fill, self.act_edges):
            a.setEnabled(has)
        self.tools.fill_btn.setEnabled(has)

    def doc_name(self) -> str:
        return self.files.doc_name()

    def options(self) -> InpaintOptions:
        return InpaintOptions(
            method=str(self.tools.fill_combo.currentData() or "auto"),
            device=str(self.tools.device_combo.currentData() or "auto"),
            edge_method=str(self.tools.edge_combo.currentData() or "auto"),
        )

    # -- the window's entry points (app.py, the smoke test) -----------------------------------
    def open_path(self, path: str | Path) -> bool:
        return self.files.open_path(path)

    def open_array(self, pixels: np.ndarray, name: str = "pasted image") -> None:
        self.files.open_array(pixels, name)

    def fill(self) -> int | None:
        return self.fills.fill()

    def offer_recovery(self) -> bool:
        return self.files.offer_recovery()

    def batch_dialog(self) -> None:
        from .batch_dialog import BatchDialog

        BatchDialog(self.engine, self.worker, self.settings, self).exec()

    # -- Qt events ------------------------------------------------------------------------------
    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802 - Qt's name
        self.files.drag_enter(event)

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:  # noqa: N802 - Qt's name
        self.files.accept_as_copy(event)

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802 - Qt's name
        self.files.drop(event)

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt's name
        if self.prompt_on_close and not self.files.confirm_discard():
            event.ignore()
            return
        if self.save_settings_on_close:
            self.settings.save_window(self.saveGeometry(), self.saveState())
            self.settings.sync()
        # The stack outlives the panels during teardown; its last signals must not reach them.
        self.undo_stack.blockSignals(True)
        self.worker.shutdown()
        self.selector.shutdown()
        self.map_builder.shutdown()
        self.files.shutdown()
        self.autosaver.discard()
        self.autosaver.shutdown()
        event.accept()
