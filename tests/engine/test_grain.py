"""Photo grain: the known photo's fine band copied into a filled hole."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from inpaint_studio.engine import Engine, InpaintOptions
from inpaint_studio.engine.grain import add_photo_grain, photo_grain
from tests.helpers import box_mask, fine_band


def _grainy(h: int = 120, w: int = 160, seed: int = 0) -> np.ndarray:
    """A flat grey photo with strong pixel grain (the kind a fill smooths away)."""
    rng = np.random.default_rng(seed)
    return (128.0 + rng.normal(0.0, 12.0, (h, w, 3))).astype(np.float32)


def test_grain_restores_the_photos_texture_and_copies_only_known_values() -> None:
    photo = _grainy()
    hole = box_mask(120, 160, 40, 80, 50, 110)
    smooth = photo.copy()
    smooth[hole] = 128.0  # what a fill leaves: the right colour, no grain
    before = smooth.copy()
    # The copy itself: every value is the fine band of some known pixel at least 8 px from the hole.
    copied = photo_grain(smooth, hole)
    np.testing.assert_array_equal(copied[~hole], 0.0)
    far = ~(cv2.dilate(hole.astype(np.uint8), np.ones((17, 17), np.uint8)) > 0)
    sources = np.round(fine_band(smooth)[far], 3)
    assert np.isin(np.round(copied[hole], 3), sources).mean() > 0.99
    out = add_photo_grain(smooth, hole, 1.0)
    np.testing.assert_array_equal(smooth, before)  # the caller's array is left alone
    np.testing.assert_array_equal(out[~hole], smooth[~hole])
    added = (out - smooth)[hole]
    known_std = fine_band(photo)[far].std()
    assert 0.8 * known_std < added.std() < 1.1 * known_std  # as grainy as the photo, not more
    small = (add_photo_grain(smooth, hole, 1.0, energy_size=40) - smooth)[hole]
    assert 0.8 * known_std < small.std() < 1.1 * known_std  # energy maps on a small copy agree
    # A smooth fill gets the copy itself, barely scaled or clipped.
    assert np.corrcoef(added.ravel(), copied[hole].ravel())[0, 1] > 0.95
    half = add_photo_grain(smooth, hole, 0.5)
    np.testing.assert_allclose((half - smooth)[hole], 0.5 * added, atol=1e-4)
    assert add_photo_grain(smooth, hole, 0.0) is smooth


@pytest.mark.parametrize("energy_size", [768, 48])  # 48: the small-copy path a 24 MP photo takes
def test_grain_follows_the_surroundings_not_the_best_colour_match(energy_size: int) -> None:
    """A hole in a clear sky, its fill a shade off, and loud stripes elsewhere whose mean
    matches the fill: the low-band match alone copies the stripes into the sky; the grain
    target (the sky's own grain, nil) keeps them out."""
    h, w = 120, 200
    photo = np.full((h, w, 3), 60.0, np.float32)
    photo[:, 120:] = np.where(np.arange(w)[120:] % 4 < 2, 96.0, 160.0)[None, :, None]  # mean 128, ±32
    hole = box_mask(h, w, 30, 90, 20, 70)  # in the sky, 50 px from the stripes
    photo[hole] = 128.0
    copied = photo_grain(photo, hole)
    assert np.abs(copied[hole]).max() > 20  # the match alone does pick the stripes
    out = add_photo_grain(photo, hole, 1.0, energy_size=energy_size)
    assert np.abs(out - photo)[hole].max() < 2.0


def test_grain_tops_up_a_fill_that_has_texture_already() -> None:
    photo = _grainy(seed=3)
    hole = box_mask(120, 160, 40, 80, 50, 110)
    textured = photo.copy()
    textured[hole] = _grainy(seed=4)[hole]  # a fill already as grainy as the photo
    added = add_photo_grain(textured, hole, 1.0) - textured
    smooth = photo.copy()
    smooth[hole] = 128.0
    full = add_photo_grain(smooth, hole, 1.0) - smooth
    assert added[hole].std() < 0.35 * full[hole].std()


def test_grain_never_copies_from_unknown_pixels_and_keeps_alpha_and_dtype() -> None:
    photo = _grainy(seed=1)
    hole = box_mask(120, 160, 40, 80, 50, 110)
    other = box_mask(120, 160, 5, 30, 5, 40)  # another hole, still holding the object
    smooth = photo.copy()
    smooth[hole] = 128.0
    smooth[other] = np.where(np.indices((120, 160)).sum(0)[other][:, None] % 2 == 0, 0.0, 255.0)  # loud stripes
    out = add_photo_grain(smooth, hole, 1.0, unknown=other)
    assert np.abs(out - smooth)[hole].max() < 80  # the stripes' fine band is ±127
    rgba = np.dstack([np.clip(smooth, 0, 255), np.full((120, 160), 200.0)]).astype(np.uint16) * 257
    g16 = add_photo_grain(rgba, hole, 1.0)
    assert g16.dtype == np.uint16 and np.array_equal(g16[..., 3], rgba[..., 3])
    assert np.array_equal(g16[~hole], rgba[~hole]) and not np.array_equal(g16[hole], rgba[hole])
    np.testing.assert_array_equal(add_photo_grain(rgba, hole, 1.0), g16)  # deterministic


def test_engine_applies_grain_after_any_fill_and_reports_it() -> None:
    photo = np.clip(np.rint(_grainy(160, 200, seed=2)), 0, 255).astype(np.uint8)
    mask = box_mask(160, 200, 50, 110, 60, 140)
    eng = Engine()
    plain = eng.inpaint(photo, mask, options=InpaintOptions(method="telea"))
    previews: list = []
    grainy = eng.inpaint(photo, mask, options=InpaintOptions(method="telea", grain=1.0, preview_size=64),
                         on_preview=previews.append)
    assert plain.grain == 0.0 and grainy.grain == 1.0 and previews[0].grain == 0.0
    np.testing.assert_array_equal(grainy.pixels[~mask], photo[~mask])
    f_plain = fine_band(plain.pixels.astype(np.float32))[mask].std()
    f_grain = fine_band(grainy.pixels.astype(np.float32))[mask].std()
    f_photo = fine_band(photo.astype(np.float32))[~mask].std()
    assert f_plain < 0.5 * f_photo < f_grain  # Telea smooths the grain away; grain brings it back


@pytest.mark.parametrize("bad", ["-0.1", "1.5"])
def test_batch_rejects_grain_outside_0_1(tmp_path, bad: str) -> None:  # noqa: ANN001
    from inpaint_studio.cli import main

    (tmp_path / "in").mkdir()
    assert main(["batch", str(tmp_path / "in"), "--masks", str(tmp_path), "--out", str(tmp_path / "o"),
                 "--grain", bad]) == 2


def test_small_energy_maps_are_read_back_where_a_full_resize_puts_them() -> None:
    from inpaint_studio.engine.grain import _Shrunk

    maps = _Shrunk((300, 450), 40, 8.0)
    small = np.random.default_rng(5).random((maps.small[1], maps.small[0])).astype(np.float32)
    full = cv2.resize(small, (450, 300), interpolation=cv2.INTER_LINEAR)
    hole = box_mask(300, 450, 120, 260, 300, 440) | box_mask(300, 450, 3, 9, 2, 30)  # two parts, one at the edge
    ys, xs = np.nonzero(hole)
    np.testing.assert_allclose(maps.at(small, ys, xs), full[ys, xs], atol=1e-4)
