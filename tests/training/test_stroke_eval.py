"""The stroke metrics: structural truth edges and stroke component sizes."""

from __future__ import annotations

import numpy as np

from inpaint_studio.training.stroke_eval import component_sizes, structural_edges
from tests.engine.test_strokes import _two_tone


def test_structural_edges_keep_long_edges_and_drop_small_ones() -> None:
    img = _two_tone(120, 160)
    img[20:24, 20:24] = 255  # a 4 px dot: its outline is too short to be structure
    e = structural_edges(img)
    assert e[55:66, 10:150].any(axis=0).all()
    assert not e[14:30, 14:30].any()


def test_component_sizes_count_inside_the_hole_only() -> None:
    pred = np.zeros((20, 30), bool)
    pred[5, 2:28] = True
    pred[15, 10:13] = True
    hole = np.zeros((20, 30), bool)
    hole[:, 5:25] = True
    assert sorted(component_sizes(pred, hole)) == [3, 20]


def test_the_oracle_run_fills_with_and_without_strokes_at_a_given_edge_weight(tmp_path) -> None:  # noqa: ANN001
    import cv2

    from inpaint_studio.training.evaluate import Pair
    from inpaint_studio.training.stroke_eval import evaluate_oracle
    from tests.helpers import box_mask

    img = _two_tone()
    hole = box_mask(*img.shape[:2], 35, 90, 50, 110)
    cv2.imwrite(str(tmp_path / "a.png"), cv2.cvtColor(img, cv2.COLOR_RGB2BGR))
    cv2.imwrite(str(tmp_path / "m.png"), hole.astype(np.uint8) * 255)
    res = evaluate_oracle([Pair(tmp_path / "a.png", tmp_path / "m.png", "20-30%")], edge_weight=1.5)
    assert res["pairs"] == 1 and res["edge_weight"] == 1.5
    assert np.isfinite(res["swd_oracle_strokes"]) and np.isfinite(res["swd_no_edges"])
