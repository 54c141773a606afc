"""Discriminators: SN-PatchGAN (DeepFill v2) and the EdgeConnect patch discriminator."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils import spectral_norm as sn


class SNPatchGAN(nn.Module):
    """Six 5×5 stride-2 spectral-norm convs; every output cell is a GAN on one patch."""

    def __init__(self, in_ch: int = 4, cnum: int = 64) -> None:
        super().__init__()
        chans = [cnum, 2 * cnum, 4 * cnum, 4 * cnum, 4 * cnum, 4 * cnum]
        layers: list[nn.Module] = []
        prev = in_ch
        for c in chans:
            layers += [sn(nn.Conv2d(prev, c, 5, 2, 2)), nn.LeakyReLU(0.2, True)]
            prev = c
        self.net = nn.Sequential(*layers)

    def forward(self, rgb: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        return self.net(torch.cat([rgb, mask], dim=1)).flatten(1)


class EdgeDiscriminator(nn.Module):
    """EdgeConnect's 70×70-style patch D; also returns per-layer features for FM loss."""

    def __init__(self, in_ch: int = 2, width: int = 64) -> None:
        super().__init__()
        w = width
        spec = [(in_ch, w, 2), (w, 2 * w, 2), (2 * w, 4 * w, 2), (4 * w, 8 * w, 1)]
        self.blocks = nn.ModuleList(
            nn.Sequential(sn(nn.Conv2d(i, o, 4, s, 1, bias=False)), nn.LeakyReLU(0.2, True)) for i, o, s in spec
        )
        self.head = sn(nn.Conv2d(8 * w, 1, 4, 1, 1, bias=False))
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                raw = getattr(m, "weight_orig", None)  # spectral norm keeps the raw weight there
                nn.init.normal_(raw if isinstance(raw, torch.Tensor) else m.weight, 0.0, 0.02)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor]]:
        feats = []
        for blk in self.blocks:
            x = blk(x)
            feats.append(x)
        out = self.head(x)
        feats.append(out)
        return out, feats


class MaskedPatchGAN(nn.Module):
    """The 70×70 patch D (EdgeConnect, pix2pix) on RGB + mask, for the image generator.

    The alternative to :class:`SNPatchGAN` for short runs: on 128 px crops the
    SN-PatchGAN's six stride-2 layers leave 2×2 cells whose outputs start near 0.01
    and, in our runs, settled on a common offset for real and fake, so they told the
    generator almost nothing; this D keeps real and fake apart, more so scored over the
    hole's cells.
    Returns the score map and the per-layer features (for feature matching).
    """

    def __init__(self, in_ch: int = 4, width: int = 64) -> None:
        super().__init__()
        self.d = EdgeDiscriminator(in_ch, width)

    def forward(self, rgb: torch.Tensor, mask: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor]]:
        return self.d(torch.cat([rgb, mask], dim=1))


def hole_cells(mask: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """Weight per D output cell: 1 where the cell's patch touches the hole, else 0.

    Cells that see only known pixels score real and fake crops alike (the composite
    equals the photo there), so they add nothing but noise to the D's mean; the
    mean over hole cells is the signal.  Pooled, then grown by a cell, since each
    patch reaches past its stride.
    """
    cells = F.adaptive_max_pool2d(mask, size)
    return F.max_pool2d(cells, 3, 1, 1)


def _wmean(x: torch.Tensor, w: torch.Tensor | None) -> torch.Tensor:
    if w is None:
        return x.mean()
    return (x * w).sum() / w.sum().clamp_min(1.0)


def hinge_d_loss(pos: torch.Tensor, neg: torch.Tensor, weight: torch.Tensor | None = None) -> torch.Tensor:
    return 0.5 * _wmean(F.relu(1.0 - pos), weight) + 0.5 * _wmean(F.relu(1.0 + neg), weight)


def hinge_g_loss(neg: torch.Tensor, weight: torch.Tensor | None = None) -> torch.Tensor:
    return -_wmean(neg, weight)


def feature_matching_loss(real: list[torch.Tensor], fake: list[torch.Tensor]) -> torch.Tensor:
    """Sum of L1 distances between D features of real and generated edges (EdgeConnect)."""
    return sum(F.l1_loss(f, r.detach()) for r, f in zip(real, fake))  # type: ignore[return-value]
