"""Damaged or missing weights are named as such, and the Telea fallback is announced."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from inpaint_studio.cli import main
from inpaint_studio.core.checksums import check_weights, record_path
from inpaint_studio.core.errors import WeightsError
from inpaint_studio.engine import Engine, InpaintOptions
from inpaint_studio.models import DeepFillGenerator
from inpaint_studio.models.weights import load_weights, save_weights
from tests.helpers import box_mask, photo

torch.set_num_threads(1)


@pytest.fixture()
def wdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A weights folder with a small deepfill that ``auto`` prefers (and its record)."""
    d = tmp_path / "w"
    torch.manual_seed(0)
    save_weights(
        DeepFillGenerator(cnum=4),
        d / "deepfill.safetensors",
        {"working_size": 64, "flip_average": False, "beats_baseline": True},
        half=False,
    )
    monkeypatch.setenv("INPAINT_STUDIO_WEIGHTS", str(d))
    return d


def _zero_middle(path: Path) -> None:
    data = bytearray(path.read_bytes())
    mid = len(data) // 2
    data[mid : mid + 4096] = bytes(4096)  # a partly zeroed copy: same size, still parses
    path.write_bytes(bytes(data))


def test_export_writes_a_sha256sum_record(wdir: Path) -> None:
    f = wdir / "deepfill.safetensors"
    digest = hashlib.sha256(f.read_bytes()).hexdigest()
    assert record_path(f).read_text() == f"{digest}  deepfill.safetensors\n"  # `sha256sum -c` reads it
    assert check_weights(f).status == "ok"
    load_weights(f)


@pytest.mark.parametrize("damage", ["truncate", "zero"])
def test_damaged_weights_are_refused_and_reported(wdir: Path, damage: str, capsys: pytest.CaptureFixture[str]) -> None:
    f = wdir / "deepfill.safetensors"
    if damage == "truncate":
        f.write_bytes(f.read_bytes()[: f.stat().st_size * 2 // 3])
    else:
        _zero_middle(f)
    assert check_weights(f).status == "damaged"
    with pytest.raises(WeightsError, match="damaged"):
        load_weights(f)
    assert main(["models"]) == 0
    out = capsys.readouterr().out
    assert re.search(r"deepfill\.safetensors\s+damaged", out), out
    assert "deepfill   neural    unavailable" in out and "the guided fill takes its layout from the harmonic" in out


def test_unrecorded_weights_load_but_a_truncated_one_is_still_caught(wdir: Path) -> None:
    f = wdir / "deepfill.safetensors"
    record_path(f).unlink()
    assert check_weights(f).status == "unverified"
    load_weights(f)
    f.write_bytes(f.read_bytes()[:-100])
    c = check_weights(f)
    assert c.status == "damaged" and "truncated" in c.message


def test_missing_weights_are_listed_as_missing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("INPAINT_STUDIO_WEIGHTS", str(tmp_path / "none"))
    assert main(["models"]) == 0
    out = capsys.readouterr().out
    assert re.search(r"deepfill\.safetensors\s+missing", out) and re.search(r"edgeconnect\.safetensors\s+missing", out)


def test_models_write_sha256_records_the_files_present(wdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = wdir / "deepfill.safetensors"
    record_path(f).unlink()
    assert main(["models", "--write-sha256"]) == 0
    assert check_weights(f).status == "ok"
    assert "recorded" in capsys.readouterr().out


def test_auto_fallback_is_a_warning_of_the_fill(wdir: Path) -> None:
    img, mask = photo(40, 48), box_mask(40, 48, 10, 30, 12, 36)
    res = Engine().inpaint(img, mask, options=InpaintOptions(device="cpu"))
    assert res.method == "guided" and not res.warnings
    _zero_middle(wdir / "deepfill.safetensors")
    res = Engine().inpaint(img, mask, options=InpaintOptions(device="cpu"))
    # Still the photo's texture, with a poorer layout, and said so once.
    assert res.method == "guided"
    said = [w for w in res.warnings if "deepfill is unavailable" in w and "damaged" in w and "harmonic" in w]
    assert len(said) == 1 and len(res.warnings) == 1, res.warnings
    # Asked for by name, the network alone falls back to Telea, also said.
    res = Engine().inpaint(img, mask, options=InpaintOptions(method="deepfill", device="cpu"))
    assert res.method == "telea" and any("damaged" in w for w in res.warnings), res.warnings


def test_batch_announces_the_fallback_once(wdir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = tmp_path / "in"
    src.mkdir()
    for i in range(3):
        Image.fromarray(photo(40, 48, seed=i)).save(src / f"p{i}.png")
    Image.fromarray(box_mask(40, 48, 10, 30, 12, 36).astype(np.uint8) * 255).save(tmp_path / "m.png")
    (wdir / "deepfill.safetensors").write_bytes((wdir / "deepfill.safetensors").read_bytes()[:5000])
    assert main(["batch", str(src), "--masks", str(tmp_path / "m.png"), "--out", str(tmp_path / "o"), "-q"]) == 0
    cap = capsys.readouterr()
    assert "model=guided" in cap.err and cap.err.count("deepfill is unavailable") == 1, cap.err
    summary = [ln for ln in cap.out.splitlines() if "deepfill is unavailable" in ln]
    assert len(summary) == 1 and summary[0].startswith("  warning (3 photos):"), cap.out
