"""The autosave journal: every history step replays exactly; a torn tail is dropped."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from inpaint_studio.core import journal
from inpaint_studio.core.document import Document
from inpaint_studio.core.project import load_project, save_project
from tests.helpers import photo


def _stroke(doc: Document, y: float, layer: str = "mask") -> None:
    doc.begin_stroke(layer)
    doc.stroke_to((10.0, y), (100.0, y + 5), 4.0)
    doc.end_stroke()


def _state(doc: Document) -> tuple:
    return (
        {k: v.copy() for k, v in doc.layers.items()},
        [(r.uid, r.bbox, r.visible, r.pixels.copy()) for r in doc.results],
        dict(doc.visible),
        [e.text for e in doc.undo_stack],
        [e.text for e in doc.redo_stack],
    )


def _same(a: tuple, b: tuple) -> bool:
    la, ra, *rest_a = a
    lb, rb, *rest_b = b
    return (
        all(np.array_equal(la[k], lb[k]) for k in la)
        and len(ra) == len(rb)
        and all(x[:3] == y[:3] and np.array_equal(x[3], y[3]) for x, y in zip(ra, rb))
        and rest_a == rest_b
    )


def test_a_base_plus_its_journal_is_the_session(tmp_path: Path) -> None:
    doc = Document(photo(80, 120))
    _stroke(doc, 20)
    base = tmp_path / "a.isproj"
    save_project(base, doc, None)
    jpath = tmp_path / "a.1.journal"
    doc.subscribe(lambda c: c.kind == "history" and journal.append(jpath, journal.encode(c.op, c.entry, doc.visible)))
    _stroke(doc, 40)
    _stroke(doc, 10, "sketch")
    hole = doc.hole()
    filled = doc.photo.copy()
    filled[hole] = 9
    doc.add_result(filled, hole, "telea")
    doc.set_result_visible(0, False)
    doc.undo()
    doc.undo()
    doc.redo()
    _stroke(doc, 60)  # clears the redo step
    doc.visible["edges"] = False
    journal.append(jpath, journal.encode("visible", None, doc.visible))
    doc.remove_result(0)
    want = _state(doc)

    got, _ = load_project(base)
    n = journal.replay(got, journal.read(jpath))
    assert n == 10
    assert _same(_state(got), want)
    # The replayed history undoes like the original.
    while doc.undo_stack:
        doc.undo()
        got.undo()
        assert _same(_state(got), _state(doc))


def test_a_torn_or_damaged_tail_is_dropped(tmp_path: Path) -> None:
    doc = Document(photo(40, 60))
    jpath = tmp_path / "j.journal"
    doc.subscribe(lambda c: c.kind == "history" and journal.append(jpath, journal.encode(c.op, c.entry, doc.visible)))
    for y in (5.0, 15.0, 25.0):
        _stroke(doc, y)
    data = jpath.read_bytes()
    assert len(journal.read(jpath)) == 3
    jpath.write_bytes(data[:-7])  # killed while writing the last record
    assert len(journal.read(jpath)) == 2
    bad = bytearray(data)
    bad[-20] ^= 0xFF
    jpath.write_bytes(bytes(bad))
    assert len(journal.read(jpath)) == 2
    assert journal.read(tmp_path / "missing.journal") == []


def test_a_journal_of_another_document_stops_at_the_first_misfit(tmp_path: Path) -> None:
    doc = Document(photo(40, 60))
    jpath = tmp_path / "j.journal"
    doc.subscribe(lambda c: c.kind == "history" and journal.append(jpath, journal.encode(c.op, c.entry, doc.visible)))
    _stroke(doc, 5)
    other = Document(photo(20, 20))
    assert journal.replay(other, journal.read(jpath)) == 0
    assert not other.layers["mask"].any()
