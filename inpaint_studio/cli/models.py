"""``inpaint-studio models``: what can fill, and whether its weights are usable."""

from __future__ import annotations

import argparse


def add_parser(sub: argparse._SubParsersAction, name: str, help_text: str) -> None:
    p = sub.add_parser(
        name,
        help=help_text,
        description=help_text + ". Each weights file is checked against its SHA-256 record "
        "(NAME.safetensors.sha256): ok, damaged or missing.",
    )
    p.add_argument(
        "--write-sha256",
        action="store_true",
        help="record the SHA-256 of every weights file as it is now (for weights you copied in "
        "yourself and trust; exporting weights writes the record already)",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..engine import default_edge_name, default_fill_name, edge_methods, fill_methods
    from ..engine.neural import KNOWN_WEIGHTS, weights_check, weights_dir
    from ..engine.registry import auto_fallback

    folder = weights_dir()
    present = sorted(folder.glob("*.safetensors")) if folder.is_dir() else []
    names = sorted({*KNOWN_WEIGHTS, *(f.name for f in present)})
    if getattr(args, "write_sha256", False):
        from ..core.checksums import safetensors_problem, write_record

        for f in present:
            problem = safetensors_problem(f)
            if problem:
                print(f"not recorded: {problem}")
                continue
            print(f"recorded {write_record(f)}")
    print(f"fill methods (auto = {default_fill_name()}):")
    for m in fill_methods():
        ok, why = m.available()
        print(f"  {m.name:<10} {m.kind:<9} {'ok' if ok else 'unavailable: ' + why}  {m.description}")
    fallback = auto_fallback()
    if fallback:
        print(f"  warning: {fallback}")
    print(f"edge methods (auto = {default_edge_name()}):")
    for m in edge_methods():
        ok, why = m.available()
        print(f"  {m.name:<10} {m.kind:<9} {'ok' if ok else 'unavailable: ' + why}  {m.description}")
    print(f"weights files in {folder}:")
    for name in names:
        c = weights_check(name)
        note = "" if c.status == "ok" else f"  {c.message}"
        print(f"  {name:<30} {c.status}{note}")
    return 0
