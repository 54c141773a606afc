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
                nn.init.normal_(m.weight_orig if hasattr(m, "weight_orig") else m.weight, 0.0, 0.02)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor]]:
        feats = []
        for blk in self.blocks:
            x = blk(x)
            feats.append(x)
        out = self.head(x)
        feats.append(out)
        return out, feats


def hinge_d_loss(pos: torch.Tensor, neg: torch.Tensor) -> torch.Tensor:
    return 0.5 * F.relu(1.0 - pos).mean() + 0.5 * F.relu(1.0 + neg).mean()


def hinge_g_loss(neg: torch.Tensor) -> torch.Tensor:
    return -neg.mean()


def feature_matching_loss(real: list[torch.Tensor], fake: list[torch.Tensor]) -> torch.Tensor:
    """Sum of L1 distances between D features of real and generated edges (EdgeConnect)."""
    return sum(F.l1_loss(f, r.detach()) for r, f in zip(real, fake))  # type: ignore[return-value]
