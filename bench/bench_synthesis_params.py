"""The guided fill's synthesis settings against PyPatchMatch, on a validation set.

Tuning happens here, on pairs made from the *training* photos
(``python -m inpaint_studio.training.valset``), never on the eval set.  Each variant
is the default ``SynthesisParams`` with some fields changed; every variant fills the
same pairs through the engine (the network's layout, then the synthesis), and the
report gives, over the pairs of 10-50 % holes, the mean SWD, PSNR and hole detail of
each variant and of PyPatchMatch, and the per-bin SWD ratio to PyPatchMatch.

    .venv/bin/python bench/bench_synthesis_params.py --sets runs/val20irr runs/val20irr_b \\
        --variant default: --variant wide_guide:guide_min_sigma=8 --jobs 2
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys
import time
from collections import defaultdict
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

TARGET_BINS = ("10-20%", "20-30%", "30-40%", "40-50%")
ALL_BINS = ("01-10%", *TARGET_BINS, "50-60%")


def parse_variant(spec: str) -> tuple[str, dict[str, object]]:
    """``name:field=value,field=value`` -> ``(name, {field: value})`` (values as the field's type)."""
    from inpaint_studio.engine.synthesis import SynthesisParams

    name, _, rest = spec.partition(":")
    defaults = SynthesisParams()
    # a field whose default is None takes a number
    types = {
        f.name: float if getattr(defaults, f.name) is None else type(getattr(defaults, f.name))
        for f in dataclasses.fields(SynthesisParams)
    }
    changes: dict[str, object] = {}
    for item in filter(None, rest.split(",")):
        key, _, value = item.partition("=")
        if key not in types:
            raise SystemExit(f"unknown SynthesisParams field {key!r}")
        # a pair as "a;b" (the comma separates fields)
        changes[key] = tuple(float(v) for v in value.split(";")) if types[key] is tuple else types[key](value)
    return name, changes


_state: dict = {}


def _init(variants: list[tuple[str, dict]], threads: int) -> None:
    os.environ["OMP_NUM_THREADS"] = str(threads)
    import torch

    torch.set_num_threads(threads)
    from inpaint_studio.engine import Engine
    from inpaint_studio.engine.synthesis import SynthesisParams

    _state["engine"] = Engine()
    _state["variants"] = [(n, SynthesisParams(**c)) for n, c in variants]


def _score(task: tuple[str, str, str]) -> tuple[str, dict[str, dict[str, float]]]:
    from inpaint_studio.engine import InpaintOptions
    from inpaint_studio.training.evaluate import Pair, load_pair
    from inpaint_studio.training.metrics import hole_detail, psnr, swd

    image, mask, bin_ = task
    img, hole = load_pair(Pair(Path(image), Path(mask), bin_))
    blank = img.copy()
    blank[hole] = 0
    engine = _state["engine"]
    out: dict[str, dict[str, float]] = {}

    def measure(fill: np.ndarray, secs: float) -> dict[str, float]:
        return {"swd": swd(fill, img, hole), "psnr": psnr(fill, img), "detail": hole_detail(fill, img, hole), "s": secs}

    t0 = time.perf_counter()
    pm = engine.inpaint(blank, hole, options=InpaintOptions(method="patchmatch", device="cpu", feather=0)).pixels
    out["patchmatch"] = measure(pm, time.perf_counter() - t0)
    guided = engine.load("fill", "guided", "cpu")
    opts = InpaintOptions(method="guided", device="cpu", feather=0)
    for name, params in _state["variants"]:
        guided.params = params
        t0 = time.perf_counter()
        res = engine.inpaint(blank, hole, options=opts)
        out[name] = measure(res.pixels, time.perf_counter() - t0)
    return bin_, out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sets", nargs="+", required=True, help="valset folders (images/, masks/, pairs.csv)")
    ap.add_argument("--variant", action="append", default=[], help="name:field=value,... (repeatable)")
    ap.add_argument("--jobs", type=int, default=1)
    ap.add_argument("--limit", type=int, default=None, help="at most N pairs")
    ap.add_argument("--out", type=Path, default=None, help="write the per-pair numbers here (JSON)")
    ap.add_argument("--all-bins", action="store_true", help="also the 1-10 %% and 50-60 %% holes")
    ap.add_argument("--bins", nargs="+", choices=ALL_BINS, help="only these bins")
    args = ap.parse_args()
    from inpaint_studio.training.evaluate import read_pairs

    variants = [parse_variant(v) for v in (args.variant or ["default:"])]
    bins = tuple(args.bins) if args.bins else ALL_BINS if args.all_bins else TARGET_BINS
    tasks = []
    for folder in args.sets:
        for p in read_pairs(folder, Path(folder) / "pairs.csv"):
            if p.bin in bins:
                tasks.append((str(p.image), str(p.mask), p.bin))
    tasks = tasks[: args.limit] if args.limit else tasks
    threads = max(1, (os.cpu_count() or 1) // args.jobs)
    t0 = time.perf_counter()
    with ProcessPoolExecutor(args.jobs, initializer=_init, initargs=(variants, threads)) as pool:
        scored = list(pool.map(_score, tasks))
    names = ["patchmatch", *(n for n, _ in variants)]
    per_bin: dict[str, dict[str, list[dict]]] = defaultdict(lambda: defaultdict(list))
    for bin_, out in scored:
        for n in names:
            per_bin[bin_][n].append(out[n])
            per_bin["all"][n].append(out[n])
    bins = tuple(b for b in bins if per_bin[b])
    print(f"{len(tasks)} pairs ({', '.join(bins)}), {time.perf_counter() - t0:.0f} s")
    print("| variant | SWD | PSNR | detail | s/pair | " + " | ".join(f"SWD vs PM {b}" for b in bins) + " |")
    print("|---|---|---|---|---|" + "---|" * len(bins))
    for n in names:
        rows = per_bin["all"][n]
        mean = {k: float(np.mean([r[k] for r in rows])) for k in ("swd", "psnr", "detail", "s")}
        ratios = []
        for b in bins:
            mine = np.mean([r["swd"] for r in per_bin[b][n]])
            ref = np.mean([r["swd"] for r in per_bin[b]["patchmatch"]])
            ratios.append(f"{100 * (1 - mine / ref):+.0f} %")
        print(
            f"| {n} | {mean['swd']:.4f} | {mean['psnr']:.2f} | {mean['detail']:.0%} | {mean['s']:.2f} | "
            + " | ".join(ratios)
            + " |"
        )
    print()
    print("| variant | " + " | ".join(f"PSNR vs PM {b}" for b in bins) + " |")
    print("|---|" + "---|" * len(bins))
    for n in names[1:]:
        deltas = [
            np.mean([r["psnr"] for r in per_bin[b][n]]) - np.mean([r["psnr"] for r in per_bin[b]["patchmatch"]])
            for b in bins
        ]
        print(f"| {n} | " + " | ".join(f"{d:+.2f} dB" for d in deltas) + " |")
    if args.out:
        args.out.write_text(json.dumps(scored))
    return 0


if __name__ == "__main__":
    sys.exit(main())
