"""Synthetic watermarks, captions and photos with known ground truth.

The watermark and text tools are measured against photos whose clean version is
known: a mark (alpha matte + colour) blended at a known place, or text drawn on a
known layer.  Tests build everything here from code; ``bench/`` puts the same marks
on real photos.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np


@dataclass
class SyntheticMark:
    """A watermark in its own frame: ``alpha`` (h, w) in [0, 1], ``colour`` (h, w, 3) in [0, 1]."""

    alpha: np.ndarray
    colour: np.ndarray

    @property
    def shape(self) -> tuple[int, int]:
        return self.alpha.shape


def make_mark(
    width: int = 200,
    height: int = 72,
    colour: tuple[float, float, float] = (1.0, 1.0, 1.0),
    opacity: tuple[float, float] = (0.3, 0.6),
    text: str = "(c) PHOTO",
) -> SyntheticMark:
    """A stock-photo style mark: a ring with a bar, and bold text beside it.

    The opacity runs from ``opacity[0]`` at the left to ``opacity[1]`` at the right, so
    one mark exercises the whole range; edges are anti-aliased as rendered marks are.
    """
    scale = 4  # draw large and shrink: smooth, anti-aliased coverage
    big = np.zeros((height * scale, width * scale), np.uint8)
    r = int(height * scale * 0.36)
    cx, cy = int(height * scale * 0.45), height * scale // 2
    cv2.circle(big, (cx, cy), r, 255, thickness=int(r * 0.28), lineType=cv2.LINE_AA)
    cv2.rectangle(big, (cx - r // 2, cy - r // 8), (cx + r // 2, cy + r // 8), 255, -1, cv2.LINE_AA)
    font = cv2.FONT_HERSHEY_DUPLEX
    x0 = int(height * scale * 0.95)
    fs = 1.0
    (tw, th), _ = cv2.getTextSize(text, font, fs, 1)
    fs = min((width * scale - x0 - 8 * scale) / tw, height * scale * 0.45 / th)
    thick = max(1, int(fs * 2.2))
    (tw, th), _ = cv2.getTextSize(text, font, fs, thick)
    cv2.putText(big, text, (x0, cy + th // 2), font, fs, 255, thick, cv2.LINE_AA)
    cover = cv2.resize(big, (width, height), interpolation=cv2.INTER_AREA).astype(np.float32) / 255.0
    ramp = np.linspace(opacity[0], opacity[1], width, dtype=np.float32)[None, :]
    alpha = np.clip(cover * ramp, 0.0, 1.0)
    col = np.empty((height, width, 3), np.float32)
    col[:] = np.asarray(colour, np.float32)
    return SyntheticMark(alpha, col)


def blend_mark(photo: np.ndarray, mark: SyntheticMark, x: int, y: int) -> np.ndarray:
    """``photo`` (uint8 RGB) with ``mark`` alpha-blended with its top-left at (x, y).

    The mark may hang over the photo's border; only the overlap is blended.
    """
    out = photo.astype(np.float32) / 255.0
    h, w = mark.shape
    H, W = photo.shape[:2]
    x0, y0, x1, y1 = max(0, x), max(0, y), min(W, x + w), min(H, y + h)
    if x0 >= x1 or y0 >= y1:
        return photo.copy()
    a = mark.alpha[y0 - y : y1 - y, x0 - x : x1 - x, None]
    c = mark.colour[y0 - y : y1 - y, x0 - x : x1 - x]
    out[y0:y1, x0:x1, :3] = a * c + (1.0 - a) * out[y0:y1, x0:x1, :3]
    return np.clip(np.rint(out * 255.0), 0, 255).astype(np.uint8)


def mark_footprint(
    photo_shape: tuple[int, ...], mark: SyntheticMark, x: int, y: int, min_alpha: float = 1e-3
) -> np.ndarray:
    """Bool (H, W): the photo pixels the mark placed at (x, y) changes."""
    H, W = photo_shape[:2]
    out = np.zeros((H, W), bool)
    h, w = mark.shape
    x0, y0, x1, y1 = max(0, x), max(0, y), min(W, x + w), min(H, y + h)
    if x0 < x1 and y0 < y1:
        out[y0:y1, x0:x1] = mark.alpha[y0 - y : y1 - y, x0 - x : x1 - x] > min_alpha
    return out


def synthetic_photo(h: int, w: int, rng: np.random.Generator) -> np.ndarray:
    """A uint8 RGB 'photo': smooth colour fields, soft shapes, edges and fine grain.

    Its gradients are sparse and varied like a photo's, so the watermark estimator
    (which relies on photos not sharing structure) sees a fair test.
    """
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    img = np.zeros((h, w, 3), np.float32)
    for c in range(3):
        a, b, d = rng.uniform(-1, 1, 3)
        img[..., c] = 0.5 + 0.25 * (a * xx / w + b * yy / h) + 0.1 * d
    low = rng.normal(0, 1, (max(2, h // 32), max(2, w // 32), 3)).astype(np.float32)
    img += 0.12 * cv2.resize(low, (w, h), interpolation=cv2.INTER_CUBIC)
    for _ in range(int(rng.integers(4, 9))):
        col = rng.uniform(0, 1, 3).astype(np.float32)
        layer = np.zeros((h, w), np.uint8)
        if rng.random() < 0.5:
            c0 = (int(rng.integers(0, w)), int(rng.integers(0, h)))
            cv2.circle(layer, c0, int(rng.integers(h // 10, h // 3)), 255, -1, cv2.LINE_AA)
        else:
            pts = rng.integers(0, [w, h], (int(rng.integers(3, 6)), 2)).astype(np.int32)
            cv2.fillPoly(layer, [pts], 255, cv2.LINE_AA)
        m = cv2.GaussianBlur(layer.astype(np.float32) / 255.0, (0, 0), float(rng.uniform(0.6, 3.0)))[..., None]
        img = m * col + (1 - m) * img
    img += rng.normal(0, 0.012, img.shape).astype(np.float32)
    return np.clip(np.rint(img * 255), 0, 255).astype(np.uint8)


@dataclass
class SyntheticText:
    """A photo with text drawn on it and which pixels the text changed."""

    image: np.ndarray
    clean: np.ndarray
    #: Float (H, W) in [0, 1]: how much of each pixel is text (glyph plus its outline).
    coverage: np.ndarray
    #: Bool (H, W): the rows the text lines occupy, widened a little (the "text band").
    band: np.ndarray


def draw_text(
    photo: np.ndarray,
    lines: list[tuple[str, tuple[int, int], float]],
    colour: tuple[int, int, int] = (255, 255, 255),
    outline: tuple[int, int, int] | None = (0, 0, 0),
    font: int = cv2.FONT_HERSHEY_DUPLEX,
) -> SyntheticText:
    """Draw each ``(text, (x, baseline_y), font_scale)`` on ``photo`` (uint8 RGB).

    Captions and date stamps are usually light glyphs with a dark outline (or the
    reverse), so the outline is drawn too and counts as text.
    """
    h, w = photo.shape[:2]
    s = 4
    fill = np.zeros((h * s, w * s), np.uint8)
    edge = np.zeros((h * s, w * s), np.uint8)
    band = np.zeros((h, w), bool)
    for text, (x, y), fs in lines:
        thick = max(1, int(round(fs * 2)))
        org = (x * s, y * s)
        if outline is not None:
            cv2.putText(edge, text, org, font, fs * s, 255, thick * s + 2 * s, cv2.LINE_AA)
        cv2.putText(fill, text, org, font, fs * s, 255, thick * s, cv2.LINE_AA)
        (tw, th), base = cv2.getTextSize(text, font, fs, thick)
        band[max(0, y - th - 4) : min(h, y + base + 4), max(0, x - 4) : min(w, x + tw + 4)] = True
    a_fill = cv2.resize(fill, (w, h), interpolation=cv2.INTER_AREA).astype(np.float32)[..., None] / 255
    a_edge = cv2.resize(edge, (w, h), interpolation=cv2.INTER_AREA).astype(np.float32)[..., None] / 255
    img: np.ndarray = photo.astype(np.float32)
    if outline is not None:
        img = a_edge * np.asarray(outline, np.float32) + (1 - a_edge) * img
    img = a_fill * np.asarray(colour, np.float32) + (1 - a_fill) * img
    cover = np.maximum(a_fill, a_edge if outline is not None else 0)[..., 0]
    out = np.clip(np.rint(img), 0, 255).astype(np.uint8)
    return SyntheticText(out, photo.copy(), cover, band)
