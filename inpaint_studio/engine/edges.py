"""Canny edges as the generator's edge channel (σ = 2 smoothing, as EdgeConnect)."""

from __future__ import annotations

import cv2
import numpy as np


def canny_edges(rgb: np.ndarray, sigma: float = 2.0, low: int = 20, high: int = 50) -> np.ndarray:
    """Float32 (h, w) in {0, 1}; ``rgb`` is uint8 or float in [0, 1]."""
    if rgb.dtype != np.uint8:
        rgb = np.clip(np.rint(rgb * 255.0), 0, 255).astype(np.uint8)
    gray = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY) if rgb.ndim == 3 else rgb
    gray = cv2.GaussianBlur(gray, (0, 0), sigma)
    return (cv2.Canny(gray, low, high) > 0).astype(np.float32)


#: Edges this close to the hole (px) are dropped from the known edges: the hole's
#: border, whatever fills it, makes edges of its own there.
NEAR_HOLE_MARGIN = 4


def known_edges(rgb: np.ndarray, hole: np.ndarray, sigma: float = 2.0, margin: int = NEAR_HOLE_MARGIN) -> np.ndarray:
    """Edges of the known region only (the hole's made-up pixels must not create edges).

    The hole is first filled with the mean known colour so its border is not an edge.
    """
    # a new array either way (astype copies), so the hole may be painted over in place
    img = rgb.astype(np.float32) if rgb.dtype != np.uint8 else rgb.astype(np.float32) / 255.0
    if hole.any() and (~hole).any():
        img[hole] = img[~hole].mean(axis=0)
    return drop_near_hole(canny_edges(img, sigma), hole, margin)


def drop_near_hole(edges: np.ndarray, hole: np.ndarray, margin: int = NEAR_HOLE_MARGIN) -> np.ndarray:
    """Zero edges in the hole and ``margin`` px around it.

    At run time the edges next to the hole are corrupted by the fill-in colour, so
    training hides them too: the net sees the same edge statistics in both.
    """
    k = 2 * margin + 1
    grown = cv2.dilate(hole.astype(np.uint8), np.ones((k, k), np.uint8)) > 0
    out = edges.copy()
    out[grown] = 0.0
    return out


def thin_edges(prob: np.ndarray) -> np.ndarray:
    """Keep the ridge lines of an edge-probability map: a pixel keeps its value if, in
    one of the four directions (row, column, two diagonals), it is higher than both
    neighbours; every other pixel becomes 0.

    A network trained with per-pixel cross-entropy draws an uncertain edge as a band
    several pixels wide; thresholding that gives blobs, while the ridge line of the
    band is the stroke a user expects in the overlay (and what Canny gives the
    generator in training).  A flat plateau has no ridge and goes.
    """
    p = np.asarray(prob, np.float32)
    pad = np.pad(p, 1, mode="edge")
    h, w = p.shape
    nb = lambda dy, dx: pad[1 + dy : 1 + dy + h, 1 + dx : 1 + dx + w]  # noqa: E731
    keep = np.zeros((h, w), bool)
    for dy, dx in ((0, 1), (1, 0), (1, 1), (1, -1)):
        a, b = nb(dy, dx), nb(-dy, -dx)
        keep |= (p > a) & (p > b)
    return np.where(keep, p, 0.0).astype(np.float32)
