"""``inpaint-studio``: one entry point, one module per subcommand.

Each subcommand module exposes ``add_parser(subparsers)`` which registers its parser
and sets ``func`` (``args -> exit code``).  Modules are imported lazily by name so
``inpaint-studio batch`` never pays for Qt and ``gui`` never for training code.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import sys

from .. import __version__

# Read by numpy when it is first imported (by a subcommand, below).  numpy asks the
# kernel for huge pages for every large array; where the kernel then compacts memory
# on the page fault (transparent_hugepage/defrag "madvise", a common default), a fresh
# process's first touch of a 24 MP photo's arrays stalls for tenths of a second
# (docs/BENCHMARKS.md).  A user's own setting wins.
os.environ.setdefault("NUMPY_MADVISE_HUGEPAGE", "0")

#: subcommand -> (module, one-line help).  Order is the order in ``--help``.
SUBCOMMANDS: dict[str, tuple[str, str]] = {
    "gui": ("inpaint_studio.cli.gui", "open the editor (the default without a subcommand)"),
    "batch": ("inpaint_studio.cli.batch", "fill a folder of photos with per-image or template masks"),
    "edges": ("inpaint_studio.cli.edges", "the structure inside each hole as strokes (edge map PNG + strokes JSON)"),
    "train": ("inpaint_studio.cli.train", "train the generator or the edge model on your photos"),
    "eval": (
        "inpaint_studio.cli.eval",
        "a fill method against baselines on held-out pairs: SWD, hole detail, PSNR/SSIM/L1",
    ),
    "models": ("inpaint_studio.cli.models", "list fill and edge methods and their weights"),
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="inpaint-studio",
        description="Inpaint Studio: paint out objects, sketch structure, batch-remove watermarks.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug messages")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (module, help_text) in SUBCOMMANDS.items():
        try:
            mod = importlib.import_module(module)
        except ModuleNotFoundError as exc:
            if exc.name == module:
                continue  # subcommand not built yet in this checkout
            raise
        mod.add_parser(sub, name, help_text)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    # Plain `inpaint-studio [IMAGE] [gui options]` opens the editor, like double-clicking
    # the app; only the top-level flags stay with the dispatcher.
    top_level = {"-h", "--help", "--version", "-v", "--verbose"}
    if not argv or (argv[0] not in SUBCOMMANDS and argv[0] not in top_level):
        argv = ["gui", *argv]
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # `inpaint-studio models | head -3`: the reader left; say nothing more.  Point
        # stdout at /dev/null so the interpreter's final flush does not raise again.
        import os

        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
        except (OSError, ValueError):
            pass
        return 141


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
