"""Edge prediction as strokes: completion across the hole, the network's strokes, the
structure map the fill follows."""

from __future__ import annotations

import numpy as np

from inpaint_studio.core.strokes import rasterize, sample
from inpaint_studio.engine import Engine, InpaintOptions
from inpaint_studio.engine import strokes as es
from inpaint_studio.engine.registry import MethodInfo, register_fill
from tests.helpers import box_mask


def _two_tone(h: int = 120, w: int = 160, split: int = 60, seed: int = 0) -> np.ndarray:
    """Dark above row ``split``, light below, a little noise: one straight edge."""
    img = np.zeros((h, w, 3), np.float32)
    img[:split] = (40, 60, 80)
    img[split:] = (200, 190, 150)
    rng = np.random.default_rng(seed)
    return np.clip(img + rng.normal(0, 3, img.shape), 0, 255).astype(np.uint8)


def test_a_straight_edge_cut_by_the_hole_is_continued_as_one_stroke() -> None:
    img = _two_tone()
    hole = box_mask(120, 160, 35, 90, 50, 110)
    strokes = es.predict_strokes(img, hole, None)
    assert len(strokes) == 1
    curve = sample(strokes[0])
    # It starts left of the hole and ends right of it, on the edge's line throughout.
    assert curve[:, 0].min() < 50 and curve[:, 0].max() > 110
    assert np.abs(curve[:, 1] - 60).max() < 2.5
    drawn = rasterize(strokes, hole.shape) > 0
    n, _ = __import__("cv2").connectedComponents((drawn & hole).astype(np.uint8), connectivity=8)
    assert n - 1 == 1  # one connected stroke inside the hole
    assert (drawn & hole)[:, 50:110].any(axis=0).all()  # crossing every column of the hole


def test_an_edge_with_no_partner_does_not_cross_the_hole() -> None:
    img = _two_tone()
    img[:, 80:] = img[100, 130]  # the edge stops in the hole: right of it all is light
    hole = box_mask(120, 160, 35, 90, 50, 110)
    strokes = es.predict_strokes(img, hole, None)
    drawn = rasterize(strokes, hole.shape) > 0
    assert not drawn[:, 100:110].any()


def test_edges_with_swapped_colours_are_not_paired() -> None:
    img = _two_tone()
    right = img[:, 110:].copy()
    img[:, 110:] = right[::-1][: img.shape[0]]  # light above, dark below on the right
    hole = box_mask(120, 160, 35, 90, 50, 110)
    assert es.complete_edges(es.to_float_rgb(img), hole) == []


def test_network_map_becomes_long_strokes_and_specks_go() -> None:
    h, w = 100, 120
    hole = box_mask(h, w, 20, 80, 20, 100)
    net = np.zeros((h, w), np.float32)
    yy = (50 + 8 * np.sin(np.arange(w) / 15.0)).astype(int)
    net[yy, np.arange(w)] = 1.0
    gaps = [x for x in range(1, w - 1, 9) if yy[x - 1] == yy[x + 1]]
    net[yy[gaps], gaps] = 0.0  # gaps of one pixel, as a ridge map has
    rng = np.random.default_rng(1)
    specks = rng.integers(22, 78, size=(40, 2))
    net[specks[:, 0] // 4 + 20, specks[:, 1]] = 1.0  # isolated dots above the curve
    strokes = es.network_strokes(net, hole)
    assert len(strokes) == 1
    assert strokes[0].length() > 70
    assert len(strokes[0].points) < 40


def test_structure_map_has_the_strokes_in_the_hole_and_the_photo_edges_outside() -> None:
    img = _two_tone()
    hole = box_mask(120, 160, 35, 90, 50, 110)
    strokes = es.predict_strokes(img, hole, None)
    m = es.strokes_map(strokes, img, hole)
    assert m[hole].max() > 0.9
    assert m[55:66, 10:40].max() == 1.0  # the photo's own edge, left of the hole
    assert m[:40, :40].max() == 0.0


def test_engine_predicts_strokes_and_auto_edges_fill_along_them() -> None:
    seen: dict[str, np.ndarray] = {}

    class Spy:
        name = "test-stroke-spy"
        working_size = 512

        def fill(self, rgb: np.ndarray, hole: np.ndarray, edges: np.ndarray | None) -> np.ndarray:
            assert edges is not None
            seen["edges"] = edges
            return rgb

    register_fill(MethodInfo("test-stroke-spy", "test", "neural", lambda d: Spy(), edges=True))
    img = _two_tone()
    hole = box_mask(120, 160, 35, 90, 50, 110)
    eng = Engine()
    strokes = eng.predict_strokes(img, hole, InpaintOptions(edge_method="canny"))
    assert strokes and all(s.source == "predicted" for s in strokes)
    eng.inpaint(img, hole, None, InpaintOptions(method="test-stroke-spy", auto_edges=True, edge_method="canny"))
    e = seen["edges"]
    assert e[58:63, 80].max() > 0.9  # the continued edge in the middle of the hole


def test_a_stroke_drawn_across_the_hole_moves_the_default_fills_boundary_to_it() -> None:
    """The user's stroke dips 30 px below the photo's straight edge: the default fill
    (the network's layout from the strokes, then the synthesis) puts more of the hole
    on the stroke's side of the boundary than the same fill without it."""
    import cv2

    h, w = 200, 240
    top, bottom = np.array((200, 170, 120)), np.array((60, 90, 60))
    img = np.zeros((h, w, 3), np.int16)
    img[:100], img[100:] = top, bottom
    img = np.clip(img + np.random.default_rng(0).integers(-12, 13, img.shape), 0, 255).astype(np.uint8)
    hole = box_mask(h, w, 50, 150, 70, 170)
    xs, ys = [60, 120, 180], [100, 130, 100]
    stroke = np.zeros((h, w), np.float32)
    cv2.polylines(stroke, [np.array(list(zip(xs, ys)), np.int32).reshape(-1, 1, 2)], False, 1.0, 1)
    yy, xx = np.mgrid[0:h, 0:w]
    above = yy < np.interp(xx, xs, ys)
    eng = Engine()

    def on_its_side(edges: np.ndarray | None) -> float:
        out = eng.inpaint(img, hole, edges, InpaintOptions(method="guided", use_edges=True)).pixels.astype(int)
        is_top = np.abs(out - top).sum(-1) < np.abs(out - bottom).sum(-1)
        return float((is_top == above)[hole].mean())

    without, with_stroke = on_its_side(None), on_its_side(stroke)
    assert with_stroke > without + 0.015, (without, with_stroke)
