"""DeepFill v2 generator: gated coarse net + refinement net with contextual attention.

Input is 6 channels, ``[image with hole zeroed (3, in [-1, 1]), ones, mask, edges]``:
the extra edge channel lets the same net do automatic fill (edges only outside the
hole) and user-guided fill (sketched edges inside it).  Layer widths follow the
paper's table with the base width ``cnum`` as a parameter (48 in the paper).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from .attention import ContextualAttention
from .gated import GatedConv2d as G
from .gated import GatedDeconv2d as GUp
from .prefill import harmonic_fill, pull_push_fill


class CoarseNet(nn.Module):
    def __init__(self, in_ch: int, c: int, residual: bool = False) -> None:
        super().__init__()
        self.residual = residual
        h, c2 = c // 2, 2 * c
        self.enc = nn.Sequential(
            G(in_ch, h, 5),
            G(h, c, 3, 2),
            G(c, c),
            G(c, c2, 3, 2),
            G(c2, c2),
            G(c2, c2),
            G(c2, c2, dilation=2),
            G(c2, c2, dilation=4),
            G(c2, c2, dilation=8),
            G(c2, c2, dilation=16),
            G(c2, c2),
            G(c2, c2),
        )
        self.dec = nn.Sequential(GUp(c2, c), G(c, c), GUp(c, h), G(h, c // 4), G(c // 4, 3, gated=False))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.dec(self.enc(x))
        return out if self.residual else torch.tanh(out)


class RefineNet(nn.Module):
    def __init__(self, in_ch: int, c: int, attention: ContextualAttention, residual: bool = False) -> None:
        super().__init__()
        self.residual = residual
        h, c2 = c // 2, 2 * c
        self.conv_branch = nn.Sequential(
            G(in_ch, h, 5),
            G(h, h, 3, 2),
            G(h, c),
            G(c, c, 3, 2),
            G(c, c2),
            G(c2, c2),
            G(c2, c2, dilation=2),
            G(c2, c2, dilation=4),
            G(c2, c2, dilation=8),
            G(c2, c2, dilation=16),
        )
        self.attn_pre = nn.Sequential(
            G(in_ch, h, 5),
            G(h, h, 3, 2),
            G(h, c),
            G(c, c2, 3, 2),
            G(c2, c2),
            G(c2, c2, activation="relu"),
        )
        self.attention = attention
        #: In inference, attention rows are built only for matching cells within this
        #: many cells (8 px each) of the hole: the layers after the attention see about
        #: 4 cells around a pixel, so the hole's output is unchanged (tests check it).
        #: ``None`` builds every row.
        self.attention_margin: int | None = 5
        self.attn_post = nn.Sequential(G(c2, c2), G(c2, c2))
        self.merge = nn.Sequential(
            G(2 * c2, c2),
            G(c2, c2),
            GUp(c2, c),
            G(c, c),
            GUp(c, h),
            G(h, c // 4),
            G(c // 4, 3, gated=False),
        )

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        hallu = self.conv_branch(x)
        pm = self.attn_pre(x)
        mask_q = F.interpolate(mask, size=pm.shape[-2:], mode="nearest")
        need = None
        if self.attention_margin is not None and not self.training:
            m = self.attention_margin
            cells = F.max_pool2d(mask, self.attention.rate * 4)  # the matching grid (1/8 of the image)
            need = F.max_pool2d(cells, 2 * m + 1, 1, m) > 0
        pm = self.attn_post(self.attention(pm, pm, mask_q, need))
        out = self.merge(torch.cat([hallu, pm], dim=1))
        return out if self.residual else torch.tanh(out)


PREFILLS = (None, "pullpush", "blend", "harmonic", "harmonic_plain")


class DeepFillGenerator(nn.Module):
    """Two-stage gated generator.  ``forward`` returns ``(coarse, refined, composited)``.

    Height and width must be multiples of 8 (the callers pad); images in [-1, 1];
    ``mask`` is 1 in the hole; ``edges`` in [0, 1].

    ``prefill="pullpush"`` is this project's residual variant: the hole of the coarse
    input holds a pull-push fill instead of zeros, and each stage outputs a correction
    added to its input (last layers start at zero, so the untrained net returns the
    pull-push fill).  Same layers, same attention; only the starting point differs.
    It exists because a from-scratch net trained on a few CPU cores did no better than
    Telea (docs/BENCHMARKS.md).

    ``prefill="blend"`` also takes ``guide``, a classical fill of the hole (the
    engine and the trainer pass OpenCV Telea, radius 5), as three more input channels
    and starts from the mean of the pull-push and the guide fill: the two err
    differently (Telea streaks sharp edges inward, pull-push blurs), so the net can
    learn per pixel which to trust instead of learning inpainting from nothing.

    ``prefill="harmonic"`` starts from the harmonic (smoothest) fill instead, which
    alone beats that mean, and also sees the Telea guide.

    ``prefill="harmonic_plain"`` is the harmonic start without the Telea guide: the
    harmonic fill alone already scores above Telea, and Telea was most of the trainer's
    data time (and a pass per fill at run time); docs/BENCHMARKS.md has the numbers.
    """

    IN_CHANNELS = 6

    def __init__(self, cnum: int = 48, prefill: str | None = None) -> None:
        super().__init__()
        if cnum % 4:
            raise ValueError("cnum must be a multiple of 4")
        if prefill not in PREFILLS:
            raise ValueError(f"prefill must be one of {PREFILLS}, not {prefill!r}")
        self.cnum = cnum
        self.prefill = prefill
        residual = prefill is not None
        self.coarse = CoarseNet(self.IN_CHANNELS + (3 if prefill in ("blend", "harmonic") else 0), cnum, residual)
        # Stage 2 also sees the mask and the edges (the TF code fed RGB only).
        self.refine = RefineNet(5, cnum, ContextualAttention(3, 2, 10.0, fuse=True), residual)
        #: How the harmonic start is solved (``prefill.harmonic_fill`` arguments).  Training
        #: uses 20 Jacobi sweeps; the engine sets what the weights' metadata asks for.
        self.harmonic_solver: dict = {"iters": 20}
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Variance-preserving init for gated layers.

        With PyTorch's default init the ELU × sigmoid(≈0.5) product shrinks the signal
        at every one of the ~17 layers per stage, so the untrained net outputs a near
        constant and learns slowly.  He-init doubled on the feature half (to undo the
        ~0.5 gate) and small gate weights keep activations at unit scale, so the loss
        falls from the first steps, which counts where steps are few (CPU training).
        """
        for m in self.modules():
            if isinstance(m, G):
                w = m.conv.weight
                nn.init.kaiming_normal_(w, nonlinearity="relu")
                with torch.no_grad():
                    if m.gated:
                        w[: m.out_ch] *= 2.0
                        w[m.out_ch :] *= 0.1
                    else:
                        w *= 0.3
                if m.conv.bias is not None:
                    nn.init.zeros_(m.conv.bias)
        if self.prefill is not None:
            # Residual heads start small, not at zero: a zero head also zeroes every
            # gradient behind it, and the deep layers then stay frozen until the heads
            # grow.  Small heads cost a little, and only at the start.
            for head in self._heads():
                with torch.no_grad():
                    head.conv.weight.mul_(1.0 / 3.0)  # 0.3 above -> 0.1 x He

    def zero_heads(self) -> DeepFillGenerator:
        """Make a residual generator return exactly its prefill (tests, ablations)."""
        if self.prefill is None:
            raise ValueError("only residual generators (prefill set) have correction heads")
        for head in self._heads():
            nn.init.zeros_(head.conv.weight)
            if head.conv.bias is not None:
                nn.init.zeros_(head.conv.bias)
        return self

    def _heads(self) -> tuple[G, G]:
        """The two stages' last layers: the residual correction heads."""
        coarse, refine = self.coarse.dec[-1], self.refine.merge[-1]
        assert isinstance(coarse, G) and isinstance(refine, G)
        return coarse, refine

    def config(self) -> dict[str, int | str]:
        cfg: dict[str, int | str] = {"arch": "deepfill_v2", "cnum": self.cnum}
        if self.prefill is not None:
            cfg["prefill"] = self.prefill
        return cfg

    def full_resolution_layers(self) -> list[nn.Module]:
        """The layers that read full-resolution maps (8 or 16 channels at the input size).

        On CPU these run faster in NCHW than channels-last: with so few channels the
        gate's elementwise passes over a channels-last half have an inner loop of 8
        floats and cost more than the convolution (docs/BENCHMARKS.md has the forward
        times both ways).
        ``torch_runtime.prepare_model`` uses this; the maths is the same either way.
        """
        c, r = self.coarse, self.refine
        return [
            c.enc[0],
            c.enc[1],
            c.dec[2],
            c.dec[3],
            c.dec[4],
            r.conv_branch[0],
            r.conv_branch[1],
            r.attn_pre[0],
            r.attn_pre[1],
            r.merge[4],
            r.merge[5],
            r.merge[6],
        ]

    @property
    def needs_guide(self) -> bool:
        return self.prefill in ("blend", "harmonic")

    def forward(
        self, image: torch.Tensor, mask: torch.Tensor, edges: torch.Tensor, guide: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        x1, x, known = self.coarse_stage(image, mask, edges, guide)
        x2 = self.refine_stage(x, mask, edges)
        return x1, x2, x2 * mask + known

    def coarse_stage(
        self, image: torch.Tensor, mask: torch.Tensor, edges: torch.Tensor, guide: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Stage 1: ``(coarse output, refine input, known pixels)``.

        Separate from :meth:`refine_stage` so one coarse pass can feed two refinement
        nets.
        """
        known = image * (1.0 - mask)
        ones = torch.ones_like(mask)
        if self.needs_guide:
            if guide is None:
                raise ValueError(f"this generator (prefill={self.prefill!r}) needs the classical guide fill")
            guide = guide * mask + known
            if self.prefill == "blend":
                base = 0.5 * (pull_push_fill(known, mask) + guide)
            else:
                base = harmonic_fill(known, mask, **self.harmonic_solver)
            x1 = base + self.coarse(torch.cat([base, ones, mask, edges, guide], dim=1))
        elif self.prefill is None:
            x1 = self.coarse(torch.cat([known, ones, mask, edges], dim=1))
        else:
            base = (
                harmonic_fill(known, mask, **self.harmonic_solver)
                if self.prefill == "harmonic_plain"
                else pull_push_fill(known, mask)
            )
            x1 = base + self.coarse(torch.cat([base, ones, mask, edges], dim=1))
        return x1, x1 * mask + known, known

    def refine_stage(
        self, x: torch.Tensor, mask: torch.Tensor, edges: torch.Tensor, refine: nn.Module | None = None
    ) -> torch.Tensor:
        """Stage 2 on the coarse result ``x``, with this net's refiner or ``refine``."""
        r = (self.refine if refine is None else refine)(torch.cat([x, mask, edges], dim=1), mask)
        return r if self.prefill is None else x + r
