"""The compiled PatchMatch kernels: what the synthesis' settings do to the field."""

from __future__ import annotations

import numpy as np

from inpaint_studio.engine import patchmatch as pm

ONE = np.ones((1, 1), np.float32)  # the guide's channels at their weight for every target


def _mean_source_distance(loc: float) -> float:
    """Targets in a flat image (every source matches equally well) after a few passes."""
    h, w, p = 40, 240, 7
    r = p // 2
    feat = np.zeros((h + 2 * r, w + 2 * r, 3), np.float32)
    target = np.zeros((h, w), bool)
    target[15:25, 10:20] = True
    src_ok = ~target
    src_ok[:r], src_ok[h - r :], src_ok[:, :r], src_ok[:, w - r :] = False, False, False, False
    ty, tx = (a.astype(np.int32) for a in np.nonzero(target))
    sy, sx = (a.astype(np.int32) for a in np.nonzero(src_ok))
    band = pm.band_map(ty, tx, h, w)
    ny, nx = np.zeros((h, w), np.int32), np.zeros((h, w), np.int32)
    nd = np.zeros((h, w), np.float32)
    pm.random_field(ty, tx, sy, sx, ny, nx, pm.seed_state(3, 0))
    pm.measure(feat, ty, tx, ny, nx, nd, p, 1, np.float32(loc), np.float32(1e9), np.zeros((h, w), np.float32), ONE)
    for it in range(4):
        for backward in (False, True):
            pm.field_pass(
                feat, ty, tx, band, src_ok, sy, sx, ny, nx, nd, p, 1, max(h, w), 1, 2, backward,
                pm.seed_state(3, 10 + 2 * it + backward), np.float32(0.0), np.float32(loc), np.float32(1e9),
                np.zeros((h, w), np.float32), ONE,
            )  # fmt: skip
    return float(np.hypot(ny[ty, tx] - ty, nx[ty, tx] - tx).mean())


def test_locality_draws_copies_from_near_the_target() -> None:
    # Without it, equally good sources anywhere are kept wherever the random start put
    # them (about a third of the image away); with it, the search walks them close.
    far, near = _mean_source_distance(0.0), _mean_source_distance(0.01)
    assert far > 40.0, far
    assert near < 0.3 * far, (near, far)


def test_band_map_matches_the_passes_split() -> None:
    # A target marked with another band than the one whose thread rewrites it would be
    # propagated from while it changes: results would depend on thread timing.
    for n in (5, 100, 1001):
        ty = np.arange(n, dtype=np.int32) // 37
        tx = np.arange(n, dtype=np.int32) % 37
        band = pm.band_map(ty, tx, int(ty.max()) + 1, 37)
        for b in range(pm.BANDS):
            lo, hi = b * n // pm.BANDS, (b + 1) * n // pm.BANDS
            assert (band[ty[lo:hi], tx[lo:hi]] == b).all(), (n, b)
        assert (band >= 0).sum() == n
