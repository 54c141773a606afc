"""The weights in ``weights/`` load as the app will load them, and fill.

Guards the files themselves (a bad export or a half-committed file would otherwise
only show up when a user opens the app): strict shape checks, the detail file's
architecture matching the base, and its default being applied.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from inpaint_studio.engine import Engine, InpaintOptions
from inpaint_studio.engine.neural import DeepFillMethod, EdgeConnectMethod, detail_info, weights_dir
from tests.helpers import box_mask, photo

torch.set_num_threads(1)


@pytest.fixture(autouse=True)
def _shipped(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("INPAINT_STUDIO_WEIGHTS", raising=False)


def test_deepfill_and_its_detail_weights_load_and_fill() -> None:
    m = DeepFillMethod("cpu")
    assert m.has_detail, m.detail_error
    has, default = detail_info()
    assert has and m.detail == default == 0.5 and m.detail_sigma == 2.0
    img = photo(64, 80, seed=3).astype(np.float32) / 255
    mask = box_mask(64, 80, 20, 44, 24, 56)
    smooth = m.fill(img, mask, None)
    m.set_detail(1.0)
    sharp = m.fill(img, mask, None)
    assert np.isfinite(sharp).all() and not np.array_equal(smooth, sharp)
    np.testing.assert_array_equal(sharp[~mask], img[~mask])


def test_edge_weights_load() -> None:
    assert (weights_dir() / "edgeconnect.safetensors").is_file()
    EdgeConnectMethod("cpu")


def test_default_fill_is_deepfill_at_the_shipped_detail() -> None:
    img, mask = photo(64, 80, seed=4), box_mask(64, 80, 16, 40, 20, 60)
    res = Engine().inpaint(img, mask, options=InpaintOptions(device="cpu"))
    assert res.method == "deepfill" and res.detail == 0.5 and not res.warnings


def test_every_shipped_weights_file_matches_its_sha256_record() -> None:
    """New weights must come with their record (`inpaint-studio models --write-sha256`,
    or export them with `python -m inpaint_studio.models.export`, which writes it)."""
    from inpaint_studio.core.checksums import check_weights, read_record

    files = sorted(weights_dir().glob("*.safetensors"))
    assert files
    for f in files:
        assert read_record(f) is not None, f"{f.name} has no {f.name}.sha256 record"
        assert check_weights(f).status == "ok", check_weights(f).message
