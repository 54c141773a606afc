"""Guided patch synthesis: texture from the photo, placed where the guide says."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from inpaint_studio.core.errors import CancelledError
from inpaint_studio.core.filters import gaussian_blur
from inpaint_studio.engine import CancelToken, Engine, InpaintOptions
from inpaint_studio.engine.synthesis import (
    SynthesisParams,
    _free_radius,
    _guide_trust,
    _low_band,
    _pyramid,
    depth_map,
    synthesize,
)
from tests.helpers import box_mask, photo


def _flat_guide(img: np.ndarray, hole: np.ndarray) -> np.ndarray:
    """A guide that knows the layout (one colour) but has no texture at all."""
    g = img.copy()
    g[hole] = img[~hole].mean(axis=0)
    return g


def _blank(img: np.ndarray, hole: np.ndarray) -> np.ndarray:
    out = img.copy()
    out[hole] = 0.0  # the object being removed; it must never come back
    return out


def test_a_checkerboard_continues_into_the_hole_in_phase() -> None:
    h, w = 120, 160
    yy, xx = np.mgrid[0:h, 0:w]
    board = ((yy // 6 + xx // 6) % 2).astype(np.float32)
    img = np.stack([0.2 + 0.6 * board, 0.3 + 0.4 * board, np.full_like(board, 0.5)], -1)
    hole = box_mask(h, w, 40, 80, 50, 110)
    out = synthesize(_blank(img, hole), hole, _flat_guide(img, hole))
    # In phase: the exact squares, not a checkerboard shifted by a few pixels (which
    # would be wrong on about half the pixels) and not a grey average of both colours.
    wrong = np.abs(out - img).max(axis=-1)[hole] > 0.1
    assert wrong.mean() < 0.02, wrong.mean()
    np.testing.assert_array_equal(out[~hole], _blank(img, hole)[~hole])


def test_diagonal_stripes_continue_with_their_phase() -> None:
    h, w = 120, 160
    yy, xx = np.mgrid[0:h, 0:w]
    s = (0.5 + 0.5 * np.sin(2 * np.pi * (xx + 0.5 * yy) / 11)).astype(np.float32)
    img = np.stack([s, 0.5 * s, 1.0 - s], -1)
    hole = box_mask(h, w, 35, 85, 45, 115)
    out = synthesize(_blank(img, hole), hole, _flat_guide(img, hole))
    assert np.abs(out - img)[hole].mean() < 0.02
    # Full contrast, not a smear: the stripes keep their amplitude inside the hole.
    assert out[hole][:, 0].std() > 0.9 * img[hole][:, 0].std()


def test_the_guide_picks_which_texture_goes_where() -> None:
    """Two textures in the photo; the guide's colour says which one the hole gets.

    Both are next to the hole, so the nearness prior (``SynthesisParams.locality``)
    pulls towards both: the fill is mostly, not only, the guide's texture."""
    rng = np.random.default_rng(0)
    h, w = 120, 160
    img = np.empty((h, w, 3), np.float32)
    img[:, : w // 2] = [0.2, 0.6, 0.2] + 0.08 * rng.standard_normal((h, w // 2, 1))  # green grass-like
    img[:, w // 2 :] = [0.3, 0.4, 0.9] + 0.08 * rng.standard_normal((h, w - w // 2, 1))  # blue water-like
    img = np.clip(img, 0, 1)
    hole = box_mask(h, w, 30, 90, 60, 100)  # across the border of the two
    for colour, other in (([0.2, 0.6, 0.2], [0.3, 0.4, 0.9]), ([0.3, 0.4, 0.9], [0.2, 0.6, 0.2])):
        guide = img.copy()
        guide[hole] = colour
        out = synthesize(_blank(img, hole), hole, guide)
        got = out[hole].mean(axis=0)
        assert np.abs(got - colour).sum() < 0.2 < 0.8 < np.abs(got - other).sum(), (colour, got)
        # ...and with the texture of that region, not the guide's flat colour.
        assert out[hole][:, 1].std() > 0.05


def test_one_seed_one_fill_another_seed_another() -> None:
    img = photo(96, 128, seed=5).astype(np.float32) / 255
    hole = box_mask(96, 128, 30, 70, 40, 90)
    guide = _flat_guide(img, hole)
    a = synthesize(_blank(img, hole), hole, guide, seed=1)
    b = synthesize(_blank(img, hole), hole, guide, seed=1)
    c = synthesize(_blank(img, hole), hole, guide, seed=2)
    np.testing.assert_array_equal(a, b)
    assert np.abs(a - c)[hole].mean() > 0.01
    np.testing.assert_array_equal(a[~hole], c[~hole])


def test_nothing_to_copy_from_gives_the_guide_never_the_object() -> None:
    img = photo(40, 48, seed=1).astype(np.float32) / 255
    hole = np.ones((40, 48), bool)
    hole[:2, :2] = False
    guide = _flat_guide(img, hole)
    out = synthesize(img, hole, guide)
    np.testing.assert_allclose(out[hole], guide[hole])


def test_should_stop_ends_the_synthesis_early() -> None:
    img = photo(200, 260, seed=2).astype(np.float32) / 255
    hole = box_mask(200, 260, 40, 160, 60, 200)
    calls = []

    def stop() -> bool:
        calls.append(1)
        return len(calls) > 2

    out = synthesize(_blank(img, hole), hole, _flat_guide(img, hole), should_stop=stop)
    assert len(calls) == 3  # asked between steps, and obeyed at once
    np.testing.assert_allclose(out[hole], _flat_guide(img, hole)[hole])


def test_guided_is_the_default_and_keeps_every_pixel_outside_the_hole() -> None:
    img = photo(90, 120, seed=7)
    mask = box_mask(90, 120, 25, 60, 30, 80)
    res = Engine().inpaint(img, mask, options=InpaintOptions(device="cpu"))
    assert res.method == "guided"
    np.testing.assert_array_equal(res.pixels[~mask], img[~mask])
    assert not np.array_equal(res.pixels[mask], img[mask])


def test_guided_seed_reaches_the_fill() -> None:
    img = photo(90, 120, seed=8)
    mask = box_mask(90, 120, 25, 60, 30, 80)
    eng = Engine()
    a = eng.inpaint(img, mask, options=InpaintOptions(method="guided", seed=0))
    b = eng.inpaint(img, mask, options=InpaintOptions(method="guided", seed=0))
    c = eng.inpaint(img, mask, options=InpaintOptions(method="guided", seed=4))
    np.testing.assert_array_equal(a.pixels, b.pixels)
    assert not np.array_equal(a.pixels, c.pixels) and c.seed == 4


def test_cancel_stops_a_guided_fill_mid_way() -> None:
    img = photo(400, 520, seed=9)
    mask = box_mask(400, 520, 80, 320, 100, 420)
    eng = Engine()
    eng.inpaint(img[:64, :64], mask[:64, :64], options=InpaintOptions(method="guided"))  # models loaded, code compiled
    token = CancelToken()
    seen = []

    def progress(f: float, _m: str) -> None:
        seen.append(f)
        if f > 0.25:  # inside the synthesis, after the network's guide
            token.cancel()

    with pytest.raises(CancelledError):
        eng.inpaint(img, mask, options=InpaintOptions(method="guided"), progress=progress, cancel=token)
    assert max(seen) < 1.0


def test_patchmatch_baseline_fills_and_keeps_outside() -> None:
    pytest.importorskip("patchmatch")
    img = photo(60, 80, seed=3)
    mask = box_mask(60, 80, 20, 40, 25, 55)
    res = Engine().inpaint(img, mask, options=InpaintOptions(method="patchmatch"))
    assert res.method == "patchmatch" and not res.warnings
    np.testing.assert_array_equal(res.pixels[~mask], img[~mask])


def test_synthesis_is_thread_independent() -> None:
    """Results depend on the seed only, not on how many threads ran the kernels."""
    import numba

    img = photo(96, 128, seed=6).astype(np.float32) / 255
    hole = box_mask(96, 128, 30, 70, 40, 90)
    guide = _flat_guide(img, hole)
    outs = []
    for n in (1, numba.config.NUMBA_NUM_THREADS):
        numba.set_num_threads(n)
        outs.append(synthesize(_blank(img, hole), hole, guide, seed=3))
    numba.set_num_threads(numba.config.NUMBA_NUM_THREADS)
    np.testing.assert_array_equal(outs[0], outs[1])


def _along_and_across(img: np.ndarray, hole: np.ndarray) -> float:
    """Gradient energy along the hole's outline over that across it, in a ring inside
    the hole: about 1 for a texture with no direction, far from 1 where copies of the
    border are stretched inwards (streaks along or across the outline)."""
    depth = depth_map(hole)
    ny, nx = np.gradient(cv2.GaussianBlur(depth, (0, 0), 3))
    norm = np.hypot(ny, nx) + 1e-9
    ny, nx = (ny / norm)[..., None], (nx / norm)[..., None]
    gy, gx = np.gradient(img, axis=(0, 1))
    across, along = gy * ny + gx * nx, gx * ny - gy * nx
    ring = (depth > 4) & (depth < 120)
    return float((along[ring] ** 2).sum() / (across[ring] ** 2).sum())


def test_a_deep_hole_in_smooth_texture_gets_no_streaks_from_its_border() -> None:
    # Smooth content with faint grain: many sources fit about alike, and a pull towards
    # the nearest known pixels at every scale stretched the border's copies inwards.
    rng = np.random.default_rng(0)
    h, w = 900, 1300
    smooth = cv2.GaussianBlur(rng.random((h, w, 3)).astype(np.float32), (0, 0), 12)
    grain = cv2.GaussianBlur(rng.uniform(-0.03, 0.03, (h, w, 3)).astype(np.float32), (0, 0), 0.8)
    img = np.clip((smooth - smooth.mean()) * 8 + 0.5 + grain, 0, 1).astype(np.float32)
    hole = np.zeros((h, w), np.uint8)
    cv2.ellipse(hole, (650, 450), (380, 240), 0, 0, 360, 1, -1)
    hole = hole > 0
    guide = img.copy()
    guide[hole] = cv2.GaussianBlur(img, (0, 0), 30)[hole]
    out = synthesize(img, hole, guide, guide_sigma=4.0)
    assert 0.85 < _along_and_across(img, hole) < 1.15  # the measure itself, on the photo
    assert 0.85 < _along_and_across(out, hole) < 1.15


def _neighbour_steps(img: np.ndarray, where: np.ndarray) -> tuple[float, float]:
    """Mean colour step to the right-hand and to the lower neighbour, over ``where``."""
    dx = np.abs(np.diff(img, axis=1)).sum(-1)[where[:, :-1] & where[:, 1:]].mean()
    dy = np.abs(np.diff(img, axis=0)).sum(-1)[where[:-1] & where[1:]].mean()
    return float(dx), float(dy)


def test_grain_next_to_the_border_is_not_repeated_in_streaks() -> None:
    # Pure grain: every source fits alike, so a pull towards the nearest known pixels
    # made the pixels by the border copy the same few sources, seen at 1:1 as bars of
    # one colour along the border (the steps between neighbours there fell by 12 %).
    rng = np.random.default_rng(1)
    h, w = 120, 160
    img = (0.5 + rng.normal(0, 0.06, (h, w, 3))).astype(np.float32)
    hole = box_mask(h, w, 30, 90, 50, 110)
    inner = box_mask(h, w, 31, 89, 51, 109)
    grain = _neighbour_steps(img, ~hole)
    for seed in (0, 1):
        out = synthesize(_blank(img, hole), hole, _flat_guide(img, hole), seed=seed)
        for step, ref in zip(_neighbour_steps(out, inner), grain):
            assert step > 0.94 * ref, (seed, step / ref)


def test_the_free_radius_is_given_on_grain_and_not_on_texture() -> None:
    # Grain: any source fits, so the nearest must not be the cheapest (streaks).  Texture
    # (here noise blurred into blobs): the nearest sources are the likelier ones.
    rng = np.random.default_rng(3)
    h, w = 120, 160
    noise = rng.normal(0, 0.06, (h, w, 3)).astype(np.float32)
    grain = 0.5 + noise
    blobs = 0.5 + np.stack([cv2.GaussianBlur(noise[..., c], (0, 0), 2.0) * 4 for c in range(3)], axis=2)
    hole = box_mask(h, w, 30, 90, 50, 110)
    depth = depth_map(hole)
    params = SynthesisParams()
    on_grain = _free_radius(grain, hole, depth, params)
    on_blobs = _free_radius(blobs, hole, depth, params)
    np.testing.assert_allclose(on_grain[hole], depth[hole] + params.locality_free, rtol=1e-6)
    assert not on_blobs.any()


def test_the_guides_wide_blur_on_a_coarse_grid_is_the_blur_it_stands_for() -> None:
    rng = np.random.default_rng(3)
    x = cv2.resize(rng.random((40, 60), dtype=np.float32), (600, 400), interpolation=cv2.INTER_CUBIC)
    x += 0.2 * rng.random(x.shape, dtype=np.float32)  # detail the blur must remove
    assert np.array_equal(_low_band(x, 4.0), gaussian_blur(x, 4.0))  # small blurs: the very pixels
    for sigma in (10.0, 20.0):
        exact, fast = gaussian_blur(x, sigma), _low_band(x, sigma)
        assert fast.shape == x.shape
        spread = np.abs(exact - exact.mean()).mean()
        inside = np.abs(fast - exact)[40:-40, 40:-40].mean()
        assert inside < 0.03 * spread, (sigma, inside, spread)
        assert np.abs(fast - exact).mean() < 0.1 * spread


def test_the_vote_as_the_last_step_fills_the_hole_too() -> None:
    img = photo(160, 200, seed=5).astype(np.float32) / 255.0
    hole = box_mask(160, 200, 40, 120, 50, 150)
    guide = img.copy()
    guide[hole] = gaussian_blur(img, 4.0)[hole]  # the layout, without the detail
    err = {}
    for final in ("vote", "best"):
        out = synthesize(_blank(img, hole), hole, guide, params=SynthesisParams(final=final, coarse_depth=10.0))
        np.testing.assert_array_equal(out[~hole], img[~hole])
        err[final] = np.abs(out[hole] - img[hole]).mean()
        assert out[hole].std(axis=0).mean() > 0.5 * img[~hole].std(axis=0).mean()  # not a flat blob
    assert err["vote"] < 1.5 * err["best"], err


def test_a_hole_up_to_60_px_deep_is_made_at_one_scale_a_deeper_one_at_several() -> None:
    img = photo(320, 320).astype(np.float32) / 255.0
    guide = img.copy()
    d = SynthesisParams()

    def scales(half: int) -> int:
        hole = box_mask(320, 320, 160 - half, 160 + half, 160 - half, 160 + half)
        return len(_pyramid(img, hole, hole, guide, None, d.coarse_depth, d.one_scale_depth, 21, 8))

    # a 100-px box is 50 px deep: copies reach across it at full size, and a coarser
    # scale there only blurred what the guide had placed (docs/EVAL.md)
    assert scales(50) == 1
    # 100 px deep: halved until no more than 40 deep (100, 50, 25)
    assert scales(100) == 3


def test_the_guide_is_trusted_less_deep_inside_a_hole() -> None:
    """Full weight next to the border, ``guide_floor`` of it (squared: the factor is on a
    squared distance) from ``guide_depth[1]`` blurs in, never more as depth grows."""
    hole = box_mask(200, 200, 20, 180, 20, 180)
    params = SynthesisParams(guide_depth=(4.0, 16.0), guide_floor=0.35)
    trust = _guide_trust(hole, None, 0.5, params)  # two pixels per blur of the guide
    depth = depth_map(hole)
    assert trust.shape == hole.shape
    assert np.all(trust[hole & (depth <= 8.0)] == 1.0)
    np.testing.assert_allclose(trust[hole & (depth >= 32.0)], 0.35**2, rtol=1e-5)
    row = trust[100, 20:100]  # from the border to the centre
    assert np.all(np.diff(row) <= 0) and row[0] > row[-1]
    assert _guide_trust(hole, None, 0.5, SynthesisParams(guide_floor=1.0)).shape == (1, 1)
