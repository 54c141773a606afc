"""Photo grain cost on a 6000x4000 photo: Telea fill with grain 0 and 0.5, median of 3.

Run:  .venv/bin/python bench/bench_grain.py
Prints a Markdown table: hole, seconds without grain, with grain, difference.
A benchmark, not a test: numbers depend on the machine and its load.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from inpaint_studio.engine import Engine, InpaintOptions  # noqa: E402


def main() -> int:
    h, w = 4000, 6000
    img = np.random.default_rng(0).integers(0, 255, (h, w, 3), dtype=np.uint8)
    engine = Engine()
    print("| hole | s, grain 0 | s, grain 0.5 | difference |\n|---|---|---|---|")
    for frac in (0.01, 0.05, 0.2):
        # The same bottom-right box as bench_models.py's full-size rows.
        mask = np.zeros((h, w), bool)
        sh = int((frac * w * h / 3) ** 0.5)
        mask[h - sh - 200 : h - 200, w - 3 * sh - 200 : w - 200] = True
        medians = []
        for grain in (0.0, 0.5):
            times = []
            for _ in range(3):
                t0 = time.perf_counter()
                engine.inpaint(img, mask, options=InpaintOptions(method="telea", grain=grain, texture=0.0))
                times.append(time.perf_counter() - t0)
            medians.append(float(np.median(times)))
        print(f"| {frac:.0%} | {medians[0]:.2f} | {medians[1]:.2f} | {medians[1] - medians[0]:+.2f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
