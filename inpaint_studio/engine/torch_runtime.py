"""How a torch network is run for inference: layout, precision, threads, warm-up.

Measured on the 2-core CPU (see docs/BENCHMARKS.md): in the default NCHW layout the
first calls of the generator hit slow dilated-convolution paths (about 10 s each at
160 px) before oneDNN kernels are cached, while channels-last goes to oneDNN at once
and is also faster in steady state; bf16 autocast on CPUs with AVX-512 BF16 cuts a
512 px fill further.  These choices live here so every neural method makes them the
same way.
"""

from __future__ import annotations

import contextlib
import os
from typing import Any

PRECISIONS = ("auto", "fp32", "bf16", "fp16")


def cpu_supports_bf16() -> bool:
    """True where oneDNN has native bf16 kernels (AVX-512 BF16 or AMX)."""
    try:
        import torch

        return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
    except (AttributeError, RuntimeError, ImportError):
        return False


def resolve_precision(device: str, precision: str = "auto") -> str:
    """``auto``: bf16 on CUDA and on bf16-capable CPUs, else fp32.

    Raises:
        ValueError: unknown precision name.
    """
    precision = (precision or "auto").lower()
    if precision not in PRECISIONS:
        raise ValueError(f"unknown precision {precision!r}; use one of {', '.join(PRECISIONS)}")
    if precision != "auto":
        return precision
    if device.startswith("cuda"):
        return "bf16"
    env = os.environ.get("INPAINT_STUDIO_CPU_PRECISION")
    if env in ("fp32", "bf16"):
        return env
    return "bf16" if cpu_supports_bf16() else "fp32"


def prepare_model(model: Any, device: str) -> Any:
    """Eval mode, on ``device``, channels-last (faster on oneDNN and on CUDA tensor cores)."""
    import torch

    model = model.eval().to(device)
    return model.to(memory_format=torch.channels_last)


def to_input(t: Any, device: str) -> Any:
    """A batch tensor on ``device`` in the layout :func:`prepare_model` chose."""
    import torch

    t = t.to(device, non_blocking=True)
    if t.dim() == 4:
        t = t.contiguous(memory_format=torch.channels_last)
    return t


def autocast(device: str, precision: str) -> contextlib.AbstractContextManager:
    """Autocast context for the resolved precision (no-op for fp32)."""
    import torch

    if precision == "fp32":
        return contextlib.nullcontext()
    dtype = torch.bfloat16 if precision == "bf16" else torch.float16
    kind = "cuda" if device.startswith("cuda") else "cpu"
    return torch.autocast(kind, dtype=dtype)


def configure_threads() -> int:
    """Use every core for intra-op work unless the user pinned OMP_NUM_THREADS."""
    import torch

    if "OMP_NUM_THREADS" not in os.environ:
        torch.set_num_threads(max(1, os.cpu_count() or 1))
    return torch.get_num_threads()
