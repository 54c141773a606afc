"""``inpaint-studio gui [IMAGE]``: open the editor (the default without a subcommand)."""

from __future__ import annotations

import argparse


def add_parser(sub: argparse._SubParsersAction, name: str, help_text: str) -> None:
    p = sub.add_parser(name, help=help_text, description=help_text)
    p.add_argument("image", nargs="?", help="photo or .isproj project to open")
    p.add_argument(
        "--smoke-test",
        action="store_true",
        help="open the window, process events and exit 0 (checks a packaged build starts)",
    )
    p.add_argument("--no-recovery", action="store_true", help="do not offer to recover autosaved work")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    try:
        from ..ui.app import run_gui
    except ImportError as exc:
        print(f"inpaint-studio gui: the editor needs PySide6 ({exc})")
        return 2
    return run_gui(args.image, smoke_test=args.smoke_test, recover=not args.no_recovery)
