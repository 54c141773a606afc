"""``inpaint-studio train {generator,edges}``: train on any folder of your own photos."""

from __future__ import annotations

import argparse
import sys


def add_parser(sub: argparse._SubParsersAction, name: str, help_text: str) -> None:
    p = sub.add_parser(name, help=help_text, description=help_text)
    p.add_argument("model", choices=["generator", "edges"], help="DeepFill v2 generator or EdgeConnect edge model")
    p.add_argument("--data", required=True, help="folder of photos (searched recursively: jpg/png/webp)")
    p.add_argument("--out", required=True, metavar="RUN_DIR", help="checkpoints, samples and log.jsonl go here")
    p.add_argument("--resume", action="store_true", help="continue from RUN_DIR/last.pt")
    p.add_argument(
        "--resume-from",
        metavar="CKPT",
        help="continue from this checkpoint (e.g. the shipped "
        "weights' state, checkpoints/README.md) instead of RUN_DIR/last.pt",
    )
    p.add_argument("--steps", type=int, default=10000, help="train until this global step")
    p.add_argument("--size", type=int, default=128, help="square crop size (multiple of 8)")
    p.add_argument("--batch", type=int, default=4)
    p.add_argument("--device", default="auto", help="auto, cpu or cuda")
    p.add_argument("--lr", type=float, default=3e-4, help="generator learning rate")
    p.add_argument(
        "--lr-final",
        type=float,
        default=None,
        metavar="LR",
        help="cosine-anneal the generator lr from --lr to this by --steps (resumable)",
    )
    p.add_argument(
        "--decay-start",
        type=int,
        default=None,
        metavar="STEP",
        help="step where the anneal begins (default: where this run starts; a resumed "
        "run with the same --lr-final keeps its saved start)",
    )
    p.add_argument("--d-lr", type=float, default=1e-4, help="discriminator learning rate")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--cnum", type=int, default=32, help="generator base width (paper: 48)")
    p.add_argument("--edge-width", type=int, default=32, help="edge model base width (paper: 64)")
    p.add_argument("--edge-blocks", type=int, default=4, help="edge model residual blocks (paper: 8)")
    p.add_argument("--gan-weight", type=float, default=0.0, help="adversarial weight (0 = L1 only)")
    p.add_argument(
        "--d-cnum", type=int, default=64, help="discriminator base width (paper: 64; 32 costs a quarter of the compute)"
    )
    p.add_argument(
        "--disc",
        choices=["snpatch", "patch"],
        default="snpatch",
        help="generator's discriminator: snpatch (DeepFill v2's SN-PatchGAN) or patch (70x70 "
        "patch D scored over the hole's cells, with feature matching; learns faster on short runs)",
    )
    p.add_argument(
        "--fm-weight",
        type=float,
        default=10.0,
        help="feature-matching weight (edge model; generator with --disc patch)",
    )
    p.add_argument(
        "--hole-weight", type=float, default=1.0, help="weight of the hole-only L1 next to the paper's whole-image L1"
    )
    p.add_argument(
        "--whole-weight",
        type=float,
        default=1.0,
        help="weight of the paper's whole-image L1 (0 suits residual generators, whose "
        "known pixels come exact from the prefill)",
    )
    p.add_argument(
        "--l2-weight",
        type=float,
        default=0.0,
        help="weight of a squared-error term over the hole (PSNR is an MSE metric)",
    )
    p.add_argument(
        "--long-side",
        type=int,
        nargs=2,
        default=[288, 480],
        metavar=("MIN", "MAX"),
        help="photos are rescaled so the long side is in this range before cropping",
    )
    p.add_argument(
        "--prefill",
        choices=["none", "pullpush", "blend", "harmonic", "harmonic_plain"],
        default="none",
        help="generator variant: 'pullpush' starts the hole from a pull-push fill and "
        "learns a correction (trains much faster); 'blend' starts from the mean of pull-push and "
        "Telea and sees both; 'harmonic' starts from the harmonic fill and sees Telea; "
        "'harmonic_plain' starts from the harmonic fill alone; "
        "'none' is the paper's zero-filled input",
    )
    p.add_argument(
        "--holdout-every",
        type=int,
        default=0,
        metavar="N",
        help="keep every N-th photo (sorted) out of training as a validation split "
        "(see python -m inpaint_studio.training.valset)",
    )
    p.add_argument("--cache-mb", type=int, default=2048, help="memory for decoded photos (0: decode every time)")
    p.add_argument("--save-every", type=int, default=200)
    p.add_argument("--sample-every", type=int, default=500)
    p.add_argument(
        "--keep-every",
        type=int,
        default=0,
        metavar="N",
        help="also keep a generator-only snapshot RUN_DIR/keep/step_N.pt every N steps "
        "(GAN phases: choose the step on the validation set afterwards)",
    )
    p.add_argument("--threads", type=int, default=0, help="torch CPU threads (0 = torch default)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..engine.device import resolve_device
    from ..training.trainer import TrainConfig, Trainer

    if args.size % 8:
        print("--size must be a multiple of 8", file=sys.stderr)
        return 2
    try:
        device = resolve_device(args.device)
    except (RuntimeError, ValueError) as exc:
        print(exc, file=sys.stderr)
        return 2
    cfg = TrainConfig(
        kind=args.model,
        data=args.data,
        out=args.out,
        steps=args.steps,
        size=args.size,
        batch=args.batch,
        device=device,
        lr=args.lr,
        d_lr=args.d_lr,
        seed=args.seed,
        cnum=args.cnum,
        edge_width=args.edge_width,
        edge_blocks=args.edge_blocks,
        gan_weight=args.gan_weight,
        d_cnum=args.d_cnum,
        disc=args.disc,
        fm_weight=args.fm_weight,
        hole_weight=args.hole_weight,
        whole_weight=args.whole_weight,
        l2_weight=args.l2_weight,
        long_side=tuple(args.long_side),
        save_every=args.save_every,
        keep_every=args.keep_every,
        sample_every=args.sample_every,
        threads=args.threads,
        prefill=None if args.prefill == "none" else args.prefill,
        holdout_every=args.holdout_every,
        cache_mb=args.cache_mb,
        lr_final=args.lr_final,
        decay_start=args.decay_start,
    )
    from ..core.errors import WeightsError

    try:
        trainer = Trainer(cfg, resume=args.resume, resume_from=args.resume_from)
    except (FileNotFoundError, WeightsError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    trainer.fit(args.steps)
    print(f"step {trainer.step}: checkpoint {trainer.out / 'last.pt'}")
    return 0
