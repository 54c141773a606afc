"""What the document's history is made of: result layers, undo entries and their pixel atoms.

Kept apart from :mod:`.document` so the journal and the project format can read the
shape of a history step without the editing code around it.  Why diff atoms: a 24 MP
mask is 24 MB; a full copy per stroke would exhaust memory in a few hundred strokes.  A
stroke touches a small box, so an :class:`Atom` keeps only that box's old and new pixels.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .box import Box, union_box
from .strokes import EdgeStroke, stroke_bbox

#: Box ``(y0, y1, x0, x1)``, half-open, in photo pixels (``core.box``; plain tuples too).
BBox = Box


@dataclass
class ResultLayer:
    """One fill kept as a patch over the photo, so it can be hidden or removed later.

    Only the bounding box of the filled hole is stored (``pixels`` is the crop of the
    filled photo, ``mask`` says which crop pixels the fill replaced): a result of a small
    hole in a 24 MP photo costs kilobytes, not 72 MB.
    """

    bbox: BBox
    pixels: np.ndarray
    mask: np.ndarray
    method: str = ""
    device: str = ""
    visible: bool = True
    warnings: list[str] = field(default_factory=list)
    uid: int = 0


@dataclass
class PaintClaim:
    """Paint a fill will consume, as it was when the fill started (see
    :meth:`Document.claim_paint`): per layer, which pixels of ``bbox`` and their values."""

    bbox: BBox
    regions: dict[str, np.ndarray]
    before: dict[str, np.ndarray]
    #: Edge strokes over the hole, as they were (consumed unless edited since).
    strokes: tuple[EdgeStroke, ...] = ()


@dataclass
class Atom:
    """Old and new pixels of one box of one paint layer."""

    layer: str
    bbox: BBox
    old: np.ndarray
    new: np.ndarray


@dataclass
class Entry:
    """One undo step: pixel atoms plus at most one result layer added or removed.

    ``result_added`` is inserted at ``result_index`` on redo and taken out on undo;
    ``result_removed`` the other way round.  ``visibility`` toggles a result's ``visible``.
    """

    text: str
    atoms: list[Atom] = field(default_factory=list)
    result_added: ResultLayer | None = None
    result_removed: ResultLayer | None = None
    result_index: int = -1
    visibility: tuple[int, bool] | None = None
    #: The edge strokes before and after the step (both ``None``: unchanged).  Strokes
    #: are immutable and small, so the two lists are kept whole.
    strokes_before: tuple[EdgeStroke, ...] | None = None
    strokes_after: tuple[EdgeStroke, ...] | None = None

    def nbytes(self) -> int:
        n = sum(a.old.nbytes + a.new.nbytes for a in self.atoms)
        for r in (self.result_added, self.result_removed):
            if r is not None:
                n += r.pixels.nbytes + r.mask.nbytes
        return n


def entry_bbox(entry: Entry) -> BBox | None:
    """Photo box an entry changed (what the canvas must repaint)."""
    box: BBox | None = None
    for a in entry.atoms:
        box = union_box(box, a.bbox)
    for r in (entry.result_added, entry.result_removed):
        if r is not None:
            box = union_box(box, r.bbox)
    if entry.strokes_before is not None and entry.strokes_after is not None:
        changed = set(entry.strokes_before) ^ set(entry.strokes_after)
        box = union_box(box, stroke_bbox(changed, 2.0))
    return box
