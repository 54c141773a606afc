"""Fill and edge methods by name, so the CLI, the GUI and eval pick models by string.

A method is registered with a *factory* (device -> instance) and built lazily: the
neural ones load weights on first use, and a broken weights file fails that method
only, never the import of the package.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal, Protocol

import numpy as np

from ..core.errors import UnknownMethodError

log = logging.getLogger(__name__)


class FillMethod(Protocol):
    """Fills the hole of one working-size crop.

    ``rgb`` is float32 ``(h, w, 3)`` in [0, 1]; ``hole`` bool ``(h, w)``; ``edges`` float32
    ``(h, w)`` in [0, 1] (guidance strokes/edges, used inside the hole) or ``None``.
    Returns float32 ``(h, w, 3)`` in [0, 1]; only hole pixels of it are used.
    """

    name: str
    working_size: int

    def fill(self, rgb: np.ndarray, hole: np.ndarray, edges: np.ndarray | None) -> np.ndarray: ...


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


_FILLS: dict[str, MethodInfo] = {}
_EDGES: dict[str, MethodInfo] = {}
_PLUGINS_LOADED = False
#: Modules that register methods when imported; a failing one is logged and skipped.
PLUGIN_MODULES = ("inpaint_studio.engine.classical", "inpaint_studio.engine.neural", "inpaint_studio.engine.guided")


def register_fill(info: MethodInfo) -> None:
    _FILLS[info.name] = info


def register_edges(info: MethodInfo) -> None:
    _EDGES[info.name] = info


def _load_plugins() -> None:
    global _PLUGINS_LOADED
    if _PLUGINS_LOADED:
        return
    _PLUGINS_LOADED = True
    for mod in PLUGIN_MODULES:
        try:
            importlib.import_module(mod)
        except ModuleNotFoundError as exc:
            if exc.name != mod:
                log.warning("fill methods in %s unavailable: %s", mod, exc)
        except Exception as exc:  # a broken plugin must not take the app down
            log.warning("fill methods in %s unavailable: %s", mod, exc)


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
