"""The editor's one door to the engine: every engine name the UI uses comes from here.

Kept as one list so the surface the editor depends on is visible in one place and a
change to the engine's API shows up here first.  ``lint-imports`` (the contract "The
editor reaches the engine through ui/client.py only" in ``pyproject.toml``) fails if
any other ``ui`` module imports ``inpaint_studio.engine`` directly.  Fills themselves
still run on the worker thread (``ui/worker.py``); this module adds no behaviour.
"""

from __future__ import annotations

from ..engine import Engine, InpaintOptions, InpaintResult
from ..engine.batch import (
    BatchItem,
    BatchSummary,
    ItemOutcome,
    MaskProvider,
    check_output_folder,
    plan_batch,
    run_batch,
)
from ..engine.batch_marks import TextProvider, WatermarkProvider
from ..engine.cancel import CancelToken, ProgressCallback
from ..engine.device import cuda_available
from ..engine.registry import (
    auto_fallback,
    default_edge_name,
    default_fill_name,
    edge_methods,
    fill_info,
    fill_methods,
)
from ..engine.text_mask import INSTALL_HINT as TEXT_INSTALL_HINT
from ..engine.text_mask import available as text_detection_available
from ..engine.text_mask import detect_text_mask
from ..engine.watermark import MAX_SHIFT, Inversion, Watermark, invert_watermark
from ..engine.watermark_estimate import estimate_watermark

__all__ = [
    "MAX_SHIFT",
    "TEXT_INSTALL_HINT",
    "BatchItem",
    "BatchSummary",
    "CancelToken",
    "Engine",
    "InpaintOptions",
    "InpaintResult",
    "Inversion",
    "ItemOutcome",
    "MaskProvider",
    "ProgressCallback",
    "TextProvider",
    "Watermark",
    "WatermarkProvider",
    "auto_fallback",
    "check_output_folder",
    "cuda_available",
    "default_edge_name",
    "default_fill_name",
    "detect_text_mask",
    "edge_methods",
    "estimate_watermark",
    "fill_info",
    "fill_methods",
    "invert_watermark",
    "plan_batch",
    "run_batch",
    "text_detection_available",
]
