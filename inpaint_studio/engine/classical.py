"""OpenCV's classical fills (Telea 2004, Navier-Stokes): always available, the fallback
when neural weights are missing and the baseline every model is measured against."""

from __future__ import annotations

import cv2
import numpy as np

from .registry import MethodInfo, register_edges, register_fill

TELEA_RADIUS = 5


def telea_u8(img8: np.ndarray, hole: np.ndarray, radius: int = TELEA_RADIUS) -> np.ndarray:
    """OpenCV Telea on 8-bit RGB; the one call the baseline, the training guide and the
    engine's guide for ``prefill="blend"`` generators all share, so they match exactly."""
    return cv2.inpaint(img8, hole.astype(np.uint8), radius, cv2.INPAINT_TELEA)


class OpenCVFill:
    """``cv2.inpaint`` on an 8-bit crop (the hole is synthesised, so 8 bits suffice)."""

    working_size = 1024

    def __init__(self, name: str, flag: int, radius: int = TELEA_RADIUS) -> None:
        self.name = name
        self._flag = flag
        self._radius = radius

    def fill(self, rgb: np.ndarray, hole: np.ndarray, edges: np.ndarray | None) -> np.ndarray:
        img8 = np.clip(np.rint(rgb * 255.0), 0, 255).astype(np.uint8)
        out = cv2.inpaint(img8, hole.astype(np.uint8), self._radius, self._flag)
        return out.astype(np.float32) * np.float32(1.0 / 255.0)


class HarmonicFill:
    """The smoothest fill (Laplace's equation with the known pixels as boundary).

    Natural photos have a roughly 1/f² power spectrum, and for such a Gaussian field the
    harmonic interpolant is the expected value of the hole given its border: so this
    blurry fill scores higher PSNR than Telea (docs/EVAL.md).  It is also the start the residual DeepFill generator learns
    to correct, so the eval can show what the network adds on top of it.
    """

    name = "harmonic"
    working_size = 1024

    def fill(self, rgb: np.ndarray, hole: np.ndarray, edges: np.ndarray | None) -> np.ndarray:
        import torch

        from ..models.prefill import CONVERGED, harmonic_fill

        x = torch.from_numpy(np.ascontiguousarray(rgb, dtype=np.float32)).permute(2, 0, 1)[None]
        m = torch.from_numpy(hole.astype(np.float32))[None, None]
        with torch.inference_mode():
            out = harmonic_fill(x * (1.0 - m), m, **CONVERGED)[0].permute(1, 2, 0).numpy()
        return np.where(hole[..., None], np.clip(out, 0.0, 1.0), rgb).astype(np.float32)


class PyPatchMatchFill:
    """PyPatchMatch (the PatchMatch fill InvokeAI ships, MIT): texture copied from the
    photo, with no idea of layout beyond the patches.  A baseline for the guided fill,
    and a classical method of its own."""

    name = "patchmatch"
    working_size = 1024
    #: Patch radius: 7×7 patches, as its examples use.
    patch_radius = 3

    def fill(self, rgb: np.ndarray, hole: np.ndarray, edges: np.ndarray | None) -> np.ndarray:
        from patchmatch import patch_match

        img8 = np.ascontiguousarray(np.clip(np.rint(rgb * 255.0), 0, 255).astype(np.uint8))
        out = patch_match.inpaint(img8, hole.astype(np.uint8) * np.uint8(255), patch_size=self.patch_radius)
        return np.where(hole[..., None], out.astype(np.float32) * np.float32(1.0 / 255.0), rgb).astype(np.float32)


def _patchmatch_available() -> tuple[bool, str]:
    try:
        from patchmatch import patch_match
    except ImportError:
        return False, "PyPatchMatch is not installed (pip install PyPatchMatch)"
    if not patch_match.patchmatch_available:
        return False, "PyPatchMatch's native library did not load"
    return True, ""


class CannyOfFill:
    """Edges for the overlay without a network: Canny on a Telea fill of the hole.

    Crude (it continues straight structure only) but always there, so the edge tools
    work even when the edge model's weights are missing.
    """

    name = "canny"
    working_size = 512

    def __init__(self) -> None:
        self._fill = OpenCVFill("telea", cv2.INPAINT_TELEA)

    def edges(self, rgb: np.ndarray, hole: np.ndarray) -> np.ndarray:
        filled = self._fill.fill(rgb, hole, None)
        gray = cv2.cvtColor(np.clip(filled * 255, 0, 255).astype(np.uint8), cv2.COLOR_RGB2GRAY)
        gray = cv2.GaussianBlur(gray, (0, 0), 2.0)
        e = cv2.Canny(gray, 30, 90)
        return (e > 0).astype(np.float32)


register_fill(
    MethodInfo(
        name="telea",
        description="OpenCV Telea fast marching (classical, instant, blurry on big holes)",
        kind="classical",
        factory=lambda device: OpenCVFill("telea", cv2.INPAINT_TELEA),
        priority=10,
    )
)
register_fill(
    MethodInfo(
        name="ns",
        description="OpenCV Navier-Stokes (classical)",
        kind="classical",
        factory=lambda device: OpenCVFill("ns", cv2.INPAINT_NS),
        priority=5,
    )
)
register_fill(
    MethodInfo(
        name="harmonic",
        description="Harmonic (smoothest) fill: classical, high PSNR, blurry on big holes",
        kind="classical",
        factory=lambda device: HarmonicFill(),
        priority=8,
    )
)
register_fill(
    MethodInfo(
        name="patchmatch",
        description="PyPatchMatch (classical: the photo's texture, no layout)",
        kind="classical",
        factory=lambda device: PyPatchMatchFill(),
        priority=20,
        available=_patchmatch_available,
    )
)
register_edges(
    MethodInfo(
        name="canny",
        description="Canny edges of a Telea fill (classical fallback)",
        kind="classical",
        factory=lambda device: CannyOfFill(),
        priority=10,
    )
)
