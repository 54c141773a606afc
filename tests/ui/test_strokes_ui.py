"""The Strokes tool: select, drag a control point, delete, draw; each one undo step."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6.QtCore import Qt

from inpaint_studio.core.image_io import LoadedImage, save_image
from inpaint_studio.core.strokes import make_stroke
from tests.engine.test_strokes import _two_tone
from tests.ui.util import drag


def _open_with_strokes(window, tmp_path: Path) -> None:  # noqa: ANN001
    p = tmp_path / "kerb.png"
    save_image(p, LoadedImage(pixels=_two_tone(120, 160), format="PNG"))
    window.open_path(p)
    window.push(
        window.doc.set_strokes(
            [
                make_stroke([(20.5, 60.5), (80.5, 60.5), (140.5, 60.5)]),
                make_stroke([(20.5, 20.5), (140.5, 20.5)], source="user"),
            ],
            "Predict strokes",
        )
    )
    window.masking.set_tool("strokes")


def test_select_drag_a_point_and_delete_are_one_undo_step_each(qtbot, window, tmp_path: Path) -> None:
    _open_with_strokes(window, tmp_path)
    doc, stack = window.doc, window.undo_stack
    base = stack.index()
    original = doc.strokes
    # Click on the first stroke: selected, nothing in the history.
    drag(qtbot, window.canvas, [(50.5, 60.5)])
    assert window.canvas.strokes_item.selected == 0
    assert stack.index() == base
    # Drag its middle control point down: one step, the point moved.
    drag(qtbot, window.canvas, [(80.5, 60.5), (80.5, 70.5), (80.5, 80.5)])
    assert stack.index() == base + 1
    x, y = doc.strokes[0].points[1]
    assert abs(y - 80.5) < 1.5 and abs(x - 80.5) < 1.5
    assert doc.strokes[0].points[0] == original[0].points[0]
    # Delete: one more step, the stroke is gone.
    qtbot.keyClick(window.canvas, Qt.Key.Key_Delete)
    assert stack.index() == base + 2
    assert len(doc.strokes) == 1 and doc.strokes[0].source == "user"
    stack.undo()
    assert len(doc.strokes) == 2 and abs(doc.strokes[0].points[1][1] - 80.5) < 1.5
    stack.undo()
    assert doc.strokes == original


def test_a_drag_on_empty_photo_draws_a_users_stroke(qtbot, window, tmp_path: Path) -> None:
    _open_with_strokes(window, tmp_path)
    n = window.undo_stack.index()
    pts = [(30.5 + 4 * i, 100.5 + (i % 2) * 0.5) for i in range(25)]
    drag(qtbot, window.canvas, pts)
    assert window.undo_stack.index() == n + 1
    s = window.doc.strokes[-1]
    assert s.source == "user" and len(s.points) < 10 and s.length() > 80
    g = window.doc.guidance()
    assert g is not None and g[99:103, 80].max() > 0.9
    window.undo_stack.undo()
    assert len(window.doc.strokes) == 2


def test_predicted_strokes_replace_the_old_predicted_ones_and_keep_the_users(qtbot, window, tmp_path: Path) -> None:
    _open_with_strokes(window, tmp_path)
    window.doc.layers["mask"][35:90, 50:110] = 255
    window.canvas.refresh_overlay()
    window.tools.edge_combo.setCurrentIndex(window.tools.edge_combo.findData("canny"))
    n = window.undo_stack.index()
    window.fills.hallucinate_edges()
    qtbot.waitUntil(lambda: not window.worker.busy and window.undo_stack.index() == n + 1, timeout=20000)
    strokes = window.doc.strokes
    assert any(s.source == "user" for s in strokes)
    assert original_gone(strokes)
    assert window.masking.tool == "strokes"
    # The kerb's continuation crosses the hole.
    drawn = np.zeros((120, 160), bool)
    from inpaint_studio.core.strokes import rasterize

    drawn = rasterize([s for s in strokes if s.source == "predicted"], (120, 160)) > 0
    assert drawn[55:66, 60:100].any(axis=0).all()


def original_gone(strokes: tuple) -> bool:
    return all(s.points != ((20.5, 60.5), (80.5, 60.5), (140.5, 60.5)) for s in strokes)


def test_clear_edges_removes_the_strokes_in_one_step(qtbot, window, tmp_path: Path) -> None:
    _open_with_strokes(window, tmp_path)
    n = window.undo_stack.index()
    window.masking.edges_op("clear")
    assert window.doc.strokes == () and window.undo_stack.index() == n + 1
    window.undo_stack.undo()
    assert len(window.doc.strokes) == 2
