"""Object select (GrabCut) and Outline select (scissors) on synthetic objects over textures."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from inpaint_studio.core.selection import (
    ScissorsMap,
    click_box,
    default_grow,
    lasso_mask,
    object_select,
    scissors_image,
)


def scene(
    seed: int, h: int = 360, w: int = 480, shape: str = "ellipse", contrast: float = 30.0
) -> tuple[np.ndarray, np.ndarray]:
    """A textured object over a textured background: blotches of two colours, stripes and
    grain behind; the object's own colour is ``contrast`` levels (RMS) off their mean."""
    rng = np.random.default_rng(seed)
    n = cv2.GaussianBlur(rng.random((h, w)).astype(np.float32), (0, 0), 0.02 * w)
    n = (n - n.min()) / (n.max() - n.min())
    stripes = 0.5 + 0.5 * np.sin(
        np.arange(w)[None, :] / (w / rng.uniform(40, 90)) + np.arange(h)[:, None] / (h / rng.uniform(30, 60))
    )
    c1, c2 = rng.uniform(60, 190, 3), rng.uniform(60, 190, 3)
    img = c1 * n[..., None] + c2 * (1 - n[..., None]) + 30 * stripes[..., None] + rng.normal(0, 12, (h, w, 3))
    obj = np.zeros((h, w), np.uint8)
    cy, cx = rng.uniform(0.4, 0.6) * h, rng.uniform(0.4, 0.6) * w
    ry, rx = rng.uniform(0.15, 0.25) * h, rng.uniform(0.12, 0.2) * w
    if shape == "ellipse":
        cv2.ellipse(obj, (int(cx), int(cy)), (int(rx), int(ry)), rng.uniform(0, 180), 0, 360, 1, -1)
    else:  # a seven-pointed star: concave, long outline
        ang = np.linspace(0, 2 * np.pi, 14, endpoint=False) + rng.uniform(0, 1)
        rad = np.where(np.arange(14) % 2 == 0, 1.0, 0.6)
        cv2.fillPoly(obj, [np.stack([cx + rx * rad * np.cos(ang), cy + ry * rad * np.sin(ang)], 1).astype(np.int32)], 1)
    obj = obj.astype(bool)
    d = rng.normal(0, 1, 3)
    tone = (c1 + c2) / 2 + contrast * np.sqrt(3) * d / np.linalg.norm(d)
    tex = cv2.GaussianBlur(rng.normal(0, 1, (h, w)).astype(np.float32), (0, 0), 0.005 * w) * 40
    img[obj] = (tone + tex[..., None] + rng.normal(0, 10, (h, w, 3)))[obj]
    return np.clip(img, 0, 255).astype(np.uint8), obj


def box_around(obj: np.ndarray, pad: float = 0.05) -> tuple[int, int, int, int]:
    ys, xs = np.nonzero(obj)
    p = int(pad * max(np.ptp(ys), np.ptp(xs)))
    return (int(ys.min()) - p, int(ys.max()) + 1 + p, int(xs.min()) - p, int(xs.max()) + 1 + p)


def iou(a: np.ndarray, b: np.ndarray) -> float:
    return float((a & b).sum() / max(1, (a | b).sum()))


@pytest.mark.parametrize(
    ("shape", "size", "contrast"),
    [
        ("ellipse", (360, 480), 30.0),
        ("star", (360, 480), 30.0),
        ("ellipse", (1200, 1600), 40.0),
        ("star", (1200, 1600), 40.0),  # worked on at a third of the size
    ],
)
def test_a_box_select_finds_the_object(shape: str, size: tuple[int, int], contrast: float) -> None:
    for seed in range(3 if size[0] < 1000 else 2):
        img, obj = scene(seed, *size, shape=shape, contrast=contrast)
        box = box_around(obj)
        sel = object_select(img, box, grow=0)
        assert sel is not None
        assert iou(sel.full(obj.shape), obj) >= 0.85, (shape, size, seed)
        if seed:
            continue
        # As the editor uses it, grown to cover the edge: all of the object, not much more.
        grown = object_select(img, box)
        assert grown is not None
        g = grown.full(obj.shape)
        assert (g & obj).sum() >= 0.99 * obj.sum()
        ring = cv2.dilate(obj.astype(np.uint8), np.ones((2 * default_grow(box) + 7,) * 2, np.uint8)).astype(bool)
        assert not (g & ~ring).any()


def test_strokes_already_painted_guide_a_hard_select() -> None:
    """At low contrast the box alone loses the star in some scenes; a stroke along its
    middle (what a user paints first) brings every one back."""
    alone, guided = [], []
    for seed in range(2, 5):
        img, obj = scene(seed, shape="star", contrast=20.0)
        box = box_around(obj)
        ys, xs = np.nonzero(obj)
        stroke = np.zeros_like(obj)
        cy = int(ys.mean())
        stroke[cy - 3 : cy + 3, xs.min() : xs.max()] = True
        stroke &= cv2.erode(obj.astype(np.uint8), np.ones((25, 25), np.uint8)).astype(bool)
        for seeds, out in ((None, alone), (stroke, guided)):
            sel = object_select(img, box, seeds, grow=0)
            out.append(0.0 if sel is None else iou(sel.full(obj.shape), obj))
    assert min(guided) >= 0.85, guided
    assert min(alone) < 0.85, alone  # the case the strokes are for


def test_a_click_selects_a_small_object() -> None:
    img, obj = scene(7, 480, 640)
    small = np.zeros_like(obj)
    cv2.circle(small.view(np.uint8), (320, 240), 30, 1, -1)
    img[small] = (230, 20, 200)
    sel = object_select(img, click_box(obj.shape, 320.0, 240.0), point=(320.0, 240.0), grow=0)
    assert sel is not None and iou(sel.full(obj.shape), small) >= 0.85


def test_a_whole_photo_box_or_a_sliver_selects_nothing() -> None:
    img, obj = scene(1)
    assert object_select(img, (0, 360, 0, 480)) is None
    assert object_select(img, (10, 12, 10, 300)) is None


def test_the_scissors_follow_the_objects_edge() -> None:
    rng = np.random.default_rng(1)
    img = (cv2.GaussianBlur(rng.random((600, 800, 3)).astype(np.float32), (0, 0), 3) * 128 + 90).astype(np.uint8)
    img[150:450, 200:600] = (160, 30, 30)
    small, scale = scissors_image(img)
    m = ScissorsMap(small, scale, (206.0, 156.0))
    path = m.path_to((594.0, 444.0))  # opposite corners: the cheap way is along an edge
    edge = np.zeros((600, 800), np.uint8)
    cv2.rectangle(edge, (200, 150), (599, 449), 1, 1)
    dist = cv2.distanceTransform(1 - edge, cv2.DIST_L2, 3)
    d = dist[path[:, 1].astype(int), path[:, 0].astype(int)]
    assert d.mean() <= 2.0 and np.percentile(d, 95) <= 4.0
    assert np.allclose(path[0], (206.5, 156.5), atol=1) and np.allclose(path[-1], (594.5, 444.5), atol=1)
    back = m.path_to((594.0, 444.0), backward=True)
    assert np.allclose(back, path[::-1])
    # A lasso through four such paths covers the square, and a few pixels more (the line
    # runs on the edge, the mask is grown 2 px beyond it).
    pts = np.concatenate(
        [
            ScissorsMap(small, scale, a).path_to(b)
            for a, b in [
                ((202, 152), (597, 152)),
                ((597, 152), (597, 447)),
                ((597, 447), (202, 447)),
                ((202, 447), (202, 152)),
            ]
        ]
    )
    sel = lasso_mask((600, 800), pts)
    sq = np.zeros((600, 800), bool)
    sq[150:450, 200:600] = True
    assert sel is not None
    got = sel.full(sq.shape)
    assert got[sq].all() and iou(got, sq) >= 0.95


def test_a_lasso_of_fewer_than_three_points_is_nothing() -> None:
    assert lasso_mask((50, 50), np.array([[1.0, 1.0], [10.0, 10.0]])) is None
