"""Full-resolution end-to-end timing: 6000x4000 JPEG, small mask, ``batch`` code path.

Run:  .venv/bin/python bench/bench_fullres_classical.py [--model telea] [--json out.json]

Times the same function ``inpaint-studio batch`` calls per photo (load, EXIF, mask
scaling, fill, atomic save) and checks that pixels outside the mask are unchanged in
the filled array.  Prints a table; a benchmark, not a test: numbers depend on the box.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from inpaint_studio.core.image_io import load_image, save_image  # noqa: E402
from inpaint_studio.core.masks import load_mask  # noqa: E402
from inpaint_studio.engine import Engine, InpaintOptions  # noqa: E402


def make_photo(path: Path, w: int = 6000, h: int = 4000) -> None:
    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    img = np.stack([xx / w, yy / h, 0.5 + 0.5 * np.sin((xx + yy) / 300)], axis=2) * 220
    img += rng.normal(0, 6, (h, w, 3)).astype(np.float32)
    Image.fromarray(np.clip(img, 0, 255).astype(np.uint8)).save(path, quality=92)


def make_mask(path: Path, w: int, h: int, frac: float) -> None:
    m = np.zeros((h, w), np.uint8)
    side_h = int(np.sqrt(frac * w * h / 3))
    side_w = 3 * side_h  # a watermark-like band
    y0, x0 = h - side_h - 200, w - side_w - 200
    m[y0 : y0 + side_h, x0 : x0 + side_w] = 255
    Image.fromarray(m).save(path)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default="telea")
    ap.add_argument("--fractions", default="0.01,0.05,0.2")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp())
    src = tmp / "photo.jpg"
    # In a child process, so generating the test photo does not count in our peak RSS.
    import multiprocessing

    proc = multiprocessing.Process(target=make_photo, args=(src,))
    proc.start()
    proc.join()
    engine = Engine()
    rows = []
    for frac in [float(f) for f in args.fractions.split(",")]:
        mpath = tmp / f"mask_{frac}.png"
        proc = multiprocessing.Process(target=make_mask, args=(mpath, 6000, 4000, frac))
        proc.start()
        proc.join()
        times: dict[str, list[float]] = {"load": [], "mask": [], "fill": [], "save": [], "total": []}
        for rep in range(args.repeats):
            t0 = time.perf_counter()
            img = load_image(src)
            t1 = time.perf_counter()
            mask = load_mask(mpath, size=(img.width, img.height))
            t2 = time.perf_counter()
            res = engine.inpaint(img.pixels, mask, None, InpaintOptions(method=args.model))
            t3 = time.perf_counter()
            save_image(tmp / f"out_{frac}_{rep}.jpg", img.with_pixels(res.pixels), changed=res.mask)
            t4 = time.perf_counter()
            assert np.array_equal(res.pixels[~mask], img.pixels[~mask]), "outside pixels changed"
            for k, v in zip(times, (t1 - t0, t2 - t1, t3 - t2, t4 - t3, t4 - t0)):
                times[k].append(v)
        # The first run of the first fraction includes loading the model (a fresh app or
        # batch run pays it once); the median is the steady state of an open app.
        row = {
            "hole": frac,
            "model": res.method,
            **{k: float(np.median(v)) for k, v in times.items()},
            "first_total": times["total"][0],
            "totals": times["total"],
        }
        rows.append(row)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, python {platform.python_version()}"
    )
    print("| hole | model | load s | mask s | fill s | save s | total s (median) | first run s |")
    print("|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(
            f"| {r['hole']:.0%} | {r['model']} | {r['load']:.2f} | {r['mask']:.2f} | {r['fill']:.2f} | {r['save']:.2f} "
            f"| **{r['total']:.2f}** | {r['first_total']:.2f} |"
        )
    print(f"peak RSS: {peak_mb:.0f} MB (median of {args.repeats} runs each)")
    if args.json:
        args.json.write_text(json.dumps({"rows": rows, "peak_rss_mb": peak_mb}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
