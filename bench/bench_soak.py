"""Engine soak: resident memory over many fills of random sizes (an editor open all day).

    .venv/bin/python bench/bench_soak.py [--requests 300] [--method deepfill]

One :class:`Engine`, ``--requests`` fills of random photo sizes (``--min``..``--max`` px a
side) with one random box hole each, seeded so every run asks the same.  RSS is read
after each request; the target (issue 21) is RSS after the last request within 25 % of
RSS after the first 25 (the model is loaded and warm by then).  ``--same`` repeats the
first request instead: the control, memory that does not depend on the crop shape.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def rss_mb() -> float:
    with open("/proc/self/status") as fh:
        return next(int(ln.split()[1]) for ln in fh if ln.startswith("VmRSS")) / 1024


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--requests", type=int, default=300)
    p.add_argument("--method", default="deepfill")
    p.add_argument("--min", type=int, default=160)
    p.add_argument("--max", type=int, default=900)
    p.add_argument("--same", action="store_true", help="repeat one request (control)")
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args()

    import numpy as np

    from inpaint_studio.engine import Engine, InpaintOptions

    rng = np.random.default_rng(args.seed)
    engine = Engine()
    opts = InpaintOptions(method=args.method, device="cpu")
    marks = {1, 25, 50, 100, 150, 200, 250, 300, args.requests}
    trace: dict[int, float] = {}
    first = None
    t0 = time.perf_counter()
    for i in range(1, args.requests + 1):
        if first is None or not args.same:
            h, w = (int(v) for v in rng.integers(args.min, args.max, 2))
            img = rng.integers(0, 255, (h, w, 3), dtype=np.uint8)
            mask = np.zeros((h, w), bool)
            hh, ww = int(rng.integers(8, h // 2)), int(rng.integers(8, w // 2))
            y, x = int(rng.integers(0, h - hh)), int(rng.integers(0, w - ww))
            mask[y : y + hh, x : x + ww] = True
            first = first or (img, mask)
        else:
            img, mask = first
        res = engine.inpaint(img, mask, options=opts)
        trace[i] = rss_mb()
        if i in marks:
            print(
                f"request {i:4d}: RSS {trace[i]:7.1f} MB  ({time.perf_counter() - t0:6.1f} s, {res.method})", flush=True
            )
    base = trace[min(25, args.requests)]
    growth = trace[args.requests] / base - 1.0
    print(
        f"\nRSS after request 1: {trace[1]:.0f} MB, after 25: {base:.0f} MB, after {args.requests}: "
        f"{trace[args.requests]:.0f} MB, max {max(trace.values()):.0f} MB"
    )
    print(f"growth after request 25: {growth * 100:+.1f} % (target <= +25 %)")
    return 0 if growth <= 0.25 else 1


if __name__ == "__main__":
    sys.exit(main())
