"""The ``detail`` option: the GAN-tuned refiner's fine texture added to deepfill's fill."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
import torch

from inpaint_studio.engine import Engine, InpaintOptions
from inpaint_studio.engine.neural import DeepFillMethod, detail_info
from inpaint_studio.models import DeepFillGenerator
from inpaint_studio.models.detail import add_detail, gaussian_blur
from inpaint_studio.models.weights import save_weights
from tests.helpers import box_mask, fine_band, photo

torch.set_num_threads(1)


def _pair(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, default: float | None = None) -> tuple[DeepFillGenerator, DeepFillGenerator]:
    """Two nets of one architecture with clearly different weights, saved as fp32."""
    monkeypatch.setenv("INPAINT_STUDIO_WEIGHTS", str(tmp_path))
    torch.manual_seed(0)
    base = DeepFillGenerator(cnum=8, prefill="pullpush")
    gan = DeepFillGenerator(cnum=8, prefill="pullpush")
    info = {"working_size": 64, "ensemble": 1}
    save_weights(base, tmp_path / "deepfill.safetensors", info, half=False)
    extra = {} if default is None else {"default_detail": default}
    save_weights(gan, tmp_path / "deepfill_detail.safetensors", {**info, **extra}, half=False)
    return base, gan


def _fill(net: torch.nn.Module, tmp_path: Path, img: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """What the engine returns with ``net`` as the only weights file (no detail)."""
    alone = tmp_path / "alone"
    save_weights(net, alone / "deepfill.safetensors", {"working_size": 64, "ensemble": 1}, half=False)
    m = DeepFillMethod("cpu", alone / "deepfill.safetensors")
    assert not m.has_detail
    return m.fill(img, mask, None)


def test_detail_adds_the_gan_refiners_fine_band(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    base, gan = _pair(tmp_path, monkeypatch)
    img = photo(40, 48, seed=2).astype(np.float32) / 255
    mask = box_mask(40, 48, 10, 30, 12, 36)
    m = DeepFillMethod("cpu")
    assert m.has_detail and m.detail == 0.0 and m.detail_sigma == 2.0  # no default in the file: start smooth
    f0 = m.fill(img, mask, None)
    m.set_detail(1.0)
    f1 = m.fill(img, mask, None)
    m.set_detail(0.5)
    f05 = m.fill(img, mask, None)
    m.set_detail(0.0)  # and back
    f0b = m.fill(img, mask, None)
    # The textured fill: the base net's coarse stage with the GAN net's refiner.
    hybrid = DeepFillGenerator(cnum=8, prefill="pullpush")
    gs = gan.state_dict()
    hybrid.load_state_dict({k: gs[k] if k.startswith("refine.") else v for k, v in base.state_dict().items()})
    smooth = _fill(base, tmp_path / "a", img, mask)
    textured = _fill(hybrid, tmp_path / "b", img, mask)
    np.testing.assert_allclose(f0, smooth, atol=1e-5)
    np.testing.assert_array_equal(f0b, f0)
    for t, got in ((1.0, f1), (0.5, f05)):
        want = np.clip(smooth + t * fine_band(textured - smooth, 2.0), 0, 1)
        want = np.where(mask[..., None], want, img)
        np.testing.assert_allclose(got, want, atol=1e-4)
    assert np.abs(f1 - f0)[mask].mean() > 1e-3  # the two files really fill differently
    np.testing.assert_array_equal(f1[~mask], img[~mask])


def test_gaussian_blur_matches_opencv_and_zero_detail_is_identity() -> None:
    rng = np.random.default_rng(0)
    x = rng.random((2, 3, 20, 26), dtype=np.float32)
    for sigma in (1.0, 2.0):
        got = gaussian_blur(torch.from_numpy(x), sigma).numpy()
        r = int(np.ceil(4 * sigma))
        want = np.stack([np.stack([cv2.GaussianBlur(c, (2 * r + 1, 2 * r + 1), sigma, borderType=cv2.BORDER_REFLECT_101)
                                   for c in im]) for im in x])
        np.testing.assert_allclose(got, want, atol=1e-5)
    a, b = torch.from_numpy(x[:1]), torch.from_numpy(x[1:])
    assert torch.equal(add_detail(a, b, 0.0, 2.0), a)
    # A flat difference has no fine band: the smooth fill comes back.
    torch.testing.assert_close(add_detail(a, a + 0.25, 1.0, 2.0), a)


def test_engine_applies_detail_and_reports_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _pair(tmp_path, monkeypatch, default=0.25)
    assert detail_info() == (True, 0.25)
    img, mask = photo(40, 48, seed=1), box_mask(40, 48, 8, 30, 10, 40)
    eng = Engine()
    r_default = eng.inpaint(img, mask, options=InpaintOptions(method="deepfill", device="cpu"))
    r0 = eng.inpaint(img, mask, options=InpaintOptions(method="deepfill", device="cpu", detail=0.0))
    r1 = eng.inpaint(img, mask, options=InpaintOptions(method="deepfill", device="cpu", detail=1.0))
    assert (r_default.detail, r0.detail, r1.detail) == (0.25, 0.0, 1.0)
    for r in (r0, r1):
        assert np.array_equal(r.pixels[~mask], img[~mask])
    assert not np.array_equal(r0.pixels[mask], r1.pixels[mask])


def test_no_detail_file_leaves_the_option_off(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INPAINT_STUDIO_WEIGHTS", str(tmp_path))
    save_weights(DeepFillGenerator(cnum=8), tmp_path / "deepfill.safetensors", {"working_size": 64})
    assert detail_info() == (False, 0.0)
    img, mask = photo(40, 48), box_mask(40, 48, 8, 30, 10, 40)
    res = Engine().inpaint(img, mask, options=InpaintOptions(method="deepfill", device="cpu", detail=1.0))
    assert res.method == "deepfill" and res.detail is None and not res.warnings


def test_detail_file_of_another_architecture_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INPAINT_STUDIO_WEIGHTS", str(tmp_path))
    save_weights(DeepFillGenerator(cnum=8), tmp_path / "deepfill.safetensors", {"working_size": 64})
    save_weights(DeepFillGenerator(cnum=16), tmp_path / "deepfill_detail.safetensors", {"working_size": 64})
    m = DeepFillMethod("cpu")
    assert not m.has_detail and "architecture" in m.detail_error
    assert m.set_detail(1.0) == 0.0
    (tmp_path / "deepfill_detail.safetensors").write_bytes(b"\x00" * 32)
    m = DeepFillMethod("cpu")
    assert not m.has_detail and "damaged" in m.detail_error


def test_preview_skips_the_detail_pass_and_the_final_fill_keeps_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _pair(tmp_path, monkeypatch, default=0.75)
    img, mask = photo(96, 112, seed=5), box_mask(96, 112, 30, 70, 30, 80)
    previews: list = []
    res = Engine().inpaint(img, mask, options=InpaintOptions(method="deepfill", device="cpu", preview_size=48),
                           on_preview=previews.append)
    assert [p.detail for p in previews] == [0.0] and res.detail == 0.75
    again = Engine().inpaint(img, mask, options=InpaintOptions(method="deepfill", device="cpu"))
    np.testing.assert_array_equal(res.pixels, again.pixels)  # the preview left no trace


def test_detail_fill_with_the_mirror_ensemble_is_the_mean_of_the_mirrored_detail_fills(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The detail mix runs once on the averaged fills; being linear, that must equal
    averaging the detail fills of the photo and of its mirror image."""
    base, gan = _pair(tmp_path, monkeypatch)
    monkeypatch.setenv("INPAINT_STUDIO_PRECISION", "fp32")
    img = photo(40, 48, seed=6).astype(np.float32) / 255
    mask = box_mask(40, 48, 8, 32, 10, 30)
    single = DeepFillMethod("cpu")
    single.set_detail(1.0)
    a = single.fill(img, mask, None)
    b = single.fill(img[:, ::-1].copy(), mask[:, ::-1].copy(), None)[:, ::-1]
    monkeypatch.setenv("INPAINT_STUDIO_ENSEMBLE", "2")
    both = DeepFillMethod("cpu")
    assert both.ensemble == 2
    both.set_detail(1.0)
    got = both.fill(img, mask, None)
    # Each single fill is clipped to [0, 1] before the mean; the ensemble clips after.
    inside = mask[..., None] & (a > 0) & (a < 1) & (b > 0) & (b < 1)
    assert inside.sum() > 0.9 * 3 * mask.sum()
    np.testing.assert_allclose(got[inside], ((a + b) / 2)[inside], atol=1e-4)
    assert np.abs(a - b)[mask].mean() > 1e-3  # the mirror really fills differently
