"""``inpaint-studio eval``: PSNR/SSIM/L1 of a fill method vs. a baseline, per hole-ratio bin."""

from __future__ import annotations

import argparse
import shlex
import sys


def add_parser(sub: argparse._SubParsersAction, name: str, help_text: str) -> None:
    p = sub.add_parser(name, help=help_text, description=help_text)
    p.add_argument("--data", required=True, help="folder with images/ and masks/")
    p.add_argument("--pairs", required=True, metavar="CSV", help="pairs.csv: image,mask,hole_ratio_bin")
    p.add_argument("--model", required=True, metavar="NAME", help="fill method to measure (e.g. deepfill; deepfill@edgeconnect fills guided by "
                   "the edges edgeconnect predicts for the hole; deepfill:0.5 fills with detail 0.5, "
                   "between the smooth weights (0) and the GAN-tuned ones (1); a suffix +tT fills with "
                   "texture T, e.g. deepfill:0.5+t0.5, the app's default; without it, no texture)")
    p.add_argument("--baseline", default="telea",
                   help="method(s) to compare against, comma-separated (default telea; e.g. telea,harmonic)")
    p.add_argument("--limit", type=int, default=None, help="only N pairs, spread evenly over the bins")
    p.add_argument("--out", default="runs/eval", help="eval.md, eval.json and samples.png go here")
    p.add_argument("--device", default="auto", help="auto, cpu or cuda")
    p.add_argument("--samples", type=int, default=6, help="rows in the comparison picture (0 = none)")
    p.add_argument("--jobs", type=int, default=1,
                   help="score pairs in N processes (CPU only; the numbers are the same, the run shorter)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..engine.device import resolve_device
    from ..training.evaluate import evaluate, read_pairs, write_report

    try:
        device = resolve_device(args.device)
        pairs = read_pairs(args.data, args.pairs, args.limit)
    except (RuntimeError, ValueError, OSError, KeyError) as exc:
        print(f"eval: {exc}", file=sys.stderr)
        return 2
    baselines = [b for b in args.baseline.split(",") if b and b not in ("none", args.model)]
    methods = [args.model, *dict.fromkeys(baselines)]
    from ..training.evaluate import split_spec

    try:
        for m in methods:
            split_spec(m)
    except ValueError as exc:
        print(f"eval: {exc}", file=sys.stderr)
        return 2
    from ..core.errors import WeightsError

    try:
        result, rows = evaluate(pairs, methods, device=device, samples=args.samples, jobs=max(1, args.jobs))
    except (RuntimeError, FileNotFoundError, WeightsError, KeyError) as exc:
        print(f"eval: {exc}", file=sys.stderr)
        return 1
    command = "inpaint-studio " + " ".join(shlex.quote(a) for a in sys.argv[1:])
    md = write_report(result, args.out, rows, command)
    print(md.read_text())
    return 0
