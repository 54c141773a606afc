"""Screenshots of the selection tools and of a fill, from a real window driven by X input.

    Xvfb :99 -screen 0 1600x1000x24 &
    DISPLAY=:99 python tools/real_window_shots.py ROCKET.png COFFEE.png

Needs ``xdotool`` and ImageMagick's ``import``.  The editor runs on the X server (xcb,
not offscreen); every click, drag and key press is a real X event from ``xdotool``, and
each screenshot is the window as the X server shows it (``import -window ID``).  The photos are only
read; the PNGs land in docs/screenshots/.  Used with scikit-image's public-domain
``rocket`` and CC0 ``coffee`` samples for docs/GUI.md.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

os.environ["QT_QPA_PLATFORM"] = "xcb"
os.environ.setdefault("INPAINT_STUDIO_DATA_DIR", tempfile.mkdtemp(prefix="is-shots-"))

from PySide6.QtCore import QPointF, QSettings  # noqa: E402

HERE = Path(__file__).resolve().parents[1] / "docs" / "screenshots"  # where the PNGs land


def main() -> int:
    rocket, coffee = sys.argv[1], sys.argv[2]
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, tempfile.mkdtemp())
    from inpaint_studio.ui.app import make_app
    from inpaint_studio.ui.main_window import MainWindow

    app = make_app()
    win = MainWindow()
    win.prompt_on_close = False
    win.save_settings_on_close = False
    win.move(0, 0)
    win.resize(1400, 860)
    win.show()

    def pump(seconds: float = 0.3) -> None:
        end = time.time() + seconds
        while time.time() < end:
            app.processEvents()
            time.sleep(0.01)

    def xdo(*args: object) -> None:
        """Run xdotool while the event loop keeps the window alive."""
        p = subprocess.Popen(["xdotool", *map(str, args)])
        while p.poll() is None:
            app.processEvents()
            time.sleep(0.005)
        pump(0.05)

    def screen(x: float, y: float) -> tuple[int, int]:
        c = win.canvas
        g = c.viewport().mapToGlobal(c.mapFromScene(QPointF(x, y)))
        return g.x(), g.y()

    def drag(pts: list[tuple[float, float]]) -> None:
        x, y = screen(*pts[0])
        xdo("mousemove", x, y)
        xdo("mousedown", 1)
        for p in pts[1:]:
            xdo("mousemove", *screen(*p))
        xdo("mouseup", 1)

    def click(x: float, y: float) -> None:
        xdo("mousemove", *screen(x, y))
        xdo("click", 1)

    scratch = Path(tempfile.mkdtemp(prefix="is-shots-"))

    def shot(name: str, keep: bool = True) -> Path:
        pump(0.4)
        out = (HERE if keep else scratch) / name
        subprocess.run(["import", "-window", str(int(win.winId())), str(out)], check=True)
        print("wrote", out)
        return out

    def wait(cond: object, timeout: float = 120.0) -> None:
        end = time.time() + timeout
        while not cond() and time.time() < end:  # type: ignore[operator]
            pump(0.05)

    pump(0.5)
    xdo("windowfocus", "--sync", int(win.winId()))  # no window manager: give it the keyboard
    # -- Object select: a box around the rocket -------------------------------------------------
    win.open_path(rocket)
    pump(0.5)
    xdo("mousemove", *screen(100, 100))
    xdo("key", "o")
    n = win.undo_stack.count()
    drag([(226, 92), (250, 200), (282, 326)])
    wait(lambda: win.undo_stack.count() > n)
    xdo("mousemove", *screen(430, 60))
    shot("08-object-select.png")

    # -- Outline select: a lasso around the cup, in progress -----------------------------------
    win.open_path(coffee)
    pump(0.5)
    xdo("mousemove", *screen(100, 100))
    xdo("key", "l")
    for p in [(152, 70), (200, 22), (290, 20), (345, 60), (340, 170), (300, 225), (215, 250), (166, 255)]:
        click(*p)
        pump(0.6)  # each anchor's map is built in the background
    win.map_builder.wait()
    xdo("mousemove", *screen(150, 200))  # the live segment follows the pointer
    pump(0.3)
    shot("09-outline-select.png")
    xdo("key", "Escape")

    # -- A brush mask over the spoon, then the fill: the red area is what gets filled -------
    xdo("key", "b")
    win.tools.size_spin.setValue(34)
    drag([(352, 64), (340, 120), (330, 170), (322, 205), (312, 235), (305, 262)])
    win.tools.size_spin.setValue(44)
    drag([(300, 222), (285, 240), (292, 262), (318, 266), (330, 246), (312, 228)])
    hole = win.doc.hole()
    shown = win.canvas.overlay.buf[..., 3] > 0
    print("red overlay == hole:", bool(np.array_equal(shown, hole)), "hole px:", int(hole.sum()))
    xdo("mousemove", *screen(470, 40))
    before = shot("10a-mask.png", keep=False)
    xdo("key", "f")
    wait(lambda: len(win.doc.results) == 1 and not win.worker.busy)
    r = win.doc.results[0]
    y0, y1, x0, x1 = r.bbox
    filled = np.zeros_like(hole)
    filled[y0:y1, x0:x1] = r.mask
    print(
        "filled area == red area:",
        bool(np.array_equal(filled, hole)),
        "mask left after the fill:",
        int((win.doc.layers["mask"] > 0).sum()),
        "px",
    )
    after = shot("10b-after-fill.png", keep=False)
    side_by_side(before, after, hole, screen, HERE / "10-fill-matches-mask.png")
    win.close()
    return 0


def side_by_side(before: Path, after: Path, hole: np.ndarray, screen: object, out: Path) -> None:
    """Crops of the two real screenshots around the hole; on the right, the hole's outline."""
    import cv2
    from PIL import Image

    ys, xs = np.nonzero(hole)
    pad = 30
    x0, y0 = max(0, xs.min() - pad), max(0, ys.min() - pad)
    x1, y1 = min(hole.shape[1], xs.max() + pad), min(hole.shape[0], ys.max() + pad)
    (sx0, sy0), (sx1, sy1) = screen(x0, y0), screen(x1, y1)  # type: ignore[operator]
    a = np.asarray(Image.open(before).convert("RGB"))[sy0:sy1, sx0:sx1]
    b = np.asarray(Image.open(after).convert("RGB"))[sy0:sy1, sx0:sx1].copy()
    # The hole, mapped onto the crop as the canvas maps it, outlined 1 px wide.
    big = cv2.resize(hole[y0:y1, x0:x1].astype(np.uint8), (b.shape[1], b.shape[0]), interpolation=cv2.INTER_NEAREST)
    contours, _ = cv2.findContours(big, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
    cv2.drawContours(b, contours, -1, (255, 255, 0), 1)
    gap = np.full((a.shape[0], 12, 3), 48, np.uint8)
    Image.fromarray(np.concatenate([a, gap, b], 1)).save(out)
    print("wrote", out)


if __name__ == "__main__":
    raise SystemExit(main())
