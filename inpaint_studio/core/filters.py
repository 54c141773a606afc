"""The one Gaussian blur of the package's own smoothing (soft masks, synthesis guides).

Truncated at 3 sigma (``ceil``), mirrored borders without repeating the edge pixel
(OpenCV's default), so a blur near the photo's edge does not darken or brighten it.
Calls that must reproduce a training-time input exactly (the Canny edges the networks
were trained on, the SSIM window) keep their own OpenCV call with its own kernel.
"""

from __future__ import annotations

import math

import cv2
import numpy as np

#: Below this sigma the kernel's side taps are under 0.4 % of the centre: no blur.
MIN_SIGMA = 0.3


def gaussian_blur(x: np.ndarray, sigma: float) -> np.ndarray:
    """``x`` (H, W) or (H, W, C), float32 or uint8, blurred by ``sigma`` pixels.

    Returns ``x`` itself (not a copy) when ``sigma`` is at most :data:`MIN_SIGMA`.
    """
    if sigma <= MIN_SIGMA:
        return x
    r = math.ceil(3 * sigma)
    return cv2.GaussianBlur(x, (2 * r + 1, 2 * r + 1), sigma, borderType=cv2.BORDER_REFLECT_101)
