"""The editable state of one photo: paint layers, fill results and their history.

Numpy only, no Qt, so every edit (brush stroke, fill, grow/shrink) is unit-testable
without a window.  The GUI wraps each :class:`Entry` in a ``QUndoStack`` command; the
document keeps the same entries so a project file can carry the history to resume.

Views (the canvas, the layers list) subscribe to the document's :class:`Change` events
and redraw what changed themselves: whoever edits the document (a brush stroke, a
fill landing, an undo) then never has to know which views show it.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import cv2
import numpy as np

from .box import Box, clip_box, mask_box, union_box
from .brush import Stroke, segment_alpha
from .history import Atom, Entry, PaintClaim, ResultLayer, entry_bbox
from .strokes import EdgeStroke, rasterize, touches

__all__ = [
    "BBox",
    "CONSUME_MARGIN",
    "DEFAULT_HISTORY_LIMIT",
    "MASK_THRESHOLD",
    "PAINT_LAYERS",
    "Atom",
    "Change",
    "Document",
    "Entry",
    "PaintClaim",
    "ResultLayer",
    "Stroke",
    "entry_bbox",
    "mask_bbox",
    "segment_alpha",
]

#: Paint layers (uint8 ``(H, W)``, 0 = empty, 255 = full) in drawing order.
PAINT_LAYERS: tuple[str, ...] = ("mask", "sketch", "edges")
PaintLayerName = Literal["mask", "sketch", "edges"]
#: Box ``(y0, y1, x0, x1)``, half-open, in photo pixels (``core.box``; plain tuples too).
BBox = Box
#: The editor's name for ``core.box.mask_box``.
mask_bbox = mask_box
#: Mask pixels at or above this value are hole when a fill runs.  The brush paints the
#: mask in 0/255 only, so this matters just for soft masks (Feather, older projects).
MASK_THRESHOLD = 128
#: Paint within this many pixels of a hole belongs to it (anti-aliased stroke edges).
CONSUME_MARGIN = 2
#: Undo depth; each entry holds only the pixels it changed.
DEFAULT_HISTORY_LIMIT = 200

ChangeKind = Literal["layer", "strokes", "results", "visibility", "history"]


@dataclass(frozen=True)
class Change:
    """One change a view may have to redraw.

    ``layer``: pixels of paint layer ``name`` changed inside ``box`` (None: anywhere);
    ``visibility``: paint layer ``name`` was shown or hidden; ``strokes``: the edge
    strokes; ``results``: a result layer was added, removed, shown or hidden;
    ``history``: a history step ``op`` (``push``, ``undo`` or ``redo``; ``entry`` for a
    push), sent once the document is in its new state (the autosave journals it).
    """

    kind: ChangeKind
    name: str = ""
    box: BBox | None = None
    op: str = ""
    entry: Entry | None = None


Observer = Callable[[Change], None]


class Document:
    """Photo, paint layers, result layers and a bounded undo history.

    The photo itself is never modified: what the user sees (and what the next fill
    reads) is :meth:`composite`, the photo with every visible result pasted on top.
    """

    def __init__(self, photo: np.ndarray, history_limit: int = DEFAULT_HISTORY_LIMIT) -> None:
        if photo.ndim != 3 or photo.shape[2] not in (3, 4):
            raise ValueError(f"photo must be (H, W, 3|4), got {photo.shape}")
        self.photo = photo
        h, w = photo.shape[:2]
        self.layers: dict[str, np.ndarray] = {n: np.zeros((h, w), np.uint8) for n in PAINT_LAYERS}
        self.visible: dict[str, bool] = {n: True for n in PAINT_LAYERS}
        self.results: list[ResultLayer] = []
        #: Edge strokes (``core.strokes``): the predicted structure and the user's own.
        self.strokes: tuple[EdgeStroke, ...] = ()
        self.undo_stack: deque[Entry] = deque(maxlen=history_limit)
        self.redo_stack: list[Entry] = []
        self._stroke: Stroke | None = None
        self._next_uid = 1
        #: Bumped on every change; autosave compares it with the last saved revision.
        self.revision = 0
        self._observers: list[Observer] = []

    # -- change events ------------------------------------------------------------------
    def subscribe(self, fn: Observer) -> None:
        """Call ``fn(change)`` after every change to what a view shows (see :class:`Change`)."""
        if fn not in self._observers:
            self._observers.append(fn)

    def unsubscribe(self, fn: Observer) -> None:
        if fn in self._observers:
            self._observers.remove(fn)

    def _changed(
        self, kind: ChangeKind, name: str = "", box: BBox | None = None, op: str = "", entry: Entry | None = None
    ) -> None:
        change = Change(kind, name, box, op, entry)
        for fn in list(self._observers):
            fn(change)

    def set_visible(self, layer: str, on: bool) -> None:
        """Show or hide a paint layer (a view setting, not a history step)."""
        if self.visible.get(layer) == on:
            return
        self.visible[layer] = on
        self._changed("visibility", layer)

    # -- geometry -------------------------------------------------------------------
    @property
    def height(self) -> int:
        return int(self.photo.shape[0])

    @property
    def width(self) -> int:
        return int(self.photo.shape[1])

    @property
    def shape(self) -> tuple[int, int]:
        return (self.height, self.width)

    # -- derived arrays ---------------------------------------------------------------
    def hole(self) -> np.ndarray:
        """The boolean mask a fill uses."""
        return self.layers["mask"] >= MASK_THRESHOLD

    def guidance(self) -> np.ndarray | None:
        """Edge strokes, edited edges and sketch as the engine's ``edges`` argument
        (None if there are none)."""
        e, s = self.layers["edges"], self.layers["sketch"]
        if not e.any() and not s.any() and not self.strokes:
            return None
        out = np.maximum(e, s).astype(np.float32) * np.float32(1.0 / 255.0)
        if self.strokes:
            np.maximum(out, rasterize(self.strokes, self.shape), out=out)
        return out

    # -- edge strokes -----------------------------------------------------------------
    def set_strokes(self, strokes: tuple[EdgeStroke, ...] | list[EdgeStroke], text: str) -> Entry | None:
        """Replace the edge strokes as one undo step (``None`` when nothing changed)."""
        new = tuple(strokes)
        if new == self.strokes:
            return None
        entry = Entry(text, strokes_before=self.strokes, strokes_after=new)
        self._apply(entry, forward=True)
        self._record(entry)
        return entry

    def composite(self, upto: int | None = None) -> np.ndarray:
        """The photo with visible results pasted in order (the first ``upto`` only)."""
        out = self.photo.copy()
        for r in self.results[:upto]:
            if r.visible:
                self._paste(out, r)
        return out

    @staticmethod
    def _paste(out: np.ndarray, r: ResultLayer) -> None:
        y0, y1, x0, x1 = r.bbox
        region = out[y0:y1, x0:x1]
        region[r.mask] = r.pixels[r.mask]

    # -- strokes ----------------------------------------------------------------------
    def begin_stroke(self, layer: str, erase: bool = False, value: int = 255) -> None:
        """Start a stroke; on the mask it is binary (see :meth:`stroke_to`)."""
        if layer not in self.layers:
            raise KeyError(f"not a paint layer: {layer!r}")
        self._stroke = Stroke(layer, self.layers[layer], erase, value, binary=layer == "mask")

    @property
    def stroking(self) -> bool:
        return self._stroke is not None

    def stroke_to(
        self,
        p0: tuple[float, float],
        p1: tuple[float, float],
        radius: float,
        hardness: float = 1.0,
    ) -> BBox | None:
        """Sweep the brush from ``p0`` to ``p1`` (photo ``(x, y)``); returns the dirty box."""
        st = self._stroke
        if st is None:
            raise RuntimeError("stroke_to outside begin_stroke/end_stroke")
        # The mask is painted hard and binary: every pixel whose centre lies inside the
        # brush circle (the cursor) is hole, nothing outside it is.  A soft edge made the
        # filled disc ~10 % smaller than the cursor (fills take mask >= 128) and left its
        # faint fringe on screen after the fill.
        hit = segment_alpha(self.shape, p0, p1, radius, 1.0 if st.binary else hardness)
        if hit is None:
            return None
        box, alpha = hit
        y0, y1, x0, x1 = box
        data = self.layers[st.layer]
        region = data[y0:y1, x0:x1]
        if st.binary:
            inside = alpha >= 0.5
            if not inside.any():
                return None
            st.save_tiles(box)
            region[inside] = 0 if st.erase else st.value
            self.revision += 1
            self._changed("layer", st.layer, box)
            return box
        st.save_tiles(box)
        if st.erase:
            keep = np.rint((1.0 - alpha) * 255.0).astype(np.uint8)
            np.minimum(region, keep, out=region)
        else:
            paint = np.rint(alpha * st.value).astype(np.uint8)
            np.maximum(region, paint, out=region)
        self.revision += 1
        self._changed("layer", st.layer, box)
        return box

    def end_stroke(self, text: str | None = None) -> Entry | None:
        """Close the stroke and record it (``None`` when it changed nothing)."""
        st, self._stroke = self._stroke, None
        if st is None or st.bbox is None:
            return None
        y0, y1, x0, x1 = st.bbox
        old = st.old_pixels()
        new = self.layers[st.layer][y0:y1, x0:x1].copy()
        if np.array_equal(old, new):
            return None
        verb = "Erase" if st.erase else "Paint"
        entry = Entry(text or f"{verb} {st.layer}", [Atom(st.layer, st.bbox, old, new)])
        self._record(entry)
        return entry

    # -- whole-layer edits (grow/shrink/feather/clear/load/edges) -----------------------
    def set_layer(self, layer: str, data: np.ndarray, text: str) -> Entry | None:
        """Replace a paint layer; the history keeps only the box that changed."""
        cur = self.layers[layer]
        if data.shape != cur.shape:
            raise ValueError(f"{layer} is {data.shape[::-1]}, photo is {cur.shape[::-1]}")
        data = data.astype(np.uint8, copy=False)
        diff = cur != data
        box = mask_box(diff)
        if box is None:
            return None
        y0, y1, x0, x1 = box
        atom = Atom(layer, box, cur[y0:y1, x0:x1].copy(), data[y0:y1, x0:x1].copy())
        cur[y0:y1, x0:x1] = atom.new
        entry = Entry(text, [atom])
        self._record(entry)
        self._changed("layer", layer, box)
        return entry

    def add_result(
        self,
        filled: np.ndarray,
        hole: np.ndarray,
        method: str = "",
        device: str = "",
        warnings: list[str] | None = None,
        clear_paint: bool = True,
        claim: PaintClaim | None = None,
    ) -> Entry | None:
        """Keep a fill as a new result layer; by default clear the mask, sketch and edges
        it consumed in the same undo step (one Ctrl+Z brings them back with the hole).

        ``claim`` is what :meth:`claim_paint` said when the fill started; paint changed
        since then (strokes made while a fill ran) is kept.  Without it, the paint is
        claimed now.
        """
        box = mask_box(hole)
        if box is None:
            return None
        y0, y1, x0, x1 = box
        res = ResultLayer(
            bbox=box,
            pixels=filled[y0:y1, x0:x1].copy(),
            mask=hole[y0:y1, x0:x1].copy(),
            method=method,
            device=device,
            warnings=list(warnings or []),
            uid=self._next_uid,
        )
        self._next_uid += 1
        atoms: list[Atom] = []
        before = after = None
        if clear_paint:
            claim = claim if claim is not None else self.claim_paint(hole)
            atoms = self._consume(claim)
            used = set(claim.strokes) if claim is not None else set()
            if used and any(st in used for st in self.strokes):
                before = self.strokes
                after = tuple(st for st in self.strokes if st not in used)
        entry = Entry(
            f"Fill ({method})" if method else "Fill",
            atoms,
            result_added=res,
            result_index=len(self.results),
            strokes_before=before,
            strokes_after=after,
        )
        self._apply(entry, forward=True)
        self._record(entry)
        return entry

    def claim_paint(
        self,
        hole: np.ndarray,
        layers: dict[str, np.ndarray] | None = None,
        strokes: tuple[EdgeStroke, ...] | None = None,
    ) -> PaintClaim | None:
        """The paint a fill of ``hole`` consumes: on each layer, every stroke (connected
        painted area) that reaches within :data:`CONSUME_MARGIN` px of the hole, soft
        fringes below the hole threshold included, with its values now.

        ``layers`` and ``strokes``: the paint layers (copies) and edge strokes as they
        were when the fill was asked for, so the claim can be worked out on another
        thread, off the GUI's, and never takes what was drawn meanwhile; default: now.
        """
        paint = self.layers if layers is None else layers
        hb = mask_box(hole)
        if hb is None:
            return None
        near = clip_box(
            (hb[0] - CONSUME_MARGIN, hb[1] + CONSUME_MARGIN, hb[2] - CONSUME_MARGIN, hb[3] + CONSUME_MARGIN),
            self.height,
            self.width,
        )
        assert near is not None
        ny0, ny1, nx0, nx1 = near
        k = np.ones((2 * CONSUME_MARGIN + 1, 2 * CONSUME_MARGIN + 1), np.uint8)
        grown = np.zeros(self.shape, bool)
        grown[ny0:ny1, nx0:nx1] = cv2.dilate(hole[ny0:ny1, nx0:nx1].astype(np.uint8), k) > 0
        parts: dict[str, tuple[BBox, np.ndarray]] = {}
        box: BBox | None = None
        for name in PAINT_LAYERS:
            painted = paint[name] > 0
            lb = mask_box(painted)
            if lb is None:
                continue
            ly0, ly1, lx0, lx1 = lb
            sub = painted[ly0:ly1, lx0:lx1]
            n, labels = cv2.connectedComponents(sub.astype(np.uint8), connectivity=8)
            # A lookup table of the touching labels, not np.unique + np.isin: this runs on
            # the GUI thread as Fill is pressed, and on a 24 MP mask those sort.
            touching = np.zeros(n, bool)
            touching[labels[sub & grown[ly0:ly1, lx0:lx1]]] = True
            touching[0] = False
            if not touching.any():
                continue
            region = touching[labels]
            rb = mask_box(region)
            assert rb is not None
            part = Box(ly0 + rb[0], ly0 + rb[1], lx0 + rb[2], lx0 + rb[3])
            parts[name] = (part, region[rb[0] : rb[1], rb[2] : rb[3]])
            box = union_box(box, part)
        strokes = tuple(st for st in (self.strokes if strokes is None else strokes) if touches(st, grown, 0))
        if box is None:
            return PaintClaim(hb, {}, {}, strokes) if strokes else None
        y0, y1, x0, x1 = box
        regions: dict[str, np.ndarray] = {}
        for name, ((py0, py1, px0, px1), reg) in parts.items():
            full = np.zeros((y1 - y0, x1 - x0), bool)
            full[py0 - y0 : py1 - y0, px0 - x0 : px1 - x0] = reg
            regions[name] = full
        before = {name: paint[name][y0:y1, x0:x1].copy() for name in regions}
        return PaintClaim(box, regions, before, strokes)

    def _consume(self, claim: PaintClaim | None) -> list[Atom]:
        """Atoms clearing the claimed paint that is unchanged since the claim."""
        if claim is None:
            return []
        y0, y1, x0, x1 = claim.bbox
        atoms: list[Atom] = []
        for name, region in claim.regions.items():
            cur = self.layers[name][y0:y1, x0:x1]
            clear = region & (cur == claim.before[name]) & (cur > 0)
            cb = mask_box(clear)
            if cb is None:
                continue
            cy0, cy1, cx0, cx1 = cb
            old = cur[cy0:cy1, cx0:cx1].copy()
            new = np.where(clear[cy0:cy1, cx0:cx1], 0, old).astype(np.uint8)
            atoms.append(Atom(name, Box(y0 + cy0, y0 + cy1, x0 + cx0, x0 + cx1), old, new))
        return atoms

    def result_name(self, index: int) -> str:
        """``Fill N (method)`` numbered by place in the stack, bottom first: ids keep
        counting through undone and removed fills, so naming by id showed "Fill 2" when
        only one fill existed."""
        r = self.results[index]
        return f"Fill {index + 1} ({r.method})" if r.method else f"Fill {index + 1}"

    def remove_result(self, index: int) -> Entry:
        res = self.results[index]
        entry = Entry(f"Remove {self.result_name(index)}", result_removed=res, result_index=index)
        self._apply(entry, forward=True)
        self._record(entry)
        return entry

    def set_result_visible(self, index: int, visible: bool) -> Entry | None:
        if self.results[index].visible == visible:
            return None
        entry = Entry(("Show " if visible else "Hide ") + self.result_name(index), visibility=(index, visible))
        self._apply(entry, forward=True)
        self._record(entry)
        return entry

    # -- history ----------------------------------------------------------------------
    def _record(self, entry: Entry) -> None:
        self.undo_stack.append(entry)
        self.redo_stack.clear()
        self.revision += 1
        self._tell("push", entry)

    def _tell(self, op: str, entry: Entry | None) -> None:
        self._changed("history", op=op, entry=entry)

    def replay_push(self, entry: Entry) -> None:
        """Redo an edit recorded elsewhere (a journal) as if it had just been made here."""
        self._apply(entry, forward=True)
        if entry.result_added is not None:
            self.set_next_uid(entry.result_added.uid + 1)
        self._record(entry)

    def _apply(self, entry: Entry, forward: bool) -> None:
        for atom in entry.atoms if forward else reversed(entry.atoms):
            y0, y1, x0, x1 = atom.bbox
            self.layers[atom.layer][y0:y1, x0:x1] = atom.new if forward else atom.old
        add, rem = entry.result_added, entry.result_removed
        if (add is not None and forward) or (rem is not None and not forward):
            r = add if forward else rem
            assert r is not None
            self.results.insert(min(entry.result_index, len(self.results)), r)
        if (add is not None and not forward) or (rem is not None and forward):
            r = add if not forward else rem
            assert r is not None
            self.results.remove(r)
        if entry.visibility is not None:
            idx, vis = entry.visibility
            self.results[idx].visible = vis if forward else not vis
        strokes = False
        if entry.strokes_after is not None and entry.strokes_before is not None:
            self.strokes = entry.strokes_after if forward else entry.strokes_before
            strokes = True
        self.revision += 1
        for atom in entry.atoms:
            self._changed("layer", atom.layer, atom.bbox)
        if strokes:
            self._changed("strokes")
        if add is not None or rem is not None or entry.visibility is not None:
            self._changed("results")

    def undo(self) -> Entry | None:
        if not self.undo_stack:
            return None
        entry = self.undo_stack.pop()
        self._apply(entry, forward=False)
        self.redo_stack.append(entry)
        self._tell("undo", entry)
        return entry

    def redo(self) -> Entry | None:
        if not self.redo_stack:
            return None
        entry = self.redo_stack.pop()
        self._apply(entry, forward=True)
        self.undo_stack.append(entry)
        self._tell("redo", entry)
        return entry

    def history_bytes(self) -> int:
        return sum(e.nbytes() for e in self.undo_stack) + sum(e.nbytes() for e in self.redo_stack)

    def next_uid(self) -> int:
        return self._next_uid

    def set_next_uid(self, uid: int) -> None:
        self._next_uid = max(self._next_uid, uid)
