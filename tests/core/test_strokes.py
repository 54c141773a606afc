"""Edge strokes: the vector model, its undo steps and its place in the project file."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from inpaint_studio.core import journal
from inpaint_studio.core.document import Document
from inpaint_studio.core.project import ProjectError, load_project, save_project
from inpaint_studio.core.strokes import (
    EdgeStroke,
    control_point_at,
    freehand_stroke,
    from_json,
    make_stroke,
    rasterize,
    sample,
    stroke_at,
    to_json,
)
from tests.helpers import box_mask, photo


def _two() -> list[EdgeStroke]:
    return [
        make_stroke([(10.5, 20.5), (30.5, 22.5), (50.5, 20.5)], strength=0.8),
        make_stroke([(5, 5), (5, 40)], width=3.0, source="user"),
    ]


def test_curve_passes_through_its_control_points() -> None:
    s = make_stroke([(10, 10), (30, 20), (50, 10), (60, 30)])
    pts = sample(s, 0.5)
    for p in s.points:
        assert np.hypot(*(pts - p).T).min() < 1e-6
    steps = np.hypot(*np.diff(pts, axis=0).T)
    assert steps.max() < 1.0


def test_rasterize_draws_a_thin_line_with_the_stroke_strength() -> None:
    e = rasterize([make_stroke([(2.5, 10.5), (40.5, 10.5)], strength=0.6)], (20, 50))
    assert e.dtype == np.float32 and e.shape == (20, 50)
    assert np.allclose(e[10, 3:40], 0.6)
    assert e[9].max() == 0 and e[11].max() == 0


def test_json_round_trip_keeps_points_width_source_and_strength() -> None:
    strokes = _two()
    back = from_json(json.loads(json.dumps(to_json(strokes))), (64, 64))
    assert back == strokes


@pytest.mark.parametrize(
    "bad",
    [
        {"points": "x"},
        {"points": [[1, 2, 3]]},
        {"points": [[1, float("nan")]]},
        {"points": [[1, 2]], "source": "alien"},
        {"points": [[1, 2]], "width": -1},
        {"points": [[1, 2]], "strength": 2},
        {"points": [[1e9, 2]]},
    ],
)
def test_bad_strokes_are_refused_with_a_clear_error(bad: dict) -> None:
    with pytest.raises(ValueError):
        from_json([bad], (64, 64))


def test_freehand_line_is_smoothed_into_a_few_control_points() -> None:
    rng = np.random.default_rng(0)
    xs = np.linspace(5, 80, 150)
    pts = np.stack([xs, 30 + rng.normal(0, 0.6, xs.shape)], 1)
    s = freehand_stroke(pts)
    assert s is not None and s.source == "user"
    assert len(s.points) <= 8
    curve = sample(s)
    assert np.abs(curve[:, 1] - 30).max() < 1.5
    assert freehand_stroke([(3, 3)]) is None


def test_hit_tests_find_the_stroke_and_the_control_point() -> None:
    strokes = _two()
    assert stroke_at(strokes, 30.5, 23.5, 3) == 0
    assert stroke_at(strokes, 6, 30, 3) == 1
    assert stroke_at(strokes, 60, 60, 3) is None
    assert control_point_at(strokes[0], 31, 22, 3) == 1
    assert control_point_at(strokes[0], 40, 40, 3) is None


def test_each_stroke_edit_is_one_undo_step() -> None:
    doc = Document(photo(64, 80))
    a, b = _two()
    doc.set_strokes([a], "Predict strokes")
    doc.set_strokes([a.moved(1, 30.5, 40.5)], "Move control point")
    assert doc.strokes[0].points[1] == (30.5, 40.5)
    assert doc.set_strokes(doc.strokes, "nothing") is None
    doc.undo()
    assert doc.strokes == (a,)
    doc.undo()
    assert doc.strokes == ()
    doc.redo()
    assert doc.strokes == (a,)


def test_a_fill_claims_the_strokes_as_they_were_when_it_was_asked_for() -> None:
    """A stroke drawn over the hole while the fill runs is not the fill's to consume."""
    doc = Document(photo(64, 80))
    hole = box_mask(64, 80, 20, 40, 20, 50)
    at_fill = tuple(doc.strokes)  # none yet
    doc.set_strokes([make_stroke([(10, 30), (70, 30)], source="user")], "drawn meanwhile")
    assert doc.claim_paint(hole, strokes=at_fill) is None
    claim = doc.claim_paint(hole)
    assert claim is not None and claim.strokes == doc.strokes


def test_strokes_guide_the_fill_and_a_fill_consumes_the_ones_over_its_hole() -> None:
    doc = Document(photo(64, 80))
    over = make_stroke([(10, 30), (70, 30)])
    away = make_stroke([(2, 2), (2, 12)], source="user")
    doc.set_strokes([over, away], "Predict strokes")
    g = doc.guidance()
    assert g is not None and g[29:31, 30].max() == 1.0
    hole = box_mask(64, 80, 20, 40, 20, 50)
    filled = doc.photo.copy()
    filled[hole] = 0
    doc.add_result(filled, hole, "telea")
    assert doc.strokes == (away,)
    doc.undo()
    assert doc.strokes == (over, away)


def test_strokes_and_their_history_round_trip_through_the_project_file(tmp_path: Path) -> None:
    doc = Document(photo(64, 80))
    a, b = _two()
    doc.set_strokes([a, b], "Predict strokes")
    doc.set_strokes([a], "Delete stroke")
    p = save_project(tmp_path / "s.isproj", doc, None)
    doc2, _ = load_project(p)
    assert doc2.strokes == (a,)
    doc2.undo()
    assert doc2.strokes == (a, b)
    doc2.undo()
    assert doc2.strokes == ()


def test_projects_without_strokes_still_load(tmp_path: Path) -> None:
    doc = Document(photo(32, 40))
    p = save_project(tmp_path / "old.isproj", doc, None)
    import zipfile

    with zipfile.ZipFile(p) as zf:
        files = {n: zf.read(n) for n in zf.namelist()}
    meta = json.loads(files["project.json"])
    del meta["strokes"]
    files["project.json"] = json.dumps(meta).encode()
    with zipfile.ZipFile(p, "w") as zf:
        for n, data in files.items():
            zf.writestr(n, data)
    doc2, _ = load_project(p)
    assert doc2.strokes == ()


def test_a_project_with_broken_strokes_is_refused(tmp_path: Path) -> None:
    doc = Document(photo(32, 40))
    doc.set_strokes([make_stroke([(1, 1), (5, 5)])], "x")
    p = save_project(tmp_path / "bad.isproj", doc, None)
    import zipfile

    with zipfile.ZipFile(p) as zf:
        files = {n: zf.read(n) for n in zf.namelist()}
    meta = json.loads(files["project.json"])
    meta["strokes"][0]["points"] = [["a", 2]]
    files["project.json"] = json.dumps(meta).encode()
    with zipfile.ZipFile(p, "w") as zf:
        for n, data in files.items():
            zf.writestr(n, data)
    with pytest.raises(ProjectError, match="strokes"):
        load_project(p)


def test_stroke_edits_replay_from_the_journal() -> None:
    doc = Document(photo(32, 40))
    a, _ = _two()
    entry = doc.set_strokes([a], "Predict strokes")
    rec = journal._decode(journal.encode("push", entry, doc.visible)[journal._HEAD.size :])
    fresh = Document(doc.photo)
    assert journal.replay(fresh, [rec]) == 1
    assert fresh.strokes == (a,)
