"""Every modal question the main window asks, and its two help boxes.

Each question is one small method on the window (:class:`Questions` is mixed into it),
so tests answer them by replacing the method on the instance and no dialog ever opens.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, cast

from PySide6.QtWidgets import QFileDialog, QMessageBox, QWidget

from .. import __version__
from .client import fill_methods

if TYPE_CHECKING:
    from .settings import AppSettings


class Questions:
    """Mixed into the main window (a ``QWidget``): the questions, with the window as parent."""

    settings: AppSettings
    photo_path: Path | None

    def doc_name(self) -> str:
        raise NotImplementedError

    def _parent(self) -> QWidget:
        return cast(QWidget, self)

    def ask_yes_no(self, title: str, text: str) -> bool:
        r = QMessageBox.question(
            self._parent(), title, text, QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No
        )
        return r == QMessageBox.StandardButton.Yes

    def ask_replace_original(self, title: str, text: str) -> bool:
        """A destructive question: warning icon, and Enter answers No."""
        r = QMessageBox.warning(
            self._parent(),
            title,
            text,
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            QMessageBox.StandardButton.No,
        )
        return r == QMessageBox.StandardButton.Yes

    def ask_save_changes(self, action: str = "closing") -> str:
        """``save``, ``discard`` or ``cancel``; ``action`` says what happens next."""
        r = QMessageBox.question(
            self._parent(),
            "Unsaved changes",
            f"{self.doc_name().replace('pasted image', 'The pasted image', 1)} has unsaved edits.\n"
            f"Save them as a project (Ctrl+S) before {action}?",
            QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Discard | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Save,
        )
        return {QMessageBox.StandardButton.Save: "save", QMessageBox.StandardButton.Discard: "discard"}.get(r, "cancel")

    def choose_open_path(self, title: str, filt: str, kind: str) -> Path | None:
        path, _ = QFileDialog.getOpenFileName(self._parent(), title, self.settings.last_dir(kind), filt)
        return Path(path) if path else None

    def start_folder(self, kind: str) -> str:
        """The remembered folder for ``kind``; the first time, beside the photo rather than
        in $HOME (unless that is read-only)."""
        folder = self.settings.last_dir(kind)
        if self.photo_path and folder == str(Path.home()) and os.access(self.photo_path.parent, os.W_OK):
            folder = str(self.photo_path.parent)
        return folder

    def choose_save_path(self, title: str, suggested: str, filt: str, kind: str) -> Path | None:
        start = str(Path(self.start_folder(kind)) / suggested)
        path, _ = QFileDialog.getSaveFileName(self._parent(), title, start, filt)
        return Path(path) if path else None

    def about(self) -> None:
        fills = ", ".join(m.name for m in fill_methods())
        QMessageBox.about(
            self._parent(),
            "About Inpaint Studio",
            f"<b>Inpaint Studio {__version__}</b><br>Paint out objects, sketch structure, "
            f"batch-remove watermarks.<br><br>Fill methods: {fills}",
        )

    def show_shortcuts(self) -> None:
        QMessageBox.information(self._parent(), "Keyboard shortcuts", SHORTCUTS_HELP)


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
