"""Contextual attention (Yu et al. 2018, as used in DeepFill v2).

Hole features are rebuilt from *known* features elsewhere in the image: 3×3 patches
are matched by cosine-like score at half the feature resolution (cheap), then the
matching 4×4 full-resolution patches are pasted back (sharp).  Written batched with
``unfold``/``fold`` instead of the per-sample loop of the reference code.
"""

from __future__ import annotations

import functools

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

    def forward(
        self, f: torch.Tensor, b: torch.Tensor, mask: torch.Tensor, need: torch.Tensor | None = None
    ) -> torch.Tensor:
        """``f``: foreground features (B,C,H,W); ``b``: background features (same shape);
        ``mask``: (B,1,H,W) at the feature resolution, 1 = hole.  H and W must be even.

        ``need`` (B,1,H/r,W/r), optional: the matching-grid cells whose output the
        caller will use.  Only those query rows of the (L × L) score matrix are built,
        fused and soft-maxed; the output elsewhere is zero.  In inference the caller
        passes the hole dilated by the receptive field of the layers after this one,
        so the filled pixels come out the same while most of the quadratic work of a
        small hole in a large crop is skipped.
        """
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
        # A background patch counts only if it has no hole pixel at all.
        valid = F.avg_pool2d(ms.float(), self.ksize, 1, pad, count_include_pad=True)
        valid = (valid.flatten(1) < 1e-6).to(fpatch.dtype).unsqueeze(1)  # (B, 1, L)
        if need is not None and not self.training:
            return self._forward_rows(raw, fpatch, wpatch, valid, need, (h, w), (hs, ws))
        scores = torch.bmm(fpatch.transpose(1, 2), wpatch)  # (B, Lf, L)
        if self.fuse:
            scores = self._fuse(scores, hs, ws)
        valid = valid.to(scores.dtype)
        scores = scores * valid
        attn = torch.softmax(scores * self.softmax_scale, dim=2) * valid
        out = torch.bmm(raw, attn.transpose(1, 2))  # (B, C*k*k, Lf)
        out = F.fold(out, (h, w), kernel_size=k, stride=r, padding=(k - r) // 2)
        return out / float((k // r) ** 2)

    def _forward_rows(
        self,
        raw: torch.Tensor,
        fpatch: torch.Tensor,
        wpatch: torch.Tensor,
        valid: torch.Tensor,
        need: torch.Tensor,
        size: tuple[int, int],
        grid: tuple[int, int],
    ) -> torch.Tensor:
        """``forward`` for the query rows in ``need`` only (per sample: their count differs)."""
        r, k = self.rate, 2 * self.rate
        hs, ws = grid
        n = hs * ws
        maps = self._fuse_maps(hs, ws, fpatch.device) if self.fuse else None
        outs = []
        for i in range(fpatch.shape[0]):
            q = need[i].flatten().nonzero().squeeze(1)
            cols = torch.zeros(raw.shape[1], n, dtype=raw.dtype, device=raw.device)
            if q.numel():
                if maps is None:
                    s = fpatch[i].index_select(1, q).t() @ wpatch[i]  # (|Q|, L)
                else:
                    idx, ok, runs = maps
                    rows = torch.unique(idx[:, q][ok[:, q]])  # every score row the fuse reads
                    pos = torch.full((n,), -1, dtype=torch.long, device=q.device)
                    pos[rows] = torch.arange(rows.numel(), device=q.device)
                    sr = fpatch[i].index_select(1, rows).t() @ wpatch[i]  # (|rows|, L)
                    s = sr.new_zeros(q.numel(), n)
                    for t in range(idx.shape[0]):
                        # Both axes of a term are shifts, so it is a few block adds:
                        # query runs (one per grid row of the needed area) x key runs.
                        rq = pos[idx[t, q]]
                        for r0, r1, p0 in _runs(rq, ok[t, q] & (rq >= 0)):
                            src = sr[p0 : p0 + r1 - r0]
                            for k0, k1, c0 in runs[t]:
                                s[r0:r1, k0:k1] += src[:, c0 : c0 + k1 - k0]
                attn = torch.softmax(s.mul_(valid[i] * self.softmax_scale), dim=1)
                # Invalid keys (patches touching the hole) weigh zero after the softmax
                # (they still count in its sum, as in the reference), so the paste only
                # multiplies the valid ones: for a 25 % hole about a quarter less work.
                v = valid[i, 0].nonzero().squeeze(1)
                if v.numel() < n:
                    cols[:, q] = raw[i].index_select(1, v) @ attn.index_select(1, v).t()
                else:
                    cols[:, q] = raw[i] @ attn.t()
            outs.append(cols)
        out = F.fold(torch.stack(outs), size, kernel_size=k, stride=r, padding=(k - r) // 2)
        return out / float((k // r) ** 2)

    @staticmethod
    def _fuse_maps(hs: int, ws: int, device: torch.device) -> tuple[torch.Tensor, torch.Tensor, list]:
        """The fuse as nine gathers: fused[q, k] = sum_t s[idx[t, q], idx[t, k]].

        ``_fuse`` adds diagonal neighbours twice, once in row-major and once in
        column-major order; term (a, b) shifts both the query and the key by ``b``
        in column-major then by ``a`` in row-major order, and exists only where every
        shift stays inside the grid (the zero padding of ``_diag3``).  The same index
        serves rows and columns because both axes walk the same grid.  Along the key
        axis each term is a shift, so it is also given as runs ``(k0, k1, c0)``: keys
        ``k0:k1`` read columns ``c0:c0 + k1 - k0`` (slices, not a gather).
        """
        return _fuse_maps_cached(hs, ws, str(device))

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


def _runs(idx: torch.Tensor, ok: torch.Tensor) -> list[tuple[int, int, int]]:
    """Maximal stretches of ``ok`` where ``idx`` counts up by one: ``(start, stop, idx[start])``."""
    n = idx.numel()
    if n == 0:
        return []
    step = idx[1:] == idx[:-1] + 1
    start = ok.clone()
    start[1:] &= ~(step & ok[:-1])
    end = ok.clone()
    end[:-1] &= ~(step & ok[1:])
    starts = start.nonzero().flatten().tolist()
    ends = end.nonzero().flatten().tolist()
    first = idx[start].tolist()
    return [(a, b + 1, c) for a, b, c in zip(starts, ends, first)]


@functools.lru_cache(maxsize=16)
def _fuse_maps_cached(hs: int, ws: int, device: str) -> tuple[torch.Tensor, torch.Tensor, list]:
    """``ContextualAttention._fuse_maps``, kept for the last few grid sizes only: an
    editor open all day sees many crop sizes, and an unbounded cache would only grow."""
    n = hs * ws
    i = torch.arange(n)
    y, x = i // ws, i % ws
    cm = x * hs + y  # column-major position of each row-major index
    idx, ok = [], []
    for b in (-1, 0, 1):
        c = cm + b
        ok_b = (c >= 0) & (c < n)
        c = c.clamp(0, n - 1)
        j = (c % hs) * ws + (c // hs)  # back to row-major
        for a in (-1, 0, 1):
            t = j + a
            idx.append(t.clamp(0, n - 1))
            ok.append(ok_b & (t >= 0) & (t < n))
    runs = [_runs(i_t, o_t) for i_t, o_t in zip(idx, ok)]
    return torch.stack(idx).to(device), torch.stack(ok).to(device), runs
