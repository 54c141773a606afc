"""Estimating the mark a set of photos shares: :func:`estimate_watermark`.

The steps are :mod:`.watermark`'s; this module runs them in order, first on shrunk
copies and then at full resolution on crops, and decides when too few photos carry
the mark to estimate it at all.
"""

from __future__ import annotations

import cv2
import numpy as np

from ..core.box import mask_box
from .cancel import CancelToken, ProgressCallback, no_progress
from .watermark import (
    MAX_SHIFT,
    MIN_PHOTOS,
    MIN_SCORE,
    NoWatermarkError,
    Watermark,
    best_match,
    gradients,
    grey,
    rgb_float,
)
from .watermark_align import bootstrap, inside_frames, refine_full, shrink
from .watermark_matte import estimate_matte, mark_support

#: Photos longer than this are searched shrunk to it first; the mark is then placed
#: exactly at full resolution on crops around it, so a set of 24 MP photos needs the
#: memory of a few crops, not of every photo's gradients.
SEARCH_SIDE = 1600


def estimate_watermark(
    photos: list[np.ndarray],
    hint: np.ndarray | None = None,
    *,
    max_shift: int = MAX_SHIFT,
    names: list[str] | None = None,
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
) -> Watermark:
    """Estimate the mark shared by ``photos`` (uint8/uint16 RGB(A), any sizes).

    ``hint`` (bool, the size of the first photo) says roughly where the mark is, e.g.
    a template mask; without it the photos are aligned to each other first.  Photos
    without the mark are left out of the estimate.

    Raises:
        NoWatermarkError: fewer than ``MIN_PHOTOS`` photos share a recognisable mark.
        CancelledError: ``cancel`` was set.
    """
    progress = progress or no_progress
    cancel = cancel or CancelToken()
    if len(photos) < MIN_PHOTOS:
        raise NoWatermarkError(
            f"a shared watermark needs at least {MIN_PHOTOS} photos that carry it; got {len(photos)}"
        )
    n = len(photos)
    side = max(max(p.shape[:2]) for p in photos)
    scale = min(1.0, SEARCH_SIDE / side)
    work = photos if scale == 1.0 else [shrink(p, scale) for p in photos]
    grads = [gradients(grey(rgb_float(p))) for p in work]
    progress(0.05, "looking for the shared mark")
    ms = max(2, int(round(max_shift * scale)))
    if hint is not None and hint.any():
        if scale < 1.0:
            hint = (
                cv2.resize(hint.astype(np.uint8), (work[0].shape[1], work[0].shape[0]), interpolation=cv2.INTER_NEAREST)
                > 0
            )
        box = mask_box(hint)
        assert box is not None
        pad = 6
        x0, y0 = max(0, box.x0 - pad), max(0, box.y0 - pad)
        x1, y1 = min(grads[0].shape[1], box.x1 + pad), min(grads[0].shape[0], box.y1 + pad)
        region = (max(0, x0 - ms), max(0, y0 - ms), x1 + ms, y1 + ms)
        x0, y0, x1, y1, positions = bootstrap(grads, ms, cancel, progress, region)
    else:
        x0, y0, x1, y1, positions = bootstrap(grads, ms, cancel, progress)
    h, w = y1 - y0, x1 - x0
    origin = (x0, y0)

    for round_ in range(3):
        cancel.raise_if_cancelled()
        progress(0.3 + 0.1 * round_, f"aligning the mark (pass {round_ + 1})")
        positions = inside_frames(positions, (h, w), [g.shape for g in grads])
        if len(positions) < MIN_PHOTOS:
            raise NoWatermarkError("the shared structure lies across the photos' border in too many of them")
        stack = np.stack([grads[i][y : y + h, x : x + w] for i, (x, y) in positions.items()])
        template = np.median(stack, axis=0).astype(np.float32)
        found: dict[int, tuple[int, int]] = {}
        members = list(positions)
        for i in range(n):
            # A photo is matched against the others' median only: its own edges in the
            # template would make any photo look like it carries "the mark".
            if i in positions and len(members) > 2:
                loo = np.median(np.delete(stack, members.index(i), axis=0), axis=0).astype(np.float32)
            else:
                loo = template
            x, y, score = best_match(grads[i], loo, origin, ms)
            if score >= MIN_SCORE:
                found[i] = (x, y)
        if len(found) < MIN_PHOTOS:
            raise NoWatermarkError(
                f"no watermark shared by these photos: only {len(found)} of {n} match a common mark "
                f"(at least {MIN_PHOTOS} needed)"
            )
        positions = found
        xs = sorted(p[0] for p in positions.values())
        ys = sorted(p[1] for p in positions.values())
        origin = (xs[len(xs) // 2], ys[len(ys) // 2])
    del grads, work
    if scale < 1.0:
        progress(0.55, "placing the mark at full resolution")
        positions, (h, w), origin = refine_full(photos, positions, (h, w), scale, cancel)

    # Re-centre the frame on the mark with a ring of mark-free pixels around it.
    shapes = [p.shape for p in photos]
    gstack = np.stack([gradients(grey(rgb_float(photos[i][y : y + h, x : x + w]))) for i, (x, y) in positions.items()])
    template = np.median(gstack, axis=0).astype(np.float32)
    sup = mark_support(template)
    bb = mask_box(sup)
    if bb is None:
        raise NoWatermarkError("the photos' common structure is too faint to be a watermark")
    ring = 4
    fx0, fy0, fx1, fy1 = bb.x0 - ring, bb.y0 - ring, bb.x1 + ring, bb.y1 + ring
    positions = {i: (x + fx0, y + fy0) for i, (x, y) in positions.items()}
    h, w = fy1 - fy0, fx1 - fx0
    origin = (origin[0] + fx0, origin[1] + fy0)
    inside = inside_frames(positions, (h, w), shapes)
    if len(inside) < MIN_PHOTOS:
        raise NoWatermarkError("the mark lies across the photos' border in too many photos to estimate it")
    crops = np.stack([rgb_float(photos[i][y : y + h, x : x + w]) for i, (x, y) in inside.items()])
    gstack = np.stack([gradients(grey(c)) for c in crops])
    template = np.median(gstack, axis=0).astype(np.float32)
    progress(0.6, f"estimating the mark's opacity and colour from {len(inside)} photos")
    for grow in (0, 2):
        # Tight first; if the mark still shows on the region's rim, it reaches further.
        unknown = mark_support(template, grow)
        unknown[:2, :] = unknown[-2:, :] = False
        unknown[:, :2] = unknown[:, -2:] = False
        alpha, colour = estimate_matte(crops, unknown, cancel=cancel)
        alpha[~unknown] = 0.0
        rim = unknown & ~cv2.erode(unknown.astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool)
        if not rim.any() or float((alpha[rim] > 0.05).mean()) < 0.1:
            break
    progress(1.0, "watermark estimated")
    used = [names[i] for i in inside] if names else []
    return Watermark(alpha, colour, template, origin, len(inside), used)
