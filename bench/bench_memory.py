"""Peak memory of one batch photo, per file kind, against the same photo as RGB 8-bit PNG.

    .venv/bin/python bench/bench_memory.py [--megapixels 24] [--kinds all] [--method telea]

Each kind (grey 8/16-bit PNG, 16-bit RGB PNG and TIFF, RGBA, palette, JPEG, CMYK) is
written from one synthetic picture, then filled by ``engine.batch.process_item`` (load,
mask, fill, save: what ``inpaint-studio batch`` does per photo) in a fresh process,
whose peak resident memory (``VmHWM``) is reported with its ratio to the RGB 8-bit
PNG's peak measured in the same run.  The target (issue 21): every ratio <= 2.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
KINDS = (
    "rgb8.png",
    "grey8.png",
    "grey16.png",
    "rgb16.png",
    "rgba8.png",
    "rgba16.png",
    "palette.png",
    "rgb8.jpg",
    "grey8.jpg",
    "cmyk.jpg",
    "rgb16.tif",
)


def make(kind: str, folder: Path, h: int, w: int) -> Path:
    """One file of ``kind``, all from the same smooth picture (so they compress alike)."""
    import cv2
    import numpy as np
    import tifffile
    from PIL import Image

    yy, xx = np.ogrid[0:h, 0:w]
    g16 = ((np.sin(xx / 50.0) + np.cos(yy / 70.0)) * 16000 + 32768).astype(np.uint16)
    g8 = (g16 >> 8).astype(np.uint8)
    path = folder / kind
    if kind.startswith("grey"):
        (Image.fromarray(g16) if kind == "grey16.png" else Image.fromarray(g8)).save(path, quality=90)
        return path
    if "16" in kind:
        px = np.dstack([g16, 65535 - g16, g16 // 2 + 6000] + ([np.full_like(g16, 50000)] if "rgba" in kind else []))
        del g16
        if kind.endswith(".tif"):
            tifffile.imwrite(path, px, photometric="rgb", compression="zlib")
        else:
            cv2.imwrite(str(path), px[..., [2, 1, 0, 3]] if px.shape[2] == 4 else px[..., ::-1])
        return path
    rgb = np.dstack([g8, 255 - g8, g8 // 2 + 60])
    if kind == "rgba8.png":
        Image.fromarray(np.dstack([rgb, np.full_like(g8, 200)])).save(path)
    elif kind == "palette.png":
        Image.fromarray(rgb).quantize(64).save(path)
    elif kind == "cmyk.jpg":
        Image.fromarray(rgb).convert("CMYK").save(path, quality=90)
    else:
        Image.fromarray(rgb).save(path, quality=90)
    return path


def child(src: str, mask: str, out: str, method: str) -> None:
    """Runs in the measured process: one ``process_item`` and its peak memory."""
    sys.path.insert(0, str(ROOT))
    from inpaint_studio.engine import Engine, InpaintOptions
    from inpaint_studio.engine.batch import BatchItem, process_item

    item, opts = BatchItem(Path(src), Path(mask), Path(out)), InpaintOptions(method=method, device="cpu")
    t0 = time.perf_counter()
    try:
        process_item(item, Engine(), opts, max_hole=None)
    except TypeError:  # a checkout from before --max-hole (for before/after numbers)
        process_item(item, Engine(), opts)
    peak = next(int(ln.split()[1]) for ln in open("/proc/self/status") if ln.startswith("VmHWM"))
    print(json.dumps({"peak_mb": peak / 1024, "seconds": time.perf_counter() - t0}))


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--megapixels", type=float, default=24.0)
    p.add_argument("--kinds", default="all", help="comma-separated subset of: " + ", ".join(KINDS))
    p.add_argument("--method", default="telea", help="fill method (telea: no model in the numbers)")
    p.add_argument("--child", nargs=4, help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.child:
        child(*args.child)
        return 0
    kinds = KINDS if args.kinds == "all" else tuple(k.strip() for k in args.kinds.split(","))
    if "rgb8.png" not in kinds:
        kinds = ("rgb8.png", *kinds)
    w = int(round((args.megapixels * 1e6 * 4 / 3) ** 0.5))
    h = int(round(args.megapixels * 1e6 / w))
    import numpy as np
    from PIL import Image

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        m = np.zeros((h, w), np.uint8)
        m[h // 3 : h // 3 + 400, w // 3 : w // 3 + 600] = 255
        Image.fromarray(m).save(folder / "mask.png")
        del m
        ref = None
        for kind in kinds:
            src = make(kind, folder, h, w)
            out = folder / ("out_" + kind)
            res = subprocess.run(
                [sys.executable, __file__, "--child", str(src), str(folder / "mask.png"), str(out), args.method],
                capture_output=True,
                text=True,
                check=False,
            )
            if res.returncode != 0:
                print(f"{kind}: failed\n{res.stderr}", file=sys.stderr)
                return 1
            r = json.loads(res.stdout.strip().splitlines()[-1])
            ref = ref or r["peak_mb"]
            rows.append((kind, r["peak_mb"], r["peak_mb"] / ref, r["seconds"], src.stat().st_size / 2**20))
            src.unlink()
            out.unlink()
            print(
                f"{kind:<12} peak {r['peak_mb']:7.0f} MB  x{r['peak_mb'] / ref:4.2f}  {r['seconds']:5.1f} s", flush=True
            )
    print(f"\n{w}x{h} ({w * h / 1e6:.0f} MP), method {args.method}; ratio = peak / peak of rgb8.png")
    print("| file | peak RSS | × RGB 8-bit PNG | s |\n|---|---|---|---|")
    for kind, peak, ratio, sec, _mb in rows:
        print(f"| {kind} | {peak:.0f} MB | {ratio:.2f} | {sec:.1f} |")
    worst = max(r[2] for r in rows)
    print(f"\nworst ratio {worst:.2f} (target <= 2)")
    return 0 if worst <= 2.0 else 1


if __name__ == "__main__":
    sys.exit(main())
