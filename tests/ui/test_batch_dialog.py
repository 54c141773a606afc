"""Batch dialog: plan, run in the worker, per-file status, failures summary, cancel."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from inpaint_studio.core.image_io import LoadedImage, save_image
from tests.helpers import photo


def _folder(tmp_path: Path, n: int = 3) -> tuple[Path, Path, Path]:
    src, masks, out = tmp_path / "in", tmp_path / "masks", tmp_path / "out"
    src.mkdir()
    masks.mkdir()
    for i in range(n):
        save_image(src / f"p{i}.png", LoadedImage(pixels=photo(48, 64, seed=i), format="PNG"))
    m = np.zeros((48, 64), np.uint8)
    m[10:20, 10:30] = 255
    for i in range(n - 1):  # the last photo has no mask: skipped
        Image.fromarray(m).save(masks / f"p{i}.png")
    (src / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\nbroken")
    Image.fromarray(m).save(masks / "broken.png")
    return src, masks, out


def _dialog(window):  # noqa: ANN001, ANN202
    from inpaint_studio.ui.batch_dialog import BatchDialog

    return BatchDialog(window.engine, window.worker, window.settings, window)


def test_batch_plans_runs_and_reports_failures(qtbot, window, tmp_path: Path) -> None:
    src, masks, out = _folder(tmp_path)
    dlg = _dialog(window)
    qtbot.addWidget(dlg)
    dlg.input_edit.setText(str(src))
    dlg.mask_edit.setText(str(masks))
    dlg.out_edit.setText(str(out))
    dlg.method_combo.setCurrentIndex(dlg.method_combo.findData("telea"))
    assert dlg.plan()
    assert dlg.table.rowCount() == 4 and "1 skipped" in dlg.summary_label.text()
    dlg.run()
    qtbot.waitUntil(lambda: dlg.summary is not None, timeout=20000)
    s = dlg.summary
    assert len(s.ok) == 2 and len(s.failed) == 1 and len(s.skipped) == 1
    assert (out / "p0.png").exists() and (out / "p1.png").exists()
    assert "broken.png" in dlg.summary_label.text() and "Failures" in dlg.summary_label.text()
    statuses = [dlg.table.item(i, 3).text() for i in range(4)]
    assert sum(t.startswith("ok") for t in statuses) == 2
    assert any(t.startswith("failed") for t in statuses)


def test_batch_bad_folder_is_a_message(qtbot, window, tmp_path: Path) -> None:
    dlg = _dialog(window)
    qtbot.addWidget(dlg)
    dlg.input_edit.setText(str(tmp_path / "nope"))
    dlg.mask_edit.setText(str(tmp_path))
    dlg.out_edit.setText(str(tmp_path / "out"))
    assert not dlg.plan()
    assert "no such" in dlg.summary_label.text() and not dlg.run_btn.isEnabled()


def test_batch_cancel(qtbot, window, tmp_path: Path) -> None:
    src, masks, out = _folder(tmp_path)
    dlg = _dialog(window)
    qtbot.addWidget(dlg)
    dlg.input_edit.setText(str(src))
    dlg.mask_edit.setText(str(masks / "p0.png"))  # one template mask for every photo
    dlg.out_edit.setText(str(out))
    dlg.method_combo.setCurrentIndex(dlg.method_combo.findData("test-slow"))
    assert dlg.plan()
    dlg.run()
    qtbot.wait(200)
    dlg.cancel_btn.click()
    qtbot.waitUntil(lambda: dlg.run_btn.isEnabled(), timeout=10000)
    assert "Cancelled" in dlg.summary_label.text()
    statuses = [dlg.table.item(i, 3).text() for i in range(dlg.table.rowCount())]
    assert "planned" not in statuses and any(t.startswith("not run") for t in statuses)
    assert len(list(out.rglob("*.png"))) < 3


def test_batch_run_again_resumes_instead_of_failing(qtbot, window, tmp_path: Path) -> None:
    """A second Run re-plans: finished outputs are skipped, not reported as failures."""
    src, masks, out = _folder(tmp_path)
    dlg = _dialog(window)
    qtbot.addWidget(dlg)
    dlg.input_edit.setText(str(src))
    dlg.mask_edit.setText(str(masks / "p0.png"))  # one template mask
    dlg.out_edit.setText(str(out))
    dlg.method_combo.setCurrentIndex(dlg.method_combo.findData("telea"))
    dlg.run()  # Run without Plan plans first
    qtbot.waitUntil(lambda: dlg.summary is not None, timeout=20000)
    assert len(dlg.summary.ok) == 3 and len(dlg.summary.failed) == 1
    assert str(src) not in dlg.summary_label.text()  # names, not repeated paths
    dlg.summary = None
    dlg.run()
    qtbot.waitUntil(lambda: dlg.summary is not None, timeout=20000)
    s = dlg.summary
    assert len(s.ok) == 0 and len(s.skipped) == 3 and len(s.failed) == 1  # only the broken file
    broken_row = [i for i in range(4) if dlg.table.item(i, 0).text() == "broken.png"][0]
    assert str(src) not in dlg.table.item(broken_row, 3).text()
    assert "Replace existing outputs" in dlg.table.item(0 if "p0" in dlg.table.item(0, 0).text() else 1, 3).text()
    assert dlg.table.item(1, 0).text() == dlg.table.item(1, 0).toolTip().rsplit("/", 1)[-1]


def test_batch_fields_start_empty_and_output_defaults_beside_photos(qtbot, window, tmp_path: Path) -> None:
    dlg = _dialog(window)
    qtbot.addWidget(dlg)
    assert dlg.input_edit.text() == dlg.mask_edit.text() == dlg.out_edit.text() == ""
    assert not dlg.run_btn.isEnabled()
    assert not dlg.plan() and "Choose the photos" in dlg.summary_label.text()
    src, masks, _out = _folder(tmp_path)
    dlg.input_edit.setText(str(src))
    dlg.mask_edit.setText(str(masks / "p0.png"))
    assert dlg.run_btn.isEnabled()  # Run plans by itself
    assert dlg.plan()
    assert dlg.out_edit.text() == str(src / "inpainted")
    dlg.close()
    # Remembered exactly as typed (a template mask file, an output folder not made yet).
    dlg2 = _dialog(window)
    qtbot.addWidget(dlg2)
    assert dlg2.mask_edit.text() == str(masks / "p0.png")
    assert dlg2.out_edit.text() == str(src / "inpainted")


def test_main_status_bar_keeps_no_stale_progress_text(qtbot, window, tmp_path: Path) -> None:
    src, masks, out = _folder(tmp_path)
    dlg = _dialog(window)
    qtbot.addWidget(dlg)
    dlg.input_edit.setText(str(src))
    dlg.mask_edit.setText(str(masks))
    dlg.out_edit.setText(str(out))
    dlg.method_combo.setCurrentIndex(dlg.method_combo.findData("telea"))
    dlg.run()
    qtbot.waitUntil(lambda: dlg.summary is not None, timeout=20000)
    assert window.statusBar().currentMessage() != "done"


def test_batch_edge_guidance_checkbox_reaches_the_engine_options(qtbot, window) -> None:
    dlg = _dialog(window)
    qtbot.addWidget(dlg)
    assert not dlg.options().auto_edges
    dlg.edges_check.setChecked(True)
    opts = dlg.options()
    assert opts.auto_edges and opts.edge_method == window.settings.edge_method


def test_the_dialog_shows_the_fill_settings_the_batch_uses(qtbot, window, tmp_path: Path) -> None:
    """Every setting a batch fills with is a control of the dialog: nothing is taken
    from the main window unseen (and the line that would say so stays hidden)."""
    from inpaint_studio.engine import InpaintOptions

    window.settings.edge_method = "canny"
    dlg = _dialog(window)
    qtbot.addWidget(dlg)
    dlg.seed_spin.setValue(3)
    opts = dlg.options()
    own = {
        "method": opts.method,
        "device": opts.device,
        "auto_edges": opts.auto_edges,
        "edge_method": opts.edge_method,
        "seed": 3,
    }
    assert opts == InpaintOptions().replace(**own)
    assert set(InpaintOptions.model_fields) >= set(own)
    assert not dlg.settings_label.isVisibleTo(dlg) and dlg.settings_label.text() == ""
    # The edge method for "guide by edges" is a control of the dialog, not a hidden setting.
    assert dlg.edge_combo.currentData() == "canny" == opts.edge_method
    dlg.edges_check.setChecked(True)
    dlg.edge_combo.setCurrentIndex(dlg.edge_combo.findData("auto"))
    assert dlg.options().edge_method == "auto" and dlg.options().auto_edges
