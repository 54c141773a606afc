"""The Ray worker: one long-lived engine that fills photo after photo.

It is a plain class so tests can run it without Ray; the driver
(:func:`~.ray_backend.run_batch_ray`) wraps it with ``ray.remote``.  It also answers
what the driver must check before giving it photos: which paths it cannot see and
which method it really fills with.
"""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..core.errors import InpaintStudioError
from .batch import BatchItem, ItemOutcome, ItemSkipped, process_item
from .engine import Engine, InpaintOptions
from .ray_cluster import RayBackendError

#: ``process(item, engine, options, *, overwrite, quality[, shared]) -> ItemOutcome``.
ProcessFn = Callable[..., ItemOutcome]


@dataclass
class WorkerStats:
    """One worker's life: where it ran, what its start cost, what it did."""

    index: int
    node: str = ""
    pid: int = 0
    #: Seconds the worker spent building and warming up its engine (worker's clock).
    load_seconds: float = 0.0
    #: Seconds from asking Ray for the worker to it being ready (process start,
    #: imports and the model load; driver's clock).
    ready_seconds: float = 0.0
    #: Peak resident memory once the models were loaded and warmed up.
    peak_rss_mb: float = 0.0
    photos: int = 0
    busy_seconds: float = 0.0
    died: bool = False


def _limit_threads(threads: int) -> None:
    """Give the worker's libraries the thread count Ray reserved for it, so workers
    sharing a node do not oversubscribe its cores."""
    n = str(max(1, int(threads)))
    os.environ["OMP_NUM_THREADS"] = n  # read by torch at import and by configure_threads
    os.environ["MKL_NUM_THREADS"] = n
    import cv2

    cv2.setNumThreads(int(n))
    import sys

    if "torch" in sys.modules:
        sys.modules["torch"].set_num_threads(int(n))


def missing_paths(readable: list[str], marker: str | None) -> list[str]:
    """The paths of ``readable`` (and the OUT ``marker``) that this process cannot see."""
    missing = [p for p in readable if not os.path.exists(p)]
    if marker is not None and not os.path.isfile(marker):
        missing.append(str(Path(marker).parent))
    return missing


def _peak_rss_mb() -> float:
    """This process's peak resident memory (what sizes workers per node); 0 where unknown."""
    try:
        import resource
        import sys

        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return peak / (1 << 20 if sys.platform == "darwin" else 1 << 10)
    except (ImportError, OSError):
        return 0.0


class PhotoWorker:
    """One Ray actor: an engine built once, then any number of photos.

    A plain class so it can be tested without Ray; :func:`run_batch_ray` wraps it
    with ``ray.remote``.
    """

    def __init__(
        self,
        options: InpaintOptions,
        *,
        overwrite: bool = False,
        quality: int | None = None,
        threads: int = 1,
        shared: Any = None,
        has_shared: bool = False,
        process: ProcessFn | None = None,
    ) -> None:
        t0 = time.perf_counter()
        _limit_threads(threads)
        self.options = options
        self.overwrite = overwrite
        self.quality = quality
        self.process = process or process_item
        self.extra: dict[str, Any] = {"shared": shared} if has_shared else {}
        self.node = socket.gethostname()
        self.engine = Engine()
        self.method, self.warnings = self._warm_up()
        self.load_seconds = time.perf_counter() - t0

    def _warm_up(self) -> tuple[str, list[str]]:
        """Load the models and make the first network call on a tiny photo, so the
        first real photo does not pay for it (and the cost is measured once).
        Returns the method that filled (a neural one falls back to Telea where its
        weights are missing) and the warnings."""
        import numpy as np

        img = np.full((64, 64, 3), 128, np.uint8)
        img[:, ::2] = 96
        hole = np.zeros((64, 64), bool)
        hole[24:40, 24:40] = True
        try:
            result = self.engine.inpaint(img, hole, None, self.options)
        except InpaintStudioError as exc:  # reported per photo too; the worker still works
            return self.engine.resolve_method(self.options.method), [str(exc)]
        return result.method, list(result.warnings)

    def hello(self, readable: list[str], marker: str | None) -> dict[str, Any]:
        """Who this worker is, what its start cost, and which paths it cannot see."""
        return {
            "node": self.node,
            "pid": os.getpid(),
            "load_seconds": self.load_seconds,
            "peak_rss_mb": _peak_rss_mb(),
            "method": self.method,
            "warnings": self.warnings,
            "missing": missing_paths(readable, marker),
        }

    def fill(self, item: BatchItem, attempt: int = 1) -> ItemOutcome:
        """Fill one photo; every error becomes a failed outcome, as in ``run_batch``."""
        t0 = time.perf_counter()
        for p in (item.source, item.mask):
            if p is not None and not os.path.exists(p):
                return ItemOutcome(
                    "failed",
                    f"{p}: not found on worker node {self.node}; the Ray backend passes photos by path, "
                    "so every node must see INPUT, MASKS and OUT at the same paths",
                    time.perf_counter() - t0,
                )
        if attempt > 1 and not self.overwrite and item.dest.exists():
            # Atomic writes: an output that exists is complete, written by the attempt
            # whose worker died before it could report.
            return ItemOutcome("ok", "written before its first worker died", time.perf_counter() - t0)
        try:
            return self.process(
                item, self.engine, self.options, overwrite=self.overwrite, quality=self.quality, **self.extra
            )
        except ItemSkipped as exc:  # a mask provider found nothing to do: reported as locally
            return ItemOutcome("skipped", str(exc), time.perf_counter() - t0)
        except InpaintStudioError as exc:
            return ItemOutcome("failed", str(exc), time.perf_counter() - t0)
        except Exception as exc:  # noqa: BLE001 - one bad file must not end the batch
            msg = f"{item.source}: unexpected error: {type(exc).__name__}: {exc}"
            return ItemOutcome("failed", msg, time.perf_counter() - t0)


def expected_method(options: InpaintOptions) -> str:
    """The method this machine fills with: ``auto``'s pick, or Telea where the chosen
    neural method's weights are missing here too (the local backend's fallback)."""
    from .registry import fill_info

    name = Engine().resolve_method(options.method)
    ok, _why = fill_info(name).available()
    return name if ok else "telea"


def check_worker_method(info: dict[str, Any], expected: str) -> None:
    """A worker must fill with the method this machine would: one whose node lacks the
    weights would quietly fall back to Telea and mix two kinds of fill in one batch.

    Raises:
        RayBackendError: the worker's method differs, with its own reason.
    """
    if info["method"] != expected:
        why = "; ".join(info.get("warnings") or []) or "its methods differ from this machine's"
        raise RayBackendError(
            f"worker on node {info['node']} fills with {info['method']}, not {expected} as this machine "
            f"does ({why}); install the same inpaint-studio and weights on every node"
        )
