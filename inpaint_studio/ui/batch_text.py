"""What the batch dialog says: engine reasons reworded for the dialog, settings in words.

Kept apart from the dialog's widgets so the wording can be tested without a window.
"""

from __future__ import annotations

from pathlib import Path

from .client import InpaintOptions


def gui_reason(reason: str) -> str:
    """The engine's reasons name CLI flags; say what to do in this dialog instead."""
    return (
        reason.replace("(use --overwrite to redo)", "(tick 'Replace existing outputs' to redo)")
        .replace("(use overwrite to replace it)", "(tick 'Replace existing outputs' to redo)")
        .replace(" (--max-hole)", "")
        .replace("use --invert-masks if black marks the hole in your masks", "invert the masks if black marks the hole")
        .replace("`batch --max-megapixels N` or the ", "")
    )


def short_reason(source: Path, msg: str) -> str:
    """``/long/path/x.jpg: the file is corrupt`` -> ``the file is corrupt`` (the name is shown)."""
    msg = gui_reason(msg)
    prefix = f"{source}: "
    return msg[len(prefix) :] if msg.startswith(prefix) else msg


#: Options the dialog has its own widget for, or that no user ever sets.
_SHOWN_ELSEWHERE = {
    "method",
    "device",
    "auto_edges",
    "edge_method",
    "seed",
    "working_size",
    "context",
    "feather",
    "use_edges",
    "dilate",
    "preview_size",
    "batch_size",
}


def describe_options(opts: InpaintOptions) -> str:
    """The fill settings a batch takes from the Tools panel, in words ("name 50 %, ...").

    Generic over the options' fields, so a setting added to or dropped from the panel is
    shown (or not) without this dialog knowing it: a share in 0..1 reads as a percent.
    """
    parts = []
    for key in type(opts).model_fields:
        if key in _SHOWN_ELSEWHERE:
            continue
        v = getattr(opts, key)
        name = key.replace("_", " ")
        if v is None:
            parts.append(f"{name}: the model's default")
        elif isinstance(v, bool):
            parts.append(f"{name} {'on' if v else 'off'}")
        elif isinstance(v, float) and 0.0 <= v <= 1.0:
            parts.append(f"{name} {v * 100:.0f} %")
        else:
            parts.append(f"{name} {v}")
    return ", ".join(parts) + " (from the Tools panel)" if parts else ""
