"""Mask sampler statistics, dataset crops and edge channel."""

from __future__ import annotations

import hashlib
from pathlib import Path

import cv2
import numpy as np

from inpaint_studio.engine.edges import canny_edges, known_edges
from inpaint_studio.training.data import InpaintDataset, list_images
from inpaint_studio.training.masks import box_mask, brush_stroke_mask, free_form_mask, irregular_mask
from tests.helpers import photo


def test_free_form_hole_ratios_cover_the_eval_range() -> None:
    rng = np.random.default_rng(0)
    ratios = np.array([free_form_mask(64, 64, rng).mean() for _ in range(300)])
    assert ratios.min() > 0.005 and ratios.max() < 0.8
    assert np.mean(ratios < 0.1) > 0.02  # small holes occur
    assert np.mean(ratios > 0.4) > 0.05  # and large ones
    assert 0.15 < np.median(ratios) < 0.5


def test_irregular_masks_are_scattered_and_land_in_every_bin() -> None:
    from inpaint_studio.training.valset import mask_in_bin

    rng = np.random.default_rng(3)
    m = irregular_mask(321, 481, rng, parts=12)
    assert m.shape == (321, 481) and m.dtype == bool and 0 < m.mean() < 0.9
    # Scattered: several separate pieces, unlike one brush stroke.
    n, _ = cv2.connectedComponents(irregular_mask(321, 481, np.random.default_rng(5), parts=10).astype(np.uint8))
    assert n - 1 >= 2
    for lo in (0.1, 0.2, 0.3, 0.4):
        got = mask_in_bin(321, 481, lo, lo + 0.1, rng, kind="irregular")
        assert got is not None and lo <= got.mean() < lo + 0.1
    same = irregular_mask(64, 64, np.random.default_rng(9)), irregular_mask(64, 64, np.random.default_rng(9))
    assert np.array_equal(*same)


def test_strokes_and_box_shapes() -> None:
    rng = np.random.default_rng(1)
    m = brush_stroke_mask(64, 96, rng)
    assert m.shape == (64, 96) and m.dtype == bool and m.any()
    b = box_mask(64, 64, rng)
    ys, xs = np.nonzero(b)
    assert 24 <= np.ptp(ys) + 1 <= 32 and 24 <= np.ptp(xs) + 1 <= 32


def _folder(tmp_path: Path) -> Path:
    (tmp_path / "sub").mkdir()
    cv2.imwrite(str(tmp_path / "a.jpg"), photo(40, 60, seed=1))
    cv2.imwrite(str(tmp_path / "sub" / "b.png"), photo(50, 40, seed=2))
    cv2.imwrite(str(tmp_path / "sub" / "c.webp"), photo(36, 36, seed=3))
    (tmp_path / "notes.txt").write_text("not an image")
    return tmp_path


def test_dataset_finds_photos_recursively_and_crops(tmp_path: Path) -> None:
    root = _folder(tmp_path)
    assert [p.name for p in list_images(root)] == ["a.jpg", "b.png", "c.webp"]
    ds = InpaintDataset(root, size=32, long_side=(40, 60))
    item = ds[1]
    assert item["image"].shape == (3, 32, 32) and item["mask"].shape == (1, 32, 32)
    assert item["image"].min() >= -1 and item["image"].max() <= 1
    assert set(np.unique(item["edges"].numpy())) <= {0.0, 1.0}
    again = ds[1]
    assert all((item[k] == again[k]).all() for k in item)  # deterministic per index


def test_known_edges_ignore_the_hole() -> None:
    img = np.zeros((40, 40, 3), np.float32)
    img[:, 20:] = 1.0
    hole = np.zeros((40, 40), bool)
    hole[10:30, 5:35] = True
    full = canny_edges(img)
    assert full[:, 18:23].sum() > 0
    e = known_edges(img, hole)
    assert e[hole].sum() == 0
    assert e[:5, 18:23].sum() > 0  # the edge above the hole survives


def test_holdout_split_is_disjoint_and_the_valset_uses_only_held_out_photos(tmp_path) -> None:
    import csv

    import cv2
    import numpy as np

    from inpaint_studio.training.data import list_images, split_holdout
    from inpaint_studio.training.valset import make_valset

    photos = tmp_path / "photos"
    photos.mkdir()
    rng = np.random.default_rng(0)
    for i in range(9):
        cv2.imwrite(str(photos / f"p{i}.png"), rng.integers(0, 255, (48, 64, 3), dtype=np.uint8))
    train, held = split_holdout(list_images(photos), 3)
    assert len(held) == 3 and len(train) == 6 and not set(train) & set(held)
    n = make_valset(photos, tmp_path / "val", every=3)
    with open(tmp_path / "val" / "pairs.csv") as f:
        rows = list(csv.DictReader(f))
    assert n == len(rows) >= 2
    held_stems = {p.stem for p in held}
    for r in rows:
        assert r["image"].split("_", 1)[1][:-4] in held_stems
        m = cv2.imread(str(tmp_path / "val" / "masks" / r["mask"]), cv2.IMREAD_GRAYSCALE) > 127
        lo, hi = (int(v) / 100 for v in r["hole_ratio_bin"].rstrip("%").split("-"))
        assert lo <= m.mean() < hi


def test_crop_equals_a_crop_of_the_rescaled_photo_and_the_cache_changes_nothing(tmp_path: Path) -> None:
    """The sampler resizes only the region under the crop; it must show the same
    pixels as rescaling the whole photo and cropping (up to the filter's border)."""
    yy, xx = np.mgrid[0:300, 0:420].astype(np.float32)
    img = np.stack([xx * 0.5, yy * 0.7, 128 + 60 * np.sin(xx / 17) * np.cos(yy / 23)], axis=2)
    cv2.imwrite(str(tmp_path / "ramp.png"), np.clip(img, 0, 255).astype(np.uint8)[..., ::-1])
    rgb = cv2.imread(str(tmp_path / "ramp.png"))[..., ::-1]
    for long_side in ((200, 260), (500, 700)):  # shrinking and enlarging
        for cache in (0, 64):
            ds = InpaintDataset(tmp_path, size=64, long_side=long_side, cache_mb=cache)
            for seed in range(4):
                got = (ds.sample(0, np.random.default_rng(seed))["image"].permute(1, 2, 0).numpy() + 1) * 127.5
                rng = np.random.default_rng(seed)
                target = rng.uniform(*long_side)
                scale = max(target / 420, 64 / 300)
                nh, nw = max(64, round(300 * scale)), max(64, round(420 * scale))
                top, left = int(rng.integers(0, nh - 64 + 1)), int(rng.integers(0, nw - 64 + 1))
                interp = cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC
                want = cv2.resize(np.ascontiguousarray(rgb), (nw, nh), interpolation=interp)[
                    top : top + 64, left : left + 64
                ]
                if rng.random() < 0.5:
                    want = want[:, ::-1]
                err = np.abs(got - want.astype(np.float32)).mean()
                off = np.abs(got[:, 8:] - want[:, :-8].astype(np.float32)).mean()  # a crop 8 px off
                assert err < 1.5 and off > 3 * err, (long_side, seed, err, off)
    assert ds._cache_bytes > 0


def test_deep_irregular_masks_make_the_large_ratios_deep_holes() -> None:
    from inpaint_studio.engine.synthesis import hole_depth
    from inpaint_studio.training.valset import mask_in_bin

    # scale 1 draws the masks the plain style always drew: this one's pixels, as the
    # function drew them before it had a scale (commit c3d80db)
    a = irregular_mask(96, 128, np.random.default_rng(4), parts=8, scale=1.0)
    assert int(a.sum()) == 869
    assert hashlib.sha256(np.packbits(a).tobytes()).hexdigest()[:16] == "98429715c82be948"
    depth = {}
    for kind in ("irregular", "irregular-deep"):
        rng = np.random.default_rng(11)
        got = [mask_in_bin(321, 481, 0.3, 0.4, rng, kind=kind) for _ in range(4)]
        assert all(m is not None and 0.3 <= m.mean() < 0.4 for m in got)
        depth[kind] = np.median([hole_depth(m) for m in got])
    assert depth["irregular-deep"] > 1.3 * depth["irregular"]
