"""Autosave under a real crash: strokes 0.3 s apart, SIGKILL mid-stroke, then recovery."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest

CHILD = textwrap.dedent(
    """
    import os, sys
    import numpy as np
    from PySide6.QtCore import QPointF, Qt
    from PySide6.QtTest import QTest
    from inpaint_studio.ui.app import make_app
    from inpaint_studio.ui.main_window import MainWindow

    app = make_app()
    win = MainWindow()
    win.prompt_on_close = False
    win.resize(1000, 700)
    win.show()
    QTest.qWait(50)
    assert win.open_path(sys.argv[1])
    out, n = sys.argv[2], int(sys.argv[3])
    c = win.canvas
    vp = c.viewport()
    L = Qt.MouseButton.LeftButton
    N = Qt.KeyboardModifier.NoModifier

    def at(x, y):
        return c.mapFromScene(QPointF(x, y))

    def stroke_start(i):
        y = 20.5 + 25 * i
        QTest.mousePress(vp, L, N, at(40.5, y))
        for x in range(50, 360, 15):
            QTest.mouseMove(vp, at(x + 0.5, y + (x % 30) / 3))
        return y

    for i in range(n):
        y = stroke_start(i)
        QTest.mouseRelease(vp, L, N, at(360.5, y))
        np.save(out + ".tmp.npy", win.doc.layers["mask"])  # what recovery must give back
        os.replace(out + ".tmp.npy", out)
        QTest.qWait(300)
    stroke_start(n)  # the stroke in progress when the process dies
    print("MID", flush=True)
    QTest.qWait(30000)
    """
)


@pytest.mark.parametrize("strokes", [1, 6])
def test_a_kill_mid_stroke_loses_only_that_stroke(
    qtbot, window, photo_file: Path, tmp_path: Path, strokes: int
) -> None:
    script = tmp_path / "paint.py"
    script.write_text(CHILD)
    expected = tmp_path / "expected.npy"
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", XDG_CONFIG_HOME=str(tmp_path / "child-cfg"))
    proc = subprocess.Popen(
        [sys.executable, str(script), str(photo_file), str(expected), str(strokes)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        end = time.monotonic() + 120
        line = ""
        while time.monotonic() < end:
            line = proc.stdout.readline()  # type: ignore[union-attr]
            if line.strip() == "MID" or not line:
                break
        assert line.strip() == "MID", proc.stderr.read()  # type: ignore[union-attr]
        os.kill(proc.pid, signal.SIGKILL)  # mid-stroke, 0.3 s after the last one ended
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(30)
        proc.stdout.close()  # type: ignore[union-attr]
        proc.stderr.close()  # type: ignore[union-attr]
    want = np.load(expected)
    assert want.any()

    from inpaint_studio.ui.main_window import MainWindow

    win = MainWindow()
    win.prompt_on_close = False
    qtbot.addWidget(win)
    win.ask_yes_no = lambda title, text: True
    try:
        assert win.offer_recovery()
        assert np.array_equal(win.doc.layers["mask"], want)
        assert win.undo_stack.count() == strokes  # each finished stroke, undoable
        win.undo_stack.undo()
        assert win.doc.layers["mask"].sum() < want.sum()
    finally:
        win.close()


def test_bases_fold_the_journal_in_and_a_stroke_in_progress_is_never_half_saved(
    qtbot, window, photo_file: Path
) -> None:
    from inpaint_studio.ui.autosave import _journals, snapshot
    from inpaint_studio.ui.main_window import MainWindow
    from tests.ui.util import drag

    window.open_path(photo_file)
    saver = window.autosaver
    for i in range(3):
        drag(qtbot, window.canvas, [(50.5, 30.5 + 40 * i), (300.5, 40.5 + 40 * i)])
    saver.wait()
    assert len(_journals(saver.path)) == 1  # the base of the first stroke, then two records
    want = window.doc.layers["mask"].copy()
    # Mid-stroke: a base written now leaves the unfinished stroke out.
    doc = window.doc
    doc.begin_stroke("mask")
    doc.stroke_to((20.0, 250.0), (380.0, 260.0), 10.0)
    assert saver.save_now() is None  # the minute timer waits for the stroke to end
    assert np.array_equal(snapshot(doc).layers["mask"], want)
    window.push(doc.end_stroke())
    want = doc.layers["mask"].copy()
    assert saver.save_now() is not None  # folds the journal into a new base
    saver.wait()
    assert _journals(saver.path) == []  # the old journal went once the new base was on disk
    drag(qtbot, window.canvas, [(60.5, 200.5)])
    saver.wait()
    want = doc.layers["mask"].copy()
    assert len(_journals(saver.path)) == 1

    win = MainWindow()
    win.prompt_on_close = False
    qtbot.addWidget(win)
    win.ask_yes_no = lambda title, text: True
    try:
        assert win.offer_recovery()
        assert np.array_equal(win.doc.layers["mask"], want)
        assert win.undo_stack.count() == 5
    finally:
        win.close()


def test_recovered_work_survives_a_second_crash_before_any_edit(qtbot, window, photo_file: Path) -> None:
    from inpaint_studio.ui.main_window import MainWindow
    from tests.ui.util import drag

    window.open_path(photo_file)
    drag(qtbot, window.canvas, [(50.5, 30.5), (300.5, 40.5)])
    window.autosaver.wait()
    want = window.doc.layers["mask"].copy()
    for _ in range(2):  # recover, "crash" again without editing, recover again
        win = MainWindow()
        win.prompt_on_close = False
        qtbot.addWidget(win)
        win.ask_yes_no = lambda title, text: True
        assert win.offer_recovery()
        assert np.array_equal(win.doc.layers["mask"], want)
        win.autosaver.wait()
        win.autosaver.shutdown()  # no clean exit: the autosave stays
        win.prompt_on_close = False
        win.worker.shutdown()
        win.deleteLater()
    # A session that crashed before its first edit leaves nothing to recover.
    win = MainWindow()
    win.prompt_on_close = False
    qtbot.addWidget(win)
    win.open_path(photo_file)
    win.autosaver.wait()
    win.autosaver.shutdown()
    win.worker.shutdown()
    from inpaint_studio.ui.autosave import find_recoverable

    found = find_recoverable()
    assert len(found) == 1 and found[0][1]["extra"]["pristine"] is False  # the recovered work, kept
    win.autosaver.discard()
