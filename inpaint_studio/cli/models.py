"""``inpaint-studio models``: what can fill, and whether its weights are usable."""

from __future__ import annotations

import argparse


def add_parser(sub: argparse._SubParsersAction, name: str, help_text: str) -> None:
    p = sub.add_parser(name, help=help_text, description=help_text)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..engine import default_edge_name, default_fill_name, edge_methods, fill_methods

    print("fill methods (auto = %s):" % default_fill_name())
    for m in fill_methods():
        ok, why = m.available()
        print(f"  {m.name:<10} {m.kind:<9} {'ok' if ok else 'unavailable: ' + why}  {m.description}")
    print("edge methods (auto = %s):" % default_edge_name())
    for m in edge_methods():
        ok, why = m.available()
        print(f"  {m.name:<10} {m.kind:<9} {'ok' if ok else 'unavailable: ' + why}  {m.description}")
    return 0
