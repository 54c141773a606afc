"""The method registry: declared capabilities, the public factory, loud plugin errors."""

from __future__ import annotations

import numpy as np
import pytest

from inpaint_studio.core.errors import UnknownMethodError
from inpaint_studio.engine import Engine, InpaintOptions, MethodInfo, build_fill, register_fill, registry
from tests.helpers import box_mask, photo


def test_capabilities_are_declared_on_the_method_info() -> None:
    guided, deepfill, telea = (registry.fill_info(n) for n in ("guided", "deepfill", "telea"))
    assert guided.seeds and guided.edges and not guided.batching
    assert deepfill.batching and deepfill.edges and not deepfill.seeds
    assert not (telea.batching or telea.seeds or telea.edges)


def test_an_undeclared_fill_batch_is_not_used() -> None:
    """What a method can do is what its MethodInfo says, not what the object happens to have."""
    used: list[str] = []

    class Undeclared:
        name = "test-undeclared"
        working_size = 512

        def fill(self, rgb: np.ndarray, hole: np.ndarray, edges: np.ndarray | None) -> np.ndarray:
            used.append("fill")
            return np.zeros_like(rgb)

        def fill_batch(self, crops: list) -> list[np.ndarray]:
            used.append("fill_batch")
            return [np.zeros_like(rgb) for rgb, _h, _e in crops]

    register_fill(MethodInfo("test-undeclared", "test", "classical", lambda d: Undeclared()))
    img = photo(64, 64)
    Engine().inpaint(img, box_mask(64, 64, 10, 20, 10, 20), options=InpaintOptions(method="test-undeclared"))
    assert used == ["fill"]


def test_build_fill_is_the_public_factory() -> None:
    a, b = build_fill("telea"), build_fill("telea", "cpu")
    assert a is not b and a.name == "telea"
    img = photo(32, 32).astype(np.float32) / 255.0
    hole = np.zeros((32, 32), bool)
    hole[8:16, 8:16] = True
    assert a.fill(img, hole, None).shape == img.shape
    with pytest.raises(UnknownMethodError):
        build_fill("no-such-fill")


def test_a_plugin_that_fails_to_import_is_an_error_not_a_shorter_list(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(registry, "_PLUGINS_LOADED", False)
    monkeypatch.setattr(registry, "PLUGIN_MODULES", (*registry.PLUGIN_MODULES, "inpaint_studio.engine.no_such_plugin"))
    with pytest.raises(ModuleNotFoundError, match="no_such_plugin"):
        registry.fill_methods()
    assert not registry._PLUGINS_LOADED  # the next call tries (and fails) again
