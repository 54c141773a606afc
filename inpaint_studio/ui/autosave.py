"""Autosave and crash recovery.

Two files per session in the app data folder: a full project (the *base*, written
atomically off the GUI thread) and a journal of every history step since it
(``core/journal.py``).  Each step is appended right after it is made, in milliseconds
whatever the photo's size, so a crash loses at most the stroke in progress.  A new base
is written when the journal has grown large, every minute while there is journal to
fold in, and at the first edit of a session; it names its own journal, and older
journals are deleted only once it is on disk.

The document's arrays are copied (fast memcpy) on the GUI thread; one writer thread (a
``background.TaskThread``) does all file work in order, so a journal record never lands
before its base.

An autosave exists only while a session has unsaved work; a clean exit removes it, so
any file found at start-up is from a crash and recovery is offered.
"""

from __future__ import annotations

import copy
import hashlib
import logging
import os
import time
from collections import deque
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, QTimer, Signal

from ..core import journal
from ..core.document import Change, Document, Entry
from ..core.project import PROJECT_SUFFIX, read_project_meta, save_project
from .background import TaskThread
from .settings import data_dir

log = logging.getLogger(__name__)
AUTOSAVE_DIR = "autosave"


def autosave_dir() -> Path:
    d = data_dir() / AUTOSAVE_DIR
    d.mkdir(parents=True, exist_ok=True)
    return d


def snapshot(doc: Document) -> Document:
    """A copy consistent at this instant; arrays in history entries are never mutated, so
    they are shared, while paint layers (edited in place) are copied.  A stroke in
    progress is left out (its pixels are put back as they were before it), so the copy
    is a state that the history can explain."""
    snap = copy.copy(doc)
    snap.layers = {k: v.copy() for k, v in doc.layers.items()}
    st = doc._stroke
    if st is not None and st.bbox is not None:
        y0, y1, x0, x1 = st.bbox
        snap.layers[st.layer][y0:y1, x0:x1] = st.old_pixels()
    snap._stroke = None
    snap._observers = []  # the views watch the live document, not this copy
    snap.visible = dict(doc.visible)
    snap.results = [copy.copy(r) for r in doc.results]
    snap.undo_stack = deque(doc.undo_stack, maxlen=doc.undo_stack.maxlen)
    snap.redo_stack = list(doc.redo_stack)
    return snap


def journal_path(base: Path, journal_id: int) -> Path:
    return base.with_name(f"{base.stem}.{journal_id}.journal")


def _journals(base: Path) -> list[Path]:
    return list(base.parent.glob(f"{base.stem}.*.journal"))


def _recoverable(base: Path, meta: dict | None = None) -> bool:
    """False for a session that crashed (or runs) before its first edit: nothing to recover."""
    try:
        extra = (meta if meta is not None else read_project_meta(base)).get("extra") or {}
    except Exception:  # noqa: BLE001 - unreadable: not recoverable either
        return False
    return not extra.get("pristine") or _has_records(journal_path(base, int(extra.get("journal", 0))))


def _has_records(path: Path) -> bool:
    try:
        return path.stat().st_size > len(journal.MAGIC)
    except OSError:
        return False


def remove_autosave(base: Path) -> None:
    """Delete an autosave and its journals."""
    for p in [base, *_journals(base)]:
        try:
            p.unlink()
        except FileNotFoundError:
            pass


def replay_journal(doc: Document, base: Path) -> int:
    """Bring a just-loaded autosave ``doc`` up to the last step its journal recorded."""
    try:
        jid = (read_project_meta(base).get("extra") or {}).get("journal")
    except Exception:  # noqa: BLE001 - a base without a readable journal id is used as is
        return 0
    if jid is None:
        return 0
    return journal.replay(doc, journal.read(journal_path(base, int(jid))))


def find_recoverable() -> list[tuple[Path, dict]]:
    """Autosaves left by sessions that did not exit cleanly, newest first."""
    out = []
    for p in autosave_dir().glob("*" + PROJECT_SUFFIX):
        try:
            meta = read_project_meta(p)
        except Exception as exc:  # noqa: BLE001 - a damaged autosave is just skipped
            log.warning("ignoring autosave %s: %s", p, exc)
            continue
        if _recoverable(p, meta):
            out.append((p, meta))
    out.sort(key=lambda pm: pm[1].get("saved_at", 0), reverse=True)
    return out


class Autosaver(QObject):
    """Journals every history step of the current document; writes a base now and then."""

    saved = Signal(str)
    failed = Signal(str)

    #: A new base is written once the journal holds this many bytes of pixels.
    JOURNAL_LIMIT = 64 << 20

    def __init__(self, period_ms: int = 60000, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.doc: Document | None = None
        self.photo_path: Path | None = None
        self.path: Path | None = None
        self._saved_revision = -1
        self._base_id: int | None = None  # the base (written or queued) the journal follows
        self._last_id = 0
        self._journal_bytes = 0
        self._journal_records = 0
        self._visible: dict[str, bool] = {}
        self._writer = TaskThread("autosave", self)
        self._dead_ids: set[int] = set()  # writer thread only
        self._period = QTimer(self)
        self._period.setInterval(period_ms)
        self._period.timeout.connect(self.save_now)
        self._period.start()

    def attach(self, doc: Document | None, photo_path: Path | None, session_key: str | None = None) -> None:
        self.discard()
        if self.doc is not None:
            self.doc.unsubscribe(self._on_change)
        self.doc = doc
        self.photo_path = photo_path
        self._saved_revision = doc.revision if doc is not None else -1
        self._base_id = None
        key = session_key or str(photo_path.resolve() if photo_path else f"pasted-{os.getpid()}-{id(doc)}")
        self.path = autosave_dir() / (hashlib.sha1(key.encode()).hexdigest()[:16] + PROJECT_SUFFIX)
        if doc is not None and self.path.exists() and _recoverable(self.path):
            # Work a crashed session left on this photo (opened from the command line,
            # where recovery is not offered): never overwrite it.
            key += f"-{os.getpid()}-{time.time_ns()}"
            self.path = autosave_dir() / (hashlib.sha1(key.encode()).hexdigest()[:16] + PROJECT_SUFFIX)
        if doc is not None:
            doc.subscribe(self._on_change)
            self._visible = dict(doc.visible)
            # The base is written as the document opens, not at the first edit: writing
            # it takes a second at 24 MP, and strokes made meanwhile would wait behind it.
            # Until the journal holds a step, it is not offered for recovery.
            self._write_base(pristine=True)

    # -- what the document tells -----------------------------------------------------------
    def _on_change(self, change: Change) -> None:
        if change.kind == "history":
            self._on_history(change.op, change.entry)

    def _on_history(self, op: str, entry: Entry | None) -> None:
        doc = self.doc
        if doc is None or self.path is None:
            return
        if self._base_id is None:
            self._write_base()  # the snapshot includes this step
            return
        self._journal(op, entry if op == "push" else None)
        self._journal_records += 1
        if entry is not None and op == "push":
            self._journal_bytes += entry.nbytes()
        if self._journal_bytes > self.JOURNAL_LIMIT:
            self._write_base()

    def changed(self) -> None:
        """Call after edits that are not history steps (layer visibility); history steps
        arrive as the document's ``history`` change events."""
        doc = self.doc
        if doc is None or self.path is None:
            return
        if self._base_id is None:
            if doc.revision != self._saved_revision:
                self._write_base()
        elif doc.visible != self._visible:
            self._journal("visible", None)
            self._journal_records += 1

    def mark_unsaved(self) -> int | None:
        """The whole document is unsaved work (just recovered): write it as a base now."""
        return self._write_base()

    def _journal(self, op: str, entry: Entry | None) -> None:
        assert self.doc is not None and self.path is not None and self._base_id is not None
        self._visible = dict(self.doc.visible)
        self._saved_revision = self.doc.revision
        self._submit(
            self._append_job, journal_path(self.path, self._base_id), self._base_id, op, entry, dict(self._visible)
        )

    # -- writing (the writer thread) --------------------------------------------------------
    def _append_job(self, path: Path, jid: int, op: str, entry: Entry | None, visible: dict[str, bool]) -> None:
        if jid in self._dead_ids:
            return  # a record is missing before this one: replaying past the gap would lie
        try:
            journal.append(path, journal.encode(op, entry, visible))
        except BaseException:
            self._dead_ids.add(jid)  # the GUI thread hears of it through the task's error
            raise

    def _base_job(self, path: Path, jid: int, snap: Document, pristine: bool) -> str:
        try:
            save_project(path, snap, self.photo_path, extra={"autosave": True, "journal": jid, "pristine": pristine})
        except BaseException:
            self._dead_ids.add(jid)
            raise
        for old in _journals(path):
            if old != journal_path(path, jid):
                try:
                    old.unlink()
                except OSError:
                    pass
        return str(path)

    def _write_base(self, pristine: bool = False) -> int | None:
        doc, path = self.doc, self.path
        if doc is None or path is None:
            return None
        snap = snapshot(doc)
        # Ids grow across sessions too, so a journal left by a crashed one is never reused.
        self._last_id = max(self._last_id + 1, time.time_ns())
        self._base_id = self._last_id
        self._journal_bytes = self._journal_records = 0
        self._saved_revision = doc.revision
        self._visible = dict(doc.visible)
        return self._submit(self._base_job, path, self._base_id, snap, pristine, saved=True)

    def _submit(self, fn: Callable[..., object], path: Path, jid: int, *args: object, saved: bool = False) -> int:
        def failed(exc: BaseException) -> None:
            log.warning("autosave failed: %s", exc)
            self._on_broken(jid)
            self.failed.emit(str(exc))

        def done(result: object) -> None:
            if saved:
                self.saved.emit(str(result))

        return self._writer.call("Autosave", fn, path, jid, *args, on_done=done, on_error=failed)

    def _on_broken(self, jid: int) -> None:
        if self._base_id == jid:
            self._base_id = None  # the next step writes a whole new base
            self._saved_revision = -1

    # -- control ------------------------------------------------------------------------------
    def save_now(self) -> int | None:
        """Write a new base now (folding the journal in), if anything changed since the last."""
        doc = self.doc
        if doc is None or self.path is None or doc.stroking:
            return None
        if self._base_id is not None and self._journal_records == 0:
            return None
        if self._base_id is None and doc.revision == self._saved_revision:
            return None
        return self._write_base()

    def wait(self, timeout: float = 30.0) -> None:
        """Until every queued write is done (one writer thread: the last one is enough)."""
        self._writer.wait(timeout)

    def discard(self) -> None:
        """Forget the current autosave (clean exit, or the user saved elsewhere)."""
        self.wait()
        if self.path is not None:
            remove_autosave(self.path)
        self.path = None
        self._base_id = None

    def shutdown(self) -> None:
        self._period.stop()
        self._writer.shutdown(wait_ms=60000)
