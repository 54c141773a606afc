"""Editor tools for text and watermarks: Detect text, and remove a mark estimated from
the photo's sibling photos (with a view of the estimated mark).

The work runs in the main window's worker thread (``ui/worker.py``) on snapshots of
the document; results come back as one undo step each: a mask edit for Detect text,
a result layer for the watermark.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QImage, QPainter, QPixmap
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QFileDialog, QLabel, QMenu, QVBoxLayout, QWidget

from ..core.image_formats import IMAGE_SUFFIXES
from ..core.image_io import load_image
from .client import MAX_SHIFT, Inversion, Watermark, detect_text_mask, estimate_watermark, invert_watermark
from .client import TEXT_INSTALL_HINT as INSTALL_HINT
from .client import text_detection_available as available

if TYPE_CHECKING:
    from ..core.document import Document
    from .main_window import MainWindow

#: Sibling photos read to estimate a mark for one photo.
MAX_SIBLINGS = 40


@dataclass
class WatermarkOutcome:
    mark: Watermark
    inversion: Inversion
    pixels: np.ndarray
    method: str
    device: str
    warnings: list[str]


def sibling_photos(folder: Path, exclude: Path | None = None) -> list[Path]:
    """Photos in ``folder`` (not recursive), without ``exclude``, at most ``MAX_SIBLINGS``."""
    ex = exclude.resolve() if exclude is not None else None
    files = sorted(
        p
        for p in folder.iterdir()
        if p.is_file()
        and p.suffix.lower() in IMAGE_SUFFIXES
        and not p.name.startswith(".")
        and (ex is None or p.resolve() != ex)
    )
    if len(files) > MAX_SIBLINGS:
        step = len(files) / MAX_SIBLINGS
        files = [files[int(i * step)] for i in range(MAX_SIBLINGS)]
    return files


def mark_pixmap(mark: Watermark, scale: int = 2) -> QPixmap:
    """The estimated mark over a checkerboard, so its colour and opacity both show."""
    rgba = np.ascontiguousarray(mark.preview())
    h, w = rgba.shape[:2]
    img = QImage(rgba.data, w, h, 4 * w, QImage.Format.Format_RGBA8888).copy()
    pm = QPixmap(w * scale, h * scale)
    painter = QPainter(pm)
    tile = 8
    for y in range(0, h * scale, tile):
        for x in range(0, w * scale, tile):
            # Mid greys: a white mark and a dark one both show against them.
            light = (x // tile + y // tile) % 2
            painter.fillRect(x, y, tile, tile, Qt.GlobalColor.gray if light else Qt.GlobalColor.darkGray)
    painter.drawImage(pm.rect(), img)
    painter.end()
    return pm


class MarkViewer(QDialog):
    """Shows the estimated mark and what it is made of."""

    def __init__(self, mark: Watermark, note: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Estimated watermark")
        lay = QVBoxLayout(self)
        self.picture = QLabel()
        self.picture.setPixmap(mark_pixmap(mark, 3 if max(mark.shape) < 300 else 1))
        lay.addWidget(self.picture)
        a = mark.alpha[mark.footprint]
        self.info = QLabel(
            f"{mark.shape[1]} x {mark.shape[0]} px, usually at x={mark.origin[0]}, y={mark.origin[1]}; "
            f"opacity {float(a.min()) if a.size else 0:.2f}–{float(a.max()) if a.size else 0:.2f}; "
            f"estimated from {mark.photos} photos.\n{note}"
        )
        self.info.setWordWrap(True)
        lay.addWidget(self.info)
        box = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        box.rejected.connect(self.reject)
        box.accepted.connect(self.accept)
        lay.addWidget(box)


class MarkTools(QObject):
    """Adds Detect text, Remove watermark and Show watermark to a main window."""

    def __init__(self, win: MainWindow) -> None:
        super().__init__(win)
        self.win = win
        self.mark: Watermark | None = None
        self.mark_note = ""
        self.act_detect_text = win.action(
            "Detect &text",
            self.detect_text,
            "Ctrl+T",
            "Add the text in the photo (captions, date stamps, signs) to the mask, cut to the letters",
        )
        self.act_watermark = win.action(
            "Remove &watermark using sibling photos…",
            self.remove_watermark,
            tip="Estimate the mark this photo shares with the other photos in a folder and undo it",
        )
        self.act_show_mark = win.action("Show estimated watermark", self.show_mark)
        self.act_show_mark.setEnabled(False)
        for a in win.menuBar().actions():
            menu = a.menu()
            if isinstance(menu, QMenu) and a.text().replace("&", "") == "Inpaint":
                menu.addSeparator()
                menu.addActions([self.act_detect_text, self.act_watermark, self.act_show_mark])
        #: Tests answer the folder question; a real run asks with a dialog.
        self.choose_folder = self._ask_folder

    # -- Detect text -------------------------------------------------------------------
    def detect_text(self) -> int | None:
        win, doc = self.win, self.win.doc
        if doc is None:
            win.show_notice("Open a photo first (Ctrl+O, drag and drop, or paste)", "info")
            return None
        if not available():
            win.show_notice(f"Text detection needs rapidocr and onnxruntime: {INSTALL_HINT}", "error")
            return None
        image = doc.composite()

        def job(progress: Any, cancel: Any) -> Any:
            progress(0.1, "detecting text")
            return detect_text_mask(image, cancel=cancel)

        return win.worker.submit(
            "Detect text",
            job,
            on_done=partial(self._text_done, doc),
            on_error=lambda msg: win.show_notice(f"Detect text failed: {msg}", "error"),
            on_cancel=lambda: win.statusBar().showMessage("Detect text cancelled", 5000),
        )

    def _text_done(self, doc: Document, tm: Any) -> None:
        win = self.win
        if doc is not win.doc:
            return
        if not tm.found:
            win.show_notice("No text found in this photo.", "info")
            return
        new = doc.layers["mask"].copy()
        new[tm.mask] = 255
        win.push(doc.set_layer("mask", new, "Detect text"))
        win.masking.set_active_layer("mask")
        win.statusBar().showMessage(
            f"Text found: {len(tm.boxes)} line(s) added to the mask ({', '.join(repr(t) for t in tm.texts)}); "
            "edit it if needed, then Fill",
            10000,
        )

    # -- Watermark ----------------------------------------------------------------------
    def _ask_folder(self) -> Path | None:
        start = str(self.win.photo_path.parent) if self.win.photo_path else self.win.settings.last_dir("open")
        d = QFileDialog.getExistingDirectory(self.win, "Folder of photos that carry the same watermark", start)
        return Path(d) if d else None

    def remove_watermark(self, folder: Path | None = None) -> int | None:
        """Estimate the mark from ``folder``'s photos (asked if None) and undo it here.

        A painted mask, if any, is the hint of where the mark is.
        """
        win, doc = self.win, self.win.doc
        if doc is None:
            win.show_notice("Open a photo first (Ctrl+O, drag and drop, or paste)", "info")
            return None
        if folder is None:
            folder = self.choose_folder()
            if folder is None:
                return None
        siblings = sibling_photos(folder, win.photo_path)
        if len(siblings) < 2:
            win.show_notice(
                f"{folder} has {len(siblings)} other photo(s); a shared watermark is estimated from "
                "at least 2 more photos that carry it.",
                "warning",
            )
            return None
        image = doc.composite()
        hint = doc.hole() if doc.hole().any() else None
        engine, opts = win.engine, win.options()

        def job(progress: Any, cancel: Any) -> WatermarkOutcome:
            photos = [image]
            for i, p in enumerate(siblings):
                cancel.raise_if_cancelled()
                progress(0.3 * i / len(siblings), f"reading {p.name}")
                try:
                    photos.append(load_image(p).pixels)
                except Exception:  # noqa: BLE001 - an unreadable sibling is just not used
                    continue
            mark = estimate_watermark(
                photos, hint, max_shift=MAX_SHIFT, progress=lambda f, m: progress(0.3 + 0.5 * f, m), cancel=cancel
            )
            inv = invert_watermark(image, mark)
            pixels, method, device, warns = inv.pixels, "watermark", "cpu", []
            if inv.match.found and inv.fill.any():
                res = engine.inpaint(
                    inv.pixels, inv.fill, None, opts, cancel=cancel, progress=lambda f, m: progress(0.8 + 0.2 * f, m)
                )
                pixels, method, device, warns = res.pixels, f"watermark + {res.method}", res.device, res.warnings
            return WatermarkOutcome(mark, inv, pixels, method, device, warns)

        return win.worker.submit(
            "Remove watermark",
            job,
            on_done=partial(self._watermark_done, doc),
            on_error=lambda msg: win.show_notice(f"Watermark not removed: {msg}", "warning"),
            on_cancel=lambda: win.statusBar().showMessage("Watermark removal cancelled", 5000),
        )

    def _watermark_done(self, doc: Document, out: WatermarkOutcome) -> None:
        win = self.win
        self.mark = out.mark
        self.act_show_mark.setEnabled(True)
        inv = out.inversion
        if doc is not win.doc:
            return
        if not inv.match.found:
            self.mark_note = f"This photo: {inv.match.describe()}."
            win.show_notice(
                f"The estimated watermark was not found in this photo: {inv.match.describe()}. Nothing changed.",
                "warning",
            )
            return
        self.mark_note = (
            f"This photo: {inv.match.describe()}; {100 * inv.recovered_share:.0f}% of the mark's pixels "
            f"recovered by inverting it, {int(inv.fill.sum())} px filled."
        )
        win.push(doc.add_result(out.pixels, inv.footprint, out.method, out.device, out.warnings, clear_paint=True))
        if out.warnings:
            win.show_notice("Watermark removed with warnings:\n" + "\n".join(out.warnings), "warning")
        else:
            win.statusBar().showMessage("Watermark removed. " + self.mark_note, 10000)

    def show_mark(self) -> MarkViewer | None:
        if self.mark is None:
            self.win.show_notice("No watermark estimated yet (Inpaint → Remove watermark…)", "info")
            return None
        dlg = MarkViewer(self.mark, self.mark_note, self.win)
        dlg.setModal(False)
        dlg.show()
        return dlg
