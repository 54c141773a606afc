from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from inpaint_studio.core.errors import MaskError
from inpaint_studio.core.masks import (
    connected_regions,
    dilate,
    erode,
    feather,
    hole_ratio,
    load_mask,
    mask_from_array,
    resize_mask,
    save_mask,
)


def test_white_on_black_and_alpha_masks(tmp_path: Path) -> None:
    g = np.zeros((10, 12), np.uint8)
    g[2:5, 3:7] = 255
    Image.fromarray(g).save(tmp_path / "m.png")
    assert load_mask(tmp_path / "m.png").sum() == 12
    # Black strokes painted on a transparent layer: alpha is the hole.
    rgba = np.zeros((10, 12, 4), np.uint8)
    rgba[2:5, 3:7, 3] = 255
    Image.fromarray(rgba, "RGBA").save(tmp_path / "a.png")
    np.testing.assert_array_equal(load_mask(tmp_path / "a.png"), g > 0)
    # JPEG artefacts around the edge are thresholded away.
    Image.fromarray(g).save(tmp_path / "m.jpg", quality=70)
    assert abs(int(load_mask(tmp_path / "m.jpg").sum()) - 12) <= 4


def test_mask_of_another_size_is_scaled_nearest(tmp_path: Path) -> None:
    g = np.zeros((50, 50), np.uint8)
    g[:25] = 255
    Image.fromarray(g).save(tmp_path / "m.png")
    m = load_mask(tmp_path / "m.png", size=(200, 100))
    assert m.shape == (100, 200)
    assert m[:50].all() and not m[50:].any()
    assert set(np.unique(resize_mask(m, (7, 3)))) <= {False, True}


def test_unreadable_mask_is_a_mask_error(tmp_path: Path) -> None:
    (tmp_path / "bad.png").write_bytes(b"nope")
    with pytest.raises(MaskError, match="bad.png"):
        load_mask(tmp_path / "bad.png")


def test_morphology_and_ratio() -> None:
    m = np.zeros((40, 40), bool)
    m[18:22, 18:22] = True
    assert dilate(m, 3).sum() > m.sum() and dilate(m, 3)[m].all()
    assert erode(dilate(m, 3), 3).sum() <= dilate(m, 3).sum()
    assert erode(m, 2).sum() == 0
    f = feather(m, 2.0)
    assert f.dtype == np.float32 and 0 < f[15, 20] < f[20, 20] <= 1
    assert hole_ratio(m) == pytest.approx(16 / 1600)


def test_connected_regions_and_save(tmp_path: Path) -> None:
    m = np.zeros((30, 30), bool)
    m[1:4, 1:4] = True
    m[20:25, 10:12] = True
    boxes = connected_regions(m)
    assert sorted((b.x0, b.y0, b.x1, b.y1) for b in boxes) == [(1, 1, 4, 4), (10, 20, 12, 25)]
    out = save_mask(tmp_path / "s.png", m)
    np.testing.assert_array_equal(load_mask(out), m)


def test_mask_from_array_rgb_uses_brightness() -> None:
    a = np.zeros((4, 4, 3), np.uint8)
    a[0, 0] = [255, 255, 255]
    a[1, 1] = [200, 10, 10]
    assert mask_from_array(a).sum() == 2
