"""Screenshots of the default fill's preview and of the final fill that replaces it.

    Xvfb :58 -screen 0 1600x1000x24 &
    DISPLAY=:58 .venv/bin/python tools/preview_shots.py PHOTO "X0,Y0;X1,Y1;..." [BRUSH_STEPS]

The editor is started as a user starts it (``inpaint-studio PHOTO``, xcb on the X
server, its own settings and data folders in /tmp), shown at 100 % (Ctrl+1); the mask
is painted with real X input from ``xdotool`` along the stroke's photo-pixel points
(the brush made bigger with ``]`` BRUSH_STEPS times), then F presses Fill. From then on
the screen is captured with ``import -window root`` as fast as it goes; the first
capture in which the photo changed is the preview (the status bar says *Preview —
refining…*), the next change is the final fill. Both land next to this script as
``16-guided-preview.png`` and ``17-guided-final.png``. Needs ``xdotool`` and
ImageMagick's ``import``.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

HERE = Path(__file__).resolve().parents[1] / "docs" / "screenshots"
SECONDS = float(os.environ.get("SHOT_SECONDS", "30"))


def main() -> int:
    photo, stroke = Path(sys.argv[1]), [tuple(map(int, p.split(","))) for p in sys.argv[2].split(";")]
    steps = int(sys.argv[3]) if len(sys.argv) > 3 else 5
    tmp = Path(tempfile.mkdtemp(prefix="preview-shots-"))
    env = dict(
        os.environ, XDG_CONFIG_HOME=str(tmp / "cfg"), INPAINT_STUDIO_DATA_DIR=str(tmp / "data"), QT_QPA_PLATFORM="xcb"
    )

    def xdo(*a: object) -> str:
        return subprocess.run(["xdotool", *map(str, a)], env=env, capture_output=True, text=True).stdout.strip()

    def grab(path: Path) -> np.ndarray:
        subprocess.run(["import", "-window", "root", str(path)], env=env, check=True)
        return cv2.imread(str(path))

    exe = Path(sys.executable).with_name("inpaint-studio")
    app = subprocess.Popen([str(exe), str(photo)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    try:
        wid = xdo("search", "--sync", "--onlyvisible", "--name", "Inpaint Studio").splitlines()[0]
        time.sleep(3)
        xdo("windowmove", wid, 0, 0)
        xdo("windowsize", wid, 1600, 1000)
        time.sleep(1.5)
        xdo("windowactivate", wid)
        xdo("windowfocus", wid)
        xdo("key", "ctrl+1")  # 100 %
        time.sleep(1.0)
        shot = grab(tmp / "open.png")
        pixels = cv2.imread(str(photo))
        score = cv2.matchTemplate(shot, pixels, cv2.TM_SQDIFF_NORMED)
        _, _, (ox, oy), _ = cv2.minMaxLoc(score)
        h, w = pixels.shape[:2]
        xdo("key", "b")
        for _ in range(steps):
            xdo("key", "bracketright")
        xdo("mousemove", ox + stroke[0][0], oy + stroke[0][1])
        time.sleep(0.2)
        xdo("mousedown", 1)
        for (ax, ay), (bx, by) in zip(stroke, stroke[1:]):
            for t in np.linspace(0, 1, 25)[1:]:
                xdo("mousemove", round(ox + ax + t * (bx - ax)), round(oy + ay + t * (by - ay)))
        xdo("mouseup", 1)
        xdo("mousemove", 1500, 950)  # the brush circle off the photo
        time.sleep(0.5)
        masked = grab(tmp / "mask.png")[oy : oy + h, ox : ox + w]
        xdo("key", "f")
        frames: list[Path] = []
        t0 = time.time()
        while time.time() - t0 < SECONDS:
            frames.append(tmp / f"f{len(frames):03d}.png")
            grab(frames[-1])
    finally:
        app.terminate()
        app.wait(10)
    changes, last = [], masked
    for f in frames:
        view = cv2.imread(str(f))[oy : oy + h, ox : ox + w]
        if not np.array_equal(view, last):
            changes.append(f)
            last = view
    if len(changes) < 2:
        print(
            f"caught {len(changes)} change(s) of the photo in {len(frames)} captures: no preview frame", file=sys.stderr
        )
        return 1
    for src, name in zip(changes, ("16-guided-preview.png", "17-guided-final.png")):
        (HERE / name).write_bytes(src.read_bytes())
        print(HERE / name)
    return 0


if __name__ == "__main__":
    sys.exit(main())
