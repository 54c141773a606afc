"""The final paste of a fill into a big photo: OpenCV's masked copy against numpy's
boolean indexing on the same arrays (``core.hires.copy_where``), in one run.

Run:  .venv/bin/python bench/bench_paste.py [--megapixels 24] [--hole 0.3] [--repeats 5]
A benchmark, not a test: numbers depend on the machine and its load.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from inpaint_studio.core.hires import copy_where  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--megapixels", type=float, default=24.0)
    ap.add_argument("--hole", type=float, default=0.3, help="share of the photo in the hole")
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args()
    h = int((args.megapixels * 1e6 / 1.5) ** 0.5)
    w = int(h * 1.5)
    rng = np.random.default_rng(0)
    dst = rng.integers(0, 255, (h, w, 3), dtype=np.uint8)
    src = rng.integers(0, 255, (h, w, 3), dtype=np.uint8)
    where = np.zeros((h, w), bool)
    where[: int(h * args.hole)] = True
    tc, tb = [], []
    for _ in range(args.repeats):
        a = dst.copy()
        t = time.perf_counter()
        copy_where(a, src, where)
        tc.append(time.perf_counter() - t)
        b = dst.copy()
        t = time.perf_counter()
        b[where] = src[where]
        tb.append(time.perf_counter() - t)
        assert np.array_equal(a, b)
    c, bi = float(np.median(tc)), float(np.median(tb))
    print(
        f"{w}x{h}, hole {args.hole:.0%}: copy_where {c * 1000:.1f} ms, boolean indexing {bi * 1000:.1f} ms, "
        f"ratio {c / bi:.3f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
