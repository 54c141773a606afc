"""Contextual attention (Yu et al. 2018, as used in DeepFill v2).

Hole features are rebuilt from *known* features elsewhere in the image: 3×3 patches
are matched by cosine-like score at half the feature resolution (cheap), then the
matching 4×4 full-resolution patches are pasted back (sharp).  Written batched with
``unfold``/``fold`` instead of the per-sample loop of the reference code.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


class ContextualAttention(nn.Module):
    """Copy known-region feature patches into the hole.

    Args:
        ksize: matching patch size at the reduced resolution (3 in the paper).
        rate: reduction factor for matching (2: match at 1/8 of the image when the
            features are at 1/4).
        softmax_scale: sharpness of the attention (10 in the paper).
        fuse: add the 3×3 diagonal "fuse" step that favours coherent neighbouring matches.
    """

    def __init__(self, ksize: int = 3, rate: int = 2, softmax_scale: float = 10.0, fuse: bool = True) -> None:
        super().__init__()
        self.ksize = ksize
        self.rate = rate
        self.softmax_scale = softmax_scale
        self.fuse = fuse

    def forward(self, f: torch.Tensor, b: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """``f``: foreground features (B,C,H,W); ``b``: background features (same shape);
        ``mask``: (B,1,H,W) at the feature resolution, 1 = hole.  H and W must be even."""
        bsz, ch, h, w = f.shape
        r = self.rate
        k = 2 * r
        # Full-resolution patches to paste: k×k at stride r ("raw" patches).
        raw = F.unfold(b, kernel_size=k, stride=r, padding=(k - r) // 2)  # (B, C*k*k, L)
        fs = f[:, :, ::r, ::r]
        bs = b[:, :, ::r, ::r]
        ms = mask[:, :, ::r, ::r]
        hs, ws = fs.shape[-2:]
        pad = self.ksize // 2
        wpatch = F.unfold(bs, self.ksize, padding=pad)  # (B, C*9, L)
        norm = wpatch.pow(2).sum(1, keepdim=True).sqrt().clamp_min(1e-4)
        wpatch = wpatch / norm
        fpatch = F.unfold(fs, self.ksize, padding=pad)  # (B, C*9, Lf)
        scores = torch.bmm(fpatch.transpose(1, 2), wpatch)  # (B, Lf, L)
        if self.fuse:
            scores = self._fuse(scores, hs, ws)
        # A background patch counts only if it has no hole pixel at all.
        valid = F.avg_pool2d(ms.float(), self.ksize, 1, pad, count_include_pad=True)
        valid = (valid.flatten(1) < 1e-6).to(scores.dtype).unsqueeze(1)  # (B, 1, L)
        scores = scores * valid
        attn = torch.softmax(scores * self.softmax_scale, dim=2) * valid
        out = torch.bmm(raw, attn.transpose(1, 2))  # (B, C*k*k, Lf)
        out = F.fold(out, (h, w), kernel_size=k, stride=r, padding=(k - r) // 2)
        return out / float((k // r) ** 2)

    @staticmethod
    def _diag3(s: torch.Tensor) -> torch.Tensor:
        """``s[i, j] + s[i-1, j-1] + s[i+1, j+1]`` (zero outside): a 3×3 identity-kernel conv.

        Written as two shifted in-place adds because ``conv2d`` on the (L × L) score
        "image" unfolds 9 copies of it (9 GiB at 1024² input), which is what made large
        inputs run out of memory; this needs one extra copy and no im2col.
        """
        out = s.clone()
        out[:, 1:, 1:] += s[:, :-1, :-1]
        out[:, :-1, :-1] += s[:, 1:, 1:]
        return out

    def _fuse(self, s: torch.Tensor, hs: int, ws: int) -> torch.Tensor:
        """Sum scores along 3-long diagonals, first in row-major then column-major order."""
        bsz, n, _ = s.shape
        s = self._diag3(s)
        s = s.view(bsz, hs, ws, hs, ws).permute(0, 2, 1, 4, 3).reshape(bsz, n, n)
        s = self._diag3(s)
        s = s.view(bsz, ws, hs, ws, hs).permute(0, 2, 1, 4, 3).reshape(bsz, n, n)
        return s
