"""Screenshots of the text and watermark tools: the real window on an X display.

    Xvfb :98 -screen 0 1600x1000x24 &
    DISPLAY=:98 QT_QPA_PLATFORM=xcb python tools/make_mark_screenshots.py PHOTO_FOLDER

PHOTO_FOLDER holds photos to put a synthetic mark and text on (e.g. the CC-licensed
``wikipedia_photos__*`` of ../shared/data/train); the marked copies live in a
temporary folder and only the PNG screenshots (``import -window root``) land in
docs/screenshots/.  The Inpaint menu is opened with xdotool, as a user would.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

os.environ.setdefault("INPAINT_STUDIO_DATA_DIR", tempfile.mkdtemp(prefix="is-shots-"))

from PySide6.QtCore import QSettings  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from inpaint_studio.training.synthetic_marks import blend_mark, draw_text, make_mark  # noqa: E402

HERE = Path(__file__).resolve().parents[1] / "docs" / "screenshots"  # where the PNGs land
W, H = 480, 320


def _photos(folder: Path, n: int) -> list[np.ndarray]:
    out = []
    for p in sorted(folder.glob("wikipedia_photos__*"))[:n]:
        img = Image.open(p).convert("RGB")
        s = max(W / img.width, H / img.height)
        img = img.resize((max(W, round(img.width * s)), max(H, round(img.height * s))), Image.LANCZOS)
        x0, y0 = (img.width - W) // 2, (img.height - H) // 2
        out.append(np.asarray(img.crop((x0, y0, x0 + W, y0 + H))))
    return out


def main() -> int:
    src = Path(sys.argv[1])
    tmp = Path(tempfile.mkdtemp(prefix="is-marks-"))
    rng = np.random.default_rng(1)
    mark = make_mark(170, 60, opacity=(0.35, 0.6))
    marked = tmp / "stock"
    marked.mkdir()
    photos = _photos(src, 9)
    for i, p in enumerate(photos[:8]):
        x, y = 280 + int(rng.integers(-30, 31)), 230 + int(rng.integers(-25, 11))
        Image.fromarray(blend_mark(p, mark, x, y)).save(marked / f"stock_{i:02d}.png")
    captioned = tmp / "captioned"
    captioned.mkdir()
    for i, p in enumerate(photos[5:9]):
        st = draw_text(p, [("Summer holidays", (20, 44), 1.1)])
        st = draw_text(
            st.image, [(f"2019-08-{10 + i:02d} 17:3{i}", (270, 300), 0.65)], colour=(255, 150, 30), outline=None
        )
        Image.fromarray(st.image).save(captioned / f"holiday_{i}.png")

    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, tempfile.mkdtemp())
    from inpaint_studio.ui.app import make_app
    from inpaint_studio.ui.batch_dialog import BatchDialog
    from inpaint_studio.ui.main_window import MainWindow

    app = make_app()
    win = MainWindow()
    win.prompt_on_close = False
    win.resize(1500, 900)
    win.move(0, 0)
    win.show()

    def pump(seconds: float = 0.4) -> None:
        end = time.time() + seconds
        while time.time() < end:
            app.processEvents()
            time.sleep(0.01)

    def wait_idle(timeout: float = 300) -> None:
        end = time.time() + timeout
        pump(0.3)
        while win.worker.busy and time.time() < end:
            pump(0.2)
        pump(0.5)

    def shot(name: str) -> None:
        pump(0.6)
        g = win.frameGeometry()
        # The whole screen as X shows it (menus and dialogs included), cut to the window.
        subprocess.run(
            [
                "import",
                "-window",
                "root",
                "-crop",
                f"{g.width()}x{g.height()}+{g.x()}+{g.y()}",
                "+repage",
                str(HERE / name),
            ],
            check=True,
        )
        print("wrote", HERE / name)

    # 1. Detect text on a captioned photo, with the Inpaint menu open first.
    win.open_path(captioned / "holiday_0.png")
    pump(1.0)
    # No window manager on a bare Xvfb: click the menu bar like a user would.
    bar = win.menuBar()
    inpaint = next(a for a in bar.actions() if a.text().replace("&", "") == "Inpaint")
    at = bar.mapToGlobal(bar.actionGeometry(inpaint).center())
    subprocess.run(["xdotool", "mousemove", str(at.x()), str(at.y()), "click", "1"], check=True)
    pump(0.8)
    shot("08-inpaint-menu.png")
    subprocess.run(["xdotool", "key", "Escape"], check=False)
    bar.setActiveAction(None)
    for m in bar.findChildren(type(inpaint.menu())):
        m.close()
    pump()
    win.marks.act_detect_text.trigger()
    wait_idle()
    shot("09-detect-text.png")

    # 2. One photo cleaned with a mark estimated from its siblings; the mark shown.
    win.open_path(marked / "stock_00.png")
    pump(1.0)
    win.marks.remove_watermark(marked)
    wait_idle()
    # Before | after: left of the line the photo as it came, right of it the result.
    win.tools.split_slider.setValue(75)
    dlg = win.marks.show_mark()
    dlg.move(win.width() - dlg.width() - 20, win.height() - dlg.height() - 40)
    pump(0.5)
    shot("10-watermark-from-siblings.png")
    dlg.close()
    win.tools.split_slider.setValue(0)

    # 3. The batch dialog in both modes.
    for mode, folder, name in (
        ("watermark", marked, "11-batch-watermark.png"),
        ("text", captioned, "12-batch-text.png"),
    ):
        bd = BatchDialog(win.engine, win.worker, win.settings, win)
        bd.resize(1100, 720)
        bd.move(120, 60)
        bd.mode_combo.setCurrentIndex(bd.mode_combo.findData(mode))
        bd.input_edit.setText(str(folder))
        bd.out_edit.setText(str(tmp / f"out-{mode}"))
        bd.show()
        bd.run()
        end = time.time() + 600
        while bd.summary is None and bd.error is None and time.time() < end:
            pump(0.3)
        shot(name)
        bd.close()
    win.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
