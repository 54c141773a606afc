"""Request -> result: device, cancellation, progress, method registry. No Qt here."""

from .cancel import CancelToken, ProgressCallback
from .engine import Engine, InpaintResult
from .registry import (
    MethodInfo,
    build_edges,
    build_fill,
    default_edge_name,
    default_fill_name,
    edge_methods,
    fill_methods,
    register_edges,
    register_fill,
)
from .request import Device, InpaintOptions

__all__ = [
    "CancelToken",
    "Device",
    "Engine",
    "InpaintOptions",
    "InpaintResult",
    "MethodInfo",
    "build_edges",
    "build_fill",
    "ProgressCallback",
    "default_edge_name",
    "default_fill_name",
    "edge_methods",
    "fill_methods",
    "register_edges",
    "register_fill",
]
