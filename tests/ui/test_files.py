"""Files: open errors, export safety, projects, autosave + recovery, settings, smoke start."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
from PIL import Image

from inpaint_studio.core.image_io import load_image
from inpaint_studio.ui.settings import AppSettings
from tests.ui.conftest import choose
from tests.ui.util import drag


def _edit(qtbot, window, photo_file: Path) -> None:  # noqa: ANN001
    window.open_path(photo_file)
    window.tools.size_spin.setValue(24)
    drag(qtbot, window.canvas, [(100.5, 100.5), (180.5, 120.5)])
    choose(window, "telea")
    window.fill()
    qtbot.waitUntil(lambda: len(window.doc.results) == 1, timeout=15000)
    drag(qtbot, window.canvas, [(300.5, 200.5), (350.5, 220.5)])
    window.act_sketch.trigger()
    drag(qtbot, window.canvas, [(20.5, 20.5), (200.5, 60.5)])
    window.act_edges_layer.trigger()
    drag(qtbot, window.canvas, [(20.5, 250.5), (200.5, 250.5)])
    window.undo_stack.undo()  # one redo step in the saved history


def test_open_garbage_shows_error_and_keeps_working(qtbot, window, tmp_path: Path, photo_file: Path) -> None:
    bad = tmp_path / "bad.png"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n garbage")
    assert not window.open_path(bad)
    assert window.notice.isVisible() and window.notice.level == "error"
    assert "bad.png" in window.notice.label.text()
    assert window.open_path(photo_file)
    assert window.doc is not None and not window.notice.isVisible()
    assert str(photo_file.resolve()) in window.settings.recent_files()
    assert window.recent_menu.actions()[0].text() == str(photo_file.resolve())


def test_project_round_trips_all_layers_and_history(qtbot, window, photo_file: Path, tmp_path: Path) -> None:
    _edit(qtbot, window, photo_file)
    doc = window.doc
    proj = tmp_path / "session.isproj"
    assert window.files.save_project_to(proj)
    from inpaint_studio.ui.main_window import MainWindow

    win2 = MainWindow()
    win2.prompt_on_close = False
    qtbot.addWidget(win2)
    assert win2.open_path(proj)
    d2 = win2.doc
    for name in ("mask", "sketch", "edges"):
        assert np.array_equal(d2.layers[name], doc.layers[name]), name
    assert np.array_equal(d2.composite(), doc.composite())
    assert [r.method for r in d2.results] == ["telea"]
    assert win2.undo_stack.count() == window.undo_stack.count()
    assert win2.undo_stack.index() == window.undo_stack.index()
    # The history resumes: redo the edge stroke, then undo back past the fill.
    win2.act_redo.trigger()
    window.act_redo.trigger()
    assert np.array_equal(d2.layers["edges"], doc.layers["edges"])
    while win2.undo_stack.canUndo():
        win2.undo_stack.undo()
    assert d2.results == [] and not d2.layers["mask"].any()
    win2.close()


def test_export_writes_a_copy_and_never_silently_replaces(qtbot, window, photo_file: Path, tmp_path: Path) -> None:
    _edit(qtbot, window, photo_file)
    original = photo_file.read_bytes()
    out = window.files.export_to(tmp_path / "out.jpg", "jpg", 90)
    assert out is not None and load_image(out).format == "JPEG"
    questions: list[str] = []
    window.ask_yes_no = lambda title, text: questions.append(text) or False
    window.ask_replace_original = lambda title, text: questions.append(text) or False
    assert window.files.export_to(photo_file, "keep") is None
    assert "ORIGINAL" in questions[-1] and photo_file.read_bytes() == original
    assert window.files.export_to(tmp_path / "out.jpg", "jpg", 90) is None  # declined
    window.ask_yes_no = lambda title, text: True
    p = window.files.export_to(tmp_path / "out.png", "png")
    assert p is not None
    assert np.array_equal(np.asarray(Image.open(p).convert("RGB")), window.doc.composite())


def test_mask_file_round_trip(qtbot, window, photo_file: Path, tmp_path: Path) -> None:
    window.open_path(photo_file)
    drag(qtbot, window.canvas, [(100.5, 100.5), (180.5, 120.5)])
    hole = window.doc.hole()
    assert window.masking.save_mask_file(tmp_path / "m.png")
    window.masking.mask_op("clear")
    assert window.masking.load_mask_file(tmp_path / "m.png")
    assert np.array_equal(window.doc.hole(), hole)


def test_autosave_then_recovery_after_a_crash(qtbot, window, photo_file: Path) -> None:
    window.open_path(photo_file)
    drag(qtbot, window.canvas, [(100.5, 100.5), (180.5, 120.5)])
    window.autosaver.wait()
    assert window.autosaver.path.exists()
    mask = window.doc.layers["mask"].copy()
    # "Crash": a new session starts while the autosave is still on disk.
    from inpaint_studio.ui.main_window import MainWindow

    win2 = MainWindow()
    win2.prompt_on_close = False
    qtbot.addWidget(win2)
    win2.ask_yes_no = lambda title, text: True
    assert win2.offer_recovery()
    assert np.array_equal(win2.doc.layers["mask"], mask)
    assert win2.undo_stack.count() == 1
    win2.close()
    # A clean exit removes the autosave, so nothing is offered next time.
    window.close()
    win3 = MainWindow()
    qtbot.addWidget(win3)
    win3.prompt_on_close = False
    assert not win3.offer_recovery()
    win3.close()


def test_preferences_persist(qtbot, window, photo_file: Path) -> None:
    window.tools.size_spin.setValue(77)
    choose(window, "ns")
    window.tools.device_combo.setCurrentIndex(window.tools.device_combo.findData("cpu"))
    s = AppSettings()
    assert (s.brush_size, s.fill_method, s.device) == (77, "ns", "cpu")
    assert window.tools.device_combo.findData("cuda") >= 0  # listed even without a GPU
    from inpaint_studio.ui.main_window import MainWindow

    w2 = MainWindow()
    w2.prompt_on_close = False
    qtbot.addWidget(w2)
    assert w2.tools.size_spin.value() == 77 and w2.tools.fill_combo.currentData() == "ns"
    w2.close()


def test_paste_and_array_open(qtbot, window) -> None:
    from PySide6.QtGui import QGuiApplication, QImage

    img = QImage(64, 48, QImage.Format.Format_RGB888)
    img.fill(0x336699)
    QGuiApplication.clipboard().setImage(img)
    window.files.paste()
    assert window.doc is not None and window.doc.shape == (48, 64)
    assert tuple(window.doc.photo[0, 0]) == (0x33, 0x66, 0x99)
    assert window.windowTitle().startswith("pasted image (64×48)")


def test_cli_smoke_test_starts_offscreen(tmp_path: Path) -> None:
    env = dict(
        os.environ,
        QT_QPA_PLATFORM="offscreen",
        INPAINT_STUDIO_DATA_DIR=str(tmp_path),
        XDG_CONFIG_HOME=str(tmp_path / "cfg"),
    )
    r = subprocess.run(
        [sys.executable, "-m", "inpaint_studio", "gui", "--smoke-test"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert r.returncode == 0, r.stderr
    assert "window opened; fill ok" in r.stdout
