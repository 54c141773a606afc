"""Screenshots of the edge strokes in the editor: at rest, while one is edited, the fill.

Runs the real editor window on an X display (Xvfb) and captures the whole screen with
ImageMagick's ``import`` at three moments; the mouse is driven with Qt's test events
so the gesture is exact (the drag is held while the second shot is taken).

    Xvfb :57 -screen 0 1600x1000x24 &
    DISPLAY=:57 .venv/bin/python tools/make_stroke_screenshots.py PHOTO --box X0,Y0,X1,Y1 --out docs/screenshots
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("photo", type=Path)
    ap.add_argument("--box", required=True, help="hole box x0,y0,x1,y1 in photo pixels")
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument(
        "--drag",
        default="",
        help="stroke index,point index,dx,dy to drag (default: the longest stroke's middle point, 6 px down)",
    )
    args = ap.parse_args()
    from PySide6.QtCore import QEvent, QPointF, Qt
    from PySide6.QtGui import QMouseEvent
    from PySide6.QtWidgets import QApplication

    from inpaint_studio.ui.main_window import MainWindow

    app = QApplication.instance() or QApplication(sys.argv)
    win = MainWindow()
    win.resize(1600, 980)
    win.move(0, 0)
    win.show()
    win.open_path(args.photo)

    def pump(seconds: float) -> None:
        end = time.time() + seconds
        while time.time() < end:
            app.processEvents()
            time.sleep(0.02)

    def wait_idle(timeout: float = 600) -> None:
        end = time.time() + timeout
        pump(0.3)
        while win.worker.busy and time.time() < end:
            pump(0.1)
        pump(0.5)

    def shot(name: str) -> None:
        pump(0.5)
        args.out.mkdir(parents=True, exist_ok=True)
        subprocess.run(["import", "-window", "root", str(args.out / name)], check=True)
        print("wrote", args.out / name)

    x0, y0, x1, y1 = (int(v) for v in args.box.split(","))
    doc = win.doc
    mask = np.zeros(doc.shape, np.uint8)
    mask[y0:y1, x0:x1] = 255
    win.push(doc.set_layer("mask", mask, "Paint mask"))
    win.canvas.refresh_overlay()
    win.fills.hallucinate_edges()
    wait_idle()
    shot("13-strokes-at-rest.png")

    strokes = doc.strokes
    if args.drag:
        si, pi, dx, dy = (float(v) for v in args.drag.split(","))
        si, pi = int(si), int(pi)
    else:
        si = max(range(len(strokes)), key=lambda i: strokes[i].length())
        pi, dx, dy = len(strokes[si].points) // 2, 0.0, 6.0
    canvas = win.canvas
    vp = canvas.viewport()

    def send(kind: QEvent.Type, x: float, y: float, buttons: Qt.MouseButton) -> None:
        pos = QPointF(canvas.mapFromScene(QPointF(x, y)))
        btn = Qt.MouseButton.LeftButton if kind != QEvent.Type.MouseMove else Qt.MouseButton.NoButton
        ev = QMouseEvent(
            kind, pos, canvas.mapToGlobal(pos.toPoint()).toPointF(), btn, buttons, Qt.KeyboardModifier.NoModifier
        )
        app.sendEvent(vp, ev)
        pump(0.05)

    px, py = strokes[si].points[pi]
    left = Qt.MouseButton.LeftButton
    # Select the stroke, then drag its control point and hold it there for the shot.
    send(QEvent.Type.MouseButtonPress, px, py, left)
    send(QEvent.Type.MouseButtonRelease, px, py, Qt.MouseButton.NoButton)
    send(QEvent.Type.MouseButtonPress, px, py, left)
    for k in range(1, 11):
        send(QEvent.Type.MouseMove, px + dx * k / 10, py + dy * k / 10, left)
    shot("14-stroke-being-edited.png")
    send(QEvent.Type.MouseButtonRelease, px + dx, py + dy, Qt.MouseButton.NoButton)
    pump(0.3)
    win.fill()
    wait_idle()
    shot("15-fill-followed-strokes.png")
    sys.stdout.flush()
    import os

    os._exit(0)  # no "save changes?" box: the session is thrown away


if __name__ == "__main__":
    raise SystemExit(main())
