"""Editor: Detect text (one mask undo step), Remove watermark from sibling photos, Show
the estimated mark, and the batch dialog's text and watermark modes."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from inpaint_studio.core.image_io import LoadedImage, load_image, save_image
from inpaint_studio.training.synthetic_marks import blend_mark, draw_text, make_mark, mark_footprint, synthetic_photo
from tests.ui.conftest import choose

H, W = 200, 280


def _marked_folder(
    tmp_path: Path, n: int = 6, unmarked: int = 0
) -> tuple[Path, list[np.ndarray], list[tuple[int, int]]]:
    rng = np.random.default_rng(21)
    mark = make_mark(110, 40)
    folder = tmp_path / "set"
    folder.mkdir()
    clean, places = [], []
    for i in range(n + unmarked):
        p = synthetic_photo(H, W, rng)
        x, y = 130 + int(rng.integers(-20, 21)), 130 + int(rng.integers(-20, 21))
        j = blend_mark(p, mark, x, y) if i < n else p
        save_image(folder / f"p{i}.png", LoadedImage(pixels=j, format="PNG"))
        clean.append(p)
        places.append((x, y))
    return folder, clean, places


def test_detect_text_adds_the_text_to_the_mask_in_one_undo_step(qtbot, window) -> None:
    pytest.importorskip("rapidocr")
    photo = synthetic_photo(240, 360, np.random.default_rng(8))
    st = draw_text(photo, [("Summer at the lake", (20, 50), 1.0)])
    window.open_array(st.image, "captioned")
    before = window.undo_stack.count()
    window.marks.act_detect_text.trigger()
    qtbot.waitUntil(lambda: not window.worker.busy and window.doc.hole().any(), timeout=60000)
    text = np.any(st.image != st.clean, axis=-1)
    hole = window.doc.hole()
    assert (hole & text).sum() >= 0.9 * text.sum()
    assert window.undo_stack.count() == before + 1
    window.undo_stack.undo()
    assert not window.doc.hole().any()


def test_detect_text_on_a_plain_photo_says_so(qtbot, window) -> None:
    pytest.importorskip("rapidocr")
    window.open_array(synthetic_photo(200, 300, np.random.default_rng(9)), "plain")
    window.masking.mask_op("text")  # the Layers panel's Detect text button
    qtbot.waitUntil(lambda: not window.worker.busy, timeout=60000)
    qtbot.wait(50)
    assert not window.doc.hole().any()
    assert "no text" in window.notice.label.text().lower()


def test_remove_watermark_using_sibling_photos_and_show_it(qtbot, window, tmp_path: Path) -> None:
    folder, clean, places = _marked_folder(tmp_path)
    mark = make_mark(110, 40)
    assert window.open_path(folder / "p0.png")
    choose(window, "telea")
    window.marks.remove_watermark(folder)
    qtbot.waitUntil(lambda: not window.worker.busy and len(window.doc.results) == 1, timeout=60000)
    out = window.doc.composite()
    foot = mark_footprint(out.shape, mark, *places[0])
    before = np.abs(load_image(folder / "p0.png").pixels.astype(int) - clean[0].astype(int))[foot].mean()
    after = np.abs(out.astype(int) - clean[0].astype(int))[foot].mean()
    assert before > 30 and after < 4, (before, after)
    near = cv2.dilate(foot.astype(np.uint8), np.ones((11, 11), np.uint8)).astype(bool)
    assert np.array_equal(out[~near], window.doc.photo[~near])  # away from the mark: untouched
    window.undo_stack.undo()
    assert window.doc.results == []
    dlg = window.marks.show_mark()
    qtbot.addWidget(dlg)
    assert dlg.picture.pixmap() is not None and not dlg.picture.pixmap().isNull()
    assert "estimated from" in dlg.info.text() and "confidence" in dlg.info.text()


def test_remove_watermark_with_unrelated_siblings_changes_nothing(qtbot, window, tmp_path: Path) -> None:
    folder = tmp_path / "plain"
    folder.mkdir()
    rng = np.random.default_rng(3)
    for i in range(5):
        save_image(folder / f"q{i}.png", LoadedImage(pixels=synthetic_photo(H, W, rng), format="PNG"))
    assert window.open_path(folder / "q0.png")
    window.marks.remove_watermark(folder)
    qtbot.waitUntil(lambda: not window.worker.busy, timeout=60000)
    qtbot.wait(50)
    assert window.doc.results == []
    assert "watermark not removed" in window.notice.label.text().lower()


def _dialog(window):  # noqa: ANN001, ANN202
    from inpaint_studio.ui.batch_dialog import BatchDialog

    return BatchDialog(window.engine, window.worker, window.settings, window)


def test_batch_dialog_watermark_mode(qtbot, window, tmp_path: Path) -> None:
    folder, clean, places = _marked_folder(tmp_path, n=6, unmarked=1)
    out = tmp_path / "out"
    dlg = _dialog(window)
    qtbot.addWidget(dlg)
    dlg.mode_combo.setCurrentIndex(dlg.mode_combo.findData("watermark"))
    dlg.input_edit.setText(str(folder))
    dlg.out_edit.setText(str(out))
    dlg.method_combo.setCurrentIndex(dlg.method_combo.findData("telea"))
    assert dlg.run_btn.isEnabled()  # no masks needed
    dlg.run()
    qtbot.waitUntil(lambda: dlg.summary is not None or dlg.error is not None, timeout=60000)
    assert dlg.error is None, dlg.error
    assert len(dlg.summary.ok) == 6 and len(dlg.summary.skipped) == 1
    assert dlg.mark is not None and dlg.mark_view.pixmap() is not None
    assert not (out / "p6.png").exists()  # no mark: left as it is, not rewritten
    statuses = [dlg.table.item(i, 3).text() for i in range(7)]
    assert all("confidence" in t for t in statuses[:6]) and "no watermark" in statuses[6]
    mark = make_mark(110, 40)
    got = load_image(out / "p1.png").pixels
    foot = mark_footprint(got.shape, mark, *places[1])
    assert np.abs(got.astype(int) - clean[1].astype(int))[foot].mean() < 4


def test_batch_dialog_text_mode(qtbot, window, tmp_path: Path) -> None:
    pytest.importorskip("rapidocr")
    src, out = tmp_path / "in", tmp_path / "out"
    src.mkdir()
    rng = np.random.default_rng(4)
    st = draw_text(synthetic_photo(200, 300, rng), [("2023-07-14 18:42", (80, 170), 0.8)])
    save_image(src / "dated.png", LoadedImage(pixels=st.image, format="PNG"))
    save_image(src / "plain.png", LoadedImage(pixels=synthetic_photo(200, 300, rng), format="PNG"))
    dlg = _dialog(window)
    qtbot.addWidget(dlg)
    dlg.mode_combo.setCurrentIndex(dlg.mode_combo.findData("text"))
    assert not dlg.mask_row.isEnabled()
    dlg.input_edit.setText(str(src))
    dlg.out_edit.setText(str(out))
    dlg.method_combo.setCurrentIndex(dlg.method_combo.findData("telea"))
    dlg.run()
    qtbot.waitUntil(lambda: dlg.summary is not None or dlg.error is not None, timeout=60000)
    assert dlg.error is None, dlg.error
    assert [i.source.name for i in dlg.summary.ok] == ["dated.png"]
    assert [i.source.name for i, _ in dlg.summary.skipped] == ["plain.png"]
    got = load_image(out / "dated.png").pixels
    text = np.any(st.image != st.clean, axis=-1)
    changed = np.any(got != st.image, axis=-1)
    assert changed[text].mean() >= 0.9  # the text was masked and filled
    near = cv2.dilate(text.astype(np.uint8), np.ones((41, 41), np.uint8)).astype(bool)
    assert not changed[~near].any()  # nothing else was
