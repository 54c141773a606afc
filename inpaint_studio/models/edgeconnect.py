"""EdgeConnect stage-1 edge generator: hallucinates the edge map inside the hole.

Input ``[gray with hole = 1, known edges, mask]``; output edge probabilities in [0, 1].
Width and number of dilated residual blocks are parameters (paper: 64 and 8).
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn.utils import spectral_norm as sn


class ResBlock(nn.Module):
    """Dilated residual block with spectral norm and instance norm (no final ReLU)."""

    def __init__(self, ch: int, dilation: int = 2) -> None:
        super().__init__()
        self.body = nn.Sequential(
            nn.ReflectionPad2d(dilation),
            sn(nn.Conv2d(ch, ch, 3, dilation=dilation, bias=False)),
            nn.InstanceNorm2d(ch),
            nn.ReLU(True),
            nn.ReflectionPad2d(1),
            sn(nn.Conv2d(ch, ch, 3, bias=False)),
            nn.InstanceNorm2d(ch),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.body(x)


class EdgeGenerator(nn.Module):
    """Encoder (two stride-2 convs) → ``blocks`` dilated residual blocks → decoder."""

    def __init__(self, width: int = 64, blocks: int = 8) -> None:
        super().__init__()
        self.width, self.blocks = width, blocks
        w = width
        self.net = nn.Sequential(
            nn.ReflectionPad2d(3),
            sn(nn.Conv2d(3, w, 7)),
            nn.InstanceNorm2d(w),
            nn.ReLU(True),
            sn(nn.Conv2d(w, 2 * w, 4, 2, 1)),
            nn.InstanceNorm2d(2 * w),
            nn.ReLU(True),
            sn(nn.Conv2d(2 * w, 4 * w, 4, 2, 1)),
            nn.InstanceNorm2d(4 * w),
            nn.ReLU(True),
            *[ResBlock(4 * w) for _ in range(blocks)],
            sn(nn.ConvTranspose2d(4 * w, 2 * w, 4, 2, 1)),
            nn.InstanceNorm2d(2 * w),
            nn.ReLU(True),
            sn(nn.ConvTranspose2d(2 * w, w, 4, 2, 1)),
            nn.InstanceNorm2d(w),
            nn.ReLU(True),
            nn.ReflectionPad2d(3),
            nn.Conv2d(w, 1, 7),
        )

    def config(self) -> dict[str, int | str]:
        return {"arch": "edgeconnect_edge", "width": self.width, "blocks": self.blocks}

    def forward(self, gray: torch.Tensor, edges: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """Returns logits-free probabilities (sigmoid applied); H, W multiples of 4."""
        x = torch.cat([gray * (1 - mask) + mask, edges * (1 - mask), mask], dim=1)
        return torch.sigmoid(self.net(x))
