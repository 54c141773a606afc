"""Pull-push and harmonic fills: smooth classical guesses for the hole, in torch.

Why the generator starts from it: on 2 CPU cores there is no compute to train the
net from scratch to the point where it beats Telea, but a residual net that starts
from a good guess begins at the guess's quality and every step can only add to it.
Pull-push (masked average pyramid down, bilinear up) is the cheapest smooth fill: a
few pooling ops, any device, any size, differentiable-free and exact outside the
hole.  On held-out photos with 10–50 % free-form holes it already scores slightly
above Telea in PSNR (see ``weights/deepfill.md``).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable

import torch
import torch.nn.functional as F


def _fp32(fn: Callable[..., torch.Tensor]) -> Callable[..., torch.Tensor]:
    """Run a fill in float32 even inside an autocast region.

    The engine runs the generator under bf16 autocast on CPU; in bf16 (8-bit mantissa)
    the Jacobi sweeps would round every iterate and the prefill would lose the very
    precision that makes it worth starting from.
    """

    @functools.wraps(fn)
    def run(image: torch.Tensor, mask: torch.Tensor, *args, **kwargs) -> torch.Tensor:
        devtype = image.device.type
        # The sweeps slice boxes out of the image: on a channels-last tensor every
        # slice is strided and replicate-padding it measured ~8x slower, so the fill
        # runs in plain NCHW and hands back the caller's layout.
        cl = image.dim() == 4 and not image.is_contiguous() and image.is_contiguous(memory_format=torch.channels_last)
        with torch.autocast(devtype, enabled=False):
            out = fn(image.float().contiguous(), mask.float().contiguous(), *args, **kwargs)
        return out.contiguous(memory_format=torch.channels_last) if cl else out

    return run


@torch.no_grad()
@_fp32
def pull_push_fill(image: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """``image`` (N, C, H, W) with the hole filled from the known pixels around it.

    ``mask`` is (N, 1, H, W), 1 in the hole.  Each coarser level holds the mean of the
    known pixels under it; the hole takes the bilinear upsample of the level below.
    A sample with no known pixel at all comes back as zeros (mid-grey in [-1, 1]).
    """
    levels = _pull(image, mask)
    filled = levels[-1][0] * levels[-1][1]
    for cur, w in reversed(levels[:-1]):
        filled = _push(filled, cur, w)
    return filled


def _pull(image: torch.Tensor, mask: torch.Tensor) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """The pull half of pull-push, finest first: ``(values, known)`` per level, each
    coarser level the mean of the known pixels under it, until a level is all known."""
    known = (mask < 0.5).to(image.dtype)
    levels: list[tuple[torch.Tensor, torch.Tensor]] = []
    cur, w = image * known, known
    while True:
        levels.append((cur, w))
        if min(cur.shape[-2:]) <= 1 or bool((w > 0).all()):
            return levels
        s = F.avg_pool2d(cur * w, 2, ceil_mode=True)
        ws = F.avg_pool2d(w, 2, ceil_mode=True)
        cur = s / ws.clamp_min(1e-6)
        w = (ws > 0).to(image.dtype)


def _push(coarse: torch.Tensor, cur: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
    """One push step: the level's known values, its unknown ones from the coarser fill."""
    up = F.interpolate(coarse, size=cur.shape[-2:], mode="bilinear", align_corners=False)
    return cur * w + up * (1.0 - w)


@torch.no_grad()
@_fp32
def harmonic_fill(
    image: torch.Tensor, mask: torch.Tensor, iters: int = 20, coarse_iters: int | None = None, sor: bool = False
) -> torch.Tensor:
    """Smoothest fill of the hole (Laplace's equation, the known pixels as boundary).

    Solved cascadically: the pull-push pyramid gives each level a start, then
    ``iters`` Jacobi sweeps at every level on the way up remove the blocky pull-push
    artefacts (``coarse_iters`` on the levels below the finest; ``sor=True``: red-black
    over-relaxed sweeps instead, which converge far faster; see ``CONVERGED``).  On the
    validation photos this scores well above both pull-push and Telea in PSNR (see
    ``weights/deepfill.md``).
    """
    levels = _pull(image, mask)
    filled = levels[-1][0] * levels[-1][1]
    for level, (cur, w) in reversed(list(enumerate(levels[:-1]))):
        filled = _push(filled, cur, w)
        sweeps = iters if level == 0 or coarse_iters is None else coarse_iters
        if min(cur.shape[-2:]) >= 2:
            # Only hole pixels change, so the sweeps run on each sample's hole bounding
            # box plus a one-pixel frame of fixed known pixels: the same numbers, and a
            # small hole in a large crop no longer pays for the whole crop 20 times per level.
            filled = filled.clone()
            for i in range(filled.shape[0]):
                box = _hole_box(w[i : i + 1])
                if box is None:
                    continue
                y0, y1, x0, x1 = box
                known_box = w[i : i + 1, :, y0:y1, x0:x1]
                hole = 1.0 - known_box
                sub = filled[i : i + 1, :, y0:y1, x0:x1]
                if sor:
                    sub = _sor(sub, hole, sweeps)
                else:
                    fixed = cur[i : i + 1, :, y0:y1, x0:x1] * known_box
                    for _ in range(sweeps):
                        sub = fixed + _neighbour_mean(sub) * hole
                filled[i : i + 1, :, y0:y1, x0:x1] = sub
    return filled


#: Solver settings for a converged harmonic fill: close to the exact solution on large
#: holes, where the 20 Jacobi sweeps the networks were trained with are still far from
#: it.  The shipped generator does better with it (weights/deepfill.md).
CONVERGED: dict = {"iters": 10, "coarse_iters": 20, "sor": True}


def _sor(sub: torch.Tensor, hole: torch.Tensor, sweeps: int) -> torch.Tensor:
    """Red-black successive over-relaxation of Laplace's equation on the hole pixels.

    Jacobi needs on the order of n² sweeps for an n-pixel-wide hole to settle, SOR with
    the optimal factor about n: the same harmonic fill, converged, for about the cost
    of the 20 Jacobi sweeps the network was trained with (``CONVERGED``).
    """
    hh, ww = sub.shape[-2:]
    n = max(hh, ww)
    omega = min(1.95, 2.0 / (1.0 + math.sin(math.pi / max(n, 2))))
    parity = (torch.arange(hh, device=sub.device).view(-1, 1) + torch.arange(ww, device=sub.device).view(1, -1)) % 2
    steps = [hole * (parity == c).to(sub.dtype) * omega for c in (0, 1)]
    sub = sub.clone()
    for k in range(sweeps + 1):
        for step in steps:
            # The last sweep is plain Gauss-Seidel: it damps the pixel-scale ripple that
            # over-relaxation leaves while it removes the smooth error.
            sub.addcmul_(_neighbour_mean(sub) - sub, step if k < sweeps else step / omega)
    return sub


def _neighbour_mean(u: torch.Tensor) -> torch.Tensor:
    """Mean of the 4 neighbours, edges replicated.

    Four shifted slices of the padded tensor: 14x faster on CPU than the equivalent
    3-channel depthwise ``conv2d``, which was most of the fill's time.
    """
    p = F.pad(u, (1, 1, 1, 1), mode="replicate")
    return (p[..., :-2, 1:-1] + p[..., 2:, 1:-1] + p[..., 1:-1, :-2] + p[..., 1:-1, 2:]) * 0.25


def _hole_box(w: torch.Tensor) -> tuple[int, int, int, int] | None:
    """Rows and columns spanning every hole pixel (``w == 0``), one pixel wider."""
    hole = (w < 0.5).flatten(0, 1).any(0)  # (H, W)
    rows = torch.nonzero(hole.any(1)).flatten()
    if rows.numel() == 0:
        return None
    cols = torch.nonzero(hole.any(0)).flatten()
    h, wd = hole.shape
    return (max(int(rows[0]) - 1, 0), min(int(rows[-1]) + 2, h), max(int(cols[0]) - 1, 0), min(int(cols[-1]) + 2, wd))
