"""Losses.  PSNR rewards plain L1, so the generator's default is L1-first (GAN weight 0)."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from ..models.discriminators import feature_matching_loss, hinge_d_loss, hinge_g_loss

__all__ = ["feature_matching_loss", "hinge_d_loss", "hinge_g_loss", "inpaint_l1", "hole_mse", "edge_bce"]


def inpaint_l1(
    pred: torch.Tensor, target: torch.Tensor, mask: torch.Tensor, hole_weight: float = 1.0, whole_weight: float = 1.0
) -> torch.Tensor:
    """DeepFill's whole-image L1 plus an L1 over the hole only (normalised by its area).

    The whole-image term is the paper's; the hole term keeps small holes from being
    drowned out by the (trivially copied) known pixels.  ``whole_weight`` 0 drops the
    paper's term: a residual generator gets the known pixels exactly from its prefill,
    and that term only makes it spend capacity on outputting zero there.
    """
    diff = (pred - target).abs()
    hole = (diff * mask).sum() / (mask.sum() * pred.shape[1]).clamp_min(1.0)
    return whole_weight * diff.mean() + hole_weight * hole


def hole_mse(pred: torch.Tensor, target: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Mean squared error over the hole pixels.

    L1 pulls the fill toward the conditional *median*; PSNR is an MSE metric, whose
    optimum is the conditional *mean*.  A squared term therefore buys PSNR on holes
    the net cannot know (at the price of slightly blurrier fills).
    """
    return ((pred - target) ** 2 * mask).sum() / (mask.sum() * pred.shape[1]).clamp_min(1.0)


def edge_bce(pred: torch.Tensor, target: torch.Tensor, mask: torch.Tensor, pos_weight: float = 4.0) -> torch.Tensor:
    """Class-balanced BCE on the hole's edge pixels (edges are sparse, ~5 % of pixels)."""
    w = (1.0 + (pos_weight - 1.0) * target) * mask
    bce = F.binary_cross_entropy(pred.clamp(1e-6, 1 - 1e-6), target, reduction="none")
    return (bce * w).sum() / w.sum().clamp_min(1.0)
