"""Texture cost: seconds a fill takes with texture 0 and 0.5, median of 3.

Run:  .venv/bin/python bench/bench_texture.py [--method telea] [--photo PATH]
Two sizes: a 481x321 photo (the eval's size; deepfill fills it at full size) and a
6000x4000 one (24 MP; the texture is made at no more than 512 px a side and scaled up).
Without --photo the pictures are a smooth gradient with noise.  Prints a Markdown table:
size, hole, seconds without texture, with texture, difference.
A benchmark, not a test: numbers depend on the machine and its load.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from inpaint_studio.engine import Engine, InpaintOptions  # noqa: E402


def _picture(h: int, w: int, photo: str | None) -> np.ndarray:
    if photo:
        import cv2

        img = cv2.cvtColor(cv2.imread(photo), cv2.COLOR_BGR2RGB)
        return cv2.resize(img, (w, h), interpolation=cv2.INTER_CUBIC if w > img.shape[1] else cv2.INTER_AREA)
    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    base = np.stack([xx / w, yy / h, 0.5 + 0.3 * np.sin(xx / 50.0)], -1) * 200 + 20
    return np.clip(base + rng.normal(0, 12, (h, w, 3)), 0, 255).astype(np.uint8)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--method", default="deepfill")
    ap.add_argument("--photo", default=None, help="a photo to scale to both sizes (default: synthetic)")
    args = ap.parse_args()
    engine = Engine()
    print(f"{args.method}\n\n| size | hole | s, texture 0 | s, texture 0.5 | difference |\n|---|---|---|---|---|")
    for h, w in ((321, 481), (4000, 6000)):
        img = _picture(h, w, args.photo)
        warm = np.zeros((h, w), bool)
        warm[h // 3 : h // 2, w // 3 : w // 2] = True
        engine.inpaint(img, warm, options=InpaintOptions(method=args.method, texture=0.5))  # load, first-call costs
        for frac in (0.05, 0.2, 0.4):
            mask = np.zeros((h, w), bool)
            sh = int((frac * w * h / 1.5) ** 0.5)  # a 3:2 box in the middle
            y0, x0 = (h - sh) // 2, (w - int(1.5 * sh)) // 2
            mask[y0 : y0 + sh, x0 : x0 + int(1.5 * sh)] = True
            medians = []
            for texture in (0.0, 0.5):
                times = []
                for _ in range(3):
                    t0 = time.perf_counter()
                    engine.inpaint(img, mask, options=InpaintOptions(method=args.method, texture=texture))
                    times.append(time.perf_counter() - t0)
                medians.append(float(np.median(times)))
            print(f"| {w}x{h} | {frac:.0%} | {medians[0]:.2f} | {medians[1]:.2f} | {medians[1] - medians[0]:+.2f} |",
                  flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
