"""The per-shape kernel caches are bounded before any network runs (the soak's leak)."""

from __future__ import annotations

import os
import subprocess
import sys


def _env_after_import(extra: dict[str, str]) -> list[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("ONEDNN_PRIMITIVE_CACHE_CAPACITY", "LRU_CACHE_CAPACITY")}
    code = (
        "import os, inpaint_studio.engine.neural; "
        "print(os.environ.get('ONEDNN_PRIMITIVE_CACHE_CAPACITY'), os.environ.get('LRU_CACHE_CAPACITY'))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], env={**env, **extra}, capture_output=True, text=True, timeout=120, check=True
    )
    return out.stdout.split()


def test_engine_bounds_onednn_and_ideep_caches() -> None:
    from inpaint_studio.engine.torch_runtime import SHAPE_CACHE_ENTRIES

    assert _env_after_import({}) == [
        str(SHAPE_CACHE_ENTRIES["ONEDNN_PRIMITIVE_CACHE_CAPACITY"]),
        str(SHAPE_CACHE_ENTRIES["LRU_CACHE_CAPACITY"]),
    ]
    assert all(0 < v <= 256 for v in SHAPE_CACHE_ENTRIES.values())  # not torch's 1,024 each


def test_a_users_own_setting_is_kept() -> None:
    assert _env_after_import({"LRU_CACHE_CAPACITY": "7"})[1] == "7"


def test_heap_is_trimmed_only_when_the_process_grew(monkeypatch) -> None:  # noqa: ANN001
    import ctypes

    from inpaint_studio.engine import torch_runtime as rt

    sizes = iter([100, 105, 100, 300, 110, 300, 290])
    monkeypatch.setattr(rt, "_allocator_configured", True)
    monkeypatch.setattr(rt, "_heap_reference", None)
    monkeypatch.setattr(rt, "_rss_bytes", lambda: next(sizes) << 20)
    trims = []

    class Libc:
        def malloc_trim(self, pad: int) -> int:
            trims.append(pad)
            return 1

    monkeypatch.setattr(ctypes, "CDLL", lambda name: Libc())
    assert not rt.trim_heap_if_grown()  # first request: the reference (100 MB)
    assert not rt.trim_heap_if_grown()  # 105: within 10 % + 16 MB
    assert not rt.trim_heap_if_grown()
    assert rt.trim_heap_if_grown()  # 300: trimmed, back to 110
    assert rt._heap_reference == 110 << 20  # what was left is live
    assert rt.trim_heap_if_grown()  # 300 again, trimmed to 290: live memory grew
    assert rt._heap_reference == 290 << 20 and len(trims) == 2
