"""Batch dialog: plan (what will happen, what is skipped) then run in the worker thread.

Built on ``engine.batch.plan_batch`` / ``run_batch`` so it behaves exactly like
``inpaint-studio batch``.  Per-file outcomes arrive from the worker thread through a
queued signal; the table row of each file shows ok / failed (with the reason) / skipped.
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ..core.errors import InpaintStudioError
from ..core.image_formats import OUTPUT_FORMATS
from .batch_text import describe_options, gui_reason, short_reason
from .client import (
    BatchItem,
    BatchSummary,
    Engine,
    InpaintOptions,
    ItemOutcome,
    check_output_folder,
    plan_batch,
    run_batch,
)
from .settings import AppSettings
from .tool_panel import device_combo, edge_method_choices, fill_combo, fill_method_choices
from .worker import WorkerHost

COLUMNS = ("Photo", "Mask", "Output", "Status")


STATUS_COLOURS = {"ok": Qt.GlobalColor.darkGreen, "failed": Qt.GlobalColor.red, "skipped": Qt.GlobalColor.darkYellow}


class _Relay(QObject):
    """Carries per-item callbacks from the worker thread to the dialog (queued)."""

    item = Signal(int, object)
    mark = Signal(object)  # the watermark estimated before a watermark batch runs


#: Batch modes: where each photo's mask comes from.
MODES = (
    ("masks", "Masks: a folder of masks, or one template mask"),
    ("text", "Detect text in each photo (captions, date stamps)"),
    ("watermark", "Shared watermark: estimate it from the photos and undo it"),
)


class BatchDialog(QDialog):
    def __init__(
        self, engine: Engine, worker: WorkerHost, settings: AppSettings, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Batch inpaint")
        self.engine = engine
        self.worker = worker
        self.settings = settings
        self.items: list[BatchItem] = []
        self.summary: BatchSummary | None = None
        self.error: str | None = None
        self.job_id: int | None = None
        self.outcomes: dict[int, ItemOutcome] = {}
        self._relay = _Relay(self)
        self._relay.item.connect(self._on_item)
        self._relay.mark.connect(self._on_mark)
        self.mark: object = None
        self.hint: Path | None = None

        form = self._form = QFormLayout()
        self.mode_combo = QComboBox()
        for key, text in MODES:
            self.mode_combo.addItem(text, key)
        self.mode_combo.setToolTip(
            "Text: each photo's mask is the text found in it. Watermark: the mark the photos share is "
            "estimated, then undone where it is semi-transparent (the photo under it comes back) and "
            "filled where it is opaque; a template mask, if given, says where it is."
        )
        form.addRow("Mode", self.mode_combo)
        # Only folders used before are filled in: never "home" for photos, masks and output
        # alike, where one click on Run would write into the photos' own folder.
        self.input_edit = QLineEdit(settings.remembered_dir("batch_in"))
        self.input_edit.setPlaceholderText("folder of photos (or one photo)")
        form.addRow("Photos (folder or file)", self._with_browse(self.input_edit, folder=True))
        self.mask_edit = QLineEdit(settings.remembered_dir("batch_masks"))
        self.mask_edit.setPlaceholderText("folder of masks named like the photos, or one template mask")
        self.mask_edit.setToolTip("A folder of masks matched by file name, or one template mask for every photo")
        row = self._with_browse(self.mask_edit, folder=True)
        one = QPushButton("One mask…")
        one.clicked.connect(lambda: self._browse_file(self.mask_edit))
        lay = row.layout()
        assert lay is not None
        lay.addWidget(one)
        self.mask_label = QLabel("Masks (folder or one file)")
        self.mask_row = row
        form.addRow(self.mask_label, row)
        self.out_edit = QLineEdit(settings.remembered_dir("batch_out"))
        self.out_edit.setPlaceholderText("empty: an 'inpainted' folder beside the photos")
        form.addRow("Output folder", self._with_browse(self.out_edit, folder=True))
        self.format_combo = QComboBox()
        for key in OUTPUT_FORMATS:
            self.format_combo.addItem("same as source" if key == "keep" else key.upper(), key)
        self.format_combo.setCurrentIndex(max(0, self.format_combo.findData(settings.export_format)))
        form.addRow("Output format", self.format_combo)
        self.method_combo = fill_combo(fill_method_choices(), settings.fill_method)
        form.addRow("Model", self.method_combo)
        self.device_combo = device_combo(settings.device)
        form.addRow("Device", self.device_combo)
        self.edges_check = QCheckBox("Guide neural fills by edges predicted inside each hole")
        self.edges_check.setToolTip(
            "Predicts the hole's edges with the edge method below, as the editor's edge overlay "
            "does, and fills along them (neural models only)"
        )
        form.addRow(self.edges_check)
        self.edge_combo = fill_combo(edge_method_choices(), settings.edge_method)
        self.edge_combo.setToolTip("Edge method for the option above")
        form.addRow("Edge method", self.edge_combo)
        self.edge_combo.setEnabled(False)
        self.edges_check.toggled.connect(self.edge_combo.setEnabled)
        self.seed_spin = QSpinBox()
        self.seed_spin.setRange(0, 9999)
        self.seed_spin.setToolTip(
            "Which of the plausible fills the default fill makes (as batch --seed); the same seed gives the same pixels"
        )
        form.addRow("Variation (seed)", self.seed_spin)
        # Anything else a batch uses that has no control here would be said here, not
        # silently taken from the Tools panel.
        self.settings_label = QLabel()
        self.settings_label.setObjectName("batchFillSettings")
        self.settings_label.setWordWrap(True)
        self.settings_label.setToolTip("Set in the editor's Tools panel; the batch fills exactly as the editor would")
        form.addRow("Fill settings", self.settings_label)
        for w in (self.method_combo, self.device_combo, self.edge_combo):
            w.currentIndexChanged.connect(lambda _i: self._show_settings())
        self.seed_spin.valueChanged.connect(lambda _v: self._show_settings())
        self.edges_check.toggled.connect(lambda _on: self._show_settings())
        self.overwrite = QCheckBox("Replace existing outputs (otherwise they are skipped, so a re-run resumes)")
        form.addRow(self.overwrite)

        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.summary_label = QLabel("Choose photos and masks. Plan lists what will happen; Run plans and starts.")
        self.summary_label.setWordWrap(True)
        self.mark_view = QLabel()
        self.mark_view.setToolTip("The watermark estimated from the photos (over a checkerboard)")
        self.mark_view.hide()

        self.plan_btn = QPushButton("Plan")
        self.plan_btn.clicked.connect(self.plan)
        self.run_btn = QPushButton("Run")
        self.run_btn.setEnabled(False)
        self.run_btn.clicked.connect(self.run)
        self.cancel_btn = QPushButton("Cancel")
        self.cancel_btn.setEnabled(False)
        self.cancel_btn.clicked.connect(self.cancel)
        close = QPushButton("Close")
        close.clicked.connect(self.reject)
        buttons = QHBoxLayout()
        buttons.addWidget(self.plan_btn)
        buttons.addWidget(self.run_btn)
        buttons.addWidget(self.cancel_btn)
        buttons.addStretch(1)
        buttons.addWidget(close)

        # Run plans by itself, so it is available as soon as photos and masks are named.
        for edit in (self.input_edit, self.mask_edit):
            edit.textChanged.connect(self._update_run)
        self.mode_combo.currentIndexChanged.connect(lambda _i: self._on_mode())
        self._on_mode()
        self._show_settings()

        lay = QVBoxLayout(self)
        lay.addLayout(form)
        lay.addWidget(self.table, 1)
        lay.addWidget(self.progress)
        lay.addWidget(self.mark_view)
        lay.addWidget(self.summary_label)
        lay.addLayout(buttons)
        self.resize(900, 600)

    def _show_settings(self) -> None:
        text = describe_options(self.options())
        self.settings_label.setText(text)
        self.settings_label.setVisible(bool(text))
        label = self._form.labelForField(self.settings_label)
        if label is not None:
            label.setVisible(bool(text))

    def mode(self) -> str:
        return str(self.mode_combo.currentData())

    def _on_mode(self) -> None:
        mode = self.mode()
        self.mask_row.setEnabled(mode != "text")
        self.mask_label.setText(
            {
                "masks": "Masks (folder or one file)",
                "text": "Masks (found automatically)",
                "watermark": "Hint (optional template mask)",
            }[mode]
        )
        self.mask_edit.setPlaceholderText(
            {
                "masks": "folder of masks named like the photos, or one template mask",
                "text": "not needed: each photo's text is found",
                "watermark": "optional: one mask roughly over the mark, to say where it is",
            }[mode]
        )
        self._update_run()

    def _update_run(self) -> None:
        if not self.cancel_btn.isEnabled():
            needs_mask = self.mode() == "masks"
            self.run_btn.setEnabled(
                bool(self.input_edit.text().strip() and (self.mask_edit.text().strip() or not needs_mask))
            )

    def _with_browse(self, edit: QLineEdit, folder: bool) -> QWidget:
        w = QWidget()
        h = QHBoxLayout(w)
        h.setContentsMargins(0, 0, 0, 0)
        h.addWidget(edit, 1)
        b = QPushButton("Folder…" if folder else "File…")
        b.clicked.connect(lambda: self._browse_dir(edit))
        h.addWidget(b)
        return w

    def _browse_dir(self, edit: QLineEdit) -> None:
        d = QFileDialog.getExistingDirectory(self, "Choose folder", edit.text() or self.settings.last_dir("open"))
        if d:
            edit.setText(d)

    def _browse_file(self, edit: QLineEdit) -> None:
        f, _ = QFileDialog.getOpenFileName(
            self,
            "Choose the template mask",
            edit.text() or self.settings.last_dir("open"),
            "Images (*.png *.jpg *.jpeg *.bmp *.tif *.tiff *.webp);;All files (*)",
        )
        if f:
            edit.setText(f)

    # -- plan -------------------------------------------------------------------------------
    def _paths(self) -> tuple[Path, Path | None, Path]:
        src_text, mask_text = self.input_edit.text().strip(), self.mask_edit.text().strip()
        mode = self.mode()
        if mode == "text":
            mask_text = ""
        if not src_text or (not mask_text and mode == "masks"):
            raise InpaintStudioError("Choose the photos and the masks (a folder, or one template mask) first")
        if mode == "watermark" and mask_text and not Path(mask_text).expanduser().is_file():
            raise InpaintStudioError("The watermark hint is one template mask file (or leave it empty)")
        src = Path(src_text).expanduser()
        out_text = self.out_edit.text().strip()
        if not out_text:
            out_text = str((src if src.is_dir() else src.parent) / "inpainted")
            self.out_edit.setText(out_text)
        return src, (Path(mask_text).expanduser() if mask_text else None), Path(out_text).expanduser()

    def plan(self) -> bool:
        try:
            src, masks, out = self._paths()
            self.hint = masks if self.mode() == "watermark" else None
            self.items = plan_batch(
                src,
                masks if self.mode() == "masks" else None,
                out,
                fmt=str(self.format_combo.currentData()),
                overwrite=self.overwrite.isChecked(),
            )
        except InpaintStudioError as exc:
            self.items = []
            self.table.setRowCount(0)
            self.summary_label.setText(f"<span style='color:#c33'>{html.escape(str(exc))}</span>")
            self.run_btn.setEnabled(False)
            return False
        self.table.setRowCount(len(self.items))
        for i, it in enumerate(self.items):
            auto = {"text": "text found", "watermark": "estimated mark"}.get(self.mode(), "-")
            for col, path in enumerate((it.source, it.mask, it.dest)):
                # File names fit the columns; the full path is in the tooltip.
                cell = QTableWidgetItem(path.name if path is not None else auto)
                cell.setToolTip(str(path) if path is not None else ("no mask" if auto == "-" else auto))
                self.table.setItem(i, col, cell)
            if it.skip_reason:
                self._set_status(i, "skipped: " + gui_reason(it.skip_reason), "skipped")
            else:
                self._set_status(i, "planned", "")
        todo = sum(1 for it in self.items if not it.skip_reason)
        self.summary_label.setText(f"{todo} photo(s) to fill, {len(self.items) - todo} skipped.")
        self.run_btn.setEnabled(todo > 0)
        for kind, edit in (
            ("batch_in", self.input_edit),
            ("batch_masks", self.mask_edit),
            ("batch_out", self.out_edit),
        ):
            self.settings.remember_path(kind, edit.text().strip())
        return True

    def _set_status(self, row: int, text: str, kind: str) -> None:
        cell = QTableWidgetItem(text)
        cell.setToolTip(text)
        if kind in STATUS_COLOURS:
            cell.setForeground(STATUS_COLOURS[kind])
        self.table.setItem(row, 3, cell)

    # -- run --------------------------------------------------------------------------------
    def options(self) -> InpaintOptions:
        return InpaintOptions(
            method=str(self.method_combo.currentData()),
            device=str(self.device_combo.currentData()),
            auto_edges=self.edges_check.isChecked(),
            edge_method=str(self.edge_combo.currentData()),
            seed=self.seed_spin.value(),
        )

    def run(self) -> int | None:
        # Always plan again: the fields may have changed, and outputs finished by an
        # earlier (or cancelled) run are now skipped instead of failing as "exists".
        if not self.plan():
            return None
        try:
            # Before any photo is filled: an unwritable folder must not cost the computing.
            check_output_folder(self._paths()[2])
        except InpaintStudioError as exc:
            self.summary_label.setText(f"<span style='color:#c33'>{html.escape(str(exc))}</span>")
            return None
        items, engine, opts = list(self.items), self.engine, self.options()
        overwrite = self.overwrite.isChecked()
        relay = self._relay
        mode, hint = self.mode(), self.hint

        def job(progress: Any, cancel: Any) -> BatchSummary:
            from .client import MaskProvider, TextProvider, WatermarkProvider

            provider: MaskProvider | None = None
            inner = progress
            if mode == "text":
                provider = TextProvider(cancel=cancel)
            elif mode == "watermark":
                marks = WatermarkProvider(hint)
                todo = [it.source for it in items if not it.skip_reason] or [it.source for it in items]
                relay.mark.emit(marks.estimate(todo, lambda f, m: progress(0.3 * f, m), cancel))
                provider = marks
                inner = lambda f, m: progress(0.3 + 0.7 * f, m)  # noqa: E731
            return run_batch(
                items,
                engine,
                opts,
                overwrite=overwrite,
                on_item=lambda i, item, outcome: relay.item.emit(i, outcome),
                progress=inner,
                cancel=cancel,
                provider=provider,
            )

        self.summary = None
        self.error = None
        self.mark = None
        self.mark_view.hide()
        self.outcomes = {}
        self.run_btn.setEnabled(False)
        self.plan_btn.setEnabled(False)
        self.cancel_btn.setEnabled(True)
        self.summary_label.setText("Running…")
        self.job_id = self.worker.submit(
            "Batch",
            job,
            on_done=self._done,
            on_error=self._failed,
            on_cancel=self._cancelled,
            on_progress=lambda f, m: self.progress.setValue(int(f * 1000)),
        )
        return self.job_id

    def cancel(self) -> None:
        self.worker.cancel()

    def _on_mark(self, mark: object) -> None:
        from .marks import mark_pixmap

        self.mark = mark
        self.mark_view.setPixmap(mark_pixmap(mark, 2))  # type: ignore[arg-type]
        self.mark_view.show()
        a = mark.alpha[mark.footprint]  # type: ignore[attr-defined]
        self.summary_label.setText(
            f"Watermark estimated from {mark.photos} photos (opacity {float(a.min()) if a.size else 0:.2f}–"  # type: ignore[attr-defined]
            f"{float(a.max()) if a.size else 0:.2f}); removing it…"
        )

    def _on_item(self, i: int, outcome: ItemOutcome) -> None:
        self.outcomes[i] = outcome
        text = outcome.status
        if outcome.message:
            text += ": " + (
                short_reason(self.items[i].source, outcome.message) if i < len(self.items) else outcome.message
            )
        elif outcome.status == "ok":
            text += f" ({outcome.seconds:.1f} s)"
        if outcome.warnings:
            text += " ⚠ " + "; ".join(outcome.warnings)
        self._set_status(i, text, outcome.status)

    def _finish(self) -> None:
        self.run_btn.setEnabled(True)
        self.plan_btn.setEnabled(True)
        self.cancel_btn.setEnabled(False)

    def _done(self, summary: BatchSummary) -> None:
        self.summary = summary
        self._finish()
        self.progress.setValue(1000)
        parts = [f"{len(summary.ok)} filled", f"{len(summary.failed)} failed", f"{len(summary.skipped)} skipped"]
        text = ", ".join(parts) + f" in {summary.seconds:.1f} s"
        if summary.cancelled:
            text = "Cancelled. " + text
            self._mark_not_run()
        if summary.failed:
            text += "<br><b>Failures:</b><br>" + "<br>".join(
                html.escape(f"{it.source.name}: {short_reason(it.source, msg)}") for it, msg in summary.failed
            )
        self.summary_label.setText(text)

    def _failed(self, message: str) -> None:
        self.error = message
        self._finish()
        self.summary_label.setText(f"<span style='color:#c33'>Batch failed: {message}</span>")

    def _mark_not_run(self) -> None:
        for i, it in enumerate(self.items):
            if i not in self.outcomes and not it.skip_reason:
                self._set_status(i, "not run (cancelled)", "skipped")

    def _cancelled(self) -> None:
        self._finish()
        self._mark_not_run()
        done = list(self.outcomes.values())
        ok = sum(o.status == "ok" for o in done)
        failed = sum(o.status == "failed" for o in done)
        self.summary_label.setText(
            f"Cancelled after {len(done)} of {len(self.items)} photo(s): {ok} filled, {failed} failed. "
            "Run again to resume (finished outputs are skipped)."
        )

    def reject(self) -> None:
        if self.cancel_btn.isEnabled():
            self.worker.cancel()
        super().reject()
