"""The document tells its views what changed (plain callbacks, no Qt)."""

from __future__ import annotations

import numpy as np

from inpaint_studio.core.document import Change, Document
from inpaint_studio.core.strokes import EdgeStroke
from tests.helpers import photo


class _ViewEvents(list):
    """Collects what a view hears: every change but the history steps (the autosave's)."""

    def append(self, change: Change) -> None:
        if change.kind != "history":
            super().append(change)


def _watched() -> tuple[Document, list[Change]]:
    doc = Document(photo(64, 80))
    seen = _ViewEvents()
    doc.subscribe(seen.append)
    return doc, seen


def test_history_steps_follow_the_view_events_of_the_step() -> None:
    doc = Document(photo(64, 80))
    seen: list[Change] = []
    doc.subscribe(seen.append)
    m = np.zeros(doc.shape, np.uint8)
    m[5:9, 10:20] = 255
    entry = doc.set_layer("mask", m, "box")
    doc.undo()
    doc.redo()
    steps = [c for c in seen if c.kind == "history"]
    assert [c.op for c in steps] == ["push", "undo", "redo"]
    assert steps[0].entry is entry
    # Each step's history event comes once the document is in its new state.
    assert [c.kind for c in seen].count("layer") == 3


def test_a_dab_reports_its_box_on_its_layer() -> None:
    doc, seen = _watched()
    doc.begin_stroke("sketch")
    box = doc.stroke_to((20.5, 10.5), (30.5, 10.5), radius=2)
    doc.end_stroke()
    assert seen == [Change("layer", "sketch", box)]


def test_layer_edits_undo_and_redo_report_the_changed_box() -> None:
    doc, seen = _watched()
    m = np.zeros(doc.shape, np.uint8)
    m[5:9, 10:20] = 255
    doc.set_layer("mask", m, "box")
    doc.undo()
    doc.redo()
    assert seen == [Change("layer", "mask", (5, 9, 10, 20))] * 3


def test_fills_strokes_and_visibility_are_reported() -> None:
    doc, seen = _watched()
    hole = np.zeros(doc.shape, bool)
    hole[10:20, 10:20] = True
    doc.add_result(doc.photo.copy(), hole, "test", clear_paint=False)
    assert [c.kind for c in seen] == ["results"]
    doc.set_strokes((EdgeStroke(((1.0, 1.0), (9.0, 9.0))),), "draw")
    doc.set_result_visible(0, False)
    doc.set_visible("edges", False)
    doc.set_visible("edges", False)  # no change: no event
    assert [c.kind for c in seen[1:]] == ["strokes", "results", "visibility"]
    assert seen[-1] == Change("visibility", "edges") and not doc.visible["edges"]


def test_an_unsubscribed_view_hears_nothing() -> None:
    doc, seen = _watched()
    doc.unsubscribe(seen.append)
    doc.set_visible("mask", False)
    assert seen == []
