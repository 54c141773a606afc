"""Files: open (photo, project, paste, drop), save, export, recent files, recovery and
the unsaved-changes question.

A file is always read before the current work is put at risk: a photo that cannot be
opened never costs the open one, and the save-changes question comes only when there
is something to open.  Export encodes on a background task thread (a 24 MP PNG takes
seconds); its outcome comes back as a status message or an error notice.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import QObject, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent, QGuiApplication, QImage

from ..core.document import Document
from ..core.errors import InpaintStudioError
from ..core.image_formats import IMAGE_SUFFIXES
from ..core.image_io import LoadedImage, load_image, save_image
from ..core.project import PROJECT_SUFFIX, ProjectError, load_project, read_project_meta, save_project
from .autosave import find_recoverable, remove_autosave, replay_journal
from .background import TaskThread, error_message
from .export_dialog import EXPORT_FORMATS, ExportDialog
from .pixmaps import qimage_to_array
from .undo import rebuild_stack

if TYPE_CHECKING:
    from .main_window import MainWindow

IMAGE_FILTER = "Images (" + " ".join(f"*{s}" for s in sorted(IMAGE_SUFFIXES)) + ")"
OPEN_FILTER = (
    f"Images and projects ({' '.join(f'*{s}' for s in sorted(IMAGE_SUFFIXES))} *{PROJECT_SUFFIX});;"
    f"{IMAGE_FILTER};;Projects (*{PROJECT_SUFFIX})"
)


class FilesController(QObject):
    """What the File menu, drops, the clipboard and start-up recovery do to the window."""

    def __init__(self, win: MainWindow) -> None:
        super().__init__(win)
        self.win = win
        self._export: TaskThread | None = None

    # -- open -----------------------------------------------------------------------------
    def open_dialog(self) -> None:
        p = self.win.choose_open_path("Open photo or project", OPEN_FILTER, "open")
        if p is not None:
            self.open_path(p)

    def open_path(self, path: str | Path) -> bool:
        """Open a photo or an ``.isproj`` project; errors become a notice, never a crash."""
        win, p = self.win, Path(path)
        try:
            if p.suffix.lower() == PROJECT_SUFFIX:
                doc, loaded, photo = self._read_project(p)
                project: Path | None = p
            else:
                loaded = load_image(p)
                doc, photo, project = Document(loaded.pixels), p, None
        except InpaintStudioError as exc:
            win.show_notice(str(exc), "error")
            return False
        except (OSError, ValueError) as exc:
            win.show_notice(f"Could not open {p}: {exc}", "error")
            return False
        was_modified = self.is_modified()
        if not self.confirm_discard(f"opening {p.name}"):
            return False
        if (
            was_modified
            and project is not None
            and win.project_path is not None
            and not self.is_modified()
            and p.resolve() == win.project_path.resolve()
        ):
            # The answer was "save" into the very project being opened: read what was saved.
            try:
                doc, loaded, photo = self._read_project(p)
            except (InpaintStudioError, OSError, ValueError) as exc:
                win.show_notice(f"Could not open {p}: {exc}", "error")
                return False
        self.set_document(doc, loaded, photo, project)
        win.settings.set_last_dir("open", p)
        win.settings.add_recent(p)
        self.rebuild_recent()
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
                override = self.win.choose_open_path(
                    f"Where is {Path(ref).name} now? (the project's photo was moved)", IMAGE_FILTER, "open"
                )
                if override is None:
                    raise ProjectError(f"the project's photo {ref} is missing (moved or deleted?)")
        doc, info = load_project(p, load_photo=loader, photo_override=override)
        return doc, holder.get("img"), info.photo_path

    def open_array(self, pixels: np.ndarray, name: str = "pasted image") -> None:
        if not self.confirm_discard(f"opening the {name}"):
            return
        self.set_document(Document(pixels), None, None, None)

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
            self.win.show_notice("The clipboard holds no image", "warning")
            return
        self.open_array(qimage_to_array(img))

    def set_document(self, doc: Document, loaded: LoadedImage | None, photo: Path | None, project: Path | None) -> None:
        """Make ``doc`` the window's document; the views follow it from here on."""
        win = self.win
        win.worker.cancel()
        win.fills.reset()
        win.doc, win.loaded, win.photo_path, win.project_path = doc, loaded, photo, project
        win.canvas.set_document(doc)
        win.layers.set_document(doc, win.canvas.active_layer)
        win.undo_stack.clear()
        rebuild_stack(win.undo_stack, doc)
        win.autosaver.attach(doc, photo)
        win.notice.hide()
        win.statusBar().clearMessage()
        win.masking.fit_brush_to(doc)
        self.update_title()
        win.update_enabled()
        win.canvas.setFocus()

    # -- state ------------------------------------------------------------------------------
    def doc_name(self) -> str:
        win = self.win
        if win.project_path is not None:
            return win.project_path.name
        return win.photo_path.name if win.photo_path is not None else "pasted image"

    def update_title(self) -> None:
        """``name (W×H)[*] - Inpaint Studio``; the ``*`` shows while there are unsaved edits."""
        win = self.win
        if win.doc is None:
            win.setWindowTitle("Inpaint Studio")
            return
        win.setWindowTitle(f"{self.doc_name()} ({win.doc.width}×{win.doc.height})[*] - Inpaint Studio")
        win.setWindowModified(self.is_modified())

    def is_modified(self) -> bool:
        """Edits since the last save (undoing back to the saved state makes it clean again)."""
        return self.win.doc is not None and not self.win.undo_stack.isClean()

    def confirm_discard(self, action: str = "closing") -> bool:
        if not self.win.prompt_on_close or not self.is_modified():
            return True
        choice = self.win.ask_save_changes(action)
        if choice == "save":
            return self.save_project()
        return choice == "discard"

    def rebuild_recent(self) -> None:
        menu, settings = self.win.recent_menu, self.win.settings
        menu.clear()
        files = settings.recent_files()
        for f in files:
            a = menu.addAction(f)
            a.triggered.connect(lambda _=False, f=f: self.open_path(f))
        if files:
            menu.addSeparator()
            menu.addAction("Clear list", self._clear_recent)
        menu.setEnabled(bool(files))

    def _clear_recent(self) -> None:
        self.win.settings.clear_recent()
        self.rebuild_recent()

    # -- drag and drop ----------------------------------------------------------------------
    @staticmethod
    def accept_as_copy(event: QDragEnterEvent | QDragMoveEvent | QDropEvent) -> None:
        """Opening a file only reads it: a drop is always a copy, never the proposed Move
        (a file manager that honours Move would delete the dragged original)."""
        event.setDropAction(Qt.DropAction.CopyAction)
        event.accept()

    def drag_enter(self, event: QDragEnterEvent) -> None:
        md = event.mimeData()
        if (md.hasUrls() or md.hasImage()) and event.possibleActions() & Qt.DropAction.CopyAction:
            self.accept_as_copy(event)

    def drop(self, event: QDropEvent) -> None:
        md = event.mimeData()
        for u in md.urls():
            if isinstance(u, QUrl) and u.isLocalFile():
                self.accept_as_copy(event)
                self.open_path(u.toLocalFile())
                return
        if md.hasImage():
            img = QImage(md.imageData())
            if not img.isNull():
                self.accept_as_copy(event)
                self.open_array(qimage_to_array(img))

    # -- save and export --------------------------------------------------------------------
    def save_project(self, ask: bool = False) -> bool:
        win = self.win
        if win.doc is None:
            return False
        path = win.project_path
        if path is None or ask:
            stem = win.photo_path.stem if win.photo_path else "untitled"
            path = win.choose_save_path(
                "Save project", stem + PROJECT_SUFFIX, f"Projects (*{PROJECT_SUFFIX})", "project"
            )
            if path is None:
                return False
            if path.suffix.lower() != PROJECT_SUFFIX:
                path = path.with_suffix(PROJECT_SUFFIX)
        return self.save_project_to(path)

    def save_project_to(self, path: Path) -> bool:
        win = self.win
        assert win.doc is not None
        try:
            save_project(path, win.doc, win.photo_path)
        except (OSError, InpaintStudioError) as exc:
            win.show_notice(f"Could not save the project: {exc}", "error")
            return False
        win.project_path = path
        win.undo_stack.setClean()
        self.update_title()
        win.settings.set_last_dir("project", path)
        win.settings.add_recent(path)
        self.rebuild_recent()
        win.statusBar().showMessage(f"Saved {path}", 5000)
        return True

    def export_dialog(self) -> None:
        win = self.win
        if win.doc is None:
            return
        # Always the original's format first: a format remembered from another photo turned
        # a JPEG into a PNG (or back) without the user asking.
        dlg = ExportDialog(win.photo_path, win.start_folder("export"), "keep", win.settings.export_quality, win)
        if dlg.exec() != ExportDialog.DialogCode.Accepted:
            return
        win.settings.export_quality = dlg.quality.value()
        self.export_to(dlg.path(), dlg.fmt(), dlg.quality_value(), background=True)

    def export_to(
        self, path: Path, fmt: str = "keep", quality: int | None = None, background: bool = False
    ) -> Path | None:
        """Save the composite; asks before replacing any file, twice for the original.

        With ``background`` the encoding runs off the GUI thread and the outcome arrives as
        a status message or an error notice; the return value is then the path being written.
        """
        win, doc = self.win, self.win.doc
        if doc is None:
            return None
        path = Path(path)
        fmt_name = EXPORT_FORMATS.get(fmt, EXPORT_FORMATS["keep"])[2]
        overwrite = False
        if path.exists():
            if win.photo_path is not None and path.resolve() == win.photo_path.resolve():
                ok = win.ask_replace_original(
                    "Replace the original photo?",
                    f"{path.name} is the ORIGINAL photo. Replace it with the edited image? This cannot be undone.",
                )
            else:
                ok = win.ask_yes_no("Replace file?", f"{path.name} already exists. Replace it?")
            if not ok:
                return None
            overwrite = True
        comp = doc.composite()
        changed = np.zeros(doc.shape, bool)
        for r in doc.results:
            if r.visible:
                y0, y1, x0, x1 = r.bbox
                changed[y0:y1, x0:x1] |= r.mask
        base = win.loaded or LoadedImage(pixels=comp, source_mode="RGBA" if comp.shape[2] == 4 else "RGB", format="PNG")
        image = base.with_pixels(comp)

        def write() -> Path:
            return save_image(path, image, format=fmt_name, quality=quality, overwrite=overwrite, changed=changed)

        if background:
            if self._export is None:
                self._export = TaskThread("export", self)
            win.statusBar().showMessage(f"Exporting {path.name}…")
            self._export.call(
                "Export",
                write,
                on_done=self._exported,
                on_error=lambda exc: win.show_notice(error_message("Export", exc), "error"),
            )
            return path
        try:
            out = write()
        except InpaintStudioError as exc:
            win.show_notice(str(exc), "error")
            return None
        self._exported(out)
        return out

    def _exported(self, out: Path) -> None:
        self.win.settings.set_last_dir("export", out)
        self.win.statusBar().showMessage(f"Exported {out}", 8000)

    # -- recovery and exit --------------------------------------------------------------------
    def offer_recovery(self) -> bool:
        """At start-up: reopen the newest autosave left by a crash, if the user wants it."""
        win = self.win
        found = find_recoverable()
        if not found:
            return False
        path, meta = found[0]
        photo = meta.get("photo") or "a pasted image"
        if win.ask_yes_no(
            "Recover unsaved work?",
            f"Inpaint Studio did not exit cleanly. Recover the editing session of\n{photo}?",
        ):
            try:
                doc, loaded, photo_path = self._read_project(path)
                replay_journal(doc, path)  # the steps made after that base was written
                self.set_document(doc, loaded, photo_path, None)
            except InpaintStudioError as exc:
                win.show_notice(f"Could not recover: {exc}", "error")
                return False
            doc.revision += 1  # recovered work is unsaved work
            win.undo_stack.resetClean()
            win.autosaver.mark_unsaved()
            win.autosaver.wait()  # the recovered state is on disk again before the old goes
            for p, _ in found[1:]:
                remove_autosave(p)
            if path != win.autosaver.path:
                remove_autosave(path)
            return True
        for p, _ in found:
            remove_autosave(p)
        return False

    def shutdown(self) -> None:
        if self._export is not None:
            self._export.shutdown(wait_ms=600000)  # an export in progress is finished, not cut
