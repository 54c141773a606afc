"""Inpainting networks (pure ``nn.Module`` s, no Qt, no resizing or device logic).

The engine and the trainer own padding, scaling, devices and ``no_grad``; the modules
here only map tensors to tensors so they stay easy to test and to export.
"""

from .attention import ContextualAttention
from .deepfill import DeepFillGenerator
from .discriminators import EdgeDiscriminator, SNPatchGAN
from .edgeconnect import EdgeGenerator
from .gated import GatedConv2d, GatedDeconv2d

__all__ = [
    "ContextualAttention",
    "DeepFillGenerator",
    "EdgeDiscriminator",
    "EdgeGenerator",
    "GatedConv2d",
    "GatedDeconv2d",
    "SNPatchGAN",
]
