"""The repository's promises to a new user, checked so they cannot drift."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _readme_commands() -> list[str]:
    text = (ROOT / "README.md").read_text()
    blocks = re.findall(r"```bash\n(.*?)```", text, re.S)
    return [b.strip() for b in blocks]


def test_ci_runs_exactly_the_readme_test_command() -> None:
    cmds = _readme_commands()
    test_cmd = next(c for c in cmds if "pytest" in c)
    ci = (ROOT / ".ci" / "run").read_text()
    assert test_cmd in ci.splitlines()


def test_torch_pinned_exactly_and_opencv_headless() -> None:
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    assert "torch==2.13.0" in deps
    assert any(d.startswith("opencv-python-headless") for d in deps)
    assert not any(re.match(r"opencv-python(?!-headless)", d) for d in deps)


def test_core_models_engine_do_not_import_qt() -> None:
    for sub in ("core", "models", "engine", "training"):
        for py in (ROOT / "inpaint_studio" / sub).rglob("*.py"):
            src = py.read_text()
            assert not re.search(r"^\s*(from|import) (PySide6|PyQt\d|qtpy)", src, re.M), py


def test_core_does_not_import_torch() -> None:
    for py in (ROOT / "inpaint_studio" / "core").rglob("*.py"):
        assert not re.search(r"^\s*(from|import) torch", py.read_text(), re.M), py
