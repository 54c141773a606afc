"""The one path from a request (photo, mask, edges, options) to a result.

The GUI worker, ``inpaint-studio batch`` and ``inpaint-studio eval`` all call
:meth:`Engine.inpaint`, so a fix or a speed-up here reaches every front end.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from ..core import hires
from ..core.errors import InpaintStudioError, MaskError, WeightsError
from .cancel import CancelToken, ProgressCallback, no_progress
from .device import is_out_of_memory, resolve_device
from .registry import (
    auto_fallback,
    build_edges,
    build_fill,
    default_edge_name,
    default_fill_name,
    edge_info,
    fill_info,
)
from .request import InpaintOptions
from .torch_runtime import trim_heap_if_grown

log = logging.getLogger(__name__)

#: Share of a guide-first fill's progress bar taken by laying out the guides.
GUIDE_SHARE = 0.2


@dataclass
class InpaintResult:
    """The filled photo (same shape and dtype as the input) and how it was made."""

    pixels: np.ndarray
    mask: np.ndarray
    method: str
    device: str
    regions: int
    seconds: float
    warnings: list[str] = field(default_factory=list)
    #: The seed the fill was made with (``InpaintOptions.seed``).
    seed: int = 0


class Engine:
    """Caches built methods per (name, device); safe to call from one worker thread.

    The instance cache is guarded by a lock so the GUI can ask for method lists from
    the UI thread while a fill runs in the worker.
    """

    def __init__(self) -> None:
        self._instances: dict[tuple[str, str, str], object] = {}
        self._lock = threading.Lock()

    # -- method building ------------------------------------------------------------
    def load(self, table: Literal["fill", "edges"], name: str, device: str) -> object:
        """The registered method ``name`` on ``device``, built once and kept (``forget``).

        Eval builds its methods here so a missing model fails before the first photo.

        Raises:
            UnknownMethodError: no such method.
            WeightsError: its weights are missing or damaged.
        """
        key = (table, name, device)
        with self._lock:
            inst = self._instances.get(key)
        if inst is None:
            inst = build_fill(name, device) if table == "fill" else build_edges(name, device)
            with self._lock:
                self._instances[key] = inst
        return inst

    def forget(self) -> None:
        """Drop built models (frees GPU memory; next call rebuilds)."""
        with self._lock:
            self._instances.clear()

    def resolve_method(self, name: str) -> str:
        return default_fill_name() if name in ("auto", "", None) else name

    # -- public API -----------------------------------------------------------------
    def inpaint(
        self,
        image: np.ndarray,
        mask: np.ndarray,
        edges: np.ndarray | None = None,
        options: InpaintOptions | None = None,
        *,
        progress: ProgressCallback | None = None,
        cancel: CancelToken | None = None,
        on_preview: Callable[[InpaintResult], None] | None = None,
    ) -> InpaintResult:
        """Fill the hole of ``image`` (RGB/RGBA, uint8/uint16) where ``mask`` is True.

        Pixels where the (possibly dilated) mask is False are returned unchanged, bit
        for bit; alpha is never changed.  A neural method whose weights are missing or
        damaged falls back to Telea, and a GPU out-of-memory retries on the CPU; both
        add a line to ``result.warnings``.

        ``on_preview`` gets a first result before the final one, pasted exactly as the
        final will be (outside the hole it equals the final, bit for bit), from the
        calling thread.  A method that makes its fill in two steps (``guide_first``:
        ``guided``) delivers its layout (the network's fill) at no extra cost; any
        other method is first run on crops scaled to ``options.preview_size`` (0: no
        preview for it).  A cancel after the preview still raises: the preview is never
        a result.

        A method declared with ``batching`` offers ``fill_batch(list of (rgb, hole, edges)) -> list of fills``
        to fill several regions of one photo in one network call.

        Raises:
            MaskError: mask shape differs from the image.
            CancelledError: ``cancel`` was set; nothing partial is returned.
        """
        opts = options or InpaintOptions()
        progress = progress or no_progress
        cancel = cancel or CancelToken()
        t0 = time.perf_counter()
        _check_inputs(image, mask, edges)
        if opts.dilate > 0:
            from ..core.masks import dilate

            mask = dilate(mask, opts.dilate)
        warnings: list[str] = []
        if opts.method in ("auto", "", None):
            fallback = auto_fallback()
            if fallback:
                warnings.append(fallback)
        name = self.resolve_method(opts.method)
        device = resolve_device(opts.device) if fill_info(name).kind == "neural" else "cpu"
        method, name, device = self._method_with_fallback(name, device, warnings)
        notice = getattr(method, "notice", "")
        if notice and notice not in warnings:
            warnings.append(notice)

        if not mask.any():
            progress(1.0, "nothing to fill")
            return InpaintResult(image.copy(), mask, name, device, 0, time.perf_counter() - t0, warnings, opts.seed)

        working = opts.working_size or int(getattr(method, "working_size", 512))
        if edges is None and opts.auto_edges and opts.use_edges and fill_info(name).edges:
            from .strokes import strokes_map

            strokes = self.predict_strokes(image, mask, opts, progress=lambda f, m: progress(0.1 * f, m), cancel=cancel)
            edges = strokes_map(strokes, image, mask)
        elif edges is not None and opts.use_edges:
            # Guidance is drawn inside the hole; the synthesis compares it with the
            # photo's own edges around the hole, so those go in too.
            from .strokes import structure_map

            edges = structure_map(image, mask, edges)
        use_edges = edges if (opts.use_edges and edges is not None) else None
        inner = progress
        on_guide: Callable[[np.ndarray], None] | None = None
        if on_preview is not None and fill_info(name).guide_first:
            # The guide is the preview: made anyway, and shown while the hole is refined.
            def on_guide(pv: np.ndarray) -> None:
                res = InpaintResult(pv, mask, name, device, -1, time.perf_counter() - t0, list(warnings), opts.seed)
                on_preview(res)

        elif on_preview is not None and 0 < opts.preview_size < working:
            # Quick low-resolution pass first, so the GUI can show something at once: the
            # same method on crops scaled to the preview size.
            pv, method, device, _ = self._fill_regions(
                image,
                mask,
                use_edges,
                opts,
                opts.preview_size,
                method,
                name,
                device,
                lambda f, m: progress(0.2 * f, "preview: " + m),
                cancel,
                warnings,
            )
            on_preview(InpaintResult(pv, mask, name, device, -1, time.perf_counter() - t0, list(warnings), opts.seed))
            inner = lambda f, m: progress(0.2 + 0.8 * f, m)  # noqa: E731
        out, method, device, n = self._fill_regions(
            image, mask, use_edges, opts, working, method, name, device, inner, cancel, warnings, on_guide
        )
        cancel.raise_if_cancelled()
        trim_heap_if_grown()  # crops of new sizes must not make the process grow for ever
        progress(1.0, "done")
        return InpaintResult(out, mask, name, device, n, time.perf_counter() - t0, warnings, opts.seed)

    def _fill_regions(
        self,
        image: np.ndarray,
        mask: np.ndarray,
        edges: np.ndarray | None,
        opts: InpaintOptions,
        working: int,
        method: object,
        name: str,
        device: str,
        progress: ProgressCallback,
        cancel: CancelToken,
        warnings: list[str],
        on_guide: Callable[[np.ndarray], None] | None = None,
    ) -> tuple[np.ndarray, object, str, int]:
        """Crop, fill (batched where the method allows) and paste every hole region.

        A ``guide_first`` method lays out every region before any is refined; with
        ``on_guide`` the layouts are handed over first, pasted into a copy of the photo.
        """
        regions = hires.plan_regions(mask, working_size=working, context=opts.context)
        if fill_info(name).guide_first:
            # With or without a preview, so the editor's fill and batch's are the same pixels.
            try:
                out = self._fill_guide_first(
                    image, mask, edges, opts, regions, method, name, progress, cancel, on_guide
                )
            except Exception as exc:
                if device == "cpu" or not is_out_of_memory(exc):
                    raise
                method, device = self._on_cpu_after_oom(name, warnings)
                out = self._fill_guide_first(
                    image, mask, edges, opts, regions, method, name, progress, cancel, on_guide
                )
            return out, method, device, len(regions)
        out = image.copy()
        info = fill_info(name)
        batched = info.batching and opts.batch_size > 1
        step = opts.batch_size if batched else 1
        for start in range(0, len(regions), step):
            cancel.raise_if_cancelled()
            group = regions[start : start + step]
            progress(start / len(regions), f"filling region {start + 1}/{len(regions)} with {name}")
            crops = [hires.extract_crop(image, mask, r, edges) for r in group]
            inner = _region_progress(progress, start, len(group), len(regions), name)
            try:
                fills = self._call_fill(method, crops, batched, info.seeds, opts.seed, cancel, inner)
            except Exception as exc:
                if device != "cpu" and is_out_of_memory(exc):
                    method, device = self._on_cpu_after_oom(name, warnings)
                    fills = self._call_fill(method, crops, batched, info.seeds, opts.seed, cancel, inner)
                else:
                    raise
            # A method that stops early on cancel returns a partial fill: never paste it.
            cancel.raise_if_cancelled()
            for region, fill in zip(group, fills):
                hires.paste_fill(out, image, mask, region, fill, feather_px=opts.feather)
        return out, method, device, len(regions)

    @staticmethod
    def _fill_guide_first(
        image: np.ndarray,
        mask: np.ndarray,
        edges: np.ndarray | None,
        opts: InpaintOptions,
        regions: list[hires.Region],
        method: object,
        name: str,
        progress: ProgressCallback,
        cancel: CancelToken,
        on_guide: Callable[[np.ndarray], None] | None,
    ) -> np.ndarray:
        """Every region's layout first (with ``on_guide``, one preview of the whole hole),
        then each refined: the refinement starts from the very layout that was shown.

        A method with a ``layout_size`` gets its layout's input cropped at that size from
        the photo's own integer pixels: the preview then never waits for a full-size
        float crop, which on a big region costs as much as the network.  The preview
        pastes the layout at the network's own size straight into the photo
        (``_paste_preview``, one scaling), so it does not wait for the crop-size guide
        the refinement builds.  Crops are extracted again for the second pass instead
        of being held: a layout is small, a float crop of a big photo is not.
        """
        n = len(regions)
        preview = image.copy() if on_guide is not None else None
        side = getattr(method, "layout_size", None)
        layouts: list[tuple[np.ndarray, float] | None] = []
        for i, region in enumerate(regions):
            cancel.raise_if_cancelled()
            progress(GUIDE_SHARE * i / n, f"laying out region {i + 1}/{n} with {name}")
            small = region if side is None else region.at_most(int(side))
            rgb, hole, e = hires.extract_crop(image, mask, small, edges)
            layout, scale = method.make_layout(rgb, hole, e)  # type: ignore[attr-defined]
            # the layout's scale against the crop the refinement gets
            scale *= small.scale / region.scale
            if preview is not None and opts.feather > 0:
                hires.paste_fill(preview, image, mask, region, layout, feather_px=opts.feather)
            elif preview is not None:
                _paste_preview(preview, image, mask, region, layout)
            layouts.append((layout, scale))
        cancel.raise_if_cancelled()
        if on_guide is not None and preview is not None:
            on_guide(preview)
            del preview  # the receiver owns it now; the final is written into its own copy
        out = image.copy()
        for i, region in enumerate(regions):
            cancel.raise_if_cancelled()
            msg = f"filling region {i + 1}/{n} with {name}"
            progress(GUIDE_SHARE + (1 - GUIDE_SHARE) * i / n, msg)
            rgb, hole, e = hires.extract_crop(image, mask, region, edges)
            layout, scale = layouts[i]  # type: ignore[misc]
            layouts[i] = None
            fill = method.refine(  # type: ignore[attr-defined]
                rgb,
                hole,
                e,
                layout,
                scale,
                seed=opts.seed,
                should_stop=lambda: cancel.cancelled,
                progress=lambda f, i=i, msg=msg: progress(GUIDE_SHARE + (1 - GUIDE_SHARE) * (i + f) / n, msg),
            )
            # A refinement stopped by cancel is partial: never paste it.
            cancel.raise_if_cancelled()
            hires.paste_fill(out, image, mask, region, fill, feather_px=opts.feather)
        return out

    @staticmethod
    def _call_fill(
        method: object,
        crops: list,
        batched: bool,
        seeds: bool,
        seed: int,
        cancel: CancelToken,
        progress: Callable[[float], None],
    ) -> list[np.ndarray]:
        """One call per crop (or one batched call), with what its ``MethodInfo`` declares it takes."""
        if batched:
            return list(method.fill_batch(crops))  # type: ignore[attr-defined]
        if seeds:
            outs = []
            for k, (rgb, hole, e) in enumerate(crops):
                outs.append(
                    method.fill(  # type: ignore[attr-defined]
                        rgb,
                        hole,
                        e,
                        seed=seed,
                        should_stop=lambda: cancel.cancelled,
                        progress=lambda f, k=k: progress((k + f) / len(crops)),
                    )
                )
            return outs
        return [method.fill(rgb, hole, e) for rgb, hole, e in crops]  # type: ignore[attr-defined]

    def hallucinate_edges(
        self,
        image: np.ndarray,
        mask: np.ndarray,
        options: InpaintOptions | None = None,
        *,
        progress: ProgressCallback | None = None,
        cancel: CancelToken | None = None,
    ) -> np.ndarray:
        """Predicted edge map (float32 ``(H, W)`` in [0, 1]) inside the hole, zero outside.

        This is the editable overlay of the GUI: the user erases or adds strokes and
        passes the result back as ``edges`` to :meth:`inpaint`.
        """
        opts = options or InpaintOptions()
        progress = progress or no_progress
        cancel = cancel or CancelToken()
        _check_inputs(image, mask, None)
        name = default_edge_name() if opts.edge_method in ("auto", "", None) else opts.edge_method
        info = edge_info(name)
        device = resolve_device(opts.device) if info.kind == "neural" else "cpu"
        try:
            method = self.load("edges", name, device)
        except WeightsError as exc:
            log.warning("%s; using Canny edges", exc)
            name, device = "canny", "cpu"
            method = self.load("edges", name, device)
        out = np.zeros(mask.shape, np.float32)
        working = opts.working_size or int(getattr(method, "working_size", 512))
        regions = hires.plan_regions(mask, working_size=working, context=opts.context)
        import cv2

        for i, region in enumerate(regions):
            cancel.raise_if_cancelled()
            progress(i / max(1, len(regions)), f"edges {i + 1}/{len(regions)}")
            rgb, hole, _ = hires.extract_crop(image, mask, region, None)
            e = method.edges(rgb, hole)  # type: ignore[attr-defined]
            ys, xs = region.box.slices()
            if e.shape != (region.box.height, region.box.width):
                e = cv2.resize(e, (region.box.width, region.box.height), interpolation=cv2.INTER_LINEAR)
            h = mask[ys, xs]
            out[ys, xs][h] = np.clip(e[h], 0, 1)
        progress(1.0, "done")
        return out

    def predict_strokes(
        self,
        image: np.ndarray,
        mask: np.ndarray,
        options: InpaintOptions | None = None,
        *,
        progress: ProgressCallback | None = None,
        cancel: CancelToken | None = None,
    ) -> list:
        """The hole's structure as editable strokes (``core.strokes.EdgeStroke``): the
        photo's edges continued across the hole, and the edge network's own strokes
        (``engine.strokes``).  What the editor's overlay shows and the fill follows."""
        from .strokes import predict_strokes

        progress = progress or no_progress
        net = self.hallucinate_edges(image, mask, options, progress=lambda f, m: progress(0.8 * f, m), cancel=cancel)
        cancel = cancel or CancelToken()
        cancel.raise_if_cancelled()
        out = predict_strokes(image, mask, net)
        progress(1.0, "done")
        return out

    def _on_cpu_after_oom(self, name: str, warnings: list[str]) -> tuple[object, str]:
        """The GPU ran out of memory mid-fill: say so, free it, and go on with the method on the CPU."""
        warnings.append("GPU out of memory: continued on the CPU (slower)")
        log.warning("%s", warnings[-1])
        self.forget()
        _empty_cuda_cache()
        return self.load("fill", name, "cpu"), "cpu"

    def _method_with_fallback(self, name: str, device: str, warnings: list[str]) -> tuple[object, str, str]:
        try:
            return self.load("fill", name, device), name, device
        except WeightsError as exc:
            warnings.append(f"{exc}; using the classical Telea fill instead")
            log.warning("%s", warnings[-1])
            return self.load("fill", "telea", "cpu"), "telea", "cpu"
        except Exception as exc:
            if device != "cpu" and is_out_of_memory(exc):
                warnings.append("GPU out of memory while loading the model: using the CPU")
                return self.load("fill", name, "cpu"), name, "cpu"
            raise


def _paste_preview(
    out: np.ndarray, image: np.ndarray, mask: np.ndarray, region: hires.Region, layout: np.ndarray
) -> None:
    """``layout`` (the network's fill of the region at its own size) scaled to the region
    and written at hole pixels only, as ``hires.paste_fill`` does.

    One resize of the whole region instead of ``paste_fill``'s warp of the hole's window:
    the warp is the slower of the two on a big region, and the preview waits for it.
    The blurry layout's pixels may differ by a level or two between the two, outside the
    hole not at all.
    """
    box, hb = region.box, region.hole_box
    hole = mask[hb.y0 : hb.y1, hb.x0 : hb.x1]
    if not hole.any():
        return
    import cv2

    small = hires.from_float_rgb(np.clip(layout, 0, 1), image.dtype)
    if small.shape[:2] != (box.height, box.width):
        small = cv2.resize(small, (box.width, box.height), interpolation=cv2.INTER_LINEAR)
    win = small[hb.y0 - box.y0 : hb.y1 - box.y0, hb.x0 - box.x0 : hb.x1 - box.x0]
    hires.copy_where(out[hb.y0 : hb.y1, hb.x0 : hb.x1, :3], win, hole)


def _region_progress(
    progress: ProgressCallback, start: int, count: int, total: int, name: str
) -> Callable[[float], None]:
    """Progress within a group of ``count`` regions from ``start``, as a share of all."""

    def report(f: float) -> None:
        progress((start + f * count) / total, f"filling region {start + 1}/{total} with {name}")

    return report


def _empty_cuda_cache() -> None:
    try:
        import torch

        torch.cuda.empty_cache()
    except Exception:  # noqa: BLE001 - best effort only
        pass


def _check_inputs(image: np.ndarray, mask: np.ndarray, edges: np.ndarray | None) -> None:
    if image.ndim != 3 or image.shape[2] not in (3, 4):
        raise InpaintStudioError(f"image must be (H, W, 3|4), got {image.shape}")
    if image.dtype not in (np.uint8, np.uint16):
        raise InpaintStudioError(f"image must be uint8 or uint16, got {image.dtype}")
    if mask.shape != image.shape[:2]:
        raise MaskError(
            f"mask is {mask.shape[1]}x{mask.shape[0]} but the image is "
            f"{image.shape[1]}x{image.shape[0]}; scale the mask to the image first"
        )
    if mask.dtype != bool:
        raise MaskError(f"mask must be boolean, got {mask.dtype}")
    if edges is not None and edges.shape != image.shape[:2]:
        raise MaskError(f"edge map is {edges.shape} but the image is {image.shape[:2]}")
