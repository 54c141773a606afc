"""``deepfill`` through the engine: fallback without weights, exact outside pixels with."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from inpaint_studio.engine import Engine, InpaintOptions
from inpaint_studio.engine.registry import default_fill_name, fill_info
from inpaint_studio.models import DeepFillGenerator, EdgeGenerator
from inpaint_studio.models.weights import save_weights
from tests.helpers import box_mask, photo

torch.set_num_threads(1)


def test_missing_weights_fall_back_to_telea_with_warning(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INPAINT_STUDIO_WEIGHTS", str(tmp_path))
    ok, why = fill_info("deepfill").available()
    assert not ok and "not found" in why
    assert default_fill_name() != "deepfill"
    img, mask = photo(48, 64), box_mask(48, 64, 10, 30, 20, 40)
    res = Engine().inpaint(img, mask, options=InpaintOptions(method="deepfill", device="cpu"))
    assert res.method == "telea"
    assert any("Telea" in w for w in res.warnings)


def test_damaged_weights_fall_back_to_telea(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INPAINT_STUDIO_WEIGHTS", str(tmp_path))
    (tmp_path / "deepfill.safetensors").write_bytes(b"\x00" * 64)
    img, mask = photo(48, 64), box_mask(48, 64, 10, 30, 20, 40)
    res = Engine().inpaint(img, mask, options=InpaintOptions(method="deepfill", device="cpu"))
    assert res.method == "telea" and res.warnings


def test_deepfill_keeps_pixels_outside_the_mask(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INPAINT_STUDIO_WEIGHTS", str(tmp_path))
    torch.manual_seed(0)
    save_weights(DeepFillGenerator(cnum=8), tmp_path / "deepfill.safetensors", {"working_size": 64})
    # The default fill takes its layout from the classical harmonic fill until the
    # weights say their eval beat it.
    assert default_fill_name() == "guided"
    assert Engine().load("fill", "guided", "cpu").guide_name == "harmonic"
    save_weights(
        DeepFillGenerator(cnum=8), tmp_path / "deepfill.safetensors", {"working_size": 64, "beats_baseline": True}
    )
    assert Engine().load("fill", "guided", "cpu").guide_name == "deepfill"
    img = photo(50, 70, seed=3)  # not a multiple of 8: exercises the padding
    mask = box_mask(50, 70, 12, 30, 20, 45)
    edges = np.zeros((50, 70), np.float32)
    edges[20, 20:45] = 1.0
    res = Engine().inpaint(img, mask, edges=edges, options=InpaintOptions(method="deepfill", device="cpu"))
    assert res.method == "deepfill" and not res.warnings
    assert res.pixels.shape == img.shape and res.pixels.dtype == img.dtype
    assert np.array_equal(res.pixels[~mask], img[~mask])
    assert not np.array_equal(res.pixels[mask], img[mask])


def test_edgeconnect_method_returns_edge_map(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INPAINT_STUDIO_WEIGHTS", str(tmp_path))
    save_weights(EdgeGenerator(8, 1), tmp_path / "edgeconnect.safetensors")
    from inpaint_studio.engine.neural import EdgeConnectMethod

    m = EdgeConnectMethod("cpu")
    rgb = photo(40, 52).astype(np.float32) / 255
    e = m.edges(rgb, box_mask(40, 52, 10, 20, 10, 30))
    assert e.shape == (40, 52) and e.dtype == np.float32 and 0 <= e.min() and e.max() <= 1


def test_hole_touching_the_padded_border_sees_no_fake_known_pixels(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Sizes that are not multiples of 8 are padded; the pad must not count as known.

    An untrained pull-push generator fills a flat grey photo with exactly that grey,
    unless padded rows (reflecting the blanked hole) were marked known: then black
    leaks into the fill.  This bug cost ~1.2 dB on the validation set.
    """
    monkeypatch.setenv("INPAINT_STUDIO_WEIGHTS", str(tmp_path))
    save_weights(
        DeepFillGenerator(cnum=8, prefill="pullpush").zero_heads(),
        tmp_path / "deepfill.safetensors",
        {"working_size": 128, "flip_average": False},
        half=False,
    )
    img = np.full((61, 77, 3), 150, np.uint8)
    mask = np.zeros((61, 77), bool)
    mask[30:, 40:] = True  # touches the bottom and right borders
    blank = img.copy()
    blank[mask] = 0
    res = Engine().inpaint(blank, mask, options=InpaintOptions(method="deepfill", device="cpu", feather=0))
    assert res.method == "deepfill"
    assert np.abs(res.pixels[mask].astype(int) - 150).max() <= 1


@pytest.mark.parametrize("ensemble", [1, 2, 4])
def test_mirror_ensemble_averages_the_fills_of_the_mirrored_crops(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, ensemble: int
) -> None:
    import torch

    from inpaint_studio.engine.neural import DeepFillMethod

    torch.manual_seed(0)
    net = DeepFillGenerator(cnum=8)
    monkeypatch.setenv("INPAINT_STUDIO_WEIGHTS", str(tmp_path))
    save_weights(net, tmp_path / "deepfill.safetensors", {"working_size": 64, "ensemble": ensemble}, half=False)
    method = DeepFillMethod("cpu", precision="fp32")
    assert method.ensemble == ensemble
    rgb = photo(32, 48).astype(np.float32) / 255
    hole = box_mask(32, 48, 8, 24, 10, 30)
    got = method.fill(rgb, hole, None)
    from inpaint_studio.engine.edges import known_edges

    x = torch.from_numpy(rgb).permute(2, 0, 1)[None] * 2 - 1
    m = torch.from_numpy(hole.astype(np.float32))[None, None]
    e = torch.from_numpy(known_edges(rgb, hole))[None, None]
    outs = []
    net.eval()
    with torch.no_grad():
        for dims in ([], [3], [2], [2, 3])[:ensemble]:
            f = lambda t, d=dims: torch.flip(t, d) if d else t  # noqa: E731
            outs.append(f(net(f(x), f(m), f(e))[2]))
    want = ((sum(outs) / ensemble)[0].permute(1, 2, 0).numpy() + 1) / 2
    np.testing.assert_allclose(got[hole], want.clip(0, 1)[hole], atol=2e-4)


def test_weights_metadata_selects_the_harmonic_solver(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from inpaint_studio.engine.neural import DeepFillMethod
    from inpaint_studio.models.prefill import CONVERGED

    monkeypatch.setenv("INPAINT_STUDIO_WEIGHTS", str(tmp_path))
    net = DeepFillGenerator(cnum=8, prefill="harmonic_plain")
    save_weights(net, tmp_path / "deepfill.safetensors", {"working_size": 64})
    assert DeepFillMethod("cpu").model.harmonic_solver == {"iters": 20}  # as trained
    save_weights(net, tmp_path / "deepfill.safetensors", {"working_size": 64, "harmonic_solver": CONVERGED})
    assert DeepFillMethod("cpu").model.harmonic_solver == CONVERGED
