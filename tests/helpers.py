"""Small synthetic photos made in code (tests never read ../shared)."""

from __future__ import annotations

import numpy as np


def photo(h: int = 96, w: int = 128, seed: int = 0, channels: int = 3, dtype: type = np.uint8) -> np.ndarray:
    """A smooth gradient with a few shapes and mild noise: photo-like, compresses sanely."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    r = 0.5 + 0.5 * np.sin(xx / max(w, 1) * 3.1 + seed)
    g = yy / max(h - 1, 1)
    b = 0.5 + 0.3 * np.cos((xx + yy) / 17.0)
    img = np.stack([r, g, b], axis=2)
    img[h // 4 : h // 2, w // 5 : w // 2] = [0.9, 0.2, 0.1]
    img += rng.normal(0, 0.02, img.shape).astype(np.float32)
    img = np.clip(img, 0, 1)
    top = 65535 if dtype == np.uint16 else 255
    out = np.rint(img * top).astype(dtype)
    if channels == 4:
        alpha = np.full((h, w, 1), top, dtype)
        alpha[: h // 3, : w // 3] = top // 3
        out = np.concatenate([out, alpha], axis=2)
    return out


def box_mask(h: int, w: int, y0: int, y1: int, x0: int, x1: int) -> np.ndarray:
    m = np.zeros((h, w), bool)
    m[y0:y1, x0:x1] = True
    return m


def fine_band(x: np.ndarray, sigma: float = 2.0) -> np.ndarray:
    """Reference high pass with OpenCV: ``x`` minus its Gaussian blur (radius 4σ, mirrored
    border), the split the detail fill and the photo grain both use."""
    import cv2

    r = int(np.ceil(4 * sigma))
    return x - cv2.GaussianBlur(x, (2 * r + 1, 2 * r + 1), sigma, borderType=cv2.BORDER_REFLECT_101)
