"""Weights round-trip and every way a weights file can be unusable."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from inpaint_studio.core.errors import WeightsError
from inpaint_studio.models import DeepFillGenerator, EdgeGenerator
from inpaint_studio.models.weights import load_weights, read_metadata, save_weights

torch.set_num_threads(1)


def test_round_trip_rebuilds_architecture_from_metadata(tmp_path: Path) -> None:
    torch.manual_seed(0)
    g = DeepFillGenerator(cnum=8)
    path = save_weights(g, tmp_path / "g.safetensors", {"working_size": 256}, half=False)
    loaded, info = load_weights(path)
    assert isinstance(loaded, DeepFillGenerator) and loaded.cnum == 8
    assert info["working_size"] == 256
    for (k, a), b in zip(g.state_dict().items(), loaded.state_dict().values()):
        assert torch.equal(a, b), k
    config, _ = read_metadata(path)
    assert config == {"arch": "deepfill_v2", "cnum": 8}


def test_fp16_round_trip_is_close(tmp_path: Path) -> None:
    e = EdgeGenerator(width=8, blocks=1)
    loaded, _ = load_weights(save_weights(e, tmp_path / "e.safetensors"))
    assert isinstance(loaded, EdgeGenerator) and loaded.blocks == 1
    w0 = e.state_dict()["net.1.weight_orig"]
    assert torch.allclose(w0, loaded.state_dict()["net.1.weight_orig"], atol=1e-3)


def test_torch_import_needs_sidecar_or_config(tmp_path: Path) -> None:
    g = DeepFillGenerator(cnum=8)
    pt = tmp_path / "import.pth"
    torch.save(g.state_dict(), pt)
    with pytest.raises(WeightsError, match="import.json"):
        load_weights(pt)
    (tmp_path / "import.json").write_text(json.dumps(g.config()))
    loaded, _ = load_weights(pt)
    assert loaded.cnum == 8


def test_missing_file_is_a_readable_error(tmp_path: Path) -> None:
    with pytest.raises(WeightsError, match="not found"):
        load_weights(tmp_path / "nope.safetensors")


@pytest.mark.parametrize("content", [b"", b"garbage, not a safetensors header" * 3])
def test_damaged_file_is_a_readable_error(tmp_path: Path, content: bytes) -> None:
    p = tmp_path / "bad.safetensors"
    p.write_bytes(content)
    with pytest.raises(WeightsError, match="bad.safetensors"):
        load_weights(p)


def test_truncated_file_is_a_readable_error(tmp_path: Path) -> None:
    p = save_weights(DeepFillGenerator(cnum=8), tmp_path / "t.safetensors")
    data = p.read_bytes()
    p.write_bytes(data[: len(data) // 2])
    with pytest.raises(WeightsError):
        load_weights(p)


def test_shape_mismatch_names_the_tensor(tmp_path: Path) -> None:
    p = save_weights(DeepFillGenerator(cnum=8), tmp_path / "g.safetensors")
    with pytest.raises(WeightsError, match="wrong shape"):
        load_weights(p, config={"arch": "deepfill_v2", "cnum": 12})


def test_saved_weights_are_readable_by_others(tmp_path: Path) -> None:
    import os
    import stat

    umask = os.umask(0o022)
    try:
        p = save_weights(DeepFillGenerator(cnum=8), tmp_path / "w.safetensors")
    finally:
        os.umask(umask)
    assert stat.S_IMODE(p.stat().st_mode) == 0o644
