"""core.filters.gaussian_blur: the one Gaussian blur of the package's own smoothing."""

from __future__ import annotations

import numpy as np

from inpaint_studio.core.filters import gaussian_blur


def test_blur_keeps_the_mean_spreads_a_dot_and_is_a_no_op_for_tiny_sigma() -> None:
    x = np.zeros((41, 41), np.float32)
    x[20, 20] = 1.0
    b = gaussian_blur(x, 2.0)
    assert abs(float(b.sum()) - 1.0) < 1e-5  # the dot is far from the border
    assert b[20, 20] < 0.1 and b[20, 26] > 0 and b[20, 27] == 0  # kernel cut at ceil(3 sigma)
    assert gaussian_blur(x, 0.3) is x


def test_border_is_mirrored_so_a_flat_photo_stays_flat() -> None:
    flat = np.full((9, 12, 3), 0.25, np.float32)
    np.testing.assert_allclose(gaussian_blur(flat, 3.0), flat, atol=1e-6)
