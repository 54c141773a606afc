"""Device choice.  torch is imported lazily so classical fills never pay for it."""

from __future__ import annotations

VALID_DEVICES = ("auto", "cpu", "cuda")


def torch_available() -> bool:
    try:
        import torch  # noqa: F401
    except ImportError:
        return False
    return True


def cuda_available() -> bool:
    if not torch_available():
        return False
    import torch

    return bool(torch.cuda.is_available())


def resolve_device(device: str = "auto") -> str:
    """``auto`` -> ``cuda`` when a CUDA GPU is usable, else ``cpu``.

    Asking for ``cuda`` on a machine without one raises, so the user learns why their
    GPU is not used instead of silently waiting on the CPU.
    """
    device = (device or "auto").lower()
    if device not in VALID_DEVICES and not device.startswith("cuda:"):
        raise ValueError(f"unknown device {device!r}; use one of {', '.join(VALID_DEVICES)}")
    if device == "auto":
        return "cuda" if cuda_available() else "cpu"
    if device.startswith("cuda") and not cuda_available():
        raise RuntimeError("CUDA was requested but no CUDA GPU is available; use --device cpu")
    return device


def is_out_of_memory(exc: BaseException) -> bool:
    """True for CUDA (or host) out-of-memory errors raised by torch."""
    if isinstance(exc, MemoryError):
        return True
    try:
        import torch

        if isinstance(exc, torch.cuda.OutOfMemoryError):
            return True
    except (ImportError, AttributeError):
        pass
    return "out of memory" in str(exc).lower()
