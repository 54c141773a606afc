"""The import layers in ``pyproject.toml`` ([tool.importlinter]) hold.

Run here so the single test command (``.ci/run``) checks them; the failure message is
import-linter's own report naming the broken contract and the import that breaks it.
"""

from __future__ import annotations

import contextlib
import io
from pathlib import Path

from importlinter.cli import lint_imports

ROOT = Path(__file__).resolve().parents[1]


def test_import_contracts_are_kept() -> None:
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
        code = lint_imports(config_filename=str(ROOT / "pyproject.toml"), no_cache=True, no_logo=True)
    assert code == 0, out.getvalue()
