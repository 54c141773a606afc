"""Per-photo mask providers for batch runs: automatic text masks and a shared watermark.

``run_batch(..., provider=...)`` calls a provider for each photo instead of reading a
mask file.  The watermark provider estimates the mark once from the batch's photos
(``engine.watermark``), then per photo finds it, inverts it where it is
semi-transparent and leaves only the near-opaque or unreliable pixels for the fill.
Photos without the mark, or without text, are reported and left as they are.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ..core.image_io import load_image
from ..core.masks import load_mask
from .batch import BatchItem, ItemSkipped, Prepared
from .cancel import CancelToken, ProgressCallback, no_progress
from .text_mask import detect_text_mask
from .watermark import MAX_SHIFT, Watermark, invert_watermark
from .watermark_estimate import estimate_watermark

#: Photos read to estimate the mark; more cost memory and time and change little.
ESTIMATE_PHOTOS = 40


class TextProvider:
    """Mask = the detected text's glyphs (``engine.text_mask``)."""

    def __init__(self, margin: int = 0, cancel: CancelToken | None = None) -> None:
        self.margin = margin
        self.cancel = cancel

    def __call__(self, item: BatchItem, pixels: np.ndarray) -> Prepared:
        tm = detect_text_mask(pixels, margin=self.margin, cancel=self.cancel)
        if not tm.found:
            raise ItemSkipped("no text found: left as it is")
        read = ", ".join(repr(t) for t in tm.texts)
        return Prepared(
            pixels, tm.mask, None, f"text: {len(tm.boxes)} line(s), {int(tm.mask.sum())} px masked ({read})"
        )


class WatermarkProvider:
    """Undo one mark shared by the batch's photos; estimate it first with :meth:`estimate`."""

    def __init__(self, hint: Path | None = None, max_shift: int = MAX_SHIFT) -> None:
        self.hint = hint
        self.max_shift = max_shift
        self.mark: Watermark | None = None

    def estimate(
        self,
        sources: Sequence[Path],
        progress: ProgressCallback | None = None,
        cancel: CancelToken | None = None,
    ) -> Watermark:
        """Estimate the mark from (up to ``ESTIMATE_PHOTOS`` of) ``sources``.

        Unreadable photos are passed over here; the batch reports them itself.

        Raises:
            NoWatermarkError: the photos share no mark.
        """
        progress = progress or no_progress
        paths = list(sources)
        if len(paths) > ESTIMATE_PHOTOS:
            step = len(paths) / ESTIMATE_PHOTOS
            paths = [paths[int(i * step)] for i in range(ESTIMATE_PHOTOS)]
        photos, names = [], []
        for i, p in enumerate(paths):
            if cancel is not None:
                cancel.raise_if_cancelled()
            progress(0.3 * i / max(1, len(paths)), f"reading {p.name}")
            try:
                photos.append(load_image(p).pixels)
                names.append(str(p))
            except Exception:  # noqa: BLE001 - reported per photo by the batch
                continue
        hint = None
        if self.hint is not None and photos:
            h, w = photos[0].shape[:2]
            hint = load_mask(self.hint, size=(w, h))
        self.mark = estimate_watermark(
            photos,
            hint,
            max_shift=self.max_shift,
            names=names,
            progress=lambda f, m: progress(0.3 + 0.7 * f, m),
            cancel=cancel,
        )
        return self.mark

    def __call__(self, item: BatchItem, pixels: np.ndarray) -> Prepared:
        if self.mark is None:
            raise RuntimeError("WatermarkProvider.estimate() must run before the batch")
        return prepare_photo(pixels, self.mark, self.max_shift)


def prepare_photo(pixels: np.ndarray, mark: Watermark, max_shift: int = MAX_SHIFT) -> Prepared:
    """One photo's inversion as a batch item: restored pixels, what is left to fill, a note."""
    inv = invert_watermark(pixels, mark, max_shift=max_shift)
    if not inv.match.found:
        raise ItemSkipped(inv.match.describe() + ": left as it is")
    note = (
        f"{inv.match.describe()}; {100 * inv.recovered_share:.0f}% of its {int(inv.footprint.sum())} px "
        f"recovered, {int(inv.fill.sum())} px filled"
    )
    return Prepared(inv.pixels, inv.fill, inv.footprint, note)
