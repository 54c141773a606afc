"""QUndoStack commands over the document's own history.

The document already applied an edit when its Entry reaches the stack (a stroke is
painted live), so the first ``redo`` of a command does nothing.  Both stacks move in
lockstep: ``undo`` here is ``Document.undo``, which pops the same entry.  The Qt stack
gives Ctrl+Z/Ctrl+Y, the undo view and the clean state; the document's copy makes the
history testable without Qt and savable in a project.  Nothing is repainted here: the
views follow the document's change events.
"""

from __future__ import annotations

from PySide6.QtGui import QUndoCommand, QUndoStack

from ..core.document import Document, Entry


class DocCommand(QUndoCommand):
    """One document Entry (a stroke, a fill, a mask operation...)."""

    def __init__(self, doc: Document, entry: Entry) -> None:
        super().__init__(entry.text)
        self.doc = doc
        self.entry = entry
        self._applied = True

    def redo(self) -> None:
        if self._applied:
            self._applied = False  # the edit happened before push()
            return
        self.doc.redo()

    def undo(self) -> None:
        self.doc.undo()


def push_entry(stack: QUndoStack, doc: Document, entry: Entry | None) -> None:
    if entry is not None:
        stack.push(DocCommand(doc, entry))


def rebuild_stack(stack: QUndoStack, doc: Document) -> None:
    """Mirror a loaded document's history (undo and redo entries) into ``stack``."""
    stack.clear()
    n_undo = len(doc.undo_stack)
    while doc.redo_stack:  # walk to the newest state so every command starts applied
        doc.redo()
    for entry in list(doc.undo_stack):
        stack.push(DocCommand(doc, entry))
    stack.setIndex(n_undo)  # undoes back through Document.undo to where the user was
    stack.setClean()
