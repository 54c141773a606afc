"""PySide6 editor.  Everything here runs on the GUI thread except ``worker.py``'s jobs;
the numpy model it edits lives in ``core/document.py``."""
