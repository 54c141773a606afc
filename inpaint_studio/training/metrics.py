"""Image-quality metrics used by ``inpaint-studio eval`` (whole image, as the papers do).

SSIM follows Wang et al. 2004 with an 11×11 Gaussian window (σ = 1.5), K1 = 0.01,
K2 = 0.03, on 8-bit values, computed per RGB channel and averaged over the channels
(the convention of skimage's ``channel_axis`` mode with ``gaussian_weights=True``).
"""

from __future__ import annotations

import cv2
import numpy as np


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    """PSNR in dB for uint8 images (peak 255); identical images give ``inf``."""
    mse = float(np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2))
    return float("inf") if mse == 0 else 10.0 * np.log10(255.0**2 / mse)


def mean_l1(a: np.ndarray, b: np.ndarray) -> float:
    """Mean absolute error as a fraction of the 0–255 range."""
    return float(np.mean(np.abs(a.astype(np.float64) - b.astype(np.float64)))) / 255.0


def ssim(a: np.ndarray, b: np.ndarray) -> float:
    """Mean SSIM over pixels and channels (Gaussian 11×11, σ 1.5)."""
    a = a.astype(np.float64)
    b = b.astype(np.float64)
    if a.ndim == 2:
        a, b = a[..., None], b[..., None]
    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2

    def blur(x: np.ndarray) -> np.ndarray:
        return cv2.GaussianBlur(x, (11, 11), 1.5, borderType=cv2.BORDER_REFLECT)

    vals = []
    for ch in range(a.shape[2]):
        x, y = a[..., ch], b[..., ch]
        mx, my = blur(x), blur(y)
        sxx = blur(x * x) - mx * mx
        syy = blur(y * y) - my * my
        sxy = blur(x * y) - mx * my
        s = ((2 * mx * my + c1) * (2 * sxy + c2)) / ((mx * mx + my * my + c1) * (sxx + syy + c2))
        vals.append(s.mean())
    return float(np.mean(vals))


def hole_detail(out: np.ndarray, truth: np.ndarray, mask: np.ndarray) -> float:
    """Fine detail inside the hole, as a fraction of the truth's there.

    PSNR, SSIM and L1 all rank a smooth blur of the likely colours above real texture
    in a slightly wrong place, so none of them can tell a fill that looks like a photo
    from one that looks like blur.  This can: the mean gradient magnitude (3×3 Sobel
    on luminance) over the hole, divided by the truth's.  A blurred fill scores well
    under 1, a noisy or seamy one over 1, and a fill with the photo's own amount of
    detail near 1.  It says nothing about whether the detail is the right detail.
    """
    def grad(img: np.ndarray) -> np.ndarray:
        x = img.astype(np.float32)
        y = x if x.ndim == 2 else x @ np.array([0.299, 0.587, 0.114], np.float32)
        gx = cv2.Sobel(y, cv2.CV_32F, 1, 0, ksize=3, borderType=cv2.BORDER_REFLECT)
        gy = cv2.Sobel(y, cv2.CV_32F, 0, 1, ksize=3, borderType=cv2.BORDER_REFLECT)
        return np.sqrt(gx * gx + gy * gy)

    hole = mask.astype(bool)
    if not hole.any():
        return 1.0
    # The small offset keeps a flat truth (sky) from dividing by ~0: a flat fill of it
    # scores 1, any texture there well over 1.  Photos' holes average tens.
    return float((grad(out)[hole].mean() + 0.5) / (grad(truth)[hole].mean() + 0.5))
