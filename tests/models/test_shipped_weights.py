"""The weights in ``weights/`` load as the app will load them, and fill.

Guards the files themselves (a bad export or a half-committed file would otherwise
only show up when a user opens the app): strict shape checks, and the default fill
using them.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from inpaint_studio.engine import Engine, InpaintOptions
from inpaint_studio.engine.neural import DeepFillMethod, EdgeConnectMethod, weights_dir
from tests.helpers import box_mask, photo

torch.set_num_threads(1)


@pytest.fixture(autouse=True)
def _shipped(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("INPAINT_STUDIO_WEIGHTS", raising=False)


def test_deepfill_weights_load_and_fill() -> None:
    m = DeepFillMethod("cpu")
    img = photo(64, 80, seed=3).astype(np.float32) / 255
    mask = box_mask(64, 80, 20, 44, 24, 56)
    out = m.fill(img, mask, None)
    assert np.isfinite(out).all() and not np.allclose(out[mask], 0)
    np.testing.assert_array_equal(out[~mask], img[~mask])


def test_edge_weights_load() -> None:
    assert (weights_dir() / "edgeconnect.safetensors").is_file()
    EdgeConnectMethod("cpu")


def test_default_fill_is_guided_by_the_shipped_network() -> None:
    img, mask = photo(64, 80, seed=4), box_mask(64, 80, 16, 40, 20, 60)
    eng = Engine()
    res = eng.inpaint(img, mask, options=InpaintOptions(device="cpu"))
    assert res.method == "guided" and not res.warnings
    assert eng.load("fill", "guided", "cpu").guide_name == "deepfill"


def test_every_shipped_weights_file_matches_its_sha256_record() -> None:
    """New weights must come with their record (`inpaint-studio models --write-sha256`,
    or export them with `python -m inpaint_studio.models.export`, which writes it)."""
    from inpaint_studio.core.checksums import check_weights, read_record

    files = sorted(weights_dir().glob("*.safetensors"))
    assert files
    for f in files:
        assert read_record(f) is not None, f"{f.name} has no {f.name}.sha256 record"
        assert check_weights(f).status == "ok", check_weights(f).message
