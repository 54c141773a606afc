"""The default fill: the network's layout, the photo's own texture.

DeepFill runs at its working size (at most 512 px a side) and says what goes where in
the hole; ``engine.synthesis`` then re-makes the hole at the crop's full resolution
from the photo's own pixels, guided by that fill and by the edge map.  Without the
network's weights the harmonic fill is the guide (classical, always there), so the
method keeps working, with a poorer layout.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import cv2
import numpy as np

from ..core.errors import WeightsError
from .registry import MethodInfo, register_fill
from .synthesis import DEFAULT, SynthesisParams, synthesize

log = logging.getLogger(__name__)

#: Longest side of a crop synthesised at full resolution; a larger crop (a hole over
#: most of a 24 MP photo) is filled at this size and scaled up.
FULL_SIZE_LIMIT = 4096
#: Longest side the guide's network sees: it gives only the layout (its low band), and
#: its time grows with its pixel count while the synthesis' does not need more.
GUIDE_SIZE = 512
#: Blur of the guide's low band, in the network's own pixels: finer than that, its
#: fill is a smooth guess, not layout.
GUIDE_SIGMA_WORKING = 2.0
#: Mirror images the network's fill is averaged over when it is the guide.
GUIDE_ENSEMBLE = 1


def _shrink(rgb: np.ndarray, hole: np.ndarray, side: int) -> tuple[np.ndarray, np.ndarray, float]:
    """The crop at no more than ``side`` px, the hole grown to every working pixel any
    hole pixel touches (a half-covered pixel would carry the object's colour)."""
    h, w = hole.shape
    scale = min(1.0, side / max(h, w))
    if scale >= 1.0:
        return rgb, hole, 1.0
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    small = cv2.resize(rgb, size, interpolation=cv2.INTER_AREA)
    small_hole = cv2.resize(hole.astype(np.uint8) * np.uint8(255), size, interpolation=cv2.INTER_AREA) > 0
    return small, small_hole, scale


class GuidedFill:
    """Network layout + guided patch synthesis from the photo (see the module doc)."""

    name = "guided"
    working_size = FULL_SIZE_LIMIT
    # Its capabilities (seeds, edges) are declared on its MethodInfo below.
    #: Set when the fill works but not at its best; the engine passes it on as a warning.
    notice = ""

    def __init__(self, guide: object, guide_name: str, params: SynthesisParams = DEFAULT) -> None:
        self.guide_method = guide
        self.guide_name = guide_name
        self.params = params

    @property
    def layout_size(self) -> int:
        """Longest side ``make_layout`` works at: the engine can hand it the crop already
        that small, made from the photo's integer pixels, instead of a full-size float crop."""
        return int(getattr(self.guide_method, "working_size", GUIDE_SIZE))

    def make_guide(self, rgb: np.ndarray, hole: np.ndarray, edges: np.ndarray | None) -> tuple[np.ndarray, float]:
        """The guide's fill of the crop at the crop's size, and the scale it was made at."""
        return self.guide_from_layout(rgb, hole, *self.make_layout(rgb, hole, edges))

    def make_layout(self, rgb: np.ndarray, hole: np.ndarray, edges: np.ndarray | None) -> tuple[np.ndarray, float]:
        """The guide method's fill of the crop at its own working size, and that size's scale."""
        small, small_hole, scale = _shrink(rgb, hole, self.layout_size)
        small_edges = None
        if edges is not None:
            small_edges = (
                edges
                if scale >= 1.0
                else np.clip(
                    cv2.resize(edges, small_hole.shape[::-1], interpolation=cv2.INTER_AREA) / max(scale, 1e-6) ** 0.5,
                    0,
                    1,
                ).astype(np.float32)
            )
        return self.guide_method.fill(small, small_hole, small_edges), scale  # type: ignore[attr-defined]

    @staticmethod
    def guide_from_layout(
        rgb: np.ndarray, hole: np.ndarray, fill: np.ndarray, scale: float
    ) -> tuple[np.ndarray, float]:
        """``make_layout``'s fill at the crop's size, the photo's own pixels outside the hole."""
        if scale < 1.0:
            fill = cv2.resize(fill, hole.shape[::-1], interpolation=cv2.INTER_CUBIC)
        return np.where(hole[..., None], np.clip(fill, 0.0, 1.0), rgb).astype(np.float32), scale

    def fill(
        self,
        rgb: np.ndarray,
        hole: np.ndarray,
        edges: np.ndarray | None,
        *,
        seed: int = 0,
        should_stop: Callable[[], bool] | None = None,
        progress: Callable[[float], None] | None = None,
    ) -> np.ndarray:
        layout, scale = self.make_layout(rgb, hole, edges)
        if progress is not None:
            progress(0.2)
        return self.refine(
            rgb,
            hole,
            edges,
            layout,
            scale,
            seed=seed,
            should_stop=should_stop,
            progress=None if progress is None else (lambda f: progress(0.2 + 0.8 * f)),
        )

    def refine(
        self,
        rgb: np.ndarray,
        hole: np.ndarray,
        edges: np.ndarray | None,
        layout: np.ndarray,
        scale: float,
        *,
        seed: int = 0,
        should_stop: Callable[[], bool] | None = None,
        progress: Callable[[float], None] | None = None,
    ) -> np.ndarray:
        """The hole re-made at the crop's full resolution, guided by ``make_layout``'s output."""
        guide, scale = self.guide_from_layout(rgb, hole, layout, scale)
        return synthesize(
            rgb,
            hole,
            guide,
            edges=edges,
            guide_sigma=GUIDE_SIGMA_WORKING / scale,
            seed=seed,
            params=self.params,
            should_stop=should_stop,
            progress=progress,
        )


def _degraded() -> str | None:
    from .registry import fill_info

    ok, why = fill_info("deepfill").available()
    return None if ok else f"deepfill is unavailable ({why}): the guided fill takes its layout from the harmonic fill"


def _build(device: str) -> GuidedFill:
    from .registry import fill_info

    info = fill_info("deepfill")
    if info.available()[0] and not info.preferred():
        # Weights whose eval has not yet beaten the classical fill (a user's own run in
        # progress) do not lay out the default fill; ``--model deepfill`` still uses them.
        return GuidedFill(fill_info("harmonic").factory("cpu"), "harmonic")
    try:
        net: Any = info.factory(device)  # DeepFillMethod, or a test's stand-in
        # One pass: the mirror average buys the network alone a little PSNR at twice the
        # time, but only the guide's low band is used here.
        net.ensemble = GUIDE_ENSEMBLE
        net.working_size = min(int(getattr(net, "working_size", GUIDE_SIZE)), GUIDE_SIZE)
        return GuidedFill(net, "deepfill")
    except WeightsError as exc:
        # The synthesis still makes a textured fill; only the layout gets poorer.
        fill = GuidedFill(fill_info("harmonic").factory("cpu"), "harmonic")
        fill.notice = _degraded() or f"{exc}: the guided fill takes its layout from the harmonic fill"
        log.warning("%s", fill.notice)
        return fill


register_fill(
    MethodInfo(
        name="guided",
        description="DeepFill's layout + the photo's own texture by guided PatchMatch, at full resolution (default)",
        kind="neural",
        factory=_build,
        priority=200,
        degraded=_degraded,
        seeds=True,
        edges=True,
        guide_first=True,
    )
)
