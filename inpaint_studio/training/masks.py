"""Free-form hole masks for training (DeepFill v2 brush strokes OR'ed with a box).

Follows the corrected ``brush_stroke_mask`` of the official code (1–3 strokes of 4–11
vertices, alternating turn angles around 2π/5, segment length ~ N(diag/8, diag/16),
width 12–40 px at 256 px), plus a box of about half the side.  ``max_strokes`` can be
raised so holes cover the 10–60 % range the eval masks use.  Widths scale with the
image size so the same statistics hold at any crop size.
"""

from __future__ import annotations

import math

import cv2
import numpy as np


def brush_stroke_mask(h: int, w: int, rng: np.random.Generator, max_strokes: int = 3) -> np.ndarray:
    """Bool (h, w) mask of random thick polylines with round joints."""
    mask = np.zeros((h, w), np.uint8)
    mean_angle, angle_range = 2 * math.pi / 5, 2 * math.pi / 15
    scale = math.sqrt(h * w) / 256.0
    min_width, max_width = 12 * scale, 40 * scale
    avg_r = math.sqrt(h * h + w * w) / 8
    for _ in range(int(rng.integers(1, max_strokes + 1))):
        n_vertex = int(rng.integers(4, 12))
        a_min = mean_angle - rng.uniform(0, angle_range)
        a_max = mean_angle + rng.uniform(0, angle_range)
        angles = [
            2 * math.pi - rng.uniform(a_min, a_max) if i % 2 == 0 else rng.uniform(a_min, a_max)
            for i in range(n_vertex)
        ]
        width = max(1, int(rng.uniform(min_width, max_width)))
        pts = [(int(rng.integers(0, w)), int(rng.integers(0, h)))]
        for a in angles:
            r = float(np.clip(rng.normal(avg_r, avg_r / 2), 0, 2 * avg_r))
            x, y = pts[-1]
            pts.append((int(np.clip(x + r * math.cos(a), 0, w - 1)), int(np.clip(y + r * math.sin(a), 0, h - 1))))
        for p, q in zip(pts[:-1], pts[1:]):
            cv2.line(mask, p, q, 1, width)
        for p in pts:
            cv2.circle(mask, p, width // 2, 1, -1)
    return mask.astype(bool)


def box_mask(h: int, w: int, rng: np.random.Generator) -> np.ndarray:
    """A box of half the side, shrunk by up to 1/16 of the side per edge (as in the TF code)."""
    mask = np.zeros((h, w), bool)
    bh, bw = h // 2, w // 2
    top, left = int(rng.integers(0, h - bh + 1)), int(rng.integers(0, w - bw + 1))
    dh, dw = int(rng.integers(0, h // 16 + 1)), int(rng.integers(0, w // 16 + 1))
    mask[top + dh : top + bh - dh, left + dw : left + bw - dw] = True
    return mask


def free_form_mask(h: int, w: int, rng: np.random.Generator, box_prob: float = 0.5, max_strokes: int = 6) -> np.ndarray:
    """Strokes, OR'ed with a box half of the time; never empty, never the whole image."""
    while True:
        m = brush_stroke_mask(h, w, rng, max_strokes)
        if rng.random() < box_prob:
            m |= box_mask(h, w, rng)
        ratio = m.mean()
        if 0.005 < ratio < 0.8:
            return m


def irregular_mask(h: int, w: int, rng: np.random.Generator, parts: int = 6, scale: float = 1.0) -> np.ndarray:
    """Bool (h, w) mask in the style of the NVIDIA irregular masks (Liu et al. 2018).

    Those come from occlusion maps between video frames: ribbons that thin and thicken,
    rows of specks, ragged blobs, scattered over a 512 px square and stretched to the
    photo.  Free-form brush strokes are one thick line each; a fill tuned on them sees
    wide, simple holes only, so a validation set needs these as well.  Drawn at 512 px
    and resized with nearest neighbour, as the eval resizes its masks.  ``scale``
    widens every part (ribbons, specks, blobs) by that factor: the NVIDIA masks' large
    ratios come from wider parts, not from more of them (1: the same masks as before).
    """
    s = 512
    m = np.zeros((s, s), np.uint8)
    for _ in range(int(rng.integers(1, parts + 1))):
        kind = rng.choice(3, p=[0.5, 0.25, 0.25])
        x, y = rng.uniform(0, s, 2)
        angle = rng.uniform(0, 2 * math.pi)
        if kind == 0:  # a ribbon whose width wanders
            width = rng.uniform(4, 30) * scale
            for _ in range(int(rng.integers(8, 40))):
                angle += rng.normal(0, 0.35)
                step = rng.uniform(6, 16)
                nx_, ny_ = x + step * math.cos(angle), y + step * math.sin(angle)
                width = float(np.clip(width * rng.uniform(0.8, 1.25), 2, 40 * scale))
                cv2.line(m, (int(x), int(y)), (int(nx_), int(ny_)), 1, max(1, int(width)))
                x, y = nx_, ny_
        elif kind == 1:  # a row of specks along a gentle curve
            r = rng.uniform(3, 10) * scale
            for _ in range(int(rng.integers(5, 20))):
                angle += rng.normal(0, 0.15)
                x, y = x + 2.6 * r * math.cos(angle), y + 2.6 * r * math.sin(angle)
                ax = max(1, int(r * rng.uniform(0.7, 1.6)))
                cv2.ellipse(m, (int(x), int(y)), (ax, max(1, int(r))), math.degrees(angle), 0, 360, 1, -1)
        else:  # a ragged blob: overlapping ellipses around one centre
            size = rng.uniform(15, 70) * scale
            for _ in range(int(rng.integers(3, 9))):
                cx, cy = x + rng.normal(0, size / 2), y + rng.normal(0, size / 2)
                axes = (max(2, int(size * rng.uniform(0.2, 0.7))), max(2, int(size * rng.uniform(0.2, 0.7))))
                cv2.ellipse(m, (int(cx), int(cy)), axes, rng.uniform(0, 180), 0, 360, 1, -1)
    margin = int(rng.integers(0, 48))
    if margin:
        m[:margin] = m[-margin:] = 0
        m[:, :margin] = m[:, -margin:] = 0
    return cv2.resize(m, (w, h), interpolation=cv2.INTER_NEAREST) > 0
