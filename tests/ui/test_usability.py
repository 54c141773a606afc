"""What a new user ran into in a real X session (Xvfb + xdotool), one test per finding."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6.QtCore import QPoint
from PySide6.QtWidgets import QDialogButtonBox, QPushButton

from inpaint_studio.core.image_io import LoadedImage, load_image, save_image
from tests.helpers import photo
from tests.ui.conftest import choose
from tests.ui.util import drag


def _stroke(qtbot, window) -> None:  # noqa: ANN001
    drag(qtbot, window.canvas, [(100.5, 100.5), (180.5, 120.5)])


def test_undoing_back_to_the_saved_state_is_not_unsaved_work(qtbot, window, photo_file: Path, tmp_path: Path) -> None:
    window.prompt_on_close = True
    assert window.open_path(photo_file)
    assert not window.files.is_modified() and not window.isWindowModified()
    assert "photo.png" in window.windowTitle() and "[*]" in window.windowTitle()
    _stroke(qtbot, window)
    assert window.files.is_modified() and window.isWindowModified()
    window.act_undo.trigger()
    assert not window.files.is_modified() and not window.isWindowModified()
    assert window.files.confirm_discard()  # no question: nothing to lose (ask_* would raise)
    _stroke(qtbot, window)
    assert window.files.save_project_to(tmp_path / "s.isproj")
    assert "s.isproj" in window.windowTitle() and not window.isWindowModified()
    window.act_undo.trigger()
    assert window.files.is_modified()
    window.act_redo.trigger()  # back at the saved state
    assert not window.files.is_modified()
    window.prompt_on_close = False


def test_a_file_that_cannot_be_opened_never_asks_about_or_costs_current_work(
    qtbot, window, photo_file: Path, tmp_path: Path
) -> None:
    window.prompt_on_close = True
    window.open_path(photo_file)
    _stroke(qtbot, window)
    doc = window.doc
    bad = tmp_path / "bad.jpg"
    bad.write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    assert not window.open_path(bad)  # ask_save_changes would raise if it were asked
    assert window.doc is doc and window.files.is_modified()
    assert window.notice.level == "error" and "bad.jpg" in window.notice.label.text()
    other = tmp_path / "other.png"
    save_image(other, LoadedImage(pixels=photo(50, 60), format="PNG"))
    asked: list[str] = []
    window.ask_save_changes = lambda action="closing": asked.append(action) or "cancel"
    assert not window.open_path(other)
    assert asked == ["opening other.png"] and window.doc is doc
    window.ask_save_changes = lambda action="closing": "discard"
    assert window.open_path(other) and window.doc.shape == (50, 60)
    window.prompt_on_close = False


def test_notice_close_button_is_drawn_on_the_bar_colour(qtbot, window, tmp_path: Path) -> None:
    window.show_notice("Something failed", "error")
    qtbot.waitUntil(window.notice.isVisible)
    btn = window.notice.close_button
    img = window.notice.grab().toImage()
    corner = btn.mapTo(window.notice, QPoint(2, 2))
    c = img.pixelColor(corner)
    # The dark red of the bar, not the light default button face (white-on-white before).
    assert c.red() < 140 and c.green() < 80, (c.red(), c.green(), c.blue())
    btn.click()
    assert not window.notice.isVisible()


def test_export_dialog_enter_saves_even_after_browse(qtbot, window, photo_file: Path) -> None:
    from inpaint_studio.ui.export_dialog import ExportDialog

    dlg = ExportDialog(photo_file, str(photo_file.parent), "keep", 92, window)
    qtbot.addWidget(dlg)
    assert dlg.save_button.isDefault()
    browse = [b for b in dlg.findChildren(QPushButton) if b.text().startswith("Browse")][0]
    assert not browse.autoDefault()
    assert dlg.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Save) is dlg.save_button


def test_transparent_pixels_stay_transparent_in_the_fill_view(qtbot, window, tmp_path: Path) -> None:
    px = photo(120, 160, channels=4)
    px[:, :60, 3] = 0
    p = tmp_path / "rgba.png"
    save_image(p, LoadedImage(pixels=px, source_mode="RGBA", format="PNG"))
    window.open_path(p)
    window.tools.size_spin.setValue(20)
    drag(qtbot, window.canvas, [(20.5, 60.5), (120.5, 60.5)])
    choose(window, "telea")
    window.fill()
    qtbot.waitUntil(lambda: len(window.doc.results) == 1, timeout=15000)
    r = window.doc.results[0]
    item = window.canvas.fills.items[r.uid]
    img = item.pixmap().toImage()
    y0, _y1, x0, _x1 = r.bbox
    ys, xs = np.nonzero(r.mask)
    alphas = [img.pixelColor(int(x), int(y)).alpha() for y, x in zip(ys, xs)]
    photo_alpha = px[ys + y0, xs + x0, 3]
    assert all(a == 0 for a, pa in zip(alphas, photo_alpha) if pa == 0)
    assert all(a == 255 for a, pa in zip(alphas, photo_alpha) if pa == 255)
    out = window.files.export_to(tmp_path / "out.png", "png")
    assert np.array_equal(load_image(out).pixels[..., 3], px[..., 3])


def test_window_fits_a_laptop_screen(qtbot, window) -> None:
    # The docks scroll instead of forcing ~850 px of height (too tall for 1366x768).
    assert window.minimumSizeHint().height() <= 650, window.minimumSizeHint()
    window.resize(900, 600)
    qtbot.wait(50)
    assert window.height() <= 620
    # Where there is room the Tools dock shows all of itself (the layers list gives way).
    window.resize(1400, 880)
    qtbot.waitUntil(lambda: window.height() >= 860, timeout=2000)
    qtbot.wait(50)
    scroll = window.tools.parentWidget().parentWidget()
    assert scroll.verticalScrollBar().maximum() == 0, scroll.verticalScrollBar().maximum()


def test_fresh_window_hints_and_disabled_actions(qtbot, window, photo_file: Path) -> None:
    from inpaint_studio.ui.canvas import EMPTY_HINT

    assert "Ctrl+O" in EMPTY_HINT
    assert not window.layers.remove_btn.isEnabled()
    assert not window.act_fill.isEnabled()
    window.open_path(photo_file)
    window.tools.last_run.setText("Last fill: old")
    window.open_path(photo_file)
    assert window.tools.last_run.text() == ""  # nothing about the previous photo's fill


def test_export_from_the_dialog_runs_off_the_gui_thread(qtbot, window, photo_file: Path, tmp_path: Path) -> None:
    import threading

    import inpaint_studio.ui.files_controller as mw

    window.open_path(photo_file)
    _stroke(qtbot, window)
    threads: list[str] = []
    real = mw.save_image

    def spy(*a, **k):  # noqa: ANN002, ANN003, ANN202
        threads.append(threading.current_thread().name)
        return real(*a, **k)

    mw.save_image = spy
    try:
        out = window.files.export_to(tmp_path / "bg.png", "png", background=True)
        assert out == tmp_path / "bg.png"
        qtbot.waitUntil(lambda: "Exported" in window.statusBar().currentMessage(), timeout=10000)
        assert out.exists() and threads and threads[0] != threading.main_thread().name
        # A failure in the background is a notice, not a crash.
        window.files.export_to(tmp_path / "nodir" / "x" / "\0bad.png", "png", background=True)
        qtbot.waitUntil(lambda: window.notice.isVisible(), timeout=10000)
        assert window.notice.level == "error"
    finally:
        mw.save_image = real


def test_the_brush_keeps_its_size_relative_to_each_photo(qtbot, window, photo_file: Path, tmp_path: Path) -> None:
    from inpaint_studio.core.image_io import LoadedImage, save_image

    big = tmp_path / "big.png"
    save_image(big, LoadedImage(pixels=np.zeros((3000, 4000, 3), np.uint8), format="PNG"))
    window.open_path(photo_file)  # 400x300
    window.tools.size_spin.setValue(60)  # a fifth of the short side
    window.open_path(big)
    assert window.canvas.brush_size == window.tools.size_spin.value() == 600
    window.open_path(photo_file)
    assert window.canvas.brush_size == 60


def test_edges_on_a_smooth_area_say_none_were_found(qtbot, window, tmp_path: Path) -> None:
    flat = np.full((120, 160, 3), 128, np.uint8)
    p = tmp_path / "flat.png"
    save_image(p, LoadedImage(pixels=flat, format="PNG"))
    window.open_path(p)
    window.tools.size_spin.setValue(20)
    drag(qtbot, window.canvas, [(40.5, 60.5), (120.5, 60.5)])
    window.tools.edge_combo.setCurrentIndex(window.tools.edge_combo.findData("canny"))
    window.fills.hallucinate_edges()
    qtbot.waitUntil(lambda: not window.worker.busy and window.notice.isVisible(), timeout=15000)
    assert "No edges" in window.notice.label.text()


def test_a_project_whose_photo_moved_finds_or_asks_for_it(qtbot, window, tmp_path: Path) -> None:
    shoot = tmp_path / "shoot"
    shoot.mkdir()
    ph = shoot / "pic.png"
    save_image(ph, LoadedImage(pixels=photo(120, 160), format="PNG"))
    window.open_path(ph)
    _stroke(qtbot, window)
    projdir = tmp_path / "projects"
    projdir.mkdir()
    proj = projdir / "pic.isproj"
    assert window.files.save_project_to(proj)
    mask = window.doc.layers["mask"].copy()
    # Moved next to the project: found without a question.
    ph.rename(projdir / "pic.png")
    assert window.open_path(proj), window.notice.label.text()
    assert window.photo_path == projdir / "pic.png" and np.array_equal(window.doc.layers["mask"], mask)
    # Moved somewhere else: the user is asked where it is.
    elsewhere = tmp_path / "elsewhere.png"
    (projdir / "pic.png").rename(elsewhere)
    window.files.save_project_to(proj)  # references projdir/pic.png, now gone
    asked: list[str] = []
    window.choose_open_path = lambda title, filt, kind: asked.append(title) or elsewhere
    assert window.open_path(proj)
    assert asked and "pic.png" in asked[0] and window.photo_path == elsewhere
    # Declined: a readable error, the current work stays.
    elsewhere.rename(tmp_path / "gone.png")
    window.files.save_project_to(proj)
    doc = window.doc
    window.choose_open_path = lambda title, filt, kind: None
    assert not window.open_path(proj)
    assert window.doc is doc and "missing" in window.notice.label.text()


def test_model_label_says_when_the_chosen_model_falls_back(qtbot, window) -> None:
    choose(window, "test-noweights")
    assert "test-noweights" in window.model_label.text()  # its available() says yes
    import dataclasses

    from inpaint_studio.engine import registry

    info = registry._FILLS["test-noweights"]
    registry._FILLS["test-noweights"] = dataclasses.replace(info, available=lambda: (False, "weights missing"))
    try:
        choose(window, "telea")
        choose(window, "test-noweights")
        assert "unavailable → telea" in window.model_label.text()
    finally:
        registry._FILLS["test-noweights"] = info
