"""QApplication set-up and the event loop, shared by ``inpaint-studio gui`` and the
packaged app.  Kept apart from ``cli/gui.py`` so argument parsing never imports Qt."""

from __future__ import annotations

import logging
import os
import sys
import threading
import traceback
from pathlib import Path
from types import TracebackType

from PySide6.QtCore import QTimer
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication, QMessageBox

from ..core.resources import data_dir
from .settings import APP, ORG

log = logging.getLogger(__name__)


def resources_dir() -> Path:
    """The shipped ``resources/`` (icon), wherever the install put it (``core.resources``)."""
    return data_dir("resources")


#: Environment of the editor's process, each unless the user set it (``editor_environment``).
EDITOR_ENV = {"OMP_WAIT_POLICY": "PASSIVE"}


def editor_environment() -> dict[str, str]:
    """OpenMP threads that wait by sleeping, not spinning, in the editor's process.

    Spinning threads take CPU from whatever shares the cores: the GUI thread, and on a
    busy machine the very network pass the preview waits for
    (``bench/bench_preview.py --no-editor-env`` compares; docs/BENCHMARKS.md).  OpenMP
    reads the variable once, when torch loads, so this runs before the window (and with
    it the engine) is imported.
    """
    for key, value in EDITOR_ENV.items():
        os.environ.setdefault(key, value)
    return {k: os.environ[k] for k in EDITOR_ENV}


def make_app(argv: list[str] | None = None) -> QApplication:
    existing = QApplication.instance()
    app = existing if isinstance(existing, QApplication) else QApplication(argv or [sys.argv[0]])
    app.setOrganizationName(ORG)
    app.setApplicationName(APP)
    icon = resources_dir() / "icon.svg"
    if icon.exists():
        app.setWindowIcon(QIcon(str(icon)))
    return app


def _install_excepthooks(window: object) -> None:
    """One error funnel: uncaught exceptions are logged and shown, the app keeps running."""

    def hook(tp: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
        log.error("uncaught: %s", "".join(traceback.format_exception(tp, exc, tb)))
        show = getattr(window, "show_notice", None)
        if show is not None:
            show(f"Internal error: {tp.__name__}: {exc}", "error")

    sys.excepthook = hook

    def thook(args: threading.ExceptHookArgs) -> None:
        log.error("uncaught in thread %s: %s", args.thread, args.exc_value)

    threading.excepthook = thook


def run_gui(image: str | None = None, smoke_test: bool = False, recover: bool = True) -> int:
    """Open the editor; with ``smoke_test`` show it, spin the event loop briefly, exit 0."""
    editor_environment()
    app = make_app()
    from .main_window import MainWindow

    win = MainWindow()
    _install_excepthooks(win)
    if smoke_test:
        win.prompt_on_close = False
        win.save_settings_on_close = False  # a headless check must not shrink the user's window
    win.show()
    if image:
        win.open_path(image)
    if smoke_test:
        return _smoke(app, win, fill=not image)
    if recover and not image:
        QTimer.singleShot(0, win.offer_recovery)
    try:
        return int(app.exec())
    except Exception as exc:  # pragma: no cover - last resort
        QMessageBox.critical(None, "Inpaint Studio", str(exc))
        return 1


def _smoke(app: QApplication, win: object, fill: bool) -> int:
    """Window up, and (without an IMAGE) one real fill through the worker thread: checks
    that a packaged build carries Qt plugins, OpenCV and the engine."""
    import time

    import numpy as np

    app.processEvents()
    shown = bool(win.isVisible())  # type: ignore[attr-defined]
    ok = shown
    filled = "skipped"
    if ok and fill:
        yy, xx = np.mgrid[0:120, 0:160]
        img = np.stack([xx * 1.5, yy * 2, (xx + yy)], 2).clip(0, 255).astype(np.uint8)
        win.open_array(img, "smoke test")  # type: ignore[attr-defined]
        mask = np.zeros((120, 160), np.uint8)
        mask[40:70, 50:100] = 255
        win.doc.set_layer("mask", mask, "smoke mask")  # type: ignore[attr-defined]
        win.fill()  # type: ignore[attr-defined]
        end = time.monotonic() + 60
        while win.worker.busy and time.monotonic() < end:  # type: ignore[attr-defined]
            app.processEvents()
            time.sleep(0.01)
        app.processEvents()
        n = len(win.doc.results)  # type: ignore[attr-defined]
        filled = "ok" if n == 1 else "FAILED"
        ok = ok and n == 1
    methods = win.tools.fill_combo.count() - 1  # type: ignore[attr-defined]
    win.close()  # type: ignore[attr-defined]
    print(
        f"smoke test: window {'opened' if shown else 'FAILED'}; fill {filled}; fill methods listed: {methods}",
        flush=True,
    )
    return 0 if ok else 1
