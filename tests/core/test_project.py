"""Project files round-trip layers, results and the undo/redo history."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from inpaint_studio.core.document import Document
from inpaint_studio.core.project import ProjectError, load_project, read_project_meta, save_project
from tests.helpers import photo


def _edited() -> Document:
    doc = Document(photo(64, 80))
    doc.begin_stroke("mask")
    doc.stroke_to((20, 20), (40, 30), radius=5)
    doc.end_stroke()
    hole = doc.hole()
    filled = doc.photo.copy()
    filled[hole] = 200
    doc.add_result(filled, hole, "telea", "cpu", ["weights missing"])
    doc.begin_stroke("sketch")
    doc.stroke_to((5, 5), (70, 50), radius=1.5)
    doc.end_stroke()
    doc.begin_stroke("mask")
    doc.stroke_to((60, 10), (70, 10), radius=4)
    doc.end_stroke()
    doc.undo()  # leaves one redo entry
    doc.visible["edges"] = False
    return doc


def test_round_trip_with_embedded_photo(tmp_path: Path) -> None:
    doc = _edited()
    p = save_project(tmp_path / "a.isproj", doc, None)
    doc2, info = load_project(p)
    assert info.photo_path is None
    assert np.array_equal(doc2.photo, doc.photo)
    for n in doc.layers:
        assert np.array_equal(doc2.layers[n], doc.layers[n])
    assert doc2.visible["edges"] is False
    assert [r.uid for r in doc2.results] == [1]
    assert doc2.results[0].warnings == ["weights missing"]
    assert np.array_equal(doc2.composite(), doc.composite())
    assert len(doc2.undo_stack) == len(doc.undo_stack) and len(doc2.redo_stack) == 1
    # History still works after loading: redo then undo everything.
    doc.redo()
    doc2.redo()
    assert np.array_equal(doc2.layers["mask"], doc.layers["mask"])
    while doc2.undo_stack:
        doc2.undo()
    assert not doc2.layers["mask"].any() and doc2.results == []


def test_photo_reference_and_size_check(tmp_path: Path) -> None:
    doc = _edited()
    src = tmp_path / "photo.npy"
    np.save(src, doc.photo)
    p = save_project(tmp_path / "b.isproj", doc, src)
    assert read_project_meta(p)["photo"] == str(src.resolve())
    doc2, info = load_project(p, load_photo=lambda path: np.load(path))
    assert info.photo_path == src.resolve()
    assert np.array_equal(doc2.composite(), doc.composite())
    with pytest.raises(ProjectError, match="80x64"):
        load_project(p, load_photo=lambda path: np.zeros((10, 10, 3), np.uint8))
    src.unlink()
    with pytest.raises(ProjectError, match="missing"):
        load_project(p)


def test_garbage_is_a_project_error(tmp_path: Path) -> None:
    bad = tmp_path / "x.isproj"
    bad.write_bytes(b"not a zip")
    with pytest.raises(ProjectError):
        load_project(bad)


def test_saved_project_has_normal_file_permissions(tmp_path: Path) -> None:
    import os
    import stat

    from inpaint_studio.core.atomic import current_umask
    from inpaint_studio.core.document import Document
    from inpaint_studio.core.project import save_project

    doc = Document(np.zeros((8, 8, 3), np.uint8))
    p = tmp_path / "a.isproj"
    save_project(p, doc, None)
    assert stat.S_IMODE(os.stat(p).st_mode) == 0o666 & ~current_umask()  # not mkstemp's 0600
    os.chmod(p, 0o640)
    save_project(p, doc, None)
    assert stat.S_IMODE(os.stat(p).st_mode) == 0o640  # a replaced file keeps its mode
