"""Photo grain cost on a 6000x4000 photo: Telea fill with grain 0 and 0.5, median of 3.

Run:  .venv/bin/python bench/bench_grain.py   (prints a Markdown table: hole, s without, s with, difference)
A benchmark, not a test.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import time  # noqa: E402

import numpy as np  # noqa: E402

from inpaint_studio.engine import Engine, InpaintOptions  # noqa: E402

h, w = 4000, 6000
rng = np.random.default_rng(0)
img = rng.integers(0, 255, (h, w, 3), dtype=np.uint8)
eng = Engine()
for frac in (0.01, 0.05, 0.2):
    mask = np.zeros((h, w), bool)
    sh = int((frac * w * h / 3) ** 0.5); sw = 3 * sh
    mask[h - sh - 200:h - 200, w - sw - 200:w - 200] = True
    row = []
    for g in (0.0, 0.5):
        ts = []
        for _ in range(3):
            t0 = time.perf_counter(); r = eng.inpaint(img, mask, options=InpaintOptions(method="telea", grain=g)); ts.append(time.perf_counter() - t0)
        row.append(float(np.median(ts)))
    print(f"| {frac:.0%} | {row[0]:.2f} | {row[1]:.2f} | {row[1]-row[0]:+.2f} |")
