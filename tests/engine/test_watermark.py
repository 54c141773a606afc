"""Shared-watermark estimation, detection and inversion on synthetic photos and marks."""

from __future__ import annotations

import numpy as np
import pytest

from inpaint_studio.engine.watermark import NoWatermarkError, find_watermark, invert_watermark
from inpaint_studio.engine.watermark_estimate import estimate_watermark
from inpaint_studio.engine.watermark_matte import poisson_integrate
from inpaint_studio.training.synthetic_marks import blend_mark, make_mark, mark_footprint, synthetic_photo

H, W = 200, 280
MARK_W, MARK_H = 110, 40
NOMINAL = (130, 130)


def _marked_set(colour, n=10, shift=25, seed=0):
    rng = np.random.default_rng(seed)
    mark = make_mark(MARK_W, MARK_H, colour=colour, opacity=(0.3, 0.6))
    clean, marked, places = [], [], []
    for _ in range(n):
        p = synthetic_photo(H, W, rng)
        x = NOMINAL[0] + int(rng.integers(-shift, shift + 1))
        y = NOMINAL[1] + int(rng.integers(-shift, min(shift, H - MARK_H - NOMINAL[1]) + 1))
        clean.append(p)
        marked.append(blend_mark(p, mark, x, y))
        places.append((x, y))
    return mark, clean, marked, places


@pytest.fixture(scope="module")
def white_set():
    mark, clean, marked, places = _marked_set((1.0, 1.0, 1.0))
    return mark, clean, marked, places, estimate_watermark(marked)


def _true_alpha_in_frame(mark, est, match, place):
    """The true matte resampled into the estimate's frame (via one photo's two placements)."""
    dx, dy = match.x - place[0], match.y - place[1]
    h, w = est.shape
    out = np.zeros((h, w), np.float32)
    ys, xs = np.mgrid[0:h, 0:w]
    ty, tx = ys + dy, xs + dx
    ok = (ty >= 0) & (tx >= 0) & (ty < MARK_H) & (tx < MARK_W)
    out[ok] = mark.alpha[ty[ok], tx[ok]]
    return out


def test_estimate_recovers_known_alpha_matte(white_set):
    mark, _clean, marked, places, est = white_set
    assert est.photos == len(marked)
    m = find_watermark(marked[0], est)
    truth = _true_alpha_in_frame(mark, est, m, places[0])
    on = truth > 0.05
    err = np.abs(est.alpha - truth)
    assert err[on].mean() < 0.02, err[on].mean()
    assert np.percentile(err[on], 95) < 0.05
    # Off the mark the estimate stays at (almost) zero opacity.
    assert est.alpha[truth == 0].mean() < 0.005
    # The colour is the mark's white where the mark is opaque enough to show it.
    assert np.abs(est.colour[truth > 0.25] - 1.0).mean() < 0.03


def test_shifted_mark_is_found_at_its_true_shift(white_set):
    _mark, _clean, marked, places, est = white_set
    matches = [find_watermark(j, est) for j in marked]
    assert all(m.found and m.confidence > 0.5 for m in matches)
    # Frame offset is the same for every photo: each copy found at its true shift.
    offsets = {(m.x - x, m.y - y) for m, (x, y) in zip(matches, places)}
    assert len(offsets) == 1, offsets


def test_inversion_recovers_photo_under_semi_transparent_mark(white_set):
    mark, clean, marked, places, est = white_set
    for p, j, (x, y) in list(zip(clean, marked, places))[:4]:
        inv = invert_watermark(j, est)
        foot = mark_footprint(p.shape, mark, x, y)
        recovered = foot & ~inv.fill
        assert recovered.sum() > 0.95 * foot.sum()  # 0.3-0.6 opacity: nothing needs a fill
        err = np.abs(inv.pixels.astype(int) - p.astype(int))[recovered]
        assert err.mean() < 2.5, err.mean()
        assert np.percentile(err, 99) < 12
        # Before: the mark changed these pixels by tens of levels.
        assert np.abs(j.astype(int) - p.astype(int))[foot].mean() > 30
        # Pixels off the estimated footprint are the input's, bit for bit.
        assert np.array_equal(inv.pixels[~inv.footprint], j[~inv.footprint])


def test_dark_mark_with_hint_is_estimated_and_inverted():
    mark, clean, marked, places = _marked_set((0.06, 0.05, 0.05), seed=3, shift=20)
    hint = np.zeros((H, W), bool)
    hint[NOMINAL[1] : NOMINAL[1] + MARK_H, NOMINAL[0] : NOMINAL[0] + MARK_W] = True
    est = estimate_watermark(marked, hint)
    for p, j, (x, y) in list(zip(clean, marked, places))[:3]:
        inv = invert_watermark(j, est)
        foot = mark_footprint(p.shape, mark, x, y)
        err = np.abs(inv.pixels.astype(int) - p.astype(int))[foot & ~inv.fill]
        assert err.mean() < 4.0, err.mean()


def test_opaque_parts_are_left_to_the_fill():
    rng = np.random.default_rng(7)
    mark = make_mark(MARK_W, MARK_H, opacity=(0.95, 0.95))
    photos = [blend_mark(synthetic_photo(H, W, rng), mark, 130 + int(rng.integers(-10, 11)), 130) for _ in range(8)]
    est = estimate_watermark(photos)
    inv = invert_watermark(photos[0], est)
    assert inv.match.found
    core = est.alpha > 0.9
    assert core.any()
    # Everything the mark covers near-opaquely is in the fill mask, not "inverted".
    assert inv.fill.sum() >= 0.8 * core.sum()


def test_folder_without_a_shared_mark_is_reported_not_damaged():
    rng = np.random.default_rng(11)
    photos = [synthetic_photo(H, W, rng) for _ in range(8)]
    before = [p.copy() for p in photos]
    with pytest.raises(NoWatermarkError):
        estimate_watermark(photos)
    assert all(np.array_equal(a, b) for a, b in zip(photos, before))


def test_photo_without_the_mark_is_reported_and_left_unchanged(white_set):
    _mark, _clean, _marked, _places, est = white_set
    plain = synthetic_photo(H, W, np.random.default_rng(99))
    inv = invert_watermark(plain, est)
    assert not inv.match.found
    assert "no watermark" in inv.match.describe()
    assert np.array_equal(inv.pixels, plain)
    assert not inv.fill.any()


def test_uint16_rgba_photo_keeps_dtype_and_alpha(white_set):
    _mark, _clean, marked, _places, est = white_set
    j16 = np.concatenate([marked[0].astype(np.uint16) * 257, np.full((H, W, 1), 40000, np.uint16)], axis=2)
    inv = invert_watermark(j16, est)
    assert inv.pixels.dtype == np.uint16 and inv.pixels.shape == j16.shape
    assert np.array_equal(inv.pixels[..., 3], j16[..., 3])
    ref = invert_watermark(marked[0], est)
    diff = np.abs(inv.pixels[..., :3].astype(int) // 257 - ref.pixels.astype(int))
    assert diff.max() <= 1


def test_poisson_integrate_inverts_forward_differences():
    rng = np.random.default_rng(0)
    f = np.zeros((30, 40))
    f[1:-1, 1:-1] = rng.normal(size=(28, 38))
    gx = np.zeros_like(f)
    gy = np.zeros_like(f)
    gx[:, :-1] = f[:, 1:] - f[:, :-1]
    gy[:-1, :] = f[1:, :] - f[:-1, :]
    assert np.allclose(poisson_integrate(gx, gy), f, atol=1e-4)


def test_large_photos_are_searched_shrunk_and_placed_exactly(monkeypatch):
    """The two-scale path (as for 24 MP sets): found on half-size copies, then the mark
    is placed and estimated at full resolution."""
    import inpaint_studio.engine.watermark_estimate as wm

    monkeypatch.setattr(wm, "SEARCH_SIDE", 140)
    mark, clean, marked, places = _marked_set((1.0, 1.0, 1.0), n=8, seed=5)
    est = estimate_watermark(marked)
    matches = [find_watermark(j, est) for j in marked]
    assert all(m.found for m in matches)
    assert len({(m.x - x, m.y - y) for m, (x, y) in zip(matches, places)}) == 1
    inv = invert_watermark(marked[0], est)
    foot = mark_footprint(clean[0].shape, mark, *places[0])
    assert np.abs(inv.pixels.astype(int) - clean[0].astype(int))[foot].mean() < 3.0
