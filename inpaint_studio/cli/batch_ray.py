"""The ``--backend ray`` part of ``inpaint-studio batch``: its flags, checks and run.

Kept apart from ``cli/batch.py`` so the local command reads as before and Ray is
imported only when asked for.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the parser is built for every subcommand: no engine imports here
    from ..engine.batch import BatchItem, BatchSummary, ItemOutcome, ItemSettings
    from ..engine.request import InpaintOptions


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--backend",
        default="local",
        choices=["local", "ray"],
        help="where the photos are filled: in this process (local, default) or by workers on a Ray "
        'cluster (ray; needs pip install "inpaint-studio[ray]"; same outputs, summary and exit codes)',
    )
    p.add_argument(
        "--address",
        default=None,
        metavar="ADDR",
        help="with --backend ray: join the Ray cluster at ADDR (host:port, ray://host:10001 or auto); "
        "default: start a local cluster for this run. Every node must see INPUT, MASKS and OUT at the same paths",
    )
    p.add_argument(
        "--workers",
        type=int,
        default=None,
        metavar="N",
        help="with --backend ray: number of workers, each loading the models once "
        "(default: one per CPU of the cluster, or per GPU when filling on GPUs)",
    )


def check_args(args: argparse.Namespace) -> str | None:
    """A usage error for these flags (exit code 2), or ``None``."""
    if args.backend != "ray":
        if args.address is not None or args.workers is not None:
            return "--address and --workers need --backend ray"
        return None
    if args.workers is not None and args.workers < 1:
        return "--workers must be at least 1"
    from ..engine.ray_cluster import INSTALL_HINT, ray_available

    if not ray_available():
        return f"--backend ray needs Ray, which is not installed; install it with: {INSTALL_HINT}"
    return None


def run(
    args: argparse.Namespace,
    items: list[BatchItem],
    options: InpaintOptions,
    on_item: Callable[[int, BatchItem, ItemOutcome], None],
    say: Callable[[str], None],
    settings: ItemSettings | None = None,
) -> BatchSummary:
    """Run the batch on Ray; ``say`` prints cluster events.

    The per-photo ``settings`` (hole limit, inverted masks, and a mask provider: the
    text detector, or a watermark estimated once here) are shipped to every worker once,
    through the object store, not once per photo.

    Raises:
        RayBackendError: the cluster cannot run this batch (a usage error, exit 2).
    """
    from ..engine.batch import process_with_settings
    from ..engine.ray_backend import run_batch_ray
    from ..engine.ray_cluster import RayConfig

    summary = run_batch_ray(
        items,
        options,
        overwrite=args.overwrite,
        quality=args.quality,
        on_item=on_item,
        on_notice=say,
        config=RayConfig(address=args.address, workers=args.workers),
        shared=settings,
        process=None if settings is None else process_with_settings,
    )
    if summary.workers:
        loads = ", ".join(f"{w.load_seconds:.1f}" for w in summary.workers)
        photos = " + ".join(str(w.photos) for w in summary.workers)
        say(
            f"ray: {len(summary.workers)} workers filled {photos} photos; models loaded once per worker "
            f"({loads} s)" + (f"; {len(summary.retried)} photos retried after a worker died" if summary.retried else "")
        )
    return summary
