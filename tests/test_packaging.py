"""A plain (non-editable) install ships the weights and the icon, and finds them.

Without them a wheel install silently falls back to Telea, the worst fill, so the
wheel is built here and its lookup run from an unpacked copy away from the checkout.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if importlib.util.find_spec("setuptools") is None:
        pytest.skip("building the wheel offline needs setuptools in this environment")
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", str(ROOT), "--no-deps", "--no-build-isolation", "-q", "-w", str(out)],
        check=True,
        cwd=out,
        capture_output=True,
        timeout=120,
    )
    (whl,) = out.glob("inpaint_studio-*.whl")
    return whl


def _shipped(folder: str, patterns: tuple[str, ...]) -> set[str]:
    return {p.name for pat in patterns for p in (ROOT / folder).glob(pat)}


def test_wheel_carries_weights_records_cards_and_icon(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    weights = _shipped("weights", ("*.safetensors", "*.safetensors.sha256", "*.md"))
    assert {"deepfill.safetensors", "deepfill.safetensors.sha256", "deepfill.md"} <= weights
    for name in weights:
        assert f"inpaint_studio/weights/{name}" in names
    for name in _shipped("resources", ("*",)):
        assert f"inpaint_studio/resources/{name}" in names
    # Same bytes as the checkout's (no stale copy from an old build folder).
    with zipfile.ZipFile(wheel) as z:
        for name in ("deepfill.safetensors", "edgeconnect.safetensors"):
            if name in weights:
                packed = hashlib.sha256(z.read(f"inpaint_studio/weights/{name}")).hexdigest()
                assert packed == hashlib.sha256((ROOT / "weights" / name).read_bytes()).hexdigest()


def test_installed_copy_finds_its_weights_and_icon_without_the_checkout(wheel: Path, tmp_path: Path) -> None:
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    probe = (
        "import inpaint_studio, pathlib;"
        "from inpaint_studio.engine.neural import weights_check, weights_dir;"
        "from inpaint_studio.core.resources import data_dir;"
        "from inpaint_studio.engine.registry import fill_info, default_fill_name;"
        "print(pathlib.Path(inpaint_studio.__file__).parent);"
        "print(weights_dir());"
        "print(weights_check('deepfill.safetensors').status);"
        "print((data_dir('resources') / 'icon.svg').is_file());"
        "print(default_fill_name(), fill_info(default_fill_name()).available()[0])"
    )
    env = {k: v for k, v in os.environ.items() if k != "INPAINT_STUDIO_WEIGHTS"}
    env["PYTHONPATH"] = str(site)
    run = subprocess.run(
        [sys.executable, "-c", probe], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120
    )
    assert run.returncode == 0, run.stderr
    package, wdir, status, icon, default = run.stdout.split("\n")[:5]
    assert Path(package) == site / "inpaint_studio"
    assert Path(wdir) == site / "inpaint_studio" / "weights"
    assert status == "ok"
    assert icon == "True"
    assert default == "guided True"
