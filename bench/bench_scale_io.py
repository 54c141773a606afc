"""What a 100,000-photo batch costs besides the fill: planning, and reading/writing big photos.

Run:  .venv/bin/python bench/bench_scale_io.py [--files 20000] [--mp 24]

1. ``plan_batch`` over ``--files`` empty ``.jpg`` files in 100 subfolders with a template
   mask: seconds per photo of listing, matching and the exists-check of each output
   (the driver does this before any worker starts; on a network file system each
   check is a round trip, so it is the part that grows with latency).
2. Reading and writing one ``--mp`` megapixel JPEG (synthetic, quality 90): seconds of
   ``load_image`` and of ``save_image`` (JPEG re-encoded around an edit, i.e. spliced,
   and PNG), and the bytes, median of 3.  With a small hole this is most of the cost of
   a high-resolution photo, and the bytes are what the storage must carry.

A benchmark, not a test: numbers depend on the machine, its disk and its load.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from inpaint_studio.core.image_io import load_image, save_image  # noqa: E402
from inpaint_studio.engine.batch import plan_batch  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--files", type=int, default=20000)
    ap.add_argument("--mp", type=float, default=24.0)
    args = ap.parse_args()
    from PIL import Image

    tmp = Path(tempfile.mkdtemp(prefix="bench_scale_io_"))
    try:
        src = tmp / "in"
        for k in range(args.files):
            d = src / f"d{k % 100:02d}"
            d.mkdir(parents=True, exist_ok=True)
            (d / f"p{k:06d}.jpg").touch()
        Image.fromarray(np.full((8, 8), 255, np.uint8)).save(tmp / "wm.png")
        t0 = time.perf_counter()
        items = plan_batch(src, tmp / "wm.png", tmp / "out")
        plan_s = time.perf_counter() - t0
        print(f"plan_batch: {len(items)} photos in {plan_s:.2f} s = {plan_s / len(items) * 1e6:.0f} us per photo")
        shutil.rmtree(src)

        w = int((args.mp * 1e6 * 1.5) ** 0.5)
        h = int(args.mp * 1e6 / w)
        rng = np.random.default_rng(0)
        yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
        base = np.stack([xx / w, yy / h, 0.5 + 0.3 * np.sin(xx / 300.0)], -1) * 200 + 20
        img = np.clip(base + rng.normal(0, 8, (h, w, 3)), 0, 255).astype(np.uint8)
        del base, yy, xx
        Image.fromarray(img).save(tmp / "big.jpg", quality=90)
        changed = np.zeros((h, w), bool)
        changed[h - 200 : h - 100, w - 800 : w - 200] = True  # a watermark-sized edit
        times: dict[str, list[float]] = {"load": [], "save jpeg (spliced)": [], "save png": []}
        for k in range(3):
            t0 = time.perf_counter()
            li = load_image(tmp / "big.jpg")
            times["load"].append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            save_image(tmp / f"o{k}.jpg", li, changed=changed)
            times["save jpeg (spliced)"].append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            save_image(tmp / f"o{k}.png", li)
            times["save png"].append(time.perf_counter() - t0)
        print(
            f"{w}x{h} ({w * h / 1e6:.1f} MP) JPEG, {(tmp / 'big.jpg').stat().st_size / 1e6:.1f} MB; "
            f"spliced JPEG out {(tmp / 'o0.jpg').stat().st_size / 1e6:.1f} MB, PNG out "
            f"{(tmp / 'o0.png').stat().st_size / 1e6:.1f} MB"
        )
        for name, ts in times.items():
            print(f"  {name}: {statistics.median(ts):.2f} s")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
