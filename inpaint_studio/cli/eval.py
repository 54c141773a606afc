"""``inpaint-studio eval``: a fill method against baselines, per hole-ratio bin: the
perceptual distance in the hole (SWD), hole detail, PSNR, SSIM and L1."""

from __future__ import annotations

import argparse
import shlex
import sys


def add_parser(sub: argparse._SubParsersAction, name: str, help_text: str) -> None:
    p = sub.add_parser(name, help=help_text, description=help_text)
    p.add_argument("--data", required=True, help="folder with images/ and masks/")
    p.add_argument("--pairs", required=True, metavar="CSV", help="pairs.csv: image,mask,hole_ratio_bin")
    p.add_argument(
        "--model",
        required=True,
        metavar="NAME",
        help="fill method to measure, by the name `inpaint-studio models` lists (guided is the app's "
        "default); files:DIR reads fills made elsewhere from DIR/<image>__<mask>.png",
    )
    p.add_argument(
        "--edges",
        default="off",
        metavar="off|auto|NAME",
        help="as batch --edges: the model's fill follows the edges NAME (or the default edge "
        "model, auto) predicts for the hole, the editor's overlay unedited (default off)",
    )
    p.add_argument(
        "--baseline",
        default="telea,patchmatch",
        help="method(s) to compare against, comma-separated, named as --model is (default telea,patchmatch)",
    )
    p.add_argument("--limit", type=int, default=None, help="only N pairs, spread evenly over the bins")
    p.add_argument("--out", default="runs/eval", help="eval.md, eval.json and samples.png go here")
    p.add_argument("--device", default="auto", help="auto, cpu or cuda")
    p.add_argument("--samples", type=int, default=6, help="rows in the comparison picture (0 = none)")
    p.add_argument(
        "--jobs",
        type=int,
        default=1,
        help="score pairs in N processes (CPU only; the numbers are the same, the run shorter)",
    )
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
    same = args.edges == "off"
    baselines = [b for b in args.baseline.split(",") if b and b != "none" and not (same and b == args.model)]
    from ..core.errors import InpaintStudioError
    from ..training.evaluate import contender

    try:
        contenders = [
            contender(args.model, args.edges, device),
            *(contender(b, "off", device) for b in dict.fromkeys(baselines)),
        ]
    except (InpaintStudioError, FileNotFoundError) as exc:
        print(f"eval: {exc}", file=sys.stderr)
        return 2
    from ..core.errors import WeightsError

    try:
        result, rows = evaluate(pairs, contenders, device=device, samples=args.samples, jobs=max(1, args.jobs))
    except (RuntimeError, ValueError, FileNotFoundError, WeightsError, KeyError) as exc:
        print(f"eval: {exc}", file=sys.stderr)
        return 1
    command = "inpaint-studio " + " ".join(shlex.quote(a) for a in sys.argv[1:])
    md = write_report(result, args.out, rows, command)
    print(md.read_text())
    return 0
