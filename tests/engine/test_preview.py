"""The guided fill's preview: its guide, delivered before the refinement, pasted as the final is."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import numpy as np
import pytest

from inpaint_studio.core.errors import CancelledError
from inpaint_studio.engine import CancelToken, Engine, InpaintOptions, MethodInfo, register_fill, registry
from inpaint_studio.engine.guided import GuidedFill
from tests.helpers import box_mask, photo

GUIDE_RGB = (0.1, 0.8, 0.2)


class FlatGuide:
    """A network stand-in: the layout is one colour (fast, deterministic); it works at the
    crop's own size, so the guide is that colour to the hole's edge."""

    working_size = 512

    def fill(self, rgb: np.ndarray, hole: np.ndarray, edges: np.ndarray | None) -> np.ndarray:
        out = rgb.copy()
        out[hole] = GUIDE_RGB
        return out


class Recording(GuidedFill):
    """The real guided fill (real synthesis) on a flat guide, logging its steps."""

    log: list[str] = []

    def make_layout(self, rgb: np.ndarray, hole: np.ndarray, edges: np.ndarray | None) -> tuple[np.ndarray, float]:
        Recording.log.append("guide")
        return super().make_layout(rgb, hole, edges)

    def refine(self, *a: object, **kw: object) -> np.ndarray:
        Recording.log.append("refine")
        return super().refine(*a, **kw)  # type: ignore[arg-type]


@pytest.fixture
def guided_test() -> Iterator[str]:
    Recording.log = []
    register_fill(
        MethodInfo(
            "test-guided",
            "test only",
            "classical",
            lambda d: Recording(FlatGuide(), "flat"),
            seeds=True,
            edges=True,
            guide_first=True,
            priority=-100,
        )
    )
    yield "test-guided"
    registry._FILLS.pop("test-guided", None)


def _replace(name: str, method: Recording) -> None:
    """The test method ``name`` re-registered to build ``method``."""
    registry._FILLS.pop(name)
    register_fill(
        MethodInfo(
            name,
            "test only",
            "classical",
            lambda d: method,
            seeds=True,
            edges=True,
            guide_first=True,
            priority=-100,
        )
    )


def _two_holes() -> tuple[np.ndarray, np.ndarray]:
    img = photo(160, 480)
    mask = box_mask(160, 480, 40, 90, 30, 90) | box_mask(160, 480, 60, 120, 380, 440)
    return img, mask


def test_the_preview_is_the_guide_before_any_refinement_and_matches_the_final_outside(guided_test: str) -> None:
    img, mask = _two_holes()
    events: list[str] = []
    previews: list[object] = []

    def on_preview(r: object) -> None:
        events.append(f"preview after {list(Recording.log)}")
        previews.append(r)

    res = Engine().inpaint(
        img, mask, options=InpaintOptions(method=guided_test, working_size=160), on_preview=on_preview
    )
    assert res.regions == 2 and len(previews) == 1
    # Every region's guide first, then the refinements: one preview of the whole hole.
    assert events == ["preview after ['guide', 'guide']"]
    assert Recording.log == ["guide", "guide", "refine", "refine"]
    pv = previews[0].pixels  # type: ignore[attr-defined]
    assert pv.shape == img.shape and pv.dtype == img.dtype and pv is not res.pixels
    # Outside the hole: the photo, bit for bit, in the preview as in the final.
    np.testing.assert_array_equal(pv[~mask], img[~mask])
    np.testing.assert_array_equal(pv[~mask], res.pixels[~mask])
    # Inside: the guide's colour (the layout) in the preview, the photo's texture in the final.
    assert np.abs(pv[mask].astype(float) / 255 - GUIDE_RGB).max() < 0.01
    assert not np.array_equal(pv[mask], res.pixels[mask])


def test_asking_for_a_preview_does_not_change_the_fill(guided_test: str) -> None:
    img, mask = _two_holes()
    opts = InpaintOptions(method=guided_test, working_size=160, seed=3)
    plain = Engine().inpaint(img, mask, options=opts)
    shown = Engine().inpaint(img, mask, options=opts, on_preview=lambda r: None)
    np.testing.assert_array_equal(plain.pixels, shown.pixels)


def test_cancel_after_the_preview_stops_the_refinement_and_returns_nothing(guided_test: str) -> None:
    img, mask = _two_holes()
    token = CancelToken()
    stops: list[bool] = []
    real_refine = Recording.refine

    def refine(self: Recording, *a: object, should_stop: Callable[[], bool], **kw: object) -> np.ndarray:
        stops.append(should_stop())  # the cancel reaches the synthesis as its stop flag
        return real_refine(self, *a, should_stop=should_stop, **kw)

    Recording.refine = refine  # type: ignore[method-assign]
    try:
        with pytest.raises(CancelledError):
            Engine().inpaint(
                img,
                mask,
                options=InpaintOptions(method=guided_test, working_size=160),
                cancel=token,
                on_preview=lambda r: token.cancel(),
            )
    finally:
        Recording.refine = real_refine  # type: ignore[method-assign]
    assert Recording.log.count("guide") == 2 and stops in ([], [True])


def test_the_progress_of_a_fill_with_a_preview_rises_to_done(guided_test: str) -> None:
    img, mask = _two_holes()
    seen: list[float] = []
    Engine().inpaint(
        img,
        mask,
        options=InpaintOptions(method=guided_test, working_size=160),
        progress=lambda f, m: seen.append(f),
        on_preview=lambda r: None,
    )
    assert seen == sorted(seen) and seen[-1] == 1.0 and 0.0 < seen[len(seen) // 2] < 1.0


def test_a_layout_made_smaller_than_the_crop_is_scaled_into_the_preview(guided_test: str) -> None:
    """The network works at a fraction of a big crop's size: the preview scales its fill up
    into the hole and still leaves every pixel outside the hole as it was."""
    img, mask = _two_holes()
    small = Recording(FlatGuide(), "flat")
    FlatGuide.working_size = 40  # the crops are ~120-180 px: a third of that
    try:
        _replace(guided_test, small)
        previews: list[object] = []
        res = Engine().inpaint(
            img, mask, options=InpaintOptions(method=guided_test, working_size=160), on_preview=previews.append
        )
    finally:
        FlatGuide.working_size = 512
    pv = previews[0].pixels  # type: ignore[attr-defined]
    np.testing.assert_array_equal(pv[~mask], img[~mask])
    np.testing.assert_array_equal(res.pixels[~mask], img[~mask])
    inner = np.median(pv[mask].astype(float) / 255, axis=0)
    assert np.abs(inner - GUIDE_RGB).max() < 0.05, inner


def test_the_layout_is_made_from_a_crop_at_its_own_size_and_scaled_against_the_full_one(guided_test: str) -> None:
    """The engine hands the layout step a crop already at the network's size (no full-size
    float crop for the preview to wait for), and the refinement the crop at its own size
    with the layout's scale against that crop."""
    img, mask = _two_holes()
    seen: list[tuple[str, tuple[int, ...], float]] = []

    class Sizes(Recording):
        def make_layout(self, rgb: np.ndarray, hole: np.ndarray, edges: np.ndarray | None) -> tuple[np.ndarray, float]:
            seen.append(("layout", rgb.shape, 0.0))
            return super().make_layout(rgb, hole, edges)

        def refine(self, rgb: np.ndarray, hole: np.ndarray, *a: object, **kw: object) -> np.ndarray:
            seen.append(("refine", rgb.shape, float(a[2])))  # type: ignore[arg-type]
            return super().refine(rgb, hole, *a, **kw)  # type: ignore[arg-type]

    FlatGuide.working_size = 40
    try:
        _replace(guided_test, Sizes(FlatGuide(), "flat"))
        res = Engine().inpaint(img, mask, options=InpaintOptions(method=guided_test, working_size=160))
    finally:
        FlatGuide.working_size = 512
    layouts = [s for s in seen if s[0] == "layout"]
    refines = [s for s in seen if s[0] == "refine"]
    assert len(layouts) == len(refines) == 2
    for (_, small, _), (_, full, scale) in zip(layouts, refines):
        assert max(small[:2]) <= 40 < max(full[:2])
        assert scale == pytest.approx(small[1] / full[1], abs=0.02)
    np.testing.assert_array_equal(res.pixels[~mask], img[~mask])
