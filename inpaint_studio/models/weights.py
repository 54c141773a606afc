"""Saving and loading network weights, with the architecture stored next to them.

Shipped weights are safetensors (no pickle, so a downloaded file cannot run code); the
architecture hyper-parameters (``cnum`` ...) live in the file's metadata so loading
rebuilds the exact net.  ``torch.load(weights_only=True)`` covers imports of training
checkpoints.  Every failure becomes a :class:`WeightsError` whose message names the file
and says what to do, so the engine can fall back to Telea with a readable warning.

Writing weights also writes their SHA-256 record (``NAME.safetensors.sha256``,
``core.checksums``) and loading checks it: a truncated or partly zeroed file that
would still parse is refused as damaged.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import torch
from torch import nn

from ..core.atomic import atomic_path
from ..core.checksums import check_weights, write_record
from ..core.errors import WeightsError
from .deepfill import DeepFillGenerator
from .edgeconnect import EdgeGenerator

FORMAT = "inpaint-studio/1"


def build_model(config: dict[str, Any]) -> nn.Module:
    """The network described by ``config`` (as written by ``model.config()``)."""
    arch = config.get("arch")
    try:
        if arch == "deepfill_v2":
            return DeepFillGenerator(int(config["cnum"]), config.get("prefill"))
        if arch == "edgeconnect_edge":
            return EdgeGenerator(int(config["width"]), int(config["blocks"]))
    except (KeyError, ValueError) as exc:
        raise WeightsError(f"architecture settings {config} are incomplete or invalid: {exc}") from None
    raise WeightsError(f"unknown architecture {arch!r} in the weights metadata")


def save_weights(model: nn.Module, path: str | Path, info: dict[str, Any] | None = None, half: bool = True) -> Path:
    """Write ``model``'s weights (fp16 by default: half the size, same fill) + metadata."""
    from safetensors.torch import save_file

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tensors = {}
    for k, v in model.state_dict().items():
        v = v.detach().cpu()
        if half and v.is_floating_point():
            v = v.half()
        tensors[k] = v.contiguous()
    meta = {"format": FORMAT, "config": json.dumps(model.config()), "info": json.dumps(info or {})}  # type: ignore[operator]
    # Atomic, with a saved file's mode: safetensors alone writes 0600, and a weights
    # file is meant to be read by others (app bundles).
    with atomic_path(path) as tmp:
        save_file(tensors, str(tmp), metadata=meta)
    write_record(path)
    return path


def read_metadata(path: str | Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """``(config, info)`` from a safetensors file, without loading the tensors."""
    from safetensors import safe_open

    path = Path(path)
    _check_exists(path)
    try:
        with safe_open(str(path), framework="pt") as f:
            meta = f.metadata() or {}
    except Exception as exc:  # safetensors raises several types for a damaged header
        raise WeightsError(
            f"{path} is damaged or not a safetensors file ({exc}); download or export it again"
        ) from None
    try:
        config = json.loads(meta["config"])
        info = json.loads(meta.get("info", "{}"))
    except (KeyError, json.JSONDecodeError):
        config, info = _sidecar(path), {}
    return config, info


def load_weights(
    path: str | Path, device: str = "cpu", config: dict[str, Any] | None = None
) -> tuple[nn.Module, dict[str, Any]]:
    """Rebuild the net from the file's metadata (or ``config``) and load it strictly.

    ``.safetensors`` is read without pickle; ``.pt``/``.pth`` (e.g. a training
    checkpoint's ``{"g": state_dict, "model_config": ...}``) through
    ``torch.load(weights_only=True)``.  Returns ``(model in eval mode, info)``.
    """
    path = Path(path)
    _check_exists(path)
    check = check_weights(path)
    if not check.usable:
        raise WeightsError(f"{check.message}; download or export it again")
    info: dict[str, Any] = {}
    if path.suffix == ".safetensors":
        meta_config, info = read_metadata(path)
        config = config or meta_config
        from safetensors.torch import load_file

        try:
            state = load_file(str(path), device="cpu")
        except Exception as exc:
            raise WeightsError(f"{path} is damaged ({exc}); download or export it again") from None
    else:
        try:
            obj = torch.load(str(path), map_location="cpu", weights_only=True)
        except Exception as exc:
            raise WeightsError(f"{path} could not be read as a PyTorch weights file ({exc})") from None
        if isinstance(obj, dict) and "g" in obj and isinstance(obj["g"], dict):
            config = config or obj.get("model_config")
            state = obj["g"]
        elif isinstance(obj, dict) and all(isinstance(v, torch.Tensor) for v in obj.values()):
            state = obj
        else:
            raise WeightsError(f"{path} holds no generator state dict")
        config = config or _sidecar(path)
    model = build_model(config or {})
    _load_strict(model, state, path)
    model.eval()
    model.to(device)
    return model, info


def _load_strict(model: nn.Module, state: dict[str, torch.Tensor], path: Path) -> None:
    expected = model.state_dict()
    missing = sorted(set(expected) - set(state))
    unexpected = sorted(set(state) - set(expected))
    wrong = [
        f"{k}: file {tuple(state[k].shape)} vs net {tuple(v.shape)}"
        for k, v in expected.items()
        if k in state and tuple(state[k].shape) != tuple(v.shape)
    ]
    if missing or unexpected or wrong:
        parts = []
        if missing:
            parts.append(f"{len(missing)} missing (e.g. {missing[0]})")
        if unexpected:
            parts.append(f"{len(unexpected)} unexpected (e.g. {unexpected[0]})")
        if wrong:
            parts.append(f"{len(wrong)} with the wrong shape (e.g. {wrong[0]})")
        raise WeightsError(f"{path} does not match its architecture: " + "; ".join(parts))
    bad = [k for k, v in state.items() if v.is_floating_point() and not torch.isfinite(v).all()]
    if bad:
        raise WeightsError(f"{path} is damaged: {bad[0]} holds NaN/inf values")
    model.load_state_dict({k: v.to(expected[k].dtype) for k, v in state.items()}, strict=True)


def _check_exists(path: Path) -> None:
    if not path.is_file():
        raise WeightsError(f"weights file {path} not found; train one with `inpaint-studio train` or copy it there")
    if path.stat().st_size == 0:
        raise WeightsError(f"weights file {path} is empty; download or export it again")


def _sidecar(path: Path) -> dict[str, Any]:
    """Architecture from ``<name>.json`` next to the weights (for imported files)."""
    side = path.with_suffix(".json")
    if not side.is_file():
        raise WeightsError(f"{path} carries no architecture settings and {side.name} is missing")
    try:
        return json.loads(side.read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise WeightsError(f"{side} is unreadable: {exc}") from None


def _numpy_safe_globals() -> list[Any]:
    """The NumPy types an older checkpoint's RNG state needs, and nothing that can run code.

    Training state saved before the RNG array became a tensor holds one uint32 ndarray;
    rebuilding an array from its bytes and dtype executes nothing of the file's choosing.
    """
    import numpy as np

    try:
        from numpy._core.multiarray import _reconstruct
    except ImportError:  # NumPy 1.x
        from numpy.core.multiarray import _reconstruct  # type: ignore[no-redef]
    types: list[Any] = [_reconstruct, np.ndarray, np.dtype]
    dtypes = getattr(np, "dtypes", None)
    if dtypes is not None:
        types += [getattr(dtypes, n) for n in ("UInt32DType", "Int64DType", "Float64DType") if hasattr(dtypes, n)]
    return types


def np_rng_state_to_plain(state: tuple) -> tuple:
    """NumPy's RNG state with its array as a tensor, so ``weights_only`` loading works."""
    import numpy as np

    name, keys, pos, has_gauss, gauss = state
    return (name, torch.from_numpy(keys.astype(np.int64)), int(pos), int(has_gauss), float(gauss))


def np_rng_state_from_plain(state: tuple) -> tuple:
    """The inverse of :func:`np_rng_state_to_plain`; also takes an older ndarray state."""
    import numpy as np

    name, keys, pos, has_gauss, gauss = state
    keys = keys.numpy() if isinstance(keys, torch.Tensor) else np.asarray(keys)
    return (name, keys.astype(np.uint32), pos, has_gauss, gauss)


def load_checkpoint(path: str | Path) -> dict[str, Any]:
    """A training checkpoint (weights, optimiser moments, step, RNG states) without pickle's code.

    ``torch.load(weights_only=True)``: tensors, containers, numbers and strings, plus
    the NumPy array types of older RNG states; anything else a file asks to construct
    (a crafted ``__reduce__`` that runs a command) is refused before it runs.

    Raises:
        WeightsError: missing, unreadable, or holding objects outside that list.
    """
    path = Path(path)
    _check_exists(path)
    try:
        with torch.serialization.safe_globals(_numpy_safe_globals()):
            obj = torch.load(str(path), map_location="cpu", weights_only=True)
    except Exception as exc:  # noqa: BLE001 - UnpicklingError, RuntimeError, EOFError...
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise WeightsError(
            f"{path} was refused: it is not a plain training checkpoint (tensors, numbers and strings only; {first})"
        ) from None
    if not isinstance(obj, dict):
        raise WeightsError(f"{path} is not a training checkpoint (no table of states)")
    return obj


def export_checkpoint(ckpt: str | Path, out: str | Path, info: dict[str, Any] | None = None, half: bool = True) -> Path:
    """Training checkpoint (``RUN_DIR/last.pt``) -> shippable safetensors (+ its SHA-256 record).

    Read with :func:`load_checkpoint`: a checkpoint from elsewhere cannot run code.
    """
    ckpt = Path(ckpt)
    obj = load_checkpoint(ckpt)
    try:
        state, config = obj["g"], obj["model_config"]
    except KeyError as exc:
        raise WeightsError(f"{ckpt} is not a training checkpoint (no {exc})") from None
    model = build_model(config)
    _load_strict(model, state, ckpt)
    info = {"step": int(obj.get("step", 0)), **(info or {})}
    return save_weights(model, out, info, half=half)
