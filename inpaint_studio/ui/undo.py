"""QUndoStack commands over the document's own history.

The document already applied an edit when its Entry reaches the stack (a stroke is
painted live), so the first ``redo`` of a command does nothing.  Both stacks move in
lockstep: ``undo`` here is ``Document.undo``, which pops the same entry.  The Qt stack
gives Ctrl+Z/Ctrl+Y, the undo view and the clean state; the document's copy makes the
history testable without Qt and savable in a project.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtGui import QUndoCommand, QUndoStack

from ..core.document import Document, Entry

Refresh = Callable[[Entry | None], None]


class DocCommand(QUndoCommand):
    """One document Entry (a stroke, a fill, a mask operation...)."""

    def __init__(self, doc: Document, entry: Entry, refresh: Refresh) -> None:
        super().__init__(entry.text)
        self.doc = doc
        self.entry = entry
        self._refresh = refresh
        self._applied = True

    def redo(self) -> None:
        if self._applied:
            self._applied = False  # the edit happened before push()
            return
        e = self.doc.redo()
        self._refresh(e)

    def undo(self) -> None:
        e = self.doc.undo()
        self._refresh(e)


def push_entry(stack: QUndoStack, doc: Document, entry: Entry | None, refresh: Refresh) -> None:
    if entry is not None:
        stack.push(DocCommand(doc, entry, refresh))


def rebuild_stack(stack: QUndoStack, doc: Document, refresh: Refresh) -> None:
    """Mirror a loaded document's history (undo and redo entries) into ``stack``."""
    stack.clear()
    n_undo = len(doc.undo_stack)
    while doc.redo_stack:  # walk to the newest state so every command starts applied
        doc.redo()
    for entry in list(doc.undo_stack):
        stack.push(DocCommand(doc, entry, refresh))
    stack.setIndex(n_undo)  # undoes back through Document.undo to where the user was
    stack.setClean()
