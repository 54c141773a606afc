"""Network and engine speed: DeepFill v2 forward, engine end-to-end, Telea reference.

Run:  .venv/bin/python bench/bench_models.py [--sizes 256,512,1024] [--batch 4]
      [--device cpu|cuda] [--json out.json] [--skip-fullres]

Prints Markdown tables and writes JSON.  Each section:
- forward: bare ``DeepFillGenerator`` under ``torch.inference_mode`` at each size,
  batch 1 and batched, median of N runs after warm-up, with the FLOP count of one
  forward (``torch.utils.flop_counter``) and the achieved GFLOP/s;
- engine: ``Engine.inpaint`` on a 512x512 photo whose hole spans the crop (so the
  network sees 512x512) at detail 0 vs. the bare forward at 512 -> the engine's overhead,
  and at the default detail (a second refinement pass);
- fullres: 6000x4000 photo with 1 %, 5 %, 20 % holes through the engine, deepfill (at
  the default detail and at detail 0) and telea, each in a fresh subprocess so its peak
  RSS is its own.
A benchmark, not a test: numbers depend on the machine and its load.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _median_time(fn, repeats: int, warmup: int = 1) -> float:  # noqa: ANN001
    for _ in range(warmup):
        fn()
    ts = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t0)
    return float(np.median(ts))


def _generator(device: str):  # noqa: ANN202
    """The shipped generator exactly as the engine runs it (layout and precision)."""
    import torch

    from inpaint_studio.engine.neural import DeepFillMethod
    from inpaint_studio.engine.torch_runtime import autocast

    try:
        method = DeepFillMethod(device)
        source = (f"shipped weights, cnum {method.model.cnum}, precision {method.precision}, channels-last"
                  + ("" if getattr(method.model, "input_channels_last", True) else " (full-size layers NCHW)"))
        net, prec = method.model, method.precision
    except Exception as exc:  # noqa: BLE001 - benchmark still useful with random weights
        from inpaint_studio.models.deepfill import DeepFillGenerator

        from inpaint_studio.engine.torch_runtime import prepare_model

        net, prec = prepare_model(DeepFillGenerator(48), device), "fp32"
        source = f"random init, cnum 48 ({type(exc).__name__})"

    def run(x, m, e):  # noqa: ANN001, ANN202
        from inpaint_studio.engine.torch_runtime import to_input

        cl = bool(getattr(net, "input_channels_last", True))
        with autocast(device, prec):
            args = [to_input(x, device, cl), to_input(m, device, cl), to_input(e, device, cl)]
            if getattr(net, "needs_guide", False):
                # The engine passes a Telea fill of the hole here; for timing the network
                # any tensor of that shape will do (the engine benchmark includes Telea).
                args.append(args[0])
            return net(*args)

    return run, source, torch


def bench_forward(sizes: list[int], batch: int, device: str, repeats: int) -> dict:
    net, source, torch = _generator(device)
    from torch.utils.flop_counter import FlopCounterMode

    rows = []
    for s in sizes:
        for b in sorted({1, batch}):
            x = torch.rand(b, 3, s, s, device=device) * 2 - 1
            m = torch.zeros(b, 1, s, s, device=device)
            m[..., s // 4 : 3 * s // 4, s // 4 : 3 * s // 4] = 1
            e = torch.zeros(b, 1, s, s, device=device)
            with torch.inference_mode():
                with FlopCounterMode(display=False) as fc:
                    net(x, m, e)
                flops = fc.get_total_flops()

                def run() -> None:
                    net(x, m, e)
                    if device.startswith("cuda"):
                        torch.cuda.synchronize()

                t = _median_time(run, repeats if s <= 512 else max(1, repeats // 2))
            rows.append(
                {"size": s, "batch": b, "seconds": t, "per_image_s": t / b, "gflop": flops / 1e9,
                 "gflops_per_s": flops / 1e9 / t}
            )
    return {"source": source, "rows": rows, "threads": torch.get_num_threads()}


def bench_engine_overhead(device: str, repeats: int) -> dict:
    import torch

    from inpaint_studio.engine import Engine, InpaintOptions

    rng = np.random.default_rng(0)
    img = rng.integers(0, 255, (512, 512, 3), dtype=np.uint8)
    mask = np.zeros((512, 512), bool)
    mask[128:384, 128:384] = True  # with context the crop is the whole 512x512 photo
    eng = Engine()
    # Detail 0 is one network pass, like the bare forward it is compared with; the
    # default detail (two refinement passes) is timed as well, on its own row.
    opts = InpaintOptions(method="deepfill", device=device, detail=0.0, texture=0.0)
    try:
        r = eng.inpaint(img, mask, options=opts)
    except Exception as exc:  # noqa: BLE001
        return {"skipped": f"deepfill unavailable: {exc}"}
    if r.method != "deepfill":
        return {"skipped": f"deepfill unavailable: {r.warnings}"}
    net, _, _ = _generator(device)
    from inpaint_studio.engine.neural import DeepFillMethod

    # The engine's deepfill runs the crop and its mirror images as one batch.
    ens = DeepFillMethod(device).ensemble
    x = torch.rand(ens, 3, 512, 512) * 2 - 1
    m = torch.from_numpy(mask[None, None].astype(np.float32)).repeat(ens, 1, 1, 1)
    e = torch.zeros(ens, 1, 512, 512)

    def bare() -> None:
        with torch.inference_mode():
            net(x.to(device), m.to(device), e.to(device))
        if device.startswith("cuda"):
            torch.cuda.synchronize()

    # Engine and bare network alternate, so drifts in the machine's speed (other load,
    # clocks) hit both alike; measured one after the other they differed by +-15 %.
    te, tn = [], []
    bare()
    for _ in range(max(3, repeats)):
        t0 = time.perf_counter()
        eng.inpaint(img, mask, options=opts)
        te.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        bare()
        tn.append(time.perf_counter() - t0)
    t_engine, t_net = float(np.median(te)), float(np.median(tn))
    t_telea = _median_time(lambda: eng.inpaint(img, mask, options=InpaintOptions(method="telea", texture=0.0)), repeats)
    default = InpaintOptions(method="deepfill", device=device, texture=0.0)
    t_default = _median_time(lambda: eng.inpaint(img, mask, options=default), repeats)
    detail = eng.inpaint(img, mask, options=default).detail
    return {"engine_s": t_engine, "network_s": t_net, "overhead": t_engine / t_net - 1, "telea_s": t_telea,
            "ensemble": ens, "engine_default_detail_s": t_default, "default_detail": detail}


FULLRES_CHILD = r"""
import json, resource, sys, time, numpy as np
sys.path.insert(0, {root!r})
from inpaint_studio.engine import Engine, InpaintOptions
frac, method, device, detail = {frac}, {method!r}, {device!r}, {detail!r}
h, w = 4000, 6000
rng = np.random.default_rng(0)
img = np.empty((h, w, 3), np.uint8)
for y in range(0, h, 500):
    img[y:y+500] = rng.integers(0, 255, (min(500, h-y), w, 3), dtype=np.uint8)
mask = np.zeros((h, w), bool)
sh = int((frac * w * h / 3) ** 0.5); sw = 3 * sh
mask[h - sh - 200:h - 200, w - sw - 200:w - 200] = True
eng = Engine()
opts = InpaintOptions(method=method, device=device, detail=detail, texture=0.0)
ts = []
for _ in range({repeats}):
    t0 = time.perf_counter(); r = eng.inpaint(img, mask, options=opts); ts.append(time.perf_counter() - t0)
assert np.array_equal(r.pixels[~mask], img[~mask])
hwm = [l for l in open("/proc/self/status") if l.startswith("VmHWM")][0].split()[1]
print(json.dumps({{"seconds": float(np.median(ts)), "method": r.method, "detail": r.detail, "regions": r.regions,
                  "peak_rss_mb": int(hwm) / 1024}}))
"""


def bench_fullres(device: str, repeats: int) -> list[dict]:
    rows = []
    # deepfill at its default detail (what a plain fill gets) and at detail 0 (one pass)
    for method, detail in (("deepfill", None), ("deepfill", 0.0), ("telea", None)):
        for frac in (0.01, 0.05, 0.2):
            code = FULLRES_CHILD.format(root=str(ROOT), frac=frac, method=method, device=device, repeats=repeats,
                                        detail=detail)
            out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
            if out.returncode != 0:
                rows.append({"method": method, "detail": detail, "hole": frac, "error": out.stderr.strip().splitlines()[-1:]})
                continue
            rows.append({"hole": frac, **json.loads(out.stdout.strip().splitlines()[-1])})
    return rows


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="256,512,1024")
    ap.add_argument("--batch", type=int, default=4)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--skip-fullres", action="store_true")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    import torch

    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, torch {torch.__version__}, "
          f"threads {torch.get_num_threads()}, device {args.device}")
    result: dict = {"device": args.device, "cores": os.cpu_count()}
    fw = bench_forward([int(s) for s in args.sizes.split(",")], args.batch, args.device, args.repeats)
    result["forward"] = fw
    print(f"\n### Generator forward ({fw['source']})\n")
    print("| size | batch | s / call | s / image | GFLOP / call | GFLOP/s |")
    print("|---|---|---|---|---|---|")
    for r in fw["rows"]:
        print(f"| {r['size']}² | {r['batch']} | {r['seconds']:.3f} | {r['per_image_s']:.3f} | "
              f"{r['gflop']:.1f} | {r['gflops_per_s']:.0f} |")
    eo = bench_engine_overhead(args.device, args.repeats)
    result["engine"] = eo
    print("\n### Engine end-to-end on a 512² photo\n")
    if "skipped" in eo:
        print(eo["skipped"])
    else:
        print(f"engine (detail 0) {eo['engine_s']:.3f} s vs bare network (batch {eo['ensemble']}) {eo['network_s']:.3f} s: "
              f"overhead {eo['overhead'] * 100:+.1f} %; default detail {eo['default_detail']} "
              f"{eo['engine_default_detail_s']:.3f} s; Telea on the same request {eo['telea_s']:.3f} s")
    if not args.skip_fullres:
        rows = bench_fullres(args.device, max(1, args.repeats // 2))
        result["fullres"] = rows
        print("\n### 6000×4000 photo through the engine (fill only; each row its own process)\n")
        print("| method | detail | hole | regions | s | peak RSS MB |")
        print("|---|---|---|---|---|---|")
        for r in rows:
            if "error" in r:
                print(f"| {r['method']} | {r['detail']} | {r['hole']:.0%} | error: {r['error']} | | |")
            else:
                print(f"| {r['method']} | {r['detail']} | {r['hole']:.0%} | {r['regions']} | {r['seconds']:.2f} | "
                      f"{r['peak_rss_mb']:.0f} |")
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
