"""Regenerate the editor screenshots from the real app (offscreen, QWidget.grab()).

    QT_QPA_PLATFORM=offscreen python tools/make_screenshots.py [PHOTO] [--box X0 Y0 X1 Y1]

Without PHOTO a synthetic photo is drawn in code.  The photo is not copied anywhere;
only the PNG screenshots land in docs/screenshots/.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("INPAINT_STUDIO_DATA_DIR", tempfile.mkdtemp(prefix="is-shots-"))

from PySide6.QtCore import QPointF, QSettings  # noqa: E402

HERE = Path(__file__).resolve().parents[1] / "docs" / "screenshots"  # where the PNGs land


def synthetic(h: int = 640, w: int = 960) -> np.ndarray:
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    sky = np.stack([0.45 + 0.3 * yy / h, 0.6 + 0.2 * yy / h, 0.95 - 0.1 * yy / h], 2)
    img = sky.copy()
    ground = yy > h * 0.62 + 30 * np.sin(xx / 90)
    img[ground] = np.stack([0.3 + 0.1 * np.sin(xx / 13), 0.55 + 0.05 * np.cos(yy / 7), 0.25 + 0 * xx], 2)[ground]
    pole = (np.abs(xx - w * 0.55) < 10) & (yy > h * 0.2)
    img[pole] = [0.35, 0.3, 0.28]
    sun = (xx - w * 0.8) ** 2 + (yy - h * 0.2) ** 2 < 50**2
    img[sun] = [1.0, 0.9, 0.4]
    return np.clip(np.rint(img * 255), 0, 255).astype(np.uint8)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("photo", nargs="?")
    ap.add_argument("--box", nargs=4, type=int, help="area to paint out: x0 y0 x1 y1")
    ap.add_argument("--edge", nargs=4, type=float, help="an edge line the user draws in the hole: x0 y0 x1 y1")
    ap.add_argument("--fill-box", nargs=4, type=int, help="repaint this box before the fill shot")
    ap.add_argument("--size", nargs=2, type=int, default=[1400, 860])
    args = ap.parse_args()

    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, tempfile.mkdtemp())
    from inpaint_studio.ui.app import make_app
    from inpaint_studio.ui.main_window import MainWindow

    app = make_app()
    win = MainWindow()
    win.prompt_on_close = False
    win.resize(*args.size)
    win.show()
    if args.photo:
        win.open_path(args.photo)
    else:
        win.open_array(synthetic(), "synthetic photo")
    doc = win.doc
    assert doc is not None

    def pump(seconds: float = 0.3) -> None:
        end = time.time() + seconds
        while time.time() < end:
            app.processEvents()
            time.sleep(0.01)

    def shot(name: str) -> None:
        pump()
        win.grab().save(str(HERE / name))
        print("wrote", HERE / name)

    pump()
    shot("01-at-rest.png")

    def paint_box(box: tuple[int, int, int, int]) -> None:
        x0, y0, x1, y1 = box
        win.tools.size_spin.setValue(max(8, (x1 - x0) // 3))
        r = win.canvas.brush_size / 2
        doc.begin_stroke("mask")
        y = y0 + r * 0.6
        while y <= y1 - r * 0.6:
            doc.stroke_to((x0 + r * 0.6, y), (x1 - r * 0.6, y), r)
            y += r * 0.8
        win.push(doc.end_stroke())
        win.canvas.refresh_overlay()

    x0, y0, x1, y1 = args.box or (
        int(doc.width * 0.5),
        int(doc.height * 0.25),
        int(doc.width * 0.6),
        int(doc.height * 0.85),
    )
    paint_box((x0, y0, x1, y1))
    r = win.canvas.brush_size / 2
    win.canvas._update_cursor_item(QPointF((x0 + x1) / 2, y1 + r * 1.5))
    shot("02-mask.png")

    win.fills.hallucinate_edges()
    while win.worker.busy:
        pump(0.1)
    if args.edge:
        # What a user does next: continue a structure line through the hole by hand.
        ex0, ey0, ex1, ey1 = args.edge
        doc.begin_stroke("edges")
        doc.stroke_to((ex0, ey0), (ex1, ey1), win.canvas.sketch_size / 2, 1.0)
        win.push(doc.end_stroke("Draw edge"))
        win.canvas.refresh_overlay()
    win.canvas._update_cursor_item(QPointF(x1 + 40, (y0 + y1) / 2))
    shot("03-edge-overlay.png")

    if args.fill_box:
        while win.undo_stack.canUndo():
            win.undo_stack.undo()
        win.undo_stack.clear()
        paint_box(tuple(args.fill_box))  # type: ignore[arg-type]
        x0, y0, x1, y1 = args.fill_box
    win.fill()
    while win.worker.busy:
        pump(0.1)
    win.canvas._cursor_scene = None
    win.canvas._update_cursor_item()
    shot("04-after-fill.png")

    win.tools.split_slider.setValue(int(100 * (x0 + x1) / 2 / doc.width))
    shot("05-before-after-split.png")
    win.tools.split_slider.setValue(0)

    from inpaint_studio.ui.batch_dialog import BatchDialog

    dlg = BatchDialog(win.engine, win.worker, win.settings, win)
    dlg.input_edit.setText("/photos/holiday")
    dlg.mask_edit.setText("/photos/watermark-mask.png")
    dlg.out_edit.setText("/photos/holiday-clean")
    dlg.show()
    pump()
    dlg.grab().save(str(HERE / "06-batch-dialog.png"))
    print("wrote", HERE / "06-batch-dialog.png")
    dlg.close()
    win.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
