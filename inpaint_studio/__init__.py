"""Inpaint Studio: a desktop photo editor for deep image inpainting."""

__version__ = "0.1.0"
