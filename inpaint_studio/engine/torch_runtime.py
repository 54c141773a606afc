"""How a torch network is run for inference: layout, precision, threads, warm-up.

In the default NCHW layout the first calls of the generator hit slow
dilated-convolution paths before oneDNN kernels are cached, while channels-last goes to
oneDNN at once and is also faster in steady state; bf16 autocast on CPUs with AVX-512
BF16 cuts a fill further (docs/BENCHMARKS.md has the numbers).  These choices live here so every neural method makes them the
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
    return "bf16" if cpu_supports_bf16() else "fp32"


def prepare_model(model: Any, device: str) -> Any:
    """Eval mode, on ``device``, channels-last (faster on oneDNN and on CUDA tensor cores).

    On CPU a model may name layers that run faster in NCHW (``full_resolution_layers``:
    few channels at full size, where channels-last makes the elementwise passes slow);
    those go back to NCHW and the model's ``input_channels_last`` says how to feed it.
    A convolution runs channels-last if its input or its weight is, so an NCHW layer
    needs both in NCHW; the first channels-last layer after it converts on its own.
    """
    import torch

    model = model.eval().to(device)
    model = model.to(memory_format=torch.channels_last)
    nchw = getattr(model, "full_resolution_layers", None)
    model.input_channels_last = True
    if nchw is not None and not str(device).startswith("cuda"):
        for layer in nchw():
            layer.to(memory_format=torch.contiguous_format)
        model.input_channels_last = False
    return model


def to_input(t: Any, device: str, channels_last: bool = True) -> Any:
    """A batch tensor on ``device`` in the layout :func:`prepare_model` chose for the model."""
    import torch

    t = t.to(device, non_blocking=True)
    if t.dim() == 4:
        t = t.contiguous(memory_format=torch.channels_last if channels_last else torch.contiguous_format)
    return t


def autocast(device: str, precision: str) -> contextlib.AbstractContextManager:
    """Autocast context for the resolved precision (no-op for fp32)."""
    import torch

    if precision == "fp32":
        return contextlib.nullcontext()
    dtype = torch.bfloat16 if precision == "bf16" else torch.float16
    kind = "cuda" if device.startswith("cuda") else "cpu"
    return torch.autocast(kind, dtype=dtype)


#: Entries of the two caches oneDNN and PyTorch's ideep layer keep per convolution input
#: shape (``bound_shape_caches``).  A fill uses a few dozen convolutions per crop shape.
SHAPE_CACHE_ENTRIES = {"ONEDNN_PRIMITIVE_CACHE_CAPACITY": 256, "LRU_CACHE_CAPACITY": 16}


def bound_shape_caches() -> dict[str, str]:
    """Keep the per-shape kernel caches to a few crop shapes (unless the user set them).

    oneDNN caches a primitive per convolution and input shape (1,024 by default), and
    ideep, between PyTorch and oneDNN, its own computations (another 1,024).  An editor
    fills crops of every size, so both only grew: over 300 requests of random sizes the
    engine's memory climbed by 1 GB, and it stayed flat when one request repeated
    (docs/BENCHMARKS.md, soak).  A few shapes' worth keeps repeated sizes (a preview and
    its full fill) fast.  Both are read when the first primitive is made, so this runs
    before any network does (``engine.neural`` calls it on import).
    """
    for key, value in SHAPE_CACHE_ENTRIES.items():
        os.environ.setdefault(key, str(value))
    return {k: os.environ[k] for k in SHAPE_CACHE_ENTRIES}


#: glibc ``mallopt`` parameters (``malloc.h``).
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3
_allocator_configured: bool | None = None


def configure_allocator(mmap_threshold: int = 256 << 20, trim_threshold: int = 512 << 20) -> bool:
    """Let glibc reuse freed tensor memory instead of unmapping it after every layer.

    glibc serves blocks above its mmap threshold (at most 32 MiB, adaptive) with fresh
    ``mmap`` calls and unmaps them on free, so every large activation of every forward
    is new memory the kernel has to fault in and zero.  With the thresholds raised, freed
    blocks go back to the heap and the next layer reuses them (docs/BENCHMARKS.md has the
    page faults and times).  glibc returns free memory
    beyond ``trim_threshold``, so an idle editor does not sit on a 24 MP fill's peak.
    Linux/glibc only; a no-op elsewhere, when the user set any ``MALLOC_*`` variable.
    Returns whether the settings were applied (once per process).
    """
    global _allocator_configured
    if _allocator_configured is not None:
        return _allocator_configured
    _allocator_configured = False
    if any(k.startswith("MALLOC_") for k in os.environ):
        return False
    import platform

    if platform.system() != "Linux" or platform.libc_ver()[0] != "glibc":
        return False
    try:
        import ctypes

        libc = ctypes.CDLL("libc.so.6")
        ok = bool(libc.mallopt(_M_MMAP_THRESHOLD, int(mmap_threshold)))
        ok = bool(libc.mallopt(_M_TRIM_THRESHOLD, int(trim_threshold))) and ok
    except (OSError, AttributeError):
        return False
    _allocator_configured = ok
    return ok


_heap_reference: int | None = None


def _rss_bytes() -> int | None:
    try:
        with open("/proc/self/statm", "rb") as fh:
            return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return None


def trim_heap_if_grown(slack: float = 0.10, floor: int = 16 << 20) -> bool:
    """Give freed heap memory back to the system when the process has grown since the
    first request, keeping the blocks one request reuses.

    With :func:`configure_allocator`'s thresholds glibc keeps freed activations for the
    next forward pass (the point: no page faults), but crops of ever new sizes leave
    holes that the next request cannot reuse, and the process only grew (soak in
    docs/BENCHMARKS.md).  After each request: if resident memory is more than ``slack``
    (plus ``floor``) above what it was after the first one, ``malloc_trim`` returns the
    free pages.  Repeated requests of one size never trigger it.  Returns whether it
    trimmed; a no-op off glibc.
    """
    global _heap_reference
    if not _allocator_configured:
        return False
    rss = _rss_bytes()
    if rss is None:
        return False
    if _heap_reference is None:
        _heap_reference = rss
        return False
    if rss <= _heap_reference * (1.0 + slack) + floor:
        return False
    try:
        import ctypes

        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        return False
    after = _rss_bytes()
    if after is not None and after > _heap_reference:
        _heap_reference = after  # what is left is live (a larger photo), not free blocks
    return True


def configure_threads() -> int:
    """Use every core for intra-op work unless the user pinned OMP_NUM_THREADS."""
    import torch

    if "OMP_NUM_THREADS" not in os.environ:
        torch.set_num_threads(max(1, os.cpu_count() or 1))
    return torch.get_num_threads()
