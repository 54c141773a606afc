"""The editor window: wires the canvas, panels, undo stack, worker and files together.

Every modal question goes through the small ``ask_*``/``choose_*`` methods so tests can
answer them without a dialog ever opening.  Engine calls are only ever submitted to the
worker, with a snapshot of the document; results come back on the GUI thread and are
added to the document only if it is still the same document.
"""

from __future__ import annotations

import logging
import os
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import QEvent, QObject, QSize, Qt, QTimer, QUrl, Signal
from PySide6.QtGui import (
    QAction,
    QCloseEvent,
    QDragEnterEvent,
    QDragMoveEvent,
    QDropEvent,
    QGuiApplication,
    QImage,
    QKeySequence,
    QResizeEvent,
    QShowEvent,
    QUndoStack,
)
from PySide6.QtWidgets import (
    QDockWidget,
    QFileDialog,
    QFrame,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QMenu,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from .. import __version__
from ..core import masks as maskops
from ..core.document import DEFAULT_HISTORY_LIMIT, PAINT_LAYERS, BBox, Document, Entry, PaintClaim
from ..core.errors import InpaintStudioError
from ..core.image_formats import IMAGE_SUFFIXES
from ..core.image_io import LoadedImage, load_image, save_image
from ..core.project import PROJECT_SUFFIX, ProjectError, load_project, read_project_meta, save_project
from ..core.selection import Selection, click_box, lasso_mask
from ..core.selection import object_select as grabcut_select
from .autosave import Autosaver, find_recoverable, remove_autosave, replay_journal
from .brush_limits import brush_limit, scaled_brush, stepped
from .canvas import ImageCanvas, PreviewImage
from .client import Engine, InpaintOptions, InpaintResult, auto_fallback, fill_info, fill_methods
from .export_dialog import EXPORT_FORMATS, ExportDialog
from .layers_panel import LayersPanel
from .select_tools import BoxSelect, MapBuilder, OutlineSelect
from .settings import AppSettings
from .stroke_tools import StrokeTool
from .tool_panel import ToolPanel
from .undo import push_entry, rebuild_stack
from .worker import WorkerHost

log = logging.getLogger(__name__)
IMAGE_FILTER = "Images (" + " ".join(f"*{s}" for s in sorted(IMAGE_SUFFIXES)) + ")"
OPEN_FILTER = (
    f"Images and projects ({' '.join(f'*{s}' for s in sorted(IMAGE_SUFFIXES))} *{PROJECT_SUFFIX});;"
    f"{IMAGE_FILTER};;Projects (*{PROJECT_SUFFIX})"
)


#: Longest side of the quick low-resolution pass of a neural fill that has no guide to
#: show (``deepfill``); ``guided`` shows its guide instead, at no extra cost.
PREVIEW_SIZE = 256
#: Status-bar words while a preview is on the canvas and the fill is being refined.
PREVIEW_STATUS = "Preview — refining…"
#: The smallest window: the docks at their narrowest beside a usable canvas.
MIN_WINDOW = QSize(800, 560)


class _Relay(QObject):
    """Carries engine callbacks from the worker thread to the GUI thread (queued)."""

    preview = Signal(int, object, object)  # fill seq, InpaintResult, canvas.PreviewImage
    exported = Signal(object)  # concurrent.futures.Future of a background export


class NoticeBar(QWidget):
    """Readable errors and warnings over the top of the canvas; never a modal that blocks work.

    It floats over the canvas instead of taking a row of the layout: as a row, every
    notice pushed the photo down under the cursor (and a stale one kept it there).
    Info notices go by themselves after a while or at the next edit; warnings and
    errors stay until dismissed, or until the next job reports its own outcome.
    """

    STYLES = {
        "error": ("#5c1f1f", "#ffecec"),
        "warning": ("#5a4a12", "#fff6d6"),
        "info": ("#1f3b5c", "#e6f1ff"),
    }
    #: How long an info notice stays, in ms.
    INFO_MS = 8000

    def __init__(self, host: QWidget) -> None:
        super().__init__(host)
        # The whole bar (close button included) takes the colour, not only the label.
        self.setObjectName("noticeBar")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        lay = QHBoxLayout(self)
        lay.setContentsMargins(8, 4, 4, 4)
        self.label = QLabel()
        self.label.setWordWrap(True)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        close = QPushButton("✕")
        close.setObjectName("noticeClose")
        close.setFlat(True)
        close.setFixedWidth(28)
        close.setToolTip("Dismiss")
        close.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        close.clicked.connect(self.hide)
        self.close_button = close
        lay.addWidget(self.label, 1)
        lay.addWidget(close)
        self.level = ""
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self.hide)
        host.installEventFilter(self)
        self.hide()

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        if event.type() == QEvent.Type.Resize and self.isVisible():
            self._place()
        return False

    def _place(self) -> None:
        host = self.parentWidget()
        if host is None:
            return
        w = host.width()
        h = self.heightForWidth(w) if self.hasHeightForWidth() else self.sizeHint().height()
        self.setGeometry(0, 0, w, max(h, self.sizeHint().height()))
        self.raise_()

    def show_message(self, text: str, level: str = "info") -> None:
        self.level = level
        self.label.setText(text)
        bg, fg = self.STYLES.get(level, self.STYLES["info"])
        self.setStyleSheet(
            f"#noticeBar {{ background: {bg}; }}"
            f"#noticeBar QLabel {{ color: {fg}; background: transparent; }}"
            f"#noticeBar QPushButton {{ color: {fg}; background: transparent; border: none; font-weight: bold; }}"
            f"#noticeBar QPushButton:hover {{ background: rgba(255, 255, 255, 40); }}"
        )
        self.show()
        self._place()
        if level == "info":
            self._timer.start(self.INFO_MS)
        else:
            self._timer.stop()

    def dismiss(self, levels: tuple[str, ...] = ("info",)) -> None:
        """Hide the notice if it is of one of ``levels`` (it went stale)."""
        if self.isVisible() and self.level in levels:
            self.hide()


class _PanelScroll(QScrollArea):
    """Scrolls a dock's panel only when the window is too short for it: the size hint is
    the panel's own (QScrollArea caps it at ~24 lines, which hid half the Tools dock)."""

    def __init__(self, full_height: bool) -> None:
        super().__init__()
        self.full_height = full_height  # False: ask for the minimum, let other docks go first

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        w = self.widget()
        if w is None:
            return super().sizeHint()
        hint = w.sizeHint() if self.full_height else w.minimumSizeHint()
        return QSize(w.sizeHint().width() + self.verticalScrollBar().sizeHint().width(), hint.height())


class MainWindow(QMainWindow):
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
        self.tool = "brush"
        self.last_result: InpaintResult | None = None
        self._job_kind: dict[int, str] = {}
        self._fill_seq = 0
        #: The fill whose preview is on the canvas (0: none); its progress reads as refining.
        self._preview_seq = 0
        self._fill_notes: dict[int, str] = {}  # result uid -> its "Last fill" line
        self._relay = _Relay(self)
        self._relay.preview.connect(self._on_preview)
        self._relay.exported.connect(self._on_export_finished)
        self._export_pool: ThreadPoolExecutor | None = None

        self.canvas = ImageCanvas()
        self._box_select = BoxSelect(self.canvas)
        self._outline_select = OutlineSelect(self.canvas, self.map_builder,
                                             lambda: self.doc.composite() if self.doc is not None else None)
        self._stroke_tool = StrokeTool(self.canvas, self._push)
        self.canvas.brush_size = float(self.settings.brush_size)
        self.canvas.sketch_size = float(self.settings.sketch_size)
        central = QWidget()
        cl = QVBoxLayout(central)
        cl.setContentsMargins(0, 0, 0, 0)
        cl.setSpacing(0)
        cl.addWidget(self.canvas, 1)
        self.notice = NoticeBar(self.canvas)
        self.setCentralWidget(central)

        self.tools = ToolPanel(
            self.settings.brush_size,
            self.settings.sketch_size,
            self.settings.fill_method,
            self.settings.edge_method,
            self.settings.device,
        )
        self.layers = LayersPanel()
        self.tools_dock = self._dock("Tools", self.tools, "toolsDock")
        self.layers_dock = self._dock("Layers", self.layers, "layersDock")
        # Below this the docks are squeezed to their minimum and Qt forgets their
        # proportions (the Tools dock then scrolled at full size, and was saved so).
        self.setMinimumSize(MIN_WINDOW)
        self._build_status_bar()
        self._build_actions()
        from .marks import MarkTools

        self.marks = MarkTools(self)  # Detect text, Remove watermark (Inpaint menu)
        self._connect()
        self._update_enabled()
        self.save_settings_on_close = True
        geo = self.settings.geometry()
        if geo is None or not self.restoreGeometry(geo):
            self.resize(1400, 900)
        self._sane_geometry()
        state = self.settings.window_state()
        if state is not None:
            self.restoreState(state)
        self._update_model_label()

    # -- construction ---------------------------------------------------------------------------
    def _sane_geometry(self) -> None:
        """Geometry saved on another screen (or by a headless run) can be tiny or off-screen."""
        screen = self.screen() or QGuiApplication.primaryScreen()
        if screen is None:
            return
        avail = screen.availableGeometry()
        w = min(max(self.width(), 1000), avail.width())
        h = min(max(self.height(), 700), avail.height())
        if (w, h) != (self.width(), self.height()):
            self.resize(w, h)
        if not avail.intersects(self.frameGeometry()):
            self.move(avail.topLeft())

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 - Qt's name
        super().showEvent(event)
        QTimer.singleShot(0, self._balance_docks)  # once the restored layout is laid out

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 - Qt's name
        super().resizeEvent(event)  # the docks already have their new geometry here
        self._balance_docks()

    def _balance_docks(self) -> None:
        """Give the Tools dock the height of its content again, as far as its column allows.

        Qt shares a column's height out in the docks' current proportions; after the
        window was small both docks ended up equal and Tools scrolled for good.  A dock
        the user floated or moved to another column is left alone.
        """
        t, lay = self.tools_dock, self.layers_dock
        if t.isFloating() or lay.isFloating() or not (t.isVisible() and lay.isVisible()):
            return
        if self.dockWidgetArea(t) != self.dockWidgetArea(lay) or t.x() != lay.x():
            return
        total = t.height() + lay.height()
        want = min(t.sizeHint().height(), total - lay.minimumSizeHint().height())
        if abs(t.height() - want) > 1:  # its content's height; Layers takes the rest
            self.resizeDocks([t, lay], [want, total - want], Qt.Orientation.Vertical)

    def _dock(self, title: str, w: QWidget, name: str) -> QDockWidget:
        d = QDockWidget(title, self)
        d.setObjectName(name)
        # Scrollable, so the panels never force the window taller than a laptop screen.
        area = _PanelScroll(full_height=w is self.tools)
        area.setObjectName(name + "Scroll")
        area.setWidgetResizable(True)
        area.setFrameShape(QFrame.Shape.NoFrame)
        area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        area.setWidget(w)
        area.setMinimumWidth(w.minimumSizeHint().width() + area.verticalScrollBar().sizeHint().width())
        d.setWidget(area)
        d.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable | QDockWidget.DockWidgetFeature.DockWidgetFloatable)
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, d)
        return d

    def _build_status_bar(self) -> None:
        sb = self.statusBar()
        self.progress_bar = QProgressBar()
        self.progress_bar.setRange(0, 1000)
        self.progress_bar.setMaximumWidth(220)
        self.progress_bar.setTextVisible(False)
        self.progress_bar.hide()
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.hide()
        self.cancel_button.clicked.connect(self.cancel_job)
        self.model_label = QLabel()
        self.zoom_label = QLabel("")
        self.pos_label = QLabel("")
        sb.addPermanentWidget(self.progress_bar)
        sb.addPermanentWidget(self.cancel_button)
        sb.addPermanentWidget(self.model_label)
        sb.addPermanentWidget(self.pos_label)
        sb.addPermanentWidget(self.zoom_label)

    def _action(self, text: str, slot: Any, shortcuts: Any = None, tip: str = "") -> QAction:
        a = QAction(text, self)
        if shortcuts is not None:
            if not isinstance(shortcuts, (list, tuple)):
                shortcuts = [shortcuts]
            a.setShortcuts([QKeySequence(s) for s in shortcuts])
        if tip:
            a.setStatusTip(tip)
            a.setToolTip(tip)
        a.triggered.connect(lambda _=False: slot())
        self.addAction(a)  # shortcuts work even with menus hidden
        return a

    def _build_actions(self) -> None:
        K = QKeySequence
        self.act_open = self._action("&Open…", self.open_dialog, K.StandardKey.Open)
        self.act_paste = self._action("&Paste image", self.paste, K.StandardKey.Paste)
        self.act_save = self._action("&Save project", self.save_project, K.StandardKey.Save)
        self.act_save_as = self._action("Save project &as…", lambda: self.save_project(ask=True), "Ctrl+Shift+S")
        self.act_export = self._action("&Export image…", self.export_dialog, "Ctrl+E")
        self.act_batch = self._action("&Batch…", self.batch_dialog, "Ctrl+B")
        self.act_quit = self._action("&Quit", self.close, K.StandardKey.Quit)
        self.act_undo = self.undo_stack.createUndoAction(self, "&Undo")
        self.act_undo.setShortcuts([K("Ctrl+Z")])
        self.act_redo = self.undo_stack.createRedoAction(self, "&Redo")
        self.act_redo.setShortcuts([K("Ctrl+Shift+Z"), K("Ctrl+Y")])
        self.addAction(self.act_undo)
        self.addAction(self.act_redo)
        self.act_fit = self._action("&Fit to window", self.canvas.fit, ["Ctrl+0", "Esc"])
        self.act_100 = self._action("&Actual pixels (100 %)", self.canvas.actual_size, "Ctrl+1")
        self.act_zoom_in = self._action("Zoom &in", lambda: self.canvas.set_zoom(self.canvas.zoom() * 1.25), K.StandardKey.ZoomIn)
        self.act_zoom_out = self._action("Zoom &out", lambda: self.canvas.set_zoom(self.canvas.zoom() / 1.25), K.StandardKey.ZoomOut)
        self.act_brush = self._action("&Brush", lambda: self.set_tool("brush"), "B")
        self.act_eraser = self._action("&Eraser", lambda: self.set_tool("eraser"), "E")
        self.act_object = self._action("&Object select", lambda: self.set_tool("object"), "O",
                                       "Drag a box around an object (or click it) to add it to the mask")
        self.act_outline = self._action("O&utline select", lambda: self.set_tool("outline"), "L",
                                        "Click around an object; the outline snaps to its edges")
        self.act_sketch = self._action("&Sketch", self.sketch_tool, "S", "Draw thin structure lines that guide the fill")
        self.act_mask_layer = self._action("Paint &mask", lambda: self.set_active_layer("mask"), "M")
        self.act_edges_layer = self._action("Edit &edges", lambda: self.set_active_layer("edges"), "G")
        self.act_strokes = self._action("Edit s&trokes", lambda: self.set_tool("strokes"), "T",
                                        "Select, bend, move, delete or draw the edge strokes the fill follows")
        self.act_smaller = self._action("Smaller brush", lambda: self.step_brush(-1), "[")
        self.act_bigger = self._action("Bigger brush", lambda: self.step_brush(1), "]")
        self.act_fill = self._action("&Fill", self.fill, ["F", "Ctrl+Return", "Ctrl+Enter"], "Inpaint the masked area")
        self.act_edges = self._action("&Re-hallucinate edges", self.hallucinate_edges, "Ctrl+G")
        self.act_cancel = self._action("&Cancel", self.cancel_job, "Ctrl+.")
        self.act_about = self._action("&About", self.about)
        self.act_keys = self._action("&Keyboard shortcuts", self.show_shortcuts, "F1")

        mb = self.menuBar()
        m = mb.addMenu("&File")
        m.addActions([self.act_open, self.act_paste])
        self.recent_menu = QMenu("Open &recent", self)
        m.addMenu(self.recent_menu)
        m.addSeparator()
        m.addActions([self.act_save, self.act_save_as, self.act_export])
        m.addSeparator()
        m.addAction(self.act_batch)
        m.addSeparator()
        m.addAction(self.act_quit)
        m = mb.addMenu("&Edit")
        m.addActions([self.act_undo, self.act_redo])
        m = mb.addMenu("&View")
        m.addActions([self.act_fit, self.act_100, self.act_zoom_in, self.act_zoom_out])
        m = mb.addMenu("&Tools")
        m.addActions([self.act_brush, self.act_eraser, self.act_object, self.act_outline, self.act_sketch,
                      self.act_mask_layer,
                      self.act_edges_layer, self.act_strokes, self.act_smaller, self.act_bigger])
        m = mb.addMenu("&Inpaint")
        m.addActions([self.act_fill, self.act_edges, self.act_cancel])
        m = mb.addMenu("&Help")
        m.addActions([self.act_keys, self.act_about])
        self._rebuild_recent()

    def _connect(self) -> None:
        c, t, lp = self.canvas, self.tools, self.layers
        c.strokeFinished.connect(self._on_stroke)
        c.zoomChanged.connect(lambda z: self.zoom_label.setText(f"{z * 100:.0f} %"))
        c.cursorMoved.connect(lambda x, y: self.pos_label.setText(f"{x}, {y}"))
        c.brushSizeStep.connect(self.step_brush)
        c.objectSelectRequested.connect(self.object_select)
        c.outlineClosed.connect(self.outline_select)
        self.map_builder.failed.connect(lambda m: self.show_notice(m, "error"))
        t.toolChanged.connect(self.set_tool)
        t.brushSizeChanged.connect(self._set_brush_size)
        t.sketchSizeChanged.connect(self._set_sketch_size)
        t.fillMethodChanged.connect(self._on_fill_method)
        t.edgeMethodChanged.connect(self._on_edge_method)
        t.deviceChanged.connect(self._on_device)
        t.splitChanged.connect(c.set_split)
        t.fillRequested.connect(self.fill)
        t.cancelRequested.connect(self.cancel_job)
        lp.paintVisibilityChanged.connect(self._on_paint_visibility)
        lp.resultVisibilityChanged.connect(self._on_result_visibility)
        lp.activeLayerChanged.connect(self.set_active_layer)
        lp.removeResultRequested.connect(self._remove_result)
        lp.maskOp.connect(self.mask_op)
        lp.edgesOp.connect(self._edges_op)
        lp.sketchOp.connect(lambda _op: self._clear_layer("sketch"))
        self.worker.busyChanged.connect(self._on_busy)
        self.worker.progress.connect(self._on_progress)
        self.undo_stack.indexChanged.connect(lambda _i: self._after_history())
        self.undo_stack.cleanChanged.connect(lambda clean: self.setWindowModified(self.doc is not None and not clean))
        self.autosaver.failed.connect(lambda m: self.statusBar().showMessage(f"Autosave failed: {m}", 8000))

    # -- notices -------------------------------------------------------------------------------
    def show_notice(self, text: str, level: str = "info") -> None:
        self.notice.show_message(text, level)
        line = " ".join(t.strip() for t in text.splitlines() if t.strip())
        self.statusBar().showMessage(line if len(line) <= 160 else line[:157] + "…", 10000)

    # -- questions (tests replace these) ---------------------------------------------------------
    def ask_yes_no(self, title: str, text: str) -> bool:
        r = QMessageBox.question(self, title, text, QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No)
        return r == QMessageBox.StandardButton.Yes

    def ask_replace_original(self, title: str, text: str) -> bool:
        """A destructive question: warning icon, and Enter answers No."""
        r = QMessageBox.warning(
            self, title, text,
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            QMessageBox.StandardButton.No,
        )
        return r == QMessageBox.StandardButton.Yes

    def ask_save_changes(self, action: str = "closing") -> str:
        """``save``, ``discard`` or ``cancel``; ``action`` says what happens next."""
        r = QMessageBox.question(
            self,
            "Unsaved changes",
            f"{self._doc_name().replace('pasted image', 'The pasted image', 1)} has unsaved edits.\n"
            f"Save them as a project (Ctrl+S) before {action}?",
            QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Discard | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Save,
        )
        return {QMessageBox.StandardButton.Save: "save", QMessageBox.StandardButton.Discard: "discard"}.get(r, "cancel")

    def choose_open_path(self, title: str, filt: str, kind: str) -> Path | None:
        path, _ = QFileDialog.getOpenFileName(self, title, self.settings.last_dir(kind), filt)
        return Path(path) if path else None

    def choose_save_path(self, title: str, suggested: str, filt: str, kind: str) -> Path | None:
        folder = self.settings.last_dir(kind)
        if self.photo_path and folder == str(Path.home()) and os.access(self.photo_path.parent, os.W_OK):
            folder = str(self.photo_path.parent)  # first time: beside the photo, not in $HOME
        start = str(Path(folder) / suggested)
        path, _ = QFileDialog.getSaveFileName(self, title, start, filt)
        return Path(path) if path else None

    # -- files -------------------------------------------------------------------------------------
    def open_dialog(self) -> None:
        p = self.choose_open_path("Open photo or project", OPEN_FILTER, "open")
        if p is not None:
            self.open_path(p)

    def open_path(self, path: str | Path) -> bool:
        """Open a photo or an ``.isproj`` project; errors become a notice, never a crash.

        The file is read first: a file that cannot be opened never costs the current
        work, and the save-changes question comes only when there is something to open.
        """
        p = Path(path)
        try:
            if p.suffix.lower() == PROJECT_SUFFIX:
                doc, loaded, photo = self._read_project(p)
                project: Path | None = p
            else:
                loaded = load_image(p)
                doc, photo, project = Document(loaded.pixels), p, None
        except InpaintStudioError as exc:
            self.show_notice(str(exc), "error")
            return False
        except (OSError, ValueError) as exc:
            self.show_notice(f"Could not open {p}: {exc}", "error")
            return False
        was_modified = self.is_modified()
        if not self._confirm_discard(f"opening {p.name}"):
            return False
        if (
            was_modified and project is not None and self.project_path is not None
            and not self.is_modified() and p.resolve() == self.project_path.resolve()
        ):
            # The answer was "save" into the very project being opened: read what was saved.
            try:
                doc, loaded, photo = self._read_project(p)
            except (InpaintStudioError, OSError, ValueError) as exc:
                self.show_notice(f"Could not open {p}: {exc}", "error")
                return False
        self._set_document(doc, loaded, photo, project)
        self.settings.set_last_dir("open", p)
        self.settings.add_recent(p)
        self._rebuild_recent()
        return True

    def _read_project(self, p: Path) -> tuple[Document, LoadedImage | None, Path | None]:
        holder: dict[str, LoadedImage] = {}

        def loader(photo: Path) -> np.ndarray:
            holder["img"] = load_image(photo)
            return holder["img"].pixels

        meta = read_project_meta(p)
        override: Path | None = None
        ref = meta.get("photo")
        if ref and not Path(ref).exists():
            # The photo was moved: look beside the project, then ask where it is now.
            beside = p.parent / Path(ref).name
            if beside.exists():
                override = beside
            else:
                override = self.choose_open_path(
                    f"Where is {Path(ref).name} now? (the project's photo was moved)", IMAGE_FILTER, "open"
                )
                if override is None:
                    raise ProjectError(f"the project's photo {ref} is missing (moved or deleted?)")
        doc, info = load_project(p, load_photo=loader, photo_override=override)
        return doc, holder.get("img"), info.photo_path

    def _open_project(self, p: Path, autosave_of: Path | None = None) -> None:
        doc, loaded, photo = self._read_project(p)
        if autosave_of is not None:
            replay_journal(doc, autosave_of)  # the steps made after that base was written
        self._set_document(doc, loaded, photo, None if autosave_of else p)

    def open_array(self, pixels: np.ndarray, name: str = "pasted image") -> None:
        if not self._confirm_discard(f"opening the {name}"):
            return
        self._set_document(Document(pixels), None, None, None)

    def paste(self) -> None:
        cb = QGuiApplication.clipboard()
        md = cb.mimeData()
        if md is not None and md.hasUrls():
            for u in md.urls():
                if u.isLocalFile():
                    self.open_path(u.toLocalFile())
                    return
        img = cb.image()
        if img.isNull():
            self.show_notice("The clipboard holds no image", "warning")
            return
        self.open_array(qimage_to_array(img))

    def _set_document(self, doc: Document, loaded: LoadedImage | None, photo: Path | None, project: Path | None) -> None:
        self.worker.cancel()
        self._fill_seq += 1  # a preview of the old photo still on its way is not shown on this one
        self.doc = doc
        self.loaded = loaded
        self.photo_path = photo
        self.project_path = project
        self.last_result = None
        self.canvas.set_document(doc)
        self.undo_stack.clear()
        rebuild_stack(self.undo_stack, doc, self._refresh_entry)
        self.canvas.refresh_overlay()
        self.canvas.sync_results()
        self.layers.refresh(doc, self.canvas.active_layer)
        self.autosaver.attach(doc, photo)
        self.notice.hide()
        self._fill_notes.clear()
        self.tools.last_run.setText("")
        self.statusBar().clearMessage()
        self._fit_brush_to(doc)
        self._update_title()
        self._update_enabled()
        self.canvas.setFocus()

    def _fit_brush_to(self, doc: Document) -> None:
        """The remembered brush is a share of the photo's short side: the same apparent size
        on a 24 MP photo as on a small one (in pixels it was a speck, or covered it all)."""
        v = scaled_brush(self.settings.brush_fraction, doc.shape)
        if v != int(self.canvas.brush_size):
            self.tools.set_brush_size(v)
            self.canvas.brush_size = float(v)
            self.settings.brush_size = v
            self.canvas._update_cursor_item()
            self.statusBar().showMessage(f"Brush {v} px for this {doc.width}×{doc.height} photo ([ and ] change it)", 6000)

    def _doc_name(self) -> str:
        if self.project_path is not None:
            return self.project_path.name
        return self.photo_path.name if self.photo_path is not None else "pasted image"

    def _update_title(self) -> None:
        """``name (W×H)[*] - Inpaint Studio``; the ``*`` shows while there are unsaved edits."""
        if self.doc is None:
            self.setWindowTitle("Inpaint Studio")
            return
        self.setWindowTitle(f"{self._doc_name()} ({self.doc.width}×{self.doc.height})[*] - Inpaint Studio")
        self.setWindowModified(self.is_modified())

    def is_modified(self) -> bool:
        """Edits since the last save (undoing back to the saved state makes it clean again)."""
        return self.doc is not None and not self.undo_stack.isClean()

    def _confirm_discard(self, action: str = "closing") -> bool:
        if not self.prompt_on_close or not self.is_modified():
            return True
        choice = self.ask_save_changes(action)
        if choice == "save":
            return self.save_project()
        return choice == "discard"

    def _rebuild_recent(self) -> None:
        self.recent_menu.clear()
        files = self.settings.recent_files()
        for f in files:
            a = self.recent_menu.addAction(f)
            a.triggered.connect(lambda _=False, f=f: self.open_path(f))
        if files:
            self.recent_menu.addSeparator()
            self.recent_menu.addAction("Clear list", lambda: (self.settings.clear_recent(), self._rebuild_recent()))
        self.recent_menu.setEnabled(bool(files))

    @staticmethod
    def _accept_as_copy(event: QDragEnterEvent | QDragMoveEvent | QDropEvent) -> None:
        """Opening a file only reads it: a drop is always a copy, never the proposed Move
        (a file manager that honours Move would delete the dragged original)."""
        event.setDropAction(Qt.DropAction.CopyAction)
        event.accept()

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        md = event.mimeData()
        if (md.hasUrls() or md.hasImage()) and event.possibleActions() & Qt.DropAction.CopyAction:
            self._accept_as_copy(event)

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:
        self._accept_as_copy(event)

    def dropEvent(self, event: QDropEvent) -> None:
        md = event.mimeData()
        for u in md.urls():
            if isinstance(u, QUrl) and u.isLocalFile():
                self._accept_as_copy(event)
                self.open_path(u.toLocalFile())
                return
        if md.hasImage():
            img = QImage(md.imageData())
            if not img.isNull():
                self._accept_as_copy(event)
                self.open_array(qimage_to_array(img))

    def save_project(self, ask: bool = False) -> bool:
        if self.doc is None:
            return False
        path = self.project_path
        if path is None or ask:
            stem = self.photo_path.stem if self.photo_path else "untitled"
            path = self.choose_save_path("Save project", stem + PROJECT_SUFFIX, f"Projects (*{PROJECT_SUFFIX})", "project")
            if path is None:
                return False
            if path.suffix.lower() != PROJECT_SUFFIX:
                path = path.with_suffix(PROJECT_SUFFIX)
        return self.save_project_to(path)

    def save_project_to(self, path: Path) -> bool:
        assert self.doc is not None
        try:
            save_project(path, self.doc, self.photo_path)
        except (OSError, InpaintStudioError) as exc:
            self.show_notice(f"Could not save the project: {exc}", "error")
            return False
        self.project_path = path
        self.undo_stack.setClean()
        self._update_title()
        self.settings.set_last_dir("project", path)
        self.settings.add_recent(path)
        self._rebuild_recent()
        self.statusBar().showMessage(f"Saved {path}", 5000)
        return True

    def export_dialog(self) -> None:
        if self.doc is None:
            return
        folder = self.settings.last_dir("export")
        if self.photo_path and folder == str(Path.home()) and os.access(self.photo_path.parent, os.W_OK):
            folder = str(self.photo_path.parent)  # next to the photo, unless that is read-only
        # Always the original's format first: a format remembered from another photo turned
        # a JPEG into a PNG (or back) without the user asking.
        dlg = ExportDialog(self.photo_path, folder, "keep", self.settings.export_quality, self)
        if dlg.exec() != ExportDialog.DialogCode.Accepted:
            return
        self.settings.export_quality = dlg.quality.value()
        self.export_to(dlg.path(), dlg.fmt(), dlg.quality_value(), background=True)

    def export_to(
        self, path: Path, fmt: str = "keep", quality: int | None = None, background: bool = False
    ) -> Path | None:
        """Save the composite; asks before replacing any file, twice for the original.

        With ``background`` the encoding runs off the GUI thread (a 24 MP PNG takes
        seconds) and the outcome arrives as a status message or an error notice; the
        return value is then the path being written.
        """
        if self.doc is None:
            return None
        path = Path(path)
        fmt_name = EXPORT_FORMATS.get(fmt, EXPORT_FORMATS["keep"])[2]
        overwrite = False
        if path.exists():
            is_original = self.photo_path is not None and path.resolve() == self.photo_path.resolve()
            if is_original:
                ok = self.ask_replace_original(
                    "Replace the original photo?",
                    f"{path.name} is the ORIGINAL photo. Replace it with the edited image? This cannot be undone.",
                )
            else:
                ok = self.ask_yes_no("Replace file?", f"{path.name} already exists. Replace it?")
            if not ok:
                return None
            overwrite = True
        comp = self.doc.composite()
        changed = np.zeros(self.doc.shape, bool)
        for r in self.doc.results:
            if r.visible:
                y0, y1, x0, x1 = r.bbox
                changed[y0:y1, x0:x1] |= r.mask
        base = self.loaded or LoadedImage(pixels=comp, source_mode="RGBA" if comp.shape[2] == 4 else "RGB", format="PNG")
        image = base.with_pixels(comp)

        def write() -> Path:
            return save_image(path, image, format=fmt_name, quality=quality, overwrite=overwrite, changed=changed)

        if background:
            if self._export_pool is None:
                self._export_pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="export")
            self.statusBar().showMessage(f"Exporting {path.name}…")
            fut = self._export_pool.submit(write)
            fut.add_done_callback(self._relay.exported.emit)  # back on the GUI thread (queued)
            return path
        try:
            out = write()
        except InpaintStudioError as exc:
            self.show_notice(str(exc), "error")
            return None
        self._exported(out)
        return out

    def _on_export_finished(self, fut: Future) -> None:
        exc = fut.exception()
        if exc is None:
            self._exported(fut.result())
        elif isinstance(exc, InpaintStudioError):
            self.show_notice(str(exc), "error")
        else:
            self.show_notice(f"Export failed: {type(exc).__name__}: {exc}", "error")

    def _exported(self, out: Path) -> None:
        self.settings.set_last_dir("export", out)
        self.statusBar().showMessage(f"Exported {out}", 8000)

    # -- tools ---------------------------------------------------------------------------------------
    def set_tool(self, tool: str) -> None:
        self.tool = tool
        self.canvas.erase_tool = tool == "eraser"
        self.tools.set_tool(tool)
        select = {"object": self._box_select, "outline": self._outline_select, "strokes": self._stroke_tool}.get(tool)
        self.canvas.set_select_tool(select)
        if tool == "strokes":
            self.statusBar().showMessage("Strokes: click one to select, drag its points to bend it, Delete removes it, "
                                         "drag on empty photo draws one; then Fill", 8000)
            return
        if select is not None:
            self.canvas.active_layer = "mask"  # a selection always edits the mask
            self.layers.set_active("mask")
            hint = ("Object select: drag a box around an object, or click it" if tool == "object" else
                    "Outline select: click around an object; close at the first point, double-click or Enter")
            self.statusBar().showMessage(f"{hint}; Alt or Ctrl subtracts", 6000)
            return
        self.statusBar().showMessage(f"{tool.capitalize()} on {self.canvas.active_layer}", 3000)

    def sketch_tool(self) -> None:
        self.set_active_layer("sketch")
        self.set_tool("brush")

    def set_active_layer(self, name: str) -> None:
        if self.tool == "strokes" or (name != "mask" and self.tool in ("object", "outline")):
            self.set_tool("brush")  # sketch and edges are painted, not selected
        self.canvas.active_layer = name
        self.layers.set_active(name)
        self.canvas._update_cursor_item()
        self.statusBar().showMessage(f"Painting on {name} (right-drag erases)", 3000)

    def step_brush(self, direction: int) -> None:
        if self.canvas.active_layer in ("sketch", "edges"):
            v = int(self.canvas.sketch_size)
            v = max(1, min(50, v + direction * max(1, v // 5)))
            self.tools.set_sketch_size(v)
            self._set_sketch_size(v)
        else:
            v = stepped(int(self.canvas.brush_size), direction, self._brush_limit())
            self.tools.set_brush_size(v)
            self._set_brush_size(v)

    def _brush_limit(self) -> int:
        return brush_limit(self.doc.shape if self.doc is not None else None)

    def _set_brush_size(self, v: int) -> None:
        limit = self._brush_limit()
        if v > limit:
            what = (f"this {self.doc.width}×{self.doc.height} photo's long side" if self.doc is not None
                    else "the largest brush before a photo is open")
            self.show_notice(f"Brush size {v} px is more than {what}; set to {limit} px.", "info")
            v = limit
            self.tools.set_brush_size(v)
        self.canvas.brush_size = float(v)
        self.settings.brush_size = v
        if self.doc is not None:
            self.settings.brush_fraction = v / min(self.doc.shape)
        self.canvas._update_cursor_item()

    def _set_sketch_size(self, v: int) -> None:
        self.canvas.sketch_size = float(v)
        self.settings.sketch_size = v
        self.canvas._update_cursor_item()

    def _on_fill_method(self, name: str) -> None:
        self.settings.fill_method = name
        self._update_model_label()

    def _on_edge_method(self, name: str) -> None:
        self.settings.edge_method = name

    def _on_device(self, dev: str) -> None:
        self.settings.device = dev
        self._update_model_label()

    def _update_model_label(self) -> None:
        m = self.tools.fill_combo.currentData() or "auto"
        d = self.tools.device_combo.currentData() or "auto"
        shown = self.engine.resolve_method(str(m))
        try:
            ok, _why = fill_info(shown).available()
        except InpaintStudioError:
            ok = True
        if not ok:
            shown = f"{shown} unavailable → telea"  # what the fill will really use
        elif m == "auto":
            fallback = auto_fallback()
            if fallback:
                shown = f"{shown} (fallback)"
                if fallback != getattr(self, "_fallback_shown", None):
                    # Once per cause: a damaged or missing weights file must not go unnoticed.
                    self._fallback_shown = fallback
                    self.show_notice(fallback, "warning")
        if d == "auto":
            from .client import cuda_available

            d = "auto → " + ("CUDA" if cuda_available() else "CPU")
        self.model_label.setText(f"Model: {shown} · Device: {d}")

    def options(self) -> InpaintOptions:
        return InpaintOptions(
            method=str(self.tools.fill_combo.currentData() or "auto"),
            device=str(self.tools.device_combo.currentData() or "auto"),
            edge_method=str(self.tools.edge_combo.currentData() or "auto"),
        )

    # -- edits ---------------------------------------------------------------------------------------
    def _refresh_entry(self, entry: Entry | None) -> None:
        self.canvas.apply_entry_view(entry)
        if entry is not None and (entry.result_added or entry.result_removed or entry.visibility):
            self.layers.refresh(self.doc)

    def _push(self, entry: Entry | None) -> None:
        if self.doc is None or entry is None:
            return
        push_entry(self.undo_stack, self.doc, entry, self._refresh_entry)
        self._refresh_entry(entry)

    def _after_history(self) -> None:
        self.notice.dismiss()  # "paint first", "brush set to…": the user has moved on
        self.autosaver.changed()
        self._update_enabled()
        self._update_last_run()

    def _update_last_run(self) -> None:
        """The note of the newest fill still in the document: undoing or removing a fill
        must not leave its "Last fill" line behind (redo brings it back)."""
        text = ""
        if self.doc is not None:
            for r in reversed(self.doc.results):
                if r.uid in self._fill_notes:
                    text = self._fill_notes[r.uid]
                    break
        self.tools.last_run.setText(text)

    def _on_stroke(self, entry: Entry) -> None:
        self._push(entry)

    def _on_paint_visibility(self, name: str, on: bool) -> None:
        if self.doc is None:
            return
        self.doc.visible[name] = on
        self.canvas.refresh_overlay()
        self.autosaver.changed()

    def _on_result_visibility(self, idx: int, on: bool) -> None:
        if self.doc is not None and 0 <= idx < len(self.doc.results):
            self._push(self.doc.set_result_visible(idx, on))

    def _remove_result(self, idx: int) -> None:
        if self.doc is not None and 0 <= idx < len(self.doc.results):
            self._push(self.doc.remove_result(idx))

    def _clear_layer(self, name: str) -> None:
        if self.doc is not None:
            self._push(self.doc.set_layer(name, np.zeros(self.doc.shape, np.uint8), f"Clear {name}"))

    def _edges_op(self, op: str) -> None:
        if op == "hallucinate":
            self.hallucinate_edges()
            return
        if self.doc is not None and self.doc.strokes:
            self._push(self.doc.set_strokes((), "Clear strokes"))
        if self.doc is not None and self.doc.layers["edges"].any():
            self._clear_layer("edges")

    def mask_op(self, op: str) -> None:
        doc = self.doc
        if doc is None:
            return
        n = self.tools.grow_spin.value()
        hole = doc.hole()
        if op == "grow":
            new = maskops.dilate(hole, n)
        elif op == "shrink":
            new = maskops.erode(hole, n)
        elif op == "feather":
            soft = maskops.feather(hole, n / 2.0)
            self._push(doc.set_layer("mask", np.rint(np.clip(soft, 0, 1) * 255).astype(np.uint8), "Feather mask"))
            return
        elif op == "invert":
            new = ~hole
        elif op == "clear":
            new = np.zeros(doc.shape, bool)
        elif op == "text":
            self.marks.detect_text()
            return
        elif op == "load":
            p = self.choose_open_path("Load mask", IMAGE_FILTER, "mask")
            if p is None:
                return
            self.load_mask_file(p)
            return
        elif op == "save":
            stem = self.photo_path.stem if self.photo_path else "mask"
            p = self.choose_save_path("Save mask", f"{stem}-mask.png", "PNG (*.png)", "mask")
            if p is not None:
                self.save_mask_file(p)
            return
        else:
            raise ValueError(op)
        self._push(doc.set_layer("mask", np.where(new, 255, 0).astype(np.uint8), f"{op.capitalize()} mask"))

    def load_mask_file(self, p: Path) -> bool:
        if self.doc is None:
            return False
        try:
            m = maskops.load_mask(p, size=(self.doc.width, self.doc.height))
            stretched = maskops.aspect_warning(maskops.mask_size(p), (self.doc.width, self.doc.height), p)
        except InpaintStudioError as exc:
            self.show_notice(str(exc), "error")
            return False
        self.settings.set_last_dir("mask", p)
        self._push(self.doc.set_layer("mask", np.where(m, 255, 0).astype(np.uint8), "Load mask"))
        if stretched:
            self.show_notice(stretched, "warning")  # loaded, but not silently distorted
        return True

    def save_mask_file(self, p: Path) -> bool:
        if self.doc is None:
            return False
        overwrite = False
        if p.exists():
            if not self.ask_yes_no("Replace file?", f"{p.name} already exists. Replace it?"):
                return False
            overwrite = True
        try:
            maskops.save_mask(p, self.doc.hole(), overwrite=overwrite)
        except InpaintStudioError as exc:
            self.show_notice(str(exc), "error")
            return False
        self.settings.set_last_dir("mask", p)
        self.statusBar().showMessage(f"Saved mask {p}", 5000)
        return True

    # -- jobs ----------------------------------------------------------------------------------------
    def fill(self) -> int | None:
        """Submit a fill of the current mask (guided by edges + sketch) to the worker."""
        doc = self.doc
        if doc is None:
            self.show_notice("Open a photo first (Ctrl+O, drag and drop, or paste)", "info")
            return None
        hole = doc.hole()
        if not hole.any():
            self.show_notice("Paint over what should disappear first (B = brush)", "info")
            return None
        image = doc.composite()
        edges = doc.guidance()
        # What this fill consumes is the paint as it is now; which strokes those are is
        # worked out in the worker, after the fill (on a 24 MP mask it takes a while).
        paint = {name: doc.layers[name].copy() for name in PAINT_LAYERS}
        strokes = tuple(doc.strokes)
        opts = self.options()
        engine = self.engine
        try:
            neural = fill_info(engine.resolve_method(opts.method)).kind == "neural"
        except InpaintStudioError:
            neural = False
        # Slow (neural) fills show a preview first: guided its guide, others a quick
        # low-resolution pass.
        opts.preview_size = PREVIEW_SIZE if neural else 0
        self._fill_seq += 1
        seq, relay = self._fill_seq, self._relay
        self.canvas.clear_preview()  # a fill still running is superseded (latest wins): its preview goes
        self._preview_seq = 0

        def job(progress: Any, cancel: Any) -> tuple[InpaintResult, PaintClaim | None, PreviewImage]:
            res = engine.inpaint(
                image, hole, edges, opts, progress=progress, cancel=cancel,
                # The preview's image is made here, in the worker: not on the GUI thread.
                on_preview=lambda r: relay.preview.emit(seq, r, PreviewImage(r.pixels, r.mask)),
            )
            # The claim reads only the copies; the layer's image is made here, not on the GUI thread.
            return res, doc.claim_paint(hole, paint, strokes), PreviewImage(res.pixels, res.mask)

        def finished() -> None:
            # Never left behind: the result layer replaces it, a cancel or error removes it.
            self.canvas.clear_preview()
            if self._preview_seq == seq:
                self._preview_seq = 0

        jid = self.worker.submit(
            "Fill",
            job,
            on_done=lambda out, d=doc: (finished(), self._fill_done(d, *out)),
            on_error=lambda msg: (finished(), self.show_notice(f"Fill failed: {msg}", "error")),
            on_cancel=lambda: (finished(), self.statusBar().showMessage("Fill cancelled", 5000)),
        )
        self._job_kind[jid] = "fill"
        self.notice.dismiss(("info", "warning", "error"))  # this fill reports its own outcome
        self.statusBar().showMessage("Filling…")
        return jid

    def _on_preview(self, seq: int, res: InpaintResult, image: PreviewImage) -> None:
        """Show a fill's preview on the canvas: a view only, never a layer or an undo step."""
        if seq == self._fill_seq and self.worker.busy and self.doc is not None:
            self.canvas.show_preview(image)
            self._preview_seq = seq
            self.statusBar().showMessage(PREVIEW_STATUS)

    def _fill_done(self, doc: Document, res: InpaintResult, claim: PaintClaim | None = None,
                   image: PreviewImage | None = None) -> None:
        if doc is not self.doc:
            return  # the user opened another photo meanwhile
        self.last_result = res
        # Strokes painted while the fill ran are not in `claim` and stay.
        entry = doc.add_result(res.pixels, res.mask, res.method, res.device, res.warnings, claim=claim)
        if image is not None and entry is not None and entry.result_added is not None:
            self.canvas.offer_result_image(entry.result_added.uid, image)
        self._push(entry)
        self.canvas.sync_results()
        self.layers.refresh(doc)
        how = f"{res.method} (variation {res.seed + 1})" if res.seed else res.method
        if entry is not None and entry.result_added is not None:
            self._fill_notes[entry.result_added.uid] = (
                f"Last fill: {how} on {res.device}, {res.seconds:.1f} s, {res.regions} region(s)")
        self._update_last_run()
        self.model_label.setText(f"Model: {res.method} · Device: {res.device}")
        if res.warnings:
            self.show_notice("Fill finished with warnings:\n" + "\n".join(res.warnings), "warning")
        else:
            self.statusBar().showMessage(f"Filled with {res.method} on {res.device} in {res.seconds:.1f} s", 8000)
        self.autosaver.changed()

    def hallucinate_edges(self) -> int | None:
        """Predict edges in the hole; they replace the edges layer there (one undo step)."""
        doc = self.doc
        if doc is None:
            return None
        hole = doc.hole()
        if not hole.any():
            self.show_notice("Paint a mask first: edges are predicted inside the hole", "info")
            return None
        image = doc.composite()
        opts = self.options()
        engine = self.engine

        def job(progress: Any, cancel: Any) -> list:
            return engine.predict_strokes(image, hole, opts, progress=progress, cancel=cancel)

        jid = self.worker.submit(
            "Edge prediction",
            job,
            on_done=lambda e, d=doc, h=hole: self._edges_done(d, h, e),
            on_error=lambda msg: self.show_notice(f"Edge prediction failed: {msg}", "error"),
            on_cancel=lambda: self.statusBar().showMessage("Edge prediction cancelled", 5000),
        )
        self._job_kind[jid] = "edges"
        self.notice.dismiss(("info", "warning", "error"))
        return jid

    def _edges_done(self, doc: Document, hole: np.ndarray, strokes: list) -> None:
        """Predicted strokes replace the predicted ones over this hole (the user's stay),
        one undo step; the Strokes tool is then active to edit them."""
        if doc is not self.doc:
            return
        from ..core.strokes import touches

        kept = tuple(s for s in doc.strokes if s.source == "user" or not touches(s, hole, 2))
        doc.visible["edges"] = True
        self._push(doc.set_strokes(kept + tuple(strokes), "Predict strokes"))
        self.canvas.refresh_overlay()
        self.layers.refresh(doc)
        self.set_tool("strokes")
        if not strokes:
            # A smooth area gives no edges: say so, instead of an unchanged-looking canvas.
            self.show_notice(
                "No edges were found inside the hole (the area is smooth). Draw structure lines "
                "yourself if needed: with the Strokes tool (T) drag across the hole, then Fill.",
                "info",
            )
            return
        self.statusBar().showMessage(
            f"{len(strokes)} strokes predicted: select one to bend or delete it, drag to draw more, then Fill", 8000)

    # -- selections ----------------------------------------------------------------------------------
    def object_select(self, box: BBox | None, point: tuple[float, float] | None, subtract: bool = False) -> int | None:
        """GrabCut the object in ``box`` (or around the click ``point``) in the worker beside
        fills; the result is added to the mask (or taken out of it) as one undo step."""
        doc = self.doc
        if doc is None:
            return None
        if box is None:
            if point is None:
                return None
            box = click_box(doc.shape, *point)
        image = doc.composite()  # what the user sees, fills included
        seeds = None if subtract else doc.hole()  # strokes already painted mark the object

        def job(progress: Any, cancel: Any) -> Selection | None:
            return grabcut_select(image, box, seeds, point=point, check=cancel.raise_if_cancelled)

        def landed(sel: Selection | None, d: Document = doc) -> None:
            self._box_select.done()
            if sel is None:
                self.show_notice("Nothing in that box stands out from its surroundings. Paint a few "
                                 "strokes on the object, then select it again (they guide the selection).",
                                 "info")
                return
            self._apply_selection(d, sel, subtract, "Object select")

        self.statusBar().showMessage("Selecting the object…")
        return self.selector.submit(
            "Object select", job, on_done=landed,
            on_error=lambda msg: (self._box_select.done(), self.show_notice(f"Object select failed: {msg}", "error")),
            on_cancel=self._box_select.done,
        )

    def outline_select(self, points: np.ndarray, subtract: bool = False) -> None:
        if self.doc is None:
            return
        sel = lasso_mask(self.doc.shape, points)
        if sel is None:
            self.show_notice("That outline encloses nothing: click at least three points around the object", "info")
            return
        self._apply_selection(self.doc, sel, subtract, "Outline select")

    def _apply_selection(self, doc: Document, sel: Selection, subtract: bool, what: str) -> None:
        if doc is not self.doc:
            return  # another photo was opened meanwhile
        new = doc.layers["mask"].copy()
        y0, y1, x0, x1 = sel.bbox
        new[y0:y1, x0:x1][sel.mask] = 0 if subtract else 255
        if not doc.visible["mask"]:
            doc.visible["mask"] = True
            self.layers.refresh(doc, self.canvas.active_layer)
        entry = doc.set_layer("mask", new, f"{what} ({'subtract' if subtract else 'add'})")
        self._push(entry)
        self.canvas.refresh_overlay(sel.bbox if entry is not None else None)
        n = int(sel.mask.sum())
        self.statusBar().showMessage(
            f"{what}: {n} px {'taken out of' if subtract else 'added to'} the mask (Ctrl+Z undoes it)", 6000)

    def cancel_job(self) -> None:
        if self.worker.busy:
            self.worker.cancel()
            # The refinement may take a few seconds to stop; its preview goes now.
            self.canvas.clear_preview()
            self._preview_seq = 0
            self.statusBar().showMessage("Cancelling…", 3000)

    def _on_busy(self, busy: bool) -> None:
        self.progress_bar.setVisible(busy)
        self.cancel_button.setVisible(busy)
        self.tools.set_busy(busy)
        if busy:
            self.progress_bar.setValue(0)
        elif self.statusBar().currentMessage() == getattr(self, "_progress_msg", None):
            self.statusBar().clearMessage()  # no stale "done" / "filling region 3/4" once idle

    def _on_progress(self, fraction: float, message: str) -> None:
        self.progress_bar.setValue(int(fraction * 1000))
        if self._preview_seq and self._preview_seq == self._fill_seq:
            # What is on the canvas is a preview: say so, not "filling region 1/1".
            message = f"{PREVIEW_STATUS} {fraction * 100:.0f} %"
        self._progress_msg = message
        self.statusBar().showMessage(message)

    def _update_enabled(self) -> None:
        has = self.doc is not None
        for a in (self.act_save, self.act_save_as, self.act_export, self.act_fill, self.act_edges):
            a.setEnabled(has)
        self.tools.fill_btn.setEnabled(has)

    # -- dialogs -------------------------------------------------------------------------------------
    def batch_dialog(self) -> None:
        from .batch_dialog import BatchDialog

        dlg = BatchDialog(self.engine, self.worker, self.settings, self)
        dlg.exec()

    def about(self) -> None:
        fills = ", ".join(m.name for m in fill_methods())
        QMessageBox.about(
            self,
            "About Inpaint Studio",
            f"<b>Inpaint Studio {__version__}</b><br>Paint out objects, sketch structure, "
            f"batch-remove watermarks.<br><br>Fill methods: {fills}",
        )

    def show_shortcuts(self) -> None:
        QMessageBox.information(self, "Keyboard shortcuts", SHORTCUTS_HELP)

    # -- recovery and exit -----------------------------------------------------------------------------
    def offer_recovery(self) -> bool:
        """At start-up: reopen the newest autosave left by a crash, if the user wants it."""
        found = find_recoverable()
        if not found:
            return False
        path, meta = found[0]
        photo = meta.get("photo") or "a pasted image"
        if self.ask_yes_no(
            "Recover unsaved work?",
            f"Inpaint Studio did not exit cleanly. Recover the editing session of\n{photo}?",
        ):
            try:
                self._open_project(path, autosave_of=path)
            except InpaintStudioError as exc:
                self.show_notice(f"Could not recover: {exc}", "error")
                return False
            self.doc.revision += 1  # type: ignore[union-attr] # recovered work is unsaved work
            self.undo_stack.resetClean()
            self.autosaver.mark_unsaved()
            self.autosaver.wait()  # the recovered state is on disk again before the old goes
            for p, _ in found[1:]:
                remove_autosave(p)
            if path != self.autosaver.path:
                remove_autosave(path)
            return True
        for p, _ in found:
            remove_autosave(p)
        return False

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.prompt_on_close and not self._confirm_discard():
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
        if self._export_pool is not None:
            self._export_pool.shutdown(wait=True)  # an export in progress is finished, not cut
        self.autosaver.discard()
        self.autosaver.shutdown()
        event.accept()


def qimage_to_array(img: QImage) -> np.ndarray:
    """RGB or RGBA uint8 copy of a QImage (clipboard, drops)."""
    has_alpha = img.hasAlphaChannel()
    img = img.convertToFormat(QImage.Format.Format_RGBA8888 if has_alpha else QImage.Format.Format_RGB888)
    w, h, bpl = img.width(), img.height(), img.bytesPerLine()
    c = 4 if has_alpha else 3
    buf = np.frombuffer(img.constBits(), np.uint8, count=bpl * h).reshape(h, bpl)
    return buf[:, : w * c].reshape(h, w, c).copy()


SHORTCUTS_HELP = """<table>
<tr><td><b>B</b> / <b>E</b></td><td>brush / eraser (right-drag always erases)</td></tr>
<tr><td><b>S</b></td><td>sketch structure lines</td></tr>
<tr><td><b>M</b> / <b>G</b></td><td>paint the mask / edit predicted edges</td></tr>
<tr><td><b>O</b> / <b>L</b></td><td>object select (box or click) / outline select (lasso); Alt or Ctrl subtracts</td></tr>
<tr><td>Enter, Backspace, Esc</td><td>(lasso) close, take back a point, drop it</td></tr>
<tr><td><b>[</b> <b>]</b>, Ctrl+wheel, Shift+wheel</td><td>brush size (Alt+wheel too)</td></tr>
<tr><td><b>F</b>, Ctrl+Enter</td><td>fill</td></tr>
<tr><td>Ctrl+G</td><td>re-hallucinate edges</td></tr>
<tr><td>hold <b>Tab</b> or <b>\\</b></td><td>show the original</td></tr>
<tr><td>wheel, Space+drag, middle-drag</td><td>zoom (at the pointer), pan</td></tr>
<tr><td>Ctrl+0 (Esc) / Ctrl+1</td><td>fit / 100 %</td></tr>
<tr><td>Ctrl+Z, Ctrl+Shift+Z / Ctrl+Y</td><td>undo, redo</td></tr>
<tr><td>Ctrl+O / Ctrl+S / Ctrl+E / Ctrl+B</td><td>open, save project, export, batch</td></tr>
</table>"""


