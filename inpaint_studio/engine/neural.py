"""Neural fill (DeepFill v2) and edge (EdgeConnect) methods for the engine registry.

Importing this module is cheap: torch and the weights are loaded only when the engine
builds a method.  Missing or damaged weights raise ``WeightsError`` from the factory,
which the engine turns into a Telea fallback with a visible warning.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import numpy as np

from ..core.errors import WeightsError
from ..core.resources import data_dir
from . import torch_runtime
from .registry import MethodInfo, register_edges, register_fill

if TYPE_CHECKING:  # torch is imported only when a method is built
    import torch

    from ..core.checksums import Check

# Before any network runs: oneDNN and ideep read their cache sizes once.
torch_runtime.bound_shape_caches()

DEEPFILL_FILE = "deepfill.safetensors"
EDGECONNECT_FILE = "edgeconnect.safetensors"
#: The weights files the app looks for (``inpaint-studio models`` lists each).
KNOWN_WEIGHTS = (DEEPFILL_FILE, EDGECONNECT_FILE)


def weights_dir() -> Path:
    """``$INPAINT_STUDIO_WEIGHTS``, else the shipped ``weights/`` (``core.resources``)."""
    env = os.environ.get("INPAINT_STUDIO_WEIGHTS")
    if env:
        return Path(env)
    return data_dir("weights")


def weights_check(filename: str) -> Check:
    """Whether ``weights/<filename>`` is there and intact (its SHA-256 record, ``core.checksums``)."""
    from ..core.checksums import check_weights

    return check_weights(weights_dir() / filename)


def _available(filename: str) -> tuple[bool, str]:
    c = weights_check(filename)
    if c.status == "missing":
        return False, f"weights {weights_dir() / filename} not found"
    if not c.usable:
        return False, c.message
    return True, ""


def _round_up(n: int, multiple: int) -> int:
    return -(-n // multiple) * multiple


def _pad8(x: torch.Tensor, mode: str, size: tuple[int, int] | None = None) -> tuple[torch.Tensor, int, int]:
    """Pad bottom/right to ``size`` (default: the next multiple of 8, which the net needs)."""
    import torch.nn.functional as F

    h, w = x.shape[-2:]
    th, tw = size or (_round_up(h, 8), _round_up(w, 8))
    ph, pw = th - h, tw - w
    if ph or pw:
        if mode == "reflect" and (ph >= h or pw >= w):
            mode = "replicate"
        x = F.pad(x, (0, pw, 0, ph), mode=mode) if mode != "constant" else F.pad(x, (0, pw, 0, ph))
    return x, h, w


def _grow_scaled_hole(hole: np.ndarray, margin: int) -> np.ndarray:
    if margin <= 0 or not hole.any():
        return hole
    import cv2

    k = np.ones((2 * margin + 1, 2 * margin + 1), np.uint8)
    return cv2.dilate(hole.astype(np.uint8), k) > 0


def _load_prepared(path: Path, device: str) -> tuple[torch.device, Any, dict]:
    """Weights -> eval model on ``device``, channels-last, threads set.

    Channels-last reaches oneDNN's kernels at once; in NCHW the dilated convolutions
    start on a slow path until warm (docs/BENCHMARKS.md has the numbers).
    """
    import torch

    from ..models.weights import load_weights
    from . import torch_runtime as rt

    dev = torch.device(device)
    model, info = load_weights(path, device=str(dev))
    rt.configure_threads()
    rt.configure_allocator()
    return dev, rt.prepare_model(model, str(dev)), info


class DeepFillMethod:
    """DeepFill v2 generator on one crop; the engine scales crops to ``working_size``."""

    name = "deepfill"

    def __init__(
        self,
        device: str = "cpu",
        path: Path | None = None,
        *,
        precision: str = "auto",
        ensemble: int | None = None,
        exact_attention: bool = False,
    ) -> None:
        """``precision``, ``ensemble`` and ``exact_attention`` are for benchmarks and
        tests that compare the fast paths with the reference ones; the registry builds
        the method with the defaults."""
        from . import torch_runtime as rt

        self.path = path or weights_dir() / DEEPFILL_FILE
        self.device, self.model, self.info = _load_prepared(self.path, device)
        # bf16 halves the work where the CPU has native bf16; the fills barely move
        # (docs/BENCHMARKS.md compares the two).
        self.precision = rt.resolve_precision(str(self.device), precision)
        self.working_size = int(self.info.get("working_size", 512))
        #: Average the fills of the crop and its mirror images (1: none, 2: left-right,
        #: 4: also upside down).  The guesses err differently, so their mean has lower
        #: squared error (+PSNR) at that many times the compute.  ``ensemble`` overrides
        #: the weights' choice.
        if ensemble is not None and ensemble not in (1, 2, 4):
            raise ValueError(f"ensemble must be 1, 2 or 4, not {ensemble}")
        default = int(self.info.get("ensemble", 2 if self.info.get("flip_average", True) else 1))
        self.ensemble = ensemble or (default if default in (1, 2, 4) else 2)
        #: Crops are padded up to a multiple of this and crops of one padded size share
        #: a network call.  8 is the padding the net needs anyway, so on CPU (where
        #: batching buys nothing) every fill is exactly what it would be alone.  On CUDA
        #: a coarser grid lets holes of different sizes share a call; the extra padding
        #: is reflected photo, marked known or hole like the pixels it mirrors.
        self.batch_multiple = 64 if self.device.type == "cuda" else 8
        #: Optionally treat working pixels next to the hole as unknown too.  When a crop
        #: is shrunk, a pixel only partly covered by the hole must count as hole (the
        #: engine's job); if it did not, its colour would be a mix with the pixels being
        #: removed and the net would copy that colour into the fill.  Off by default: it
        #: costs context on thin strokes, and unscaled crops never need it.
        self.hole_margin = int(self.info.get("hole_margin", 0))
        # The weights say how their harmonic start is solved (training's 20 Jacobi sweeps
        # when they say nothing).
        solver = self.info.get("harmonic_solver")
        if isinstance(solver, dict) and hasattr(self.model, "harmonic_solver"):
            self.model.harmonic_solver = {k: solver[k] for k in ("iters", "coarse_iters", "sor") if k in solver}
        # ``exact_attention`` turns off the attention shortcut (score rows only near the
        # hole): the reference path for checking the fast one.
        refine = getattr(self.model, "refine", None)
        if refine is not None and exact_attention:
            refine.attention_margin = None

    def fill(self, rgb: np.ndarray, hole: np.ndarray, edges: np.ndarray | None) -> np.ndarray:
        return self.fill_batch([(rgb, hole, edges)])[0]

    def fill_batch(self, crops: list[tuple[np.ndarray, np.ndarray, np.ndarray | None]]) -> list[np.ndarray]:
        """Fill several crops of one photo; crops of one padded size share a network call.

        Small holes get equal, minimum-size crops, so a photo with many specks costs a
        few batched calls instead of one call per speck; ``batch_multiple`` decides
        how different two crops may be and still share a call.
        """
        m = self.batch_multiple
        groups: dict[tuple[int, int], list[int]] = {}
        for i, (rgb, _h, _e) in enumerate(crops):
            key = (_round_up(rgb.shape[0], m), _round_up(rgb.shape[1], m))
            groups.setdefault(key, []).append(i)
        out: list[np.ndarray] = [np.empty(0)] * len(crops)
        for size, idxs in groups.items():
            for i, res in zip(idxs, self._fill_padded([crops[i] for i in idxs], size)):
                out[i] = res
        return out

    def _fill_padded(
        self, crops: list[tuple[np.ndarray, np.ndarray, np.ndarray | None]], size: tuple[int, int]
    ) -> list[np.ndarray]:
        import torch

        from .edges import known_edges
        from .torch_runtime import autocast, to_input

        needs_guide = bool(getattr(self.model, "needs_guide", False))
        imgs, ms, ets, gds, holes = [], [], [], [], []
        for rgb, hole, edges in crops:
            hole = _grow_scaled_hole(hole.astype(bool), self.hole_margin)
            e = known_edges(rgb, hole)
            if edges is not None:
                e = np.where(hole, np.clip(edges, 0.0, 1.0), e).astype(np.float32)
            img = torch.from_numpy(np.ascontiguousarray(rgb, dtype=np.float32)).permute(2, 0, 1)[None] * 2.0 - 1.0
            imgs.append(_pad8(img, "reflect", size)[0])
            if needs_guide:
                from .classical import telea_u8

                img8 = np.clip(np.rint(rgb * 255.0), 0, 255).astype(np.uint8)
                g = torch.from_numpy(telea_u8(img8, hole)).permute(2, 0, 1)[None].float() / 127.5 - 1.0
                gds.append(_pad8(g, "reflect", size)[0])
            ms.append(_pad8(torch.from_numpy(hole.astype(np.float32))[None, None], "reflect", size)[0])
            ets.append(_pad8(torch.from_numpy(e.astype(np.float32))[None, None], "reflect", size)[0])
            holes.append(hole)
        n = len(crops)
        dev = str(self.device)
        cl = bool(getattr(self.model, "input_channels_last", True))
        with torch.inference_mode(), autocast(dev, self.precision):
            img, m, et = (to_input(torch.cat(t), dev, cl) for t in (imgs, ms, ets))
            gd = to_input(torch.cat(gds), dev, cl) if needs_guide else None
            # Mirrorings are their own inverses: flip in, flip the fill back, average.
            flips = ([], [3], [2], [2, 3])[: self.ensemble]
            tf = lambda t, d: torch.flip(t, dims=d) if d else t  # noqa: E731
            ins = [t for t in (img, m, et, gd) if t is not None]
            batch_in = [torch.cat([tf(t, d) for d in flips]) for t in ins]
            unflip = lambda t: sum(tf(t[k * n : (k + 1) * n], d) for k, d in enumerate(flips)) / len(flips)  # noqa: E731
            _, _, all_out = self.model(*batch_in)
            mean = cast("torch.Tensor", unflip(all_out))
        res = ((mean.float().cpu().permute(0, 2, 3, 1).numpy() + 1.0) * 0.5).clip(0.0, 1.0)
        # The network composites already; keep the known pixels exactly as given.
        out = []
        for k, hole in enumerate(holes):
            h, w = hole.shape
            out.append(np.where(hole[..., None], res[k, :h, :w], crops[k][0]).astype(np.float32))
        return out


class EdgeConnectMethod:
    """EdgeConnect edge generator: edge probabilities inside the hole, Canny outside."""

    name = "edgeconnect"

    def __init__(self, device: str = "cpu", path: Path | None = None) -> None:
        self.path = path or weights_dir() / EDGECONNECT_FILE
        self.device, self.model, self.info = _load_prepared(self.path, device)
        self.working_size = int(self.info.get("working_size", 512))
        #: Probability above which a pixel is an edge (chosen on validation photos and
        #: stored in the weights); ``None`` returns the probabilities.
        thr = self.info.get("threshold")
        self.threshold = float(thr) if isinstance(thr, (int, float)) else None
        #: Keep only the ridge lines of the probability map (``engine.edges.thin_edges``).
        self.thin = bool(self.info.get("thin", False))

    def edges(self, rgb: np.ndarray, hole: np.ndarray) -> np.ndarray:
        import torch

        from .edges import NEAR_HOLE_MARGIN, known_edges, thin_edges

        hole = hole.astype(bool)
        # Known edges as in training: the hole's own border is not an edge, and the
        # net predicts the band next to the hole where those were dropped.
        known = known_edges(rgb, hole)
        band = _grow_scaled_hole(hole, NEAR_HOLE_MARGIN)
        gray = (0.299 * rgb[..., 0] + 0.587 * rgb[..., 1] + 0.114 * rgb[..., 2]).astype(np.float32)
        t = [torch.from_numpy(a.astype(np.float32))[None, None] for a in (gray, known, hole.astype(np.float32))]
        g, h, w = _pad8(t[0], "reflect")
        k, _, _ = _pad8(t[1], "reflect")
        m, _, _ = _pad8(t[2], "reflect")
        from .torch_runtime import to_input

        dev = str(self.device)
        with torch.inference_mode():
            p = self.model(to_input(g, dev), to_input(k, dev), to_input(m, dev))
        pred = p[0, 0, :h, :w].float().cpu().numpy()
        if self.thin:
            pred = thin_edges(pred)
        if self.threshold is not None:
            # Strokes, not a haze of probabilities: the overlay is edited as strokes and
            # the generator was trained on binary Canny edges.
            pred = (pred >= self.threshold).astype(np.float32)
        return np.where(band, pred, known).astype(np.float32)


def _header_info(filename: str) -> dict:
    """The ``info`` metadata of a weights file, read from its header alone (no torch)."""
    import json

    from safetensors import safe_open

    with safe_open(str(weights_dir() / filename), "numpy") as f:
        return json.loads((f.metadata() or {}).get("info", "{}"))


def _preferred_by_default(filename: str) -> bool:
    """Whether ``auto`` should pick this model: only once its eval beat the baseline.

    The weights' metadata ``info`` carries ``"beats_baseline": true`` when the model
    card's eval showed it ahead of Telea; until then ``auto`` keeps the classical fill
    (a tie in PSNR that paints blobs into large holes is not a better default) and the
    model stays one click away.
    """
    if not _available(filename)[0]:
        return False
    try:
        return bool(_header_info(filename).get("beats_baseline", False))
    except Exception:  # noqa: BLE001 - a damaged file surfaces when the method is built
        return False


def _factory(cls: type, filename: str):
    def build(device: str) -> object:
        ok, why = _available(filename)
        if not ok:
            raise WeightsError(f"{why}; train it with `inpaint-studio train` or copy it there")
        return cls(device)

    return build


register_fill(
    MethodInfo(
        name="deepfill",
        description="DeepFill v2 gated conv + contextual attention (neural, edge-guided)",
        kind="neural",
        factory=_factory(DeepFillMethod, DEEPFILL_FILE),
        priority=100,
        available=lambda: _available(DEEPFILL_FILE),
        preferred=lambda: _preferred_by_default(DEEPFILL_FILE),
        batching=True,
        edges=True,
    )
)
register_edges(
    MethodInfo(
        name="edgeconnect",
        description="EdgeConnect edge generator (neural)",
        kind="neural",
        factory=_factory(EdgeConnectMethod, EDGECONNECT_FILE),
        priority=100,
        available=lambda: _available(EDGECONNECT_FILE),
        preferred=lambda: _preferred_by_default(EDGECONNECT_FILE),
    )
)
