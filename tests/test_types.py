"""``mypy`` (the settings in ``pyproject.toml`` [tool.mypy]) passes on the package.

Run by the README's test command so CI checks types without a second entry point.
Skipped, saying so, where mypy is not installed (it is in the test extra).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_mypy_passes_on_the_package() -> None:
    pytest.importorskip("mypy", reason="mypy is not installed (pip install -e '.[test]')")
    # The cache lives in the checkout (.mypy_cache, ignored), so a second run is quick.
    run = subprocess.run(
        [sys.executable, "-m", "mypy", "--no-error-summary", "--no-color-output"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert run.returncode == 0, run.stdout + run.stderr
