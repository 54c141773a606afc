"""A crafted checkpoint cannot run code: resume, export and the export tool refuse it."""

from __future__ import annotations

import pathlib
from pathlib import Path

import numpy as np
import pytest
import torch

from inpaint_studio.core.errors import WeightsError
from inpaint_studio.models.weights import export_checkpoint, load_checkpoint

torch.set_num_threads(1)


class _Payload:
    """Unpickling this calls ``Path.touch(marker)``: stands in for any command."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple:
        return (pathlib.Path.touch, (self.marker,))


def _evil(tmp_path: Path) -> tuple[Path, Path]:
    marker = tmp_path / "pwned"
    ckpt = tmp_path / "evil.pt"
    torch.save(
        {
            "g": {},
            "model_config": {"arch": "deepfill_v2", "cnum": 4},
            "step": 1,
            "config": {"kind": "generator"},
            "payload": _Payload(marker),
        },
        ckpt,
    )
    assert not marker.exists()
    return ckpt, marker


def test_loading_a_crafted_checkpoint_runs_nothing(tmp_path: Path) -> None:
    ckpt, marker = _evil(tmp_path)
    with pytest.raises(WeightsError, match="refused"):
        load_checkpoint(ckpt)
    with pytest.raises(WeightsError):
        export_checkpoint(ckpt, tmp_path / "out.safetensors")
    assert not marker.exists() and not (tmp_path / "out.safetensors").exists()


def test_train_resume_from_a_crafted_checkpoint_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from inpaint_studio.cli import main
    from inpaint_studio.training.trainer import TrainConfig, Trainer

    ckpt, marker = _evil(tmp_path)
    with pytest.raises(WeightsError):
        Trainer(TrainConfig(data=str(tmp_path), out=str(tmp_path / "run"), cnum=4), resume_from=ckpt)
    assert not marker.exists()
    code = main(
        [
            "train",
            "generator",
            "--data",
            str(tmp_path),
            "--out",
            str(tmp_path / "run2"),
            "--resume-from",
            str(ckpt),
            "--steps",
            "1",
        ]
    )
    assert code == 2 and "refused" in capsys.readouterr().err and not marker.exists()


def test_export_tool_refuses_it(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from inpaint_studio.models.export import main

    ckpt, marker = _evil(tmp_path)
    for extra in ([], ["--slim-state", str(tmp_path / "slim.pt")], ["--zero-heads"]):
        assert main([str(ckpt), str(tmp_path / "o.safetensors"), *extra]) == 1
        assert not marker.exists()
    assert "refused" in capsys.readouterr().err


def test_plain_checkpoints_still_load_with_older_numpy_rng_state(tmp_path: Path) -> None:
    """Checkpoints written before the RNG array became a tensor hold a NumPy array."""
    state = {
        "g": {"w": torch.ones(2)},
        "step": 3,
        "rng_numpy": np.random.get_state(),
        "rng_python": __import__("random").getstate(),
        "config": {"long_side": (4, 8)},
    }
    torch.save(state, tmp_path / "old.pt")
    back = load_checkpoint(tmp_path / "old.pt")
    assert back["step"] == 3 and isinstance(back["rng_numpy"][1], np.ndarray)
    np.testing.assert_array_equal(back["rng_numpy"][1], state["rng_numpy"][1])
