"""Small editor details: drops, layer names, the last-fill label, export format."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent

from tests.ui.conftest import choose
from tests.ui.util import drag


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # the QPoint constructor, still the only one
def test_a_dropped_file_is_copied_never_moved(qtbot, window, photo_file: Path) -> None:
    md = QMimeData()
    md.setUrls([QUrl.fromLocalFile(str(photo_file))])
    both = Qt.DropAction.CopyAction | Qt.DropAction.MoveAction
    enter = QDragEnterEvent(QPoint(10, 10), both, md, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.ShiftModifier)
    drop = QDropEvent(QPointF(10, 10), both, md, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.ShiftModifier)
    # Shift asks for a move; the file manager would delete the original after a Move.
    assert drop.proposedAction() == Qt.DropAction.MoveAction
    window.dragEnterEvent(enter)
    assert enter.isAccepted() and enter.dropAction() == Qt.DropAction.CopyAction
    window.dropEvent(drop)
    assert drop.isAccepted() and drop.dropAction() == Qt.DropAction.CopyAction
    assert window.doc is not None and photo_file.exists()


def _fill(qtbot, window) -> None:  # noqa: ANN001
    n = len(window.doc.results)
    drag(qtbot, window.canvas, [(100.5, 100.5), (160.5, 120.5)])
    window.fill()
    qtbot.waitUntil(lambda: len(window.doc.results) == n + 1 and not window.worker.busy, timeout=15000)


def _fill_rows(window) -> list[str]:  # noqa: ANN001
    rows = [window.layers.list.item(i).text() for i in range(window.layers.list.count())]
    return [r for r in rows if r.startswith("Fill")]


def test_fill_layers_are_numbered_by_what_exists(qtbot, window, photo_file: Path) -> None:
    window.open_path(photo_file)
    choose(window, "telea")
    _fill(qtbot, window)
    window.undo_stack.undo()
    _fill(qtbot, window)  # the only fill now: "Fill 1", not "Fill 2"
    assert _fill_rows(window) == ["Fill 1 (telea)"]
    _fill(qtbot, window)
    assert _fill_rows(window) == ["Fill 2 (telea)", "Fill 1 (telea)"]  # top of the stack first
    window.masking.remove_result(0)
    assert _fill_rows(window) == ["Fill 1 (telea)"]
    assert window.undo_stack.text(window.undo_stack.index() - 1) == "Remove Fill 1 (telea)"


def test_last_fill_label_follows_undo_and_redo(qtbot, window, photo_file: Path) -> None:
    window.open_path(photo_file)
    choose(window, "telea")
    _fill(qtbot, window)
    label = window.tools.last_run.text()
    assert label.startswith("Last fill: telea")
    window.undo_stack.undo()
    assert window.tools.last_run.text() == ""
    window.undo_stack.redo()
    assert window.tools.last_run.text() == label


def test_export_starts_in_the_original_format(qtbot, window, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from inpaint_studio.core.image_io import LoadedImage, save_image
    from inpaint_studio.ui.export_dialog import ExportDialog
    from tests.helpers import photo

    src = tmp_path / "holiday.jpg"
    save_image(src, LoadedImage(pixels=photo(120, 160), format="JPEG"))
    seen: list[ExportDialog] = []

    def fake_exec(dlg: ExportDialog) -> int:
        seen.append(dlg)
        return int(ExportDialog.DialogCode.Rejected)

    monkeypatch.setattr(ExportDialog, "exec", fake_exec)
    window.settings.export_format = "png"  # left by an earlier export of another photo
    window.open_path(src)
    window.files.export_dialog()
    dlg = seen[-1]
    assert dlg.fmt() == "keep" and dlg.path().suffix == ".jpg"


def test_the_editor_process_lets_openmp_threads_sleep_unless_the_user_chose(monkeypatch) -> None:  # noqa: ANN001
    from inpaint_studio.ui.app import editor_environment

    # set, then deleted: monkeypatch then restores the variable as it was, set or not,
    # instead of leaving editor_environment's value to the tests after this one
    monkeypatch.setenv("OMP_WAIT_POLICY", "unset-me")
    monkeypatch.delenv("OMP_WAIT_POLICY")
    assert editor_environment() == {"OMP_WAIT_POLICY": "PASSIVE"}
    monkeypatch.setenv("OMP_WAIT_POLICY", "ACTIVE")
    assert editor_environment() == {"OMP_WAIT_POLICY": "ACTIVE"}


def test_the_editor_entry_sets_its_environment_before_torch_loads() -> None:
    """OpenMP reads the wait policy once, at torch's import: the entry must set it first."""
    import subprocess
    import sys

    code = (
        "import sys, os\n"
        "import inpaint_studio.ui.app as a\n"
        "assert 'torch' not in sys.modules, 'torch loaded before the editor environment'\n"
        "a.editor_environment(); print(os.environ['OMP_WAIT_POLICY'])"
    )
    env = {k: v for k, v in __import__("os").environ.items() if k != "OMP_WAIT_POLICY"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    assert out.stdout.strip() == "PASSIVE"
