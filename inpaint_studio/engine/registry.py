"""Fill and edge methods by name, so the CLI, the GUI and eval pick models by string.

A method is registered with a *factory* (device -> instance) and built lazily: the
neural ones load weights on first use, and a broken weights file fails that method
only (``WeightsError`` from the factory), never the import of the package.  What a
method can do beyond :class:`FillMethod` is declared on its :class:`MethodInfo`
(``batching``, ``seeds``, ``edges``), so callers read it there instead of probing the
built object.  :func:`build_fill` and :func:`build_edges` are the one way to build a
method outside the :class:`~inpaint_studio.engine.Engine` (eval, benchmarks).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal, Protocol

import numpy as np

from ..core.errors import UnknownMethodError


class FillMethod(Protocol):
    """Fills the hole of one working-size crop.

    ``rgb`` is float32 ``(h, w, 3)`` in [0, 1]; ``hole`` bool ``(h, w)``; ``edges`` float32
    ``(h, w)`` in [0, 1] (guidance strokes/edges, used inside the hole) or ``None``.
    Returns float32 ``(h, w, 3)`` in [0, 1]; only hole pixels of it are used.
    """

    name: str
    working_size: int

    def fill(self, rgb: np.ndarray, hole: np.ndarray, edges: np.ndarray | None) -> np.ndarray: ...


class BatchFillMethod(FillMethod, Protocol):
    """A fill declared with ``batching=True``: several crops in one call (one network pass)."""

    def fill_batch(self, crops: list[tuple[np.ndarray, np.ndarray, np.ndarray | None]]) -> list[np.ndarray]: ...


class SeededFillMethod(Protocol):
    """A fill declared with ``seeds=True``: its random choices follow ``seed``, it stops
    early when ``should_stop()`` says so, and reports ``progress(fraction)``."""

    name: str
    working_size: int

    def fill(
        self,
        rgb: np.ndarray,
        hole: np.ndarray,
        edges: np.ndarray | None,
        *,
        seed: int,
        should_stop: Callable[[], bool],
        progress: Callable[[float], None],
    ) -> np.ndarray: ...


class EdgeMethod(Protocol):
    """Predicts the edge map inside the hole of one working-size crop.

    Same inputs as :class:`FillMethod`; returns float32 ``(h, w)`` in [0, 1].
    """

    name: str
    working_size: int

    def edges(self, rgb: np.ndarray, hole: np.ndarray) -> np.ndarray: ...


@dataclass(frozen=True)
class MethodInfo:
    name: str
    description: str
    kind: Literal["classical", "neural"]
    factory: Callable[[str], object]
    #: Preference when the user says "auto": highest available wins.
    priority: int = 0
    #: ``available()`` -> (ok, reason); neural methods check that their weights exist.
    available: Callable[[], tuple[bool, str]] = lambda: (True, "")
    #: ``preferred()`` -> whether ``auto`` may pick it; neural models say yes only once
    #: their weights were measured better than the classical baseline.
    preferred: Callable[[], bool] = lambda: True
    #: ``degraded()`` -> why the method works but not at its best (a part's weights
    #: missing or damaged), or ``None``; front ends announce it as they do a fallback.
    degraded: Callable[[], str | None] = lambda: None
    #: The built method has ``fill_batch`` (:class:`BatchFillMethod`).
    batching: bool = False
    #: Its ``fill`` takes ``seed``, ``should_stop`` and ``progress`` (:class:`SeededFillMethod`).
    seeds: bool = False
    #: It follows an edge map inside the hole, so the engine may predict one for it
    #: (``InpaintOptions.auto_edges``); other fills are given none.
    edges: bool = False
    #: It fills in two steps, ``make_layout`` (quick) then ``refine``, so the engine can
    #: show the layout as a preview between them (``Engine.inpaint(on_preview=)``).
    guide_first: bool = False


_FILLS: dict[str, MethodInfo] = {}
_EDGES: dict[str, MethodInfo] = {}
_PLUGINS_LOADED = False
#: Modules that register methods when imported.  They are part of the package, so one
#: that fails to import is a broken install or a bug, and the error is raised, not
#: hidden behind a shorter method list.
PLUGIN_MODULES = ("inpaint_studio.engine.classical", "inpaint_studio.engine.neural", "inpaint_studio.engine.guided")


def register_fill(info: MethodInfo) -> None:
    _FILLS[info.name] = info


def register_edges(info: MethodInfo) -> None:
    _EDGES[info.name] = info


def _load_plugins() -> None:
    global _PLUGINS_LOADED
    if _PLUGINS_LOADED:
        return
    for mod in PLUGIN_MODULES:
        importlib.import_module(mod)
    _PLUGINS_LOADED = True


def fill_methods() -> list[MethodInfo]:
    _load_plugins()
    return sorted(_FILLS.values(), key=lambda m: (-m.priority, m.name))


def edge_methods() -> list[MethodInfo]:
    _load_plugins()
    return sorted(_EDGES.values(), key=lambda m: (-m.priority, m.name))


def _get(table: dict[str, MethodInfo], name: str, what: str) -> MethodInfo:
    _load_plugins()
    try:
        return table[name]
    except KeyError:
        names = ", ".join(sorted(table)) or "none"
        raise UnknownMethodError(f"unknown {what} {name!r}; available: {names}") from None


def fill_info(name: str) -> MethodInfo:
    return _get(_FILLS, name, "fill method")


def edge_info(name: str) -> MethodInfo:
    return _get(_EDGES, name, "edge method")


def build_fill(name: str, device: str = "cpu") -> FillMethod:
    """A new instance of the registered fill ``name`` on ``device`` (no caching).

    Raises:
        UnknownMethodError: no fill of that name.
        WeightsError: its weights are missing or damaged.
    """
    return fill_info(name).factory(device)  # type: ignore[return-value]


def build_edges(name: str, device: str = "cpu") -> EdgeMethod:
    """A new instance of the registered edge method ``name`` on ``device`` (no caching)."""
    return edge_info(name).factory(device)  # type: ignore[return-value]


def default_fill_name() -> str:
    """The best registered fill whose weights are present (what ``auto`` means)."""
    for info in fill_methods():
        ok, _ = info.available()
        if ok and info.preferred():
            return info.name
    return "telea"


def auto_fallback() -> str | None:
    """Why ``auto`` does not get the best registered fill, ``None`` when it does.

    ``auto`` picks the best fill whose weights are usable; a missing or damaged weights
    file makes it quietly pick a weaker one, which the front ends must announce.
    """
    unusable = []
    for info in fill_methods():
        ok, why = info.available()
        if ok and info.preferred():
            worse = info.degraded()
            if worse:
                unusable.append(worse)
            break
        if not ok:
            unusable.append(f"{info.name} is unavailable ({why})")
    if not unusable:
        return None
    name = default_fill_name()
    if unusable and fill_info(name).degraded() == unusable[-1]:
        return "; ".join(unusable)
    return "; ".join(unusable) + f": auto fills with {name} instead"


def default_edge_name() -> str:
    for info in edge_methods():
        ok, _ = info.available()
        if ok and info.preferred():
            return info.name
    return "canny"
