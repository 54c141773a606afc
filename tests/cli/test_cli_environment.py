"""What the entry point sets up before a subcommand imports numpy."""

from __future__ import annotations

import os
import subprocess
import sys

CHECK = (
    "import inpaint_studio.cli, os\n"
    "import numpy as np\n"
    "from numpy._core import multiarray\n"
    "print(os.environ['NUMPY_MADVISE_HUGEPAGE'], multiarray._set_madvise_hugepage(False))\n"
)


def _run(env_value: str | None) -> str:
    env = dict(os.environ)
    env.pop("NUMPY_MADVISE_HUGEPAGE", None)
    if env_value is not None:
        env["NUMPY_MADVISE_HUGEPAGE"] = env_value
    out = subprocess.run([sys.executable, "-c", CHECK], env=env, capture_output=True, text=True, check=True)
    return out.stdout.strip()


def test_the_cli_turns_numpys_huge_pages_off_before_numpy_is_imported() -> None:
    # the second value is numpy's own setting as it was when imported
    assert _run(None) == "0 False"


def test_a_users_own_huge_page_setting_wins() -> None:
    assert _run("1") == "1 True"
