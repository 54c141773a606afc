"""Gated convolution (DeepFill v2): every output channel learns its own soft mask.

A vanilla conv treats hole and known pixels alike; the sigmoid gate lets the network
decide per pixel and channel how much of a feature to pass, which is what makes
free-form holes (and user sketches in the edge channel) work.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


class GatedConv2d(nn.Module):
    """``act(features) * sigmoid(gate)``; one conv produces both halves (as in the TF code).

    ``gated=False`` gives the plain conv used for the RGB output layers.
    """

    def __init__(
        self,
        in_ch: int,
        out_ch: int,
        kernel_size: int = 3,
        stride: int = 1,
        dilation: int = 1,
        gated: bool = True,
        activation: str = "elu",
    ) -> None:
        super().__init__()
        self.gated = gated
        self.out_ch = out_ch
        self.activation = activation
        padding = dilation * (kernel_size - 1) // 2
        self.conv = nn.Conv2d(in_ch, out_ch * 2 if gated else out_ch, kernel_size, stride, padding, dilation)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.conv(x)
        if not self.gated:
            return y
        feat, gate = torch.split(y, self.out_ch, dim=1)
        if y.requires_grad:
            feat = F.relu(feat) if self.activation == "relu" else F.elu(feat)
            return feat * torch.sigmoid(gate)
        # Inference: gate in place, product into the activation's own buffer.  Two
        # fewer full-size tensors per layer, which matters on CPU, where these
        # elementwise passes cost about as much as the convolutions.
        out = F.relu(feat) if self.activation == "relu" else F.elu(feat)
        return out.mul_(gate.sigmoid_())


class GatedDeconv2d(nn.Module):
    """Nearest ×2 upsample then a 3×3 gated conv (avoids transposed-conv checkerboards)."""

    def __init__(self, in_ch: int, out_ch: int) -> None:
        super().__init__()
        self.conv = GatedConv2d(in_ch, out_ch, 3, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv(F.interpolate(x, scale_factor=2.0, mode="nearest"))
