"""The pull-push prefill and the residual (``prefill="pullpush"``) generator variant."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from inpaint_studio.models import DeepFillGenerator
from inpaint_studio.models.prefill import pull_push_fill
from inpaint_studio.models.weights import load_weights, read_metadata, save_weights

torch.set_num_threads(1)


def _hole(n: int, h: int, w: int) -> torch.Tensor:
    m = torch.zeros(n, 1, h, w)
    m[:, :, h // 4 : 3 * h // 4, w // 5 : w // 2] = 1
    return m


def test_known_pixels_are_kept_and_constant_images_fill_with_the_constant() -> None:
    torch.manual_seed(0)
    x = torch.rand(2, 3, 40, 56) * 2 - 1
    m = _hole(2, 40, 56)
    y = pull_push_fill(x * (1 - m), m)
    assert torch.equal(y * (1 - m), x * (1 - m))
    c = torch.full((1, 3, 40, 56), 0.3)
    yc = pull_push_fill(c * (1 - m[:1]), m[:1])
    assert torch.allclose(yc, c, atol=1e-6)


def test_fill_follows_a_horizontal_gradient_between_its_borders() -> None:
    """A hole in a left-to-right ramp is filled with values between the border values."""
    ramp = torch.linspace(-1, 1, 64).expand(1, 3, 32, 64).clone()
    m = torch.zeros(1, 1, 32, 64)
    m[..., 8:24, 20:44] = 1
    y = pull_push_fill(ramp * (1 - m), m)
    inside = y[0, 0, 8:24, 20:44]
    assert float(inside.min()) >= float(ramp[0, 0, 0, 19]) - 0.15
    assert float(inside.max()) <= float(ramp[0, 0, 0, 44]) + 0.15
    # left half of the hole darker than the right half, like the ramp
    assert float(inside[:, :12].mean()) < float(inside[:, 12:].mean()) - 0.2


def test_all_hole_sample_gives_mid_grey_and_does_not_leak_between_samples() -> None:
    x = torch.rand(2, 3, 16, 16)
    m = torch.zeros(2, 1, 16, 16)
    m[1] = 1
    y = pull_push_fill(x * (1 - m), m)
    assert torch.equal(y[1], torch.zeros_like(y[1]))
    assert torch.equal(y[0], x[0])


def test_untrained_residual_generator_returns_the_pull_push_fill() -> None:
    torch.manual_seed(0)
    g = DeepFillGenerator(cnum=8, prefill="pullpush").zero_heads().eval()
    x = torch.rand(1, 3, 32, 48) * 2 - 1
    m = _hole(1, 32, 48)
    with torch.no_grad():
        x1, x2, comp = g(x, m, torch.zeros_like(m))
    base = pull_push_fill(x * (1 - m), m)
    assert torch.allclose(comp, base, atol=1e-6)
    # ...and one training step moves it away from the prefill (the heads are not stuck at zero)
    opt = torch.optim.Adam(g.parameters(), lr=1e-2)
    g.train()
    _, x2, _ = g(x, m, torch.zeros_like(m))
    ((x2 - x).abs() * m).mean().backward()
    opt.step()
    with torch.no_grad():
        _, _, comp2 = g.eval()(x, m, torch.zeros_like(m))
    assert not torch.allclose(comp2, base, atol=1e-4)


def test_prefill_is_stored_in_the_weights_metadata(tmp_path: Path) -> None:
    g = DeepFillGenerator(cnum=8, prefill="pullpush")
    path = save_weights(g, tmp_path / "g.safetensors", half=False)
    assert read_metadata(path)[0] == {"arch": "deepfill_v2", "cnum": 8, "prefill": "pullpush"}
    loaded, _ = load_weights(path)
    assert isinstance(loaded, DeepFillGenerator) and loaded.prefill == "pullpush"


def test_unknown_prefill_is_rejected() -> None:
    with pytest.raises(ValueError, match="prefill"):
        DeepFillGenerator(cnum=8, prefill="telea")


def test_untrained_blend_generator_returns_the_mean_of_pull_push_and_guide() -> None:
    torch.manual_seed(0)
    g = DeepFillGenerator(cnum=8, prefill="blend").zero_heads().eval()
    assert g.needs_guide
    x = torch.rand(1, 3, 32, 48) * 2 - 1
    m = _hole(1, 32, 48)
    guide = torch.rand(1, 3, 32, 48) * 2 - 1
    with torch.no_grad():
        _, _, comp = g(x, m, torch.zeros_like(m), guide)
    known = x * (1 - m)
    expect = 0.5 * (pull_push_fill(known, m) + guide * m + known)
    assert torch.allclose(comp, expect * m + known, atol=1e-6)
    with pytest.raises(ValueError, match="guide"):
        g(x, m, torch.zeros_like(m))


def test_engine_feeds_telea_as_the_guide(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Through the engine an untrained blend net gives exactly (pull-push + Telea) / 2."""
    import numpy as np

    from inpaint_studio.engine import Engine, InpaintOptions
    from inpaint_studio.engine.classical import telea_u8

    monkeypatch.setenv("INPAINT_STUDIO_WEIGHTS", str(tmp_path))
    save_weights(
        DeepFillGenerator(cnum=8, prefill="blend").zero_heads(),
        tmp_path / "deepfill.safetensors",
        {"working_size": 128, "flip_average": False},
        half=False,
    )
    rng = np.random.default_rng(0)
    img = (rng.random((40, 56, 3)) * 255).astype(np.uint8)
    hole = np.zeros((40, 56), bool)
    hole[10:25, 15:40] = True
    img[hole] = 0
    res = Engine().inpaint(img, hole, options=InpaintOptions(method="deepfill", device="cpu", feather=0))
    t = telea_u8(img, hole).astype(np.float32) / 127.5 - 1
    x = torch.from_numpy(img).permute(2, 0, 1)[None].float() / 127.5 - 1
    m = torch.from_numpy(hole.astype(np.float32))[None, None]
    pp = pull_push_fill(x * (1 - m), m)[0].permute(1, 2, 0).numpy()
    expect = np.clip(np.rint(((pp + t) / 2 + 1) * 127.5), 0, 255)
    assert res.method == "deepfill"
    assert np.abs(res.pixels[hole].astype(int) - expect[hole]).max() <= 1


def test_harmonic_fill_reproduces_a_linear_ramp_that_pull_push_only_approximates() -> None:
    """A linear function solves Laplace's equation, so the harmonic fill of a hole in a
    ramp is the ramp itself (up to the finite number of sweeps); pull-push is blockier."""
    from inpaint_studio.models.prefill import harmonic_fill

    yy, xx = torch.meshgrid(torch.linspace(-1, 1, 48), torch.linspace(-1, 1, 64), indexing="ij")
    ramp = (0.6 * xx + 0.3 * yy).expand(1, 3, 48, 64).clone()
    m = torch.zeros(1, 1, 48, 64)
    m[..., 10:38, 14:50] = 1
    h = harmonic_fill(ramp * (1 - m), m)
    p = pull_push_fill(ramp * (1 - m), m)
    err_h = float(((h - ramp).abs() * m).sum() / m.sum() / 3)
    err_p = float(((p - ramp).abs() * m).sum() / m.sum() / 3)
    assert torch.equal(h * (1 - m), ramp * (1 - m))
    assert err_h < 0.02 and err_h < err_p / 3


def test_harmonic_generator_starts_from_the_harmonic_fill() -> None:
    from inpaint_studio.models.prefill import harmonic_fill

    g = DeepFillGenerator(cnum=8, prefill="harmonic").zero_heads().eval()
    x = torch.rand(1, 3, 32, 40) * 2 - 1
    m = _hole(1, 32, 40)
    with torch.no_grad():
        _, _, comp = g(x, m, torch.zeros_like(m), torch.zeros_like(x))
    assert torch.allclose(comp, harmonic_fill(x * (1 - m), m), atol=1e-5)


def test_plain_harmonic_generator_needs_no_guide_and_starts_from_the_harmonic_fill() -> None:
    from inpaint_studio.models.prefill import harmonic_fill

    g = DeepFillGenerator(cnum=8, prefill="harmonic_plain").zero_heads().eval()
    assert not g.needs_guide
    x = torch.rand(1, 3, 32, 40) * 2 - 1
    m = _hole(1, 32, 40)
    with torch.no_grad():
        _, _, comp = g(x, m, torch.zeros_like(m))
    assert torch.allclose(comp, harmonic_fill(x * (1 - m), m), atol=1e-5)


def test_prefill_stays_float32_under_bf16_autocast() -> None:
    """bf16 Jacobi sweeps would round every iterate; the fill must match the fp32 one."""
    from inpaint_studio.models.prefill import harmonic_fill

    x = torch.rand(1, 3, 40, 48) * 2 - 1
    m = _hole(1, 40, 48)
    ref = harmonic_fill(x * (1 - m), m)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        got = harmonic_fill(x * (1 - m), m)
    assert got.dtype == torch.float32
    assert torch.allclose(got, ref, atol=1e-6)


def test_harmonic_sweeps_on_the_hole_box_equal_sweeps_on_the_whole_image() -> None:
    """The bounding-box shortcut must give the full-image Jacobi result, edges included."""
    import torch.nn.functional as F

    from inpaint_studio.models import prefill

    def full_sweeps(image: torch.Tensor, mask: torch.Tensor, iters: int = 20) -> torch.Tensor:
        known = (mask < 0.5).float()
        ch = image.shape[1]
        kernel = (
            torch.tensor([[0.0, 0.25, 0.0], [0.25, 0.0, 0.25], [0.0, 0.25, 0.0]]).view(1, 1, 3, 3).repeat(ch, 1, 1, 1)
        )
        levels, cur, w = [], image * known, known
        while True:
            levels.append((cur, w))
            if min(cur.shape[-2:]) <= 1 or bool((w > 0).all()):
                break
            ws = F.avg_pool2d(w, 2, ceil_mode=True)
            cur = F.avg_pool2d(cur * w, 2, ceil_mode=True) / ws.clamp_min(1e-6)
            w = (ws > 0).float()
        filled = levels[-1][0] * levels[-1][1]
        for cur, w in reversed(levels[:-1]):
            up = F.interpolate(filled, size=cur.shape[-2:], mode="bilinear", align_corners=False)
            filled = cur * w + up * (1.0 - w)
            if min(cur.shape[-2:]) >= 2:
                for _ in range(iters):
                    avg = F.conv2d(F.pad(filled, (1, 1, 1, 1), mode="replicate"), kernel, groups=ch)
                    filled = cur * w + avg * (1.0 - w)
        return filled

    torch.manual_seed(0)
    x = torch.rand(3, 3, 70, 90) * 2 - 1
    m = torch.zeros(3, 1, 70, 90)
    m[0, :, 20:40, 30:50] = 1  # inside
    m[1, :, 0:15, 70:90] = 1  # touching two image edges
    m[1, :, 50:52, 5:85] = 1  # and a thin stroke
    # sample 2: no hole at all
    assert torch.allclose(prefill.harmonic_fill(x * (1 - m), m), full_sweeps(x * (1 - m), m), atol=1e-6)


def test_over_relaxed_sweeps_reach_the_harmonic_solution_that_20_jacobi_sweeps_miss() -> None:
    import torch.nn.functional as F

    from inpaint_studio.models import prefill

    torch.manual_seed(0)
    x = F.avg_pool2d(torch.rand(1, 3, 128, 192) * 2 - 1, 5, 1, 2)  # smooth structure to continue
    m = torch.zeros(1, 1, 128, 192)
    m[..., 10:118, 16:176] = 1
    k = x * (1 - m)

    def residual(u: torch.Tensor) -> float:
        """Harmonic = every hole pixel is the mean of its 4 neighbours."""
        kernel = (
            torch.tensor([[0.0, 0.25, 0.0], [0.25, 0.0, 0.25], [0.0, 0.25, 0.0]]).view(1, 1, 3, 3).repeat(3, 1, 1, 1)
        )
        avg = F.conv2d(F.pad(u, (1, 1, 1, 1), mode="replicate"), kernel, groups=3)
        return float((((avg - u) * m) ** 2).sum() / (3 * m.sum())) ** 0.5

    exact = prefill.harmonic_fill(k, m, iters=400, coarse_iters=400, sor=True)
    assert residual(exact) < 1e-5  # the solution itself, not just a smooth guess

    def error(u: torch.Tensor) -> float:
        return float((((u - exact) * m) ** 2).sum() / (3 * m.sum())) ** 0.5

    out = prefill.harmonic_fill(k, m, **prefill.CONVERGED)
    jacobi = error(prefill.harmonic_fill(k, m))
    assert error(out) < jacobi / 2, (error(out), jacobi)
    assert torch.equal(out * (1 - m), k * (1 - m))  # known pixels untouched


def test_generator_takes_its_harmonic_solver_from_the_engine_settings() -> None:
    from inpaint_studio.models import prefill
    from inpaint_studio.models.deepfill import DeepFillGenerator

    g = DeepFillGenerator(8, "harmonic_plain").zero_heads().eval()
    x = torch.rand(1, 3, 64, 64) * 2 - 1
    m = torch.zeros(1, 1, 64, 64)
    m[..., 10:50, 12:52] = 1
    e = torch.zeros_like(m)
    g.harmonic_solver = dict(prefill.CONVERGED)
    with torch.inference_mode():
        comp = g(x, m, e)[2]
    assert torch.allclose(comp, prefill.harmonic_fill(x * (1 - m), m, **prefill.CONVERGED), atol=1e-5)
