from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from inpaint_studio.core import hires
from tests.helpers import photo


def _fill_noise(rgb: np.ndarray, hole: np.ndarray) -> np.ndarray:
    rng = np.random.default_rng(0)
    return rng.random(rgb.shape, dtype=np.float32)


def _run(img: np.ndarray, mask: np.ndarray, working: int, feather: int) -> np.ndarray:
    out = img.copy()
    for r in hires.plan_regions(mask, working_size=working):
        rgb, hole, _ = hires.extract_crop(img, mask, r)
        assert rgb.shape[:2] == hole.shape
        assert max(rgb.shape[:2]) <= working
        hires.paste_fill(out, img, mask, r, _fill_noise(rgb, hole), feather_px=feather)
    return out


@settings(max_examples=40, deadline=None)
@given(
    h=st.integers(8, 120),
    w=st.integers(8, 120),
    seed=st.integers(0, 10_000),
    density=st.floats(0.0, 0.6),
    working=st.sampled_from([16, 32, 512]),
    feather=st.integers(0, 4),
    sixteen=st.booleans(),
    alpha=st.booleans(),
)
def test_pixels_outside_mask_are_bit_identical(
    h: int, w: int, seed: int, density: float, working: int, feather: int, sixteen: bool, alpha: bool
) -> None:
    rng = np.random.default_rng(seed)
    dtype = np.uint16 if sixteen else np.uint8
    img = rng.integers(0, np.iinfo(dtype).max, (h, w, 4 if alpha else 3), dtype=dtype)
    mask = rng.random((h, w)) < density
    out = _run(img, mask, working, feather)
    np.testing.assert_array_equal(out[~mask], img[~mask])
    if alpha:
        np.testing.assert_array_equal(out[..., 3], img[..., 3])
    if mask.any() and feather == 0:
        # Every hole pixel was actually written (noise fill differs from the input).
        assert (out[mask][:, :3] != img[mask][:, :3]).mean() > 0.5


def test_regions_merge_and_have_context() -> None:
    m = np.zeros((400, 600), bool)
    m[100:110, 100:110] = True
    m[105:115, 118:130] = True  # close to the first: merged
    m[300:320, 500:520] = True  # far: its own region
    regions = hires.plan_regions(m, working_size=512, context=0.5, min_context=32)
    assert len(regions) == 2
    for r in regions:
        assert r.box.x0 <= r.hole_box.x0 - 16 or r.box.x0 == 0
        assert r.box.width >= 128 and r.box.height >= 128


def test_large_hole_is_downscaled_to_working_size() -> None:
    m = np.zeros((3000, 4000), bool)
    m[1000:2000, 1000:2500] = True
    (r,) = hires.plan_regions(m, working_size=512)
    assert max(r.work_size) <= 512 and r.scale < 0.5
    img = photo(3000, 4000)
    rgb, hole, _ = hires.extract_crop(img, m, r)
    assert rgb.shape[:2] == (r.work_size[1], r.work_size[0])
    # Conservative downscale: the hole fraction is kept (slightly grown, never shrunk).
    assert m[r.box.slices()].mean() <= hole.mean() < m[r.box.slices()].mean() + 0.02


def test_seam_alpha_is_zero_outside_and_ramps_inside() -> None:
    hole = np.zeros((20, 20), bool)
    hole[5:15, 5:15] = True
    a = hires.seam_alpha(hole, 3)
    assert (a[~hole] == 0).all()
    assert a[5, 10] < a[10, 10] == 1.0


def test_holes_are_found_in_their_bounding_box_as_in_the_whole_mask() -> None:
    """Labelling only the holes' box must give the boxes labelling the whole mask gives."""
    from inpaint_studio.core.masks import connected_regions, dilate

    rng = np.random.default_rng(3)
    for _ in range(30):
        h, w = (int(v) for v in rng.integers(20, 200, 2))
        m = np.zeros((h, w), bool)
        for _ in range(rng.integers(1, 6)):
            y, x = rng.integers(0, h), rng.integers(0, w)  # holes may touch any edge
            m[y : y + rng.integers(1, 30), x : x + rng.integers(1, 30)] = True
        for radius in (0, 1, 8):
            want = connected_regions(dilate(m, radius)) if radius else connected_regions(m)
            assert sorted(hires.hole_boxes(m, radius), key=str) == sorted(want, key=str)
    assert hires.hole_boxes(np.zeros((5, 5), bool), 8) == []


@pytest.mark.parametrize("channels,dtype", [(3, np.uint8), (4, np.uint8), (3, np.uint16), (4, np.uint16)])
def test_copy_where_writes_exactly_the_masked_pixels_of_a_view(channels: int, dtype: type) -> None:
    from inpaint_studio.core.hires import copy_where

    rng = np.random.default_rng(channels)
    top = 65535 if dtype == np.uint16 else 255
    out = rng.integers(0, top, (60, 80, channels)).astype(dtype)
    src = rng.integers(0, top, (30, 40, 3)).astype(dtype)
    mask = rng.random((60, 80)) < 0.4
    want = out.copy()
    roi = (slice(10, 40), slice(25, 65))
    sub = want[roi][..., :3]
    sub[mask[roi]] = src[mask[roi]]  # the reference: boolean indexing
    copy_where(out[roi][..., :3], src, mask[roi])
    np.testing.assert_array_equal(out, want)
