from __future__ import annotations

import threading

import numpy as np
import pytest

from inpaint_studio.core.errors import CancelledError, MaskError, UnknownMethodError, WeightsError
from inpaint_studio.engine import CancelToken, Engine, InpaintOptions, MethodInfo, register_fill, registry
from tests.helpers import box_mask, photo


def test_telea_fills_hole_and_keeps_outside() -> None:
    img = photo(80, 100)
    mask = box_mask(80, 100, 30, 50, 40, 70)
    r = Engine().inpaint(img, mask, options=InpaintOptions(method="telea"))
    assert r.method == "telea" and r.regions == 1
    np.testing.assert_array_equal(r.pixels[~mask], img[~mask])
    # The red square's top-left corner is inside the hole; Telea replaces it with its surroundings.
    assert np.abs(r.pixels[mask].astype(int) - img[mask].astype(int)).mean() > 1


def test_wrong_mask_shape_is_a_clear_error() -> None:
    with pytest.raises(MaskError, match="scale the mask"):
        Engine().inpaint(photo(20, 30), np.zeros((30, 20), bool))


def test_unknown_method() -> None:
    with pytest.raises(UnknownMethodError, match="available"):
        Engine().inpaint(photo(20, 30), box_mask(20, 30, 1, 5, 1, 5), options=InpaintOptions(method="nope"))


def test_empty_mask_returns_copy() -> None:
    img = photo(10, 10)
    r = Engine().inpaint(img, np.zeros((10, 10), bool))
    assert r.regions == 0 and r.pixels is not img
    np.testing.assert_array_equal(r.pixels, img)


class _Slow:
    name = "test-slow"
    working_size = 64

    def __init__(self, started: threading.Event) -> None:
        self.started = started

    def fill(self, rgb: np.ndarray, hole: np.ndarray, edges: np.ndarray | None) -> np.ndarray:
        self.started.set()
        return rgb


def test_cancel_between_regions() -> None:
    started = threading.Event()
    token = CancelToken()

    class CancelAfterFirst(_Slow):
        def fill(self, rgb: np.ndarray, hole: np.ndarray, edges: np.ndarray | None) -> np.ndarray:
            token.cancel()
            return rgb

    register_fill(MethodInfo("test-cancel", "test", "classical", lambda d: CancelAfterFirst(started)))
    mask = np.zeros((200, 400), bool)
    mask[10:20, 10:20] = True
    mask[150:160, 350:360] = True
    calls: list[float] = []
    with pytest.raises(CancelledError):
        Engine().inpaint(
            photo(200, 400),
            mask,
            options=InpaintOptions(method="test-cancel"),
            cancel=token,
            progress=lambda f, m: calls.append(f),
        )
    assert calls == [0.0]  # second region never started


def test_missing_weights_fall_back_to_telea_with_warning() -> None:
    def broken(_device: str) -> object:
        raise WeightsError("weights/x.safetensors: file not found")

    register_fill(MethodInfo("test-broken", "test", "neural", broken))
    img = photo(40, 40)
    mask = box_mask(40, 40, 10, 20, 10, 20)
    r = Engine().inpaint(img, mask, options=InpaintOptions(method="test-broken", device="cpu"))
    assert r.method == "telea"
    assert any("x.safetensors" in w and "Telea" in w for w in r.warnings)


def test_gpu_oom_retries_on_cpu(monkeypatch: pytest.MonkeyPatch) -> None:
    class OOMOnCuda:
        name = "test-oom"
        working_size = 64

        def __init__(self, device: str) -> None:
            self.device = device

        def fill(self, rgb: np.ndarray, hole: np.ndarray, edges: np.ndarray | None) -> np.ndarray:
            if self.device == "cuda":
                raise RuntimeError("CUDA out of memory. Tried to allocate 2.00 GiB")
            return np.zeros_like(rgb)

    register_fill(MethodInfo("test-oom", "test", "neural", lambda d: OOMOnCuda(d)))
    monkeypatch.setattr("inpaint_studio.engine.engine.resolve_device", lambda d: "cuda")
    img = photo(40, 40)
    mask = box_mask(40, 40, 10, 20, 10, 20)
    r = Engine().inpaint(img, mask, options=InpaintOptions(method="test-oom", device="cuda"))
    assert r.device == "cpu"
    assert any("out of memory" in w for w in r.warnings)
    assert (r.pixels[mask] == 0).all()


def test_edges_are_passed_to_method_and_hallucinated_only_in_hole() -> None:
    seen: dict[str, object] = {}

    class Spy:
        name = "test-spy"
        working_size = 512

        def fill(self, rgb: np.ndarray, hole: np.ndarray, edges: np.ndarray | None) -> np.ndarray:
            seen["edges"] = edges
            return rgb

    register_fill(MethodInfo("test-spy", "test", "classical", lambda d: Spy()))
    img = photo(60, 60)
    mask = box_mask(60, 60, 20, 40, 20, 40)
    edges = np.zeros((60, 60), np.float32)
    edges[30, :] = 1
    Engine().inpaint(img, mask, edges, InpaintOptions(method="test-spy"))
    assert isinstance(seen["edges"], np.ndarray) and seen["edges"].max() == 1
    Engine().inpaint(img, mask, edges, InpaintOptions(method="test-spy", use_edges=False))
    assert seen["edges"] is None
    e = Engine().hallucinate_edges(img, mask, InpaintOptions(edge_method="canny"))
    assert e.shape == (60, 60) and e.dtype == np.float32
    assert (e[~mask] == 0).all()


def test_registry_lists_classical_methods() -> None:
    names = {m.name for m in registry.fill_methods()}
    assert {"telea", "ns"} <= names
    assert registry.default_fill_name() in names


def test_preview_comes_first_at_low_resolution() -> None:
    sizes: list[tuple[int, int]] = []

    class Recorder:
        name = "test-rec"
        working_size = 512

        def fill(self, rgb: np.ndarray, hole: np.ndarray, edges: np.ndarray | None) -> np.ndarray:
            sizes.append(rgb.shape[:2])
            return np.zeros_like(rgb)

    register_fill(MethodInfo("test-rec", "test", "classical", lambda d: Recorder()))
    img = photo(300, 400)
    mask = box_mask(300, 400, 100, 200, 100, 300)
    previews: list[object] = []
    r = Engine().inpaint(
        img, mask, options=InpaintOptions(method="test-rec", preview_size=128), on_preview=previews.append
    )
    assert len(previews) == 1 and max(sizes[0]) <= 128 and max(sizes[1]) > 128
    np.testing.assert_array_equal(previews[0].pixels[~mask], img[~mask])
    assert (r.pixels[mask][:, :3] == 0).all()


def test_fill_batch_groups_regions() -> None:
    calls: list[int] = []

    class Batched:
        name = "test-batch"
        working_size = 512

        def fill(self, rgb: np.ndarray, hole: np.ndarray, edges: np.ndarray | None) -> np.ndarray:
            raise AssertionError("fill_batch should be used")

        def fill_batch(self, crops: list) -> list[np.ndarray]:
            calls.append(len(crops))
            return [np.ones_like(rgb) for rgb, _h, _e in crops]

    register_fill(MethodInfo("test-batch", "test", "classical", lambda d: Batched(), batching=True))
    img = photo(1300, 1300)
    mask = np.zeros((1300, 1300), bool)
    for i in range(5):
        mask[20 + i * 250 : 30 + i * 250, 20 + i * 250 : 30 + i * 250] = True
    r = Engine().inpaint(img, mask, options=InpaintOptions(method="test-batch", batch_size=4))
    assert calls == [4, 1] and r.regions == 5
    assert (r.pixels[mask] == 255).all()
    np.testing.assert_array_equal(r.pixels[~mask], img[~mask])


def test_downscaled_fill_leaves_no_trace_of_the_removed_object() -> None:
    """Default paste is hard-edged: no ring of the object's own pixels at the hole border."""

    class Grey:
        name = "test-grey"
        working_size = 256

        def fill(self, rgb: np.ndarray, hole: np.ndarray, edges: np.ndarray | None) -> np.ndarray:
            assert (rgb[~hole] * 255).round().max() == 100  # known context is pure background
            return np.full_like(rgb, 100 / 255)

    register_fill(MethodInfo("test-grey", "test", "classical", lambda d: Grey()))
    img = np.full((1200, 1600, 3), 100, np.uint8)
    mask = box_mask(1200, 1600, 200, 1000, 300, 1300)
    img[mask] = 250  # the object: bright
    r = Engine().inpaint(img, mask, options=InpaintOptions(method="test-grey"))
    assert (r.pixels == 100).all()


def test_deepfill_batches_equal_size_crops_with_identical_results() -> None:
    from inpaint_studio.engine.neural import DeepFillMethod, _available

    ok, why = _available("deepfill.safetensors")
    if not ok:
        pytest.skip(why)
    m = DeepFillMethod("cpu")
    rng = np.random.default_rng(0)
    crops = []
    for k, (h, w) in enumerate([(64, 64), (64, 64), (48, 80)]):
        rgb = rng.random((h, w, 3), dtype=np.float32)
        hole = np.zeros((h, w), bool)
        hole[10 + k : 30 + k, 12:40] = True
        crops.append((rgb, hole, None))
    batched = m.fill_batch(crops)
    for (rgb, hole, e), got in zip(crops, batched):
        single = m.fill(rgb, hole, e)
        assert got.shape == rgb.shape
        np.testing.assert_allclose(got, single, atol=2e-2)  # bf16 kernels may differ by batch size
        np.testing.assert_array_equal(got[~hole], rgb[~hole])


def test_deepfill_pads_crops_of_different_sizes_into_one_call(tmp_path, monkeypatch) -> None:
    """With a coarse ``batch_multiple`` (the CUDA setting) unequal crops share a call;
    with 8 (the CPU setting) a crop that pads to the same size is filled exactly as alone."""
    import torch

    from inpaint_studio.engine.neural import DeepFillMethod
    from inpaint_studio.models import DeepFillGenerator
    from inpaint_studio.models.weights import save_weights

    torch.manual_seed(0)
    save_weights(
        DeepFillGenerator(cnum=8, prefill="pullpush"),
        tmp_path / "deepfill.safetensors",
        {"working_size": 128, "flip_average": False},
        half=False,
    )
    m = DeepFillMethod("cpu", tmp_path / "deepfill.safetensors")
    m.precision = "fp32"
    calls: list[tuple[int, ...]] = []
    real_forward = m.model.forward
    monkeypatch.setattr(m.model, "forward", lambda *a: calls.append(tuple(a[0].shape)) or real_forward(*a))
    rng = np.random.default_rng(0)
    crops = []
    for k, (h, w) in enumerate([(41, 50), (48, 56), (30, 61)]):
        rgb = rng.random((h, w, 3), dtype=np.float32)
        hole = np.zeros((h, w), bool)
        hole[5 + k : 20 + k, 8:30] = True
        crops.append((rgb, hole, None))
    singles = [m.fill(*c) for c in crops]
    calls.clear()
    assert m.batch_multiple == 8
    exact = m.fill_batch(crops[:2])  # 41x50 and 48x56 both pad to 48x56
    assert calls == [(2, 3, 48, 56)]
    for got, single in zip(exact, singles):
        np.testing.assert_allclose(got, single, atol=1e-5)
    calls.clear()
    m.batch_multiple = 64
    got = m.fill_batch(crops)
    assert calls == [(3, 3, 64, 64)]
    for (rgb, hole, _e), g, single in zip(crops, got, singles):
        assert g.shape == rgb.shape
        np.testing.assert_array_equal(g[~hole], rgb[~hole])
        assert np.abs(g[hole] - single[hole]).mean() < 0.05


def test_harmonic_fill_continues_a_smooth_ramp_and_keeps_known_pixels() -> None:
    """Laplace's equation is solved by a linear ramp, so the harmonic fill of a hole
    in one is the ramp (Telea, which marches inward from the border, is not)."""
    from inpaint_studio.engine import Engine, InpaintOptions

    yy, xx = np.mgrid[0:80, 0:120].astype(np.float32)
    img = np.stack([xx * 2, yy * 3, 255 - xx * 2], axis=2).clip(0, 255).astype(np.uint8)
    hole = np.zeros((80, 120), bool)
    hole[20:60, 30:90] = True
    blank = img.copy()
    blank[hole] = 0
    eng = Engine()
    res = eng.inpaint(blank, hole, options=InpaintOptions(method="harmonic"))
    tel = eng.inpaint(blank, hole, options=InpaintOptions(method="telea"))
    assert res.method == "harmonic"
    np.testing.assert_array_equal(res.pixels[~hole], blank[~hole])
    err = np.abs(res.pixels[hole].astype(int) - img[hole]).mean()
    assert err < 2.0 and err < np.abs(tel.pixels[hole].astype(int) - img[hole]).mean()
