"""Network and engine speed: DeepFill v2 forward, engine end-to-end, Telea reference.

Run:  .venv/bin/python bench/bench_models.py [--sizes 256,512,1024] [--batch 4]
      [--device cpu|cuda] [--json out.json]

Prints Markdown tables and writes JSON.  Each section:
- forward: bare ``DeepFillGenerator`` under ``torch.inference_mode`` at each size,
  batch 1 and batched, median of N runs after warm-up, with the FLOP count of one
  forward (``torch.utils.flop_counter``) and the achieved GFLOP/s;
- engine: ``Engine.inpaint`` with the network alone (``deepfill``) on a 512x512 photo
  whose hole spans the crop (so the network sees 512x512) vs. the bare forward at 512
  -> the engine's overhead.
The default fill (network + guided synthesis) at photo sizes: ``bench/bench_fill.py``.
A benchmark, not a test: numbers depend on the machine and its load.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
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

    from inpaint_studio.engine.registry import build_fill
    from inpaint_studio.engine.torch_runtime import autocast

    try:
        method = build_fill("deepfill", device)
        source = f"shipped weights, cnum {method.model.cnum}, precision {method.precision}, channels-last" + (
            "" if getattr(method.model, "input_channels_last", True) else " (full-size layers NCHW)"
        )
        net, prec = method.model, method.precision
    except Exception as exc:  # noqa: BLE001 - benchmark still useful with random weights
        from inpaint_studio.engine.torch_runtime import prepare_model
        from inpaint_studio.models.deepfill import DeepFillGenerator

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
                {
                    "size": s,
                    "batch": b,
                    "seconds": t,
                    "per_image_s": t / b,
                    "gflop": flops / 1e9,
                    "gflops_per_s": flops / 1e9 / t,
                }
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
    opts = InpaintOptions(method="deepfill", device=device)
    try:
        r = eng.inpaint(img, mask, options=opts)
    except Exception as exc:  # noqa: BLE001
        return {"skipped": f"deepfill unavailable: {exc}"}
    if r.method != "deepfill":
        return {"skipped": f"deepfill unavailable: {r.warnings}"}
    net, _, _ = _generator(device)
    from inpaint_studio.engine.registry import build_fill

    # The engine's deepfill runs the crop and its mirror images as one batch.
    ens = build_fill("deepfill", device).ensemble
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
    t_telea = _median_time(lambda: eng.inpaint(img, mask, options=InpaintOptions(method="telea")), repeats)
    return {
        "engine_s": t_engine,
        "network_s": t_net,
        "overhead": t_engine / t_net - 1,
        "telea_s": t_telea,
        "ensemble": ens,
    }


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="256,512,1024")
    ap.add_argument("--batch", type=int, default=4)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    import torch

    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, torch {torch.__version__}, "
        f"threads {torch.get_num_threads()}, device {args.device}"
    )
    result: dict = {"device": args.device, "cores": os.cpu_count()}
    fw = bench_forward([int(s) for s in args.sizes.split(",")], args.batch, args.device, args.repeats)
    result["forward"] = fw
    print(f"\n### Generator forward ({fw['source']})\n")
    print("| size | batch | s / call | s / image | GFLOP / call | GFLOP/s |")
    print("|---|---|---|---|---|---|")
    for r in fw["rows"]:
        print(
            f"| {r['size']}² | {r['batch']} | {r['seconds']:.3f} | {r['per_image_s']:.3f} | "
            f"{r['gflop']:.1f} | {r['gflops_per_s']:.0f} |"
        )
    eo = bench_engine_overhead(args.device, args.repeats)
    result["engine"] = eo
    print("\n### Engine end-to-end on a 512² photo\n")
    if "skipped" in eo:
        print(eo["skipped"])
    else:
        print(
            f"engine (deepfill) {eo['engine_s']:.3f} s vs bare network (batch {eo['ensemble']}) "
            f"{eo['network_s']:.3f} s: overhead {eo['overhead'] * 100:+.1f} %; "
            f"Telea on the same request {eo['telea_s']:.3f} s"
        )
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
