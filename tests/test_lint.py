"""``ruff check`` and ``ruff format --check`` (``pyproject.toml`` [tool.ruff]) pass.

Skipped, saying so, where ruff is not installed (it is in the test extra).
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_ruff_check_passes_on_the_package() -> None:
    ruff_main = pytest.importorskip("ruff.__main__", reason="ruff is not installed (pip install -e '.[test]')")
    ruff = ruff_main.find_ruff_bin()
    run = subprocess.run(
        [ruff, "check", "--no-cache", "--output-format", "concise", "inpaint_studio"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stdout + run.stderr


def test_the_code_is_formatted() -> None:
    ruff_main = pytest.importorskip("ruff.__main__", reason="ruff is not installed (pip install -e '.[test]')")
    ruff = ruff_main.find_ruff_bin()
    run = subprocess.run(
        [ruff, "format", "--check", "--no-cache", "inpaint_studio", "tests", "bench", "tools"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stdout + run.stderr
