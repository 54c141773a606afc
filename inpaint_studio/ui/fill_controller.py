"""Engine jobs of the window: fill (with its preview), edge prediction, object and outline
select, cancel, progress and the busy state, and the model label.

Engine calls are only ever submitted to the worker, with a snapshot of the document;
results come back on the GUI thread and are added to the document only if it is still
the same document.  Object select runs on its own worker (``win.selector``), beside
fills: on the fill worker, which is *latest wins*, a selection would cancel a fill.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
from PySide6.QtCore import QObject, Signal

from ..core.document import PAINT_LAYERS, BBox, Document, PaintClaim
from ..core.errors import InpaintStudioError
from ..core.selection import Selection, click_box, lasso_mask
from ..core.selection import object_select as grabcut_select
from ..core.strokes import EdgeStroke, touches
from .client import InpaintResult, auto_fallback, cuda_available, fill_info
from .pixmaps import PreviewImage

if TYPE_CHECKING:
    from .main_window import MainWindow

#: Longest side of the quick low-resolution pass of a neural fill that has no guide to
#: show (``deepfill``); ``guided`` shows its guide instead, at no extra cost.
PREVIEW_SIZE = 256
#: Status-bar words while a preview is on the canvas and the fill is being refined.
PREVIEW_STATUS = "Preview — refining…"


class _Relay(QObject):
    """Carries a fill's preview from the worker thread to the GUI thread (queued)."""

    preview = Signal(int, object, object)  # fill seq, InpaintResult, PreviewImage


class FillController(QObject):
    """Fill, Re-hallucinate edges, Object/Outline select and what the status bar says of them."""

    def __init__(self, win: MainWindow) -> None:
        super().__init__(win)
        self.win = win
        self.last_result: InpaintResult | None = None
        self.fill_seq = 0
        #: The fill whose preview is on the canvas (0: none); its progress reads as refining.
        self._preview_seq = 0
        self._fill_notes: dict[int, str] = {}  # result uid -> its "Last fill" line
        self._progress_msg: str | None = None
        self._fallback_shown: str | None = None
        self.relay = _Relay(self)
        self.relay.preview.connect(self._on_preview)

    def reset(self) -> None:
        """A new document: nothing of the old one's fills is shown on it."""
        self.fill_seq += 1  # a preview of the old photo still on its way is not shown on this one
        self.last_result = None
        self._fill_notes.clear()
        self.win.tools.last_run.setText("")

    # -- fill -------------------------------------------------------------------------------
    def fill(self) -> int | None:
        """Submit a fill of the current mask (guided by edges + sketch) to the worker."""
        win, doc = self.win, self.win.doc
        if doc is None:
            win.show_notice("Open a photo first (Ctrl+O, drag and drop, or paste)", "info")
            return None
        hole = doc.hole()
        if not hole.any():
            win.show_notice("Paint over what should disappear first (B = brush)", "info")
            return None
        image = doc.composite()
        edges = doc.guidance()
        # What this fill consumes is the paint as it is now; which strokes those are is
        # worked out in the worker, after the fill (on a 24 MP mask it takes a while).
        paint = {name: doc.layers[name].copy() for name in PAINT_LAYERS}
        strokes = tuple(doc.strokes)
        engine = win.engine
        opts = win.options()
        try:
            neural = fill_info(engine.resolve_method(opts.method)).kind == "neural"
        except InpaintStudioError:
            neural = False
        # Slow (neural) fills show a preview first: guided its guide, others a quick
        # low-resolution pass.
        opts = opts.replace(preview_size=PREVIEW_SIZE if neural else 0)
        self.fill_seq += 1
        seq, relay = self.fill_seq, self.relay
        win.canvas.clear_preview()  # a fill still running is superseded (latest wins): its preview goes
        self._preview_seq = 0

        def job(progress: Any, cancel: Any) -> tuple[InpaintResult, PaintClaim | None, PreviewImage]:
            res = engine.inpaint(
                image,
                hole,
                edges,
                opts,
                progress=progress,
                cancel=cancel,
                # The preview's image is made here, in the worker: not on the GUI thread.
                on_preview=lambda r: relay.preview.emit(seq, r, PreviewImage(r.pixels, r.mask)),
            )
            # The claim reads only the copies; the layer's image is made here, not on the GUI thread.
            return res, doc.claim_paint(hole, paint, strokes), PreviewImage(res.pixels, res.mask)

        def finished() -> None:
            # Never left behind: the result layer replaces it, a cancel or error removes it.
            win.canvas.clear_preview()
            if self._preview_seq == seq:
                self._preview_seq = 0

        def done(out: tuple[InpaintResult, PaintClaim | None, PreviewImage]) -> None:
            finished()
            self._fill_done(doc, *out)

        def failed(msg: str) -> None:
            finished()
            win.show_notice(f"Fill failed: {msg}", "error")

        def cancelled() -> None:
            finished()
            win.statusBar().showMessage("Fill cancelled", 5000)

        jid = win.worker.submit("Fill", job, on_done=done, on_error=failed, on_cancel=cancelled)
        win.notice.dismiss(("info", "warning", "error"))  # this fill reports its own outcome
        win.statusBar().showMessage("Filling…")
        return jid

    def _on_preview(self, seq: int, res: InpaintResult, image: PreviewImage) -> None:
        """Show a fill's preview on the canvas: a view only, never a layer or an undo step."""
        win = self.win
        if seq == self.fill_seq and win.worker.busy and win.doc is not None:
            win.canvas.show_preview(image)
            self._preview_seq = seq
            win.statusBar().showMessage(PREVIEW_STATUS)

    def _fill_done(
        self, doc: Document, res: InpaintResult, claim: PaintClaim | None = None, image: PreviewImage | None = None
    ) -> None:
        win = self.win
        if doc is not win.doc:
            return  # the user opened another photo meanwhile
        self.last_result = res
        if image is not None:
            win.canvas.offer_result_image(doc.next_uid(), image)  # the layer about to be added
        # Strokes painted while the fill ran are not in `claim` and stay.
        entry = doc.add_result(res.pixels, res.mask, res.method, res.device, res.warnings, claim=claim)
        win.push(entry)
        how = f"{res.method} (variation {res.seed + 1})" if res.seed else res.method
        if entry is not None and entry.result_added is not None:
            self._fill_notes[entry.result_added.uid] = (
                f"Last fill: {how} on {res.device}, {res.seconds:.1f} s, {res.regions} region(s)"
            )
        self.update_last_run()
        win.model_label.setText(f"Model: {res.method} · Device: {res.device}")
        if res.warnings:
            win.show_notice("Fill finished with warnings:\n" + "\n".join(res.warnings), "warning")
        else:
            win.statusBar().showMessage(f"Filled with {res.method} on {res.device} in {res.seconds:.1f} s", 8000)
        win.autosaver.changed()

    def update_last_run(self) -> None:
        """The note of the newest fill still in the document: undoing or removing a fill
        must not leave its "Last fill" line behind (redo brings it back)."""
        text = ""
        if self.win.doc is not None:
            for r in reversed(self.win.doc.results):
                if r.uid in self._fill_notes:
                    text = self._fill_notes[r.uid]
                    break
        self.win.tools.last_run.setText(text)

    # -- edges --------------------------------------------------------------------------------
    def hallucinate_edges(self) -> int | None:
        """Predict edges in the hole; they replace the edges layer there (one undo step)."""
        win, doc = self.win, self.win.doc
        if doc is None:
            return None
        hole = doc.hole()
        if not hole.any():
            win.show_notice("Paint a mask first: edges are predicted inside the hole", "info")
            return None
        image = doc.composite()
        opts = win.options()
        engine = win.engine

        def job(progress: Any, cancel: Any) -> list[EdgeStroke]:
            return list(engine.predict_strokes(image, hole, opts, progress=progress, cancel=cancel))

        jid = win.worker.submit(
            "Edge prediction",
            job,
            on_done=lambda strokes: self._edges_done(doc, hole, strokes),
            on_error=lambda msg: win.show_notice(f"Edge prediction failed: {msg}", "error"),
            on_cancel=lambda: win.statusBar().showMessage("Edge prediction cancelled", 5000),
        )
        win.notice.dismiss(("info", "warning", "error"))
        return jid

    def _edges_done(self, doc: Document, hole: np.ndarray, strokes: list[EdgeStroke]) -> None:
        """Predicted strokes replace the predicted ones over this hole (the user's stay),
        one undo step; the Strokes tool is then active to edit them."""
        win = self.win
        if doc is not win.doc:
            return
        kept = tuple(s for s in doc.strokes if s.source == "user" or not touches(s, hole, 2))
        doc.set_visible("edges", True)
        win.push(doc.set_strokes(kept + tuple(strokes), "Predict strokes"))
        win.masking.set_tool("strokes")
        if not strokes:
            # A smooth area gives no edges: say so, instead of an unchanged-looking canvas.
            win.show_notice(
                "No edges were found inside the hole (the area is smooth). Draw structure lines "
                "yourself if needed: with the Strokes tool (T) drag across the hole, then Fill.",
                "info",
            )
            return
        win.statusBar().showMessage(
            f"{len(strokes)} strokes predicted: select one to bend or delete it, drag to draw more, then Fill", 8000
        )

    # -- selections ---------------------------------------------------------------------------
    def object_select(self, box: BBox | None, point: tuple[float, float] | None, subtract: bool = False) -> int | None:
        """GrabCut the object in ``box`` (or around the click ``point``) in the worker beside
        fills; the result is added to the mask (or taken out of it) as one undo step."""
        win, doc = self.win, self.win.doc
        if doc is None:
            return None
        if box is None:
            if point is None:
                return None
            box = click_box(doc.shape, *point)
        image = doc.composite()  # what the user sees, fills included
        seeds = None if subtract else doc.hole()  # strokes already painted mark the object
        tool = win.masking.box_select

        def job(progress: Any, cancel: Any) -> Selection | None:
            return grabcut_select(image, box, seeds, point=point, check=cancel.raise_if_cancelled)

        def landed(sel: Selection | None, d: Document = doc) -> None:
            tool.done()
            if sel is None:
                win.show_notice(
                    "Nothing in that box stands out from its surroundings. Paint a few "
                    "strokes on the object, then select it again (they guide the selection).",
                    "info",
                )
                return
            self._apply_selection(d, sel, subtract, "Object select")

        def failed(msg: str) -> None:
            tool.done()
            win.show_notice(f"Object select failed: {msg}", "error")

        win.statusBar().showMessage("Selecting the object…")
        return win.selector.submit("Object select", job, on_done=landed, on_error=failed, on_cancel=tool.done)

    def outline_select(self, points: np.ndarray, subtract: bool = False) -> None:
        doc = self.win.doc
        if doc is None:
            return
        sel = lasso_mask(doc.shape, points)
        if sel is None:
            self.win.show_notice("That outline encloses nothing: click at least three points around the object", "info")
            return
        self._apply_selection(doc, sel, subtract, "Outline select")

    def _apply_selection(self, doc: Document, sel: Selection, subtract: bool, what: str) -> None:
        win = self.win
        if doc is not win.doc:
            return  # another photo was opened meanwhile
        new = doc.layers["mask"].copy()
        y0, y1, x0, x1 = sel.bbox
        new[y0:y1, x0:x1][sel.mask] = 0 if subtract else 255
        doc.set_visible("mask", True)
        win.push(doc.set_layer("mask", new, f"{what} ({'subtract' if subtract else 'add'})"))
        n = int(sel.mask.sum())
        win.statusBar().showMessage(
            f"{what}: {n} px {'taken out of' if subtract else 'added to'} the mask (Ctrl+Z undoes it)", 6000
        )

    # -- running jobs -------------------------------------------------------------------------
    def cancel_job(self) -> None:
        win = self.win
        if win.worker.busy:
            win.worker.cancel()
            # The refinement may take a few seconds to stop; its preview goes now.
            win.canvas.clear_preview()
            self._preview_seq = 0
            win.statusBar().showMessage("Cancelling…", 3000)

    def on_busy(self, busy: bool) -> None:
        win = self.win
        win.progress_bar.setVisible(busy)
        win.cancel_button.setVisible(busy)
        win.tools.set_busy(busy)
        if busy:
            win.progress_bar.setValue(0)
        elif win.statusBar().currentMessage() == self._progress_msg:
            win.statusBar().clearMessage()  # no stale "done" / "filling region 3/4" once idle

    def on_progress(self, fraction: float, message: str) -> None:
        self.win.progress_bar.setValue(int(fraction * 1000))
        if self._preview_seq and self._preview_seq == self.fill_seq:
            # What is on the canvas is a preview: say so, not "filling region 1/1".
            message = f"{PREVIEW_STATUS} {fraction * 100:.0f} %"
        self._progress_msg = message
        self.win.statusBar().showMessage(message)

    # -- method and device ----------------------------------------------------------------------
    def on_fill_method(self, name: str) -> None:
        self.win.settings.fill_method = name
        self.update_model_label()

    def on_edge_method(self, name: str) -> None:
        self.win.settings.edge_method = name

    def on_device(self, dev: str) -> None:
        self.win.settings.device = dev
        self.update_model_label()

    def update_model_label(self) -> None:
        win = self.win
        m = win.tools.fill_combo.currentData() or "auto"
        d = win.tools.device_combo.currentData() or "auto"
        shown = win.engine.resolve_method(str(m))
        try:
            ok, _why = fill_info(shown).available()
        except InpaintStudioError:
            ok = True
        if not ok:
            shown = f"{shown} unavailable → telea"  # what the fill will really use
        elif m == "auto":
            fallback = auto_fallback()
            if fallback:
                shown = f"{shown} (fallback)"
                if fallback != self._fallback_shown:
                    # Once per cause: a damaged or missing weights file must not go unnoticed.
                    self._fallback_shown = fallback
                    win.show_notice(fallback, "warning")
        if d == "auto":
            d = "auto → " + ("CUDA" if cuda_available() else "CPU")
        win.model_label.setText(f"Model: {shown} · Device: {d}")
