"""Export: destination, format and quality.  Overwrite questions are asked by the caller,
which knows the original photo's path (it is never replaced without asking)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QWidget,
)

from ..core.image_formats import OUTPUT_FORMATS

#: combo key -> (label, suffix or None for the source's, Pillow format or None): the
#: output formats of ``core.image_formats``, which batch and the Batch dialog offer too.
EXPORT_FORMATS = OUTPUT_FORMATS


def suggested_name(source: Path | None, fmt: str) -> str:
    stem = source.stem if source else "pasted"
    suffix = EXPORT_FORMATS.get(fmt, EXPORT_FORMATS["keep"])[1] or (source.suffix if source else ".png")
    return f"{stem}-inpainted{suffix}"


class ExportDialog(QDialog):
    def __init__(self, source: Path | None, folder: str, fmt: str, quality: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Export image")
        self.source = source
        form = QFormLayout(self)
        self.format_combo = QComboBox()
        for key, (label, _, _) in EXPORT_FORMATS.items():
            self.format_combo.addItem(label, key)
        self.format_combo.setCurrentIndex(max(0, self.format_combo.findData(fmt)))
        self.format_combo.currentIndexChanged.connect(self._format_changed)
        form.addRow("Format", self.format_combo)
        self.quality = QSpinBox()
        self.quality.setRange(1, 100)
        self.quality.setValue(quality)
        self.quality.setToolTip("JPEG/WebP quality; 'Same as the original' reuses the source's encoding")
        form.addRow("Quality", self.quality)
        row = QHBoxLayout()
        self.path_edit = QLineEdit(str(Path(folder) / suggested_name(source, fmt)))
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse)
        row.addWidget(self.path_edit, 1)
        row.addWidget(browse)
        form.addRow("Save to", row)
        bb = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        # Enter saves, even right after Browse… (which would otherwise keep the default).
        browse.setAutoDefault(False)
        self.save_button = bb.button(QDialogButtonBox.StandardButton.Save)
        self.save_button.setDefault(True)
        bb.accepted.connect(self.accept)
        bb.rejected.connect(self.reject)
        form.addRow(bb)
        self.resize(560, self.sizeHint().height())
        self._format_changed()

    def fmt(self) -> str:
        return str(self.format_combo.currentData())

    def path(self) -> Path:
        return Path(self.path_edit.text()).expanduser()

    def quality_value(self) -> int | None:
        return None if self.fmt() == "keep" else self.quality.value()

    def _format_changed(self) -> None:
        key = self.fmt()
        self.quality.setEnabled(key in ("jpg", "webp"))
        p = self.path()
        self.path_edit.setText(
            str(p.parent / suggested_name(self.source, key))
            if p.name.endswith(
                tuple(s for _, s, _ in EXPORT_FORMATS.values() if s) + ((self.source.suffix,) if self.source else ())
            )
            and "-inpainted" in p.stem
            else str(p)
        )

    def _browse(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Export image", self.path_edit.text())
        if path:
            self.path_edit.setText(path)
