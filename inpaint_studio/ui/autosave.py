"""Autosave and crash recovery.

Why a snapshot written off the GUI thread: compressing three 24 MP layers takes a
noticeable fraction of a second, and autosave runs shortly after every stroke.  The
document's arrays are copied (fast memcpy) on the GUI thread, then a one-thread executor
writes the project atomically; a newer request made while one is writing simply waits
its turn, so at most the last stroke is lost in a crash.

An autosave file exists only while a session has unsaved work; a clean exit removes it,
so any file found at start-up is from a crash and recovery is offered.
"""

from __future__ import annotations

import copy
import hashlib
import logging
import os
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

from PySide6.QtCore import QObject, QTimer, Signal

from ..core.document import Document
from ..core.project import PROJECT_SUFFIX, read_project_meta, save_project
from .settings import data_dir

log = logging.getLogger(__name__)
AUTOSAVE_DIR = "autosave"


def autosave_dir() -> Path:
    d = data_dir() / AUTOSAVE_DIR
    d.mkdir(parents=True, exist_ok=True)
    return d


def snapshot(doc: Document) -> Document:
    """A copy consistent at this instant; arrays in history entries are never mutated, so
    they are shared, while paint layers (edited in place) are copied."""
    snap = copy.copy(doc)
    snap.layers = {k: v.copy() for k, v in doc.layers.items()}
    snap.visible = dict(doc.visible)
    snap.results = [copy.copy(r) for r in doc.results]
    snap.undo_stack = deque(doc.undo_stack, maxlen=doc.undo_stack.maxlen)
    snap.redo_stack = list(doc.redo_stack)
    return snap


def find_recoverable() -> list[tuple[Path, dict]]:
    """Autosaves left by sessions that did not exit cleanly, newest first."""
    out = []
    for p in autosave_dir().glob("*" + PROJECT_SUFFIX):
        try:
            out.append((p, read_project_meta(p)))
        except Exception as exc:  # noqa: BLE001 - a damaged autosave is just skipped
            log.warning("ignoring autosave %s: %s", p, exc)
    out.sort(key=lambda pm: pm[1].get("saved_at", 0), reverse=True)
    return out


class Autosaver(QObject):
    """Debounced (after edits) and periodic autosave of the current document."""

    saved = Signal(str)
    failed = Signal(str)

    def __init__(self, debounce_ms: int = 1000, period_ms: int = 60000, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.doc: Document | None = None
        self.photo_path: Path | None = None
        self.path: Path | None = None
        self._saved_revision = -1
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="autosave")
        self._pending: Future | None = None
        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(debounce_ms)
        self._debounce.timeout.connect(self.save_now)
        self._period = QTimer(self)
        self._period.setInterval(period_ms)
        self._period.timeout.connect(self.save_now)
        self._period.start()

    def attach(self, doc: Document | None, photo_path: Path | None, session_key: str | None = None) -> None:
        self.discard()
        self.doc = doc
        self.photo_path = photo_path
        self._saved_revision = doc.revision if doc is not None else -1
        key = session_key or str(photo_path.resolve() if photo_path else f"pasted-{os.getpid()}-{id(doc)}")
        self.path = autosave_dir() / (hashlib.sha1(key.encode()).hexdigest()[:16] + PROJECT_SUFFIX)

    def changed(self) -> None:
        """Call after every stroke or fill."""
        self._debounce.start()

    def save_now(self) -> Future | None:
        doc, path = self.doc, self.path
        if doc is None or path is None or doc.revision == self._saved_revision or doc.stroking:
            return None
        snap = snapshot(doc)
        self._saved_revision = doc.revision
        fut = self._pool.submit(save_project, path, snap, self.photo_path, extra={"autosave": True})
        fut.add_done_callback(self._done)
        self._pending = fut
        return fut

    def _done(self, fut: Future) -> None:
        exc = fut.exception()
        if exc is not None:
            log.warning("autosave failed: %s", exc)
            self.failed.emit(str(exc))
        else:
            self.saved.emit(str(fut.result()))

    def wait(self, timeout: float = 30.0) -> None:
        if self._pending is not None:
            try:
                self._pending.result(timeout)
            except Exception:  # noqa: BLE001 - reported through `failed`
                pass

    def discard(self) -> None:
        """Forget the current autosave file (clean exit, or the user saved elsewhere)."""
        self._debounce.stop()
        self.wait()
        if self.path is not None:
            try:
                self.path.unlink()
            except FileNotFoundError:
                pass
        self.path = None

    def shutdown(self) -> None:
        self._period.stop()
        self._debounce.stop()
        self.wait()
        self._pool.shutdown(wait=True)
