"""``batch --backend ray``: the planned batch, filled by long-lived workers on a Ray cluster.

Ray (an optional extra) already does what a cluster batch needs: it places processes
on nodes, notices when one dies and can start another.  This module only decides
which photo goes to which worker and what a death costs.

- **Workers are actors.**  Each one builds an :class:`Engine` and warms it up once
  (weights loaded, first network call made), then fills photo after photo with the
  same :func:`~.batch.process_item` the local backend calls, so an output is the
  same file, byte for byte, whichever backend wrote it.
- **Photos go by path.**  Workers read and write the files themselves, so photos
  never travel through the driver or the object store; the price is that every node
  must see INPUT, MASKS and OUT at the same paths (a shared file system).  Before a
  worker is given a photo it must see the input and mask folders and a marker file
  the driver wrote into OUT; a node that does not is a usage error naming the node.
- **Failures.**  A photo that fails (corrupt, unreadable, unwritable) is reported with
  the same reason the local backend gives and is never retried: it would fail again.
  A worker that dies (killed, out of memory, node lost) is replaced, at most
  ``RayConfig.replacements`` times.  The photo it was filling is tried again on
  another worker at most ``RayConfig.retries`` times, then reported as failed; the
  photos queued behind it go back to the queue at no cost (a worker runs its queue
  in order, so the first photo neither reported nor written is the one it died on).
- **Resume** comes from the plan: outputs that exist are skipped, as locally.  Writes
  are atomic, so a worker killed mid-write leaves no partial output.
- **Per-run shared state** (``shared``): something computed once on the driver for
  the whole batch, e.g. the watermark mode's estimated mark, is put into Ray's object
  store once; each worker receives it when it starts and passes it to ``process``
  as ``shared=`` for every photo.  See ``docs/SCALE.md``.

A local cluster started for the run is kept off the network: it binds to loopback
only, usage statistics are off, there is no dashboard, and the cloud-metadata probe
Ray's API server makes even with statistics off (``169.254.169.254``) is sent to a
closed loopback port instead (see :func:`_local_cluster_env`).
"""

from __future__ import annotations

import contextlib
import importlib.util
import logging
import os
import socket
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from ..core.errors import InpaintStudioError
from .batch import BatchItem, BatchSummary, ItemOutcome, ItemSkipped, process_item
from .cancel import CancelToken, ProgressCallback, no_progress
from .engine import Engine, InpaintOptions

log = logging.getLogger(__name__)

#: What to tell a user who asked for ``--backend ray`` without Ray installed.
INSTALL_HINT = 'pip install "inpaint-studio[ray]"'

#: Name of the marker the driver writes into OUT so a worker can prove it sees the
#: same storage (a folder of the same name on a node's local disk would not have it).
MARKER_PREFIX = ".inpaint-studio-ray-"

#: ``process(item, engine, options, *, overwrite, quality[, shared]) -> ItemOutcome``.
ProcessFn = Callable[..., ItemOutcome]


class RayBackendError(InpaintStudioError):
    """The Ray backend cannot run this batch at all (no Ray, no cluster, storage not
    shared); photos already finished stay finished."""


def ray_available() -> bool:
    """True when the ``ray`` package can be imported (without importing it: ~1 s)."""
    return importlib.util.find_spec("ray") is not None


@dataclass
class RayConfig:
    """How the batch uses the cluster; every field has a default that works on one machine.

    Attributes:
        address: an existing cluster (``host:port``, ``ray://host:10001`` or ``auto``);
            ``None`` starts a local cluster for the run and stops it afterwards.
        workers: how many workers; default one per ``cpus_per_worker`` of the cluster
            (one per GPU when the fill runs on GPUs), never more than photos to do.
        cpus_per_worker: CPUs Ray reserves for each worker, and its thread count;
            default 1, or on a local cluster with ``workers`` given, the machine's
            cores shared out among them.  Many one-thread workers beat one
            many-thread fill (no thread waits for another inside a layer;
            docs/BENCHMARKS.md).  The neural fill's float sums depend on the thread
            count, so its outputs are byte-identical to a local run with as many
            threads (``OMP_NUM_THREADS``); classical fills do not depend on it.
        gpus_per_worker: GPUs per worker (fractions share one); default 1 with
            ``--device cuda``, and with ``auto`` when the cluster has GPUs (shared
            out evenly if there are more workers than GPUs).
        retries: how many more times a photo whose worker died is tried.
        replacements: how many dead workers are replaced; default as many as workers.
        queue_per_worker: photos sent ahead to each worker, so it starts the next one
            without waiting for the driver.
        start_timeout: seconds to wait for the first worker to be ready (a cluster
            may be scaling up) before giving up.
    """

    address: str | None = None
    workers: int | None = None
    cpus_per_worker: float | None = None
    gpus_per_worker: float | None = None
    retries: int = 1
    replacements: int | None = None
    queue_per_worker: int = 2
    start_timeout: float = 600.0


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


@dataclass
class RayBatchSummary(BatchSummary):
    """:class:`BatchSummary` plus what only a cluster run has: workers and retries."""

    workers: list[WorkerStats] = field(default_factory=list)
    #: Photos tried again because their worker died, with what happened to it.
    retried: list[tuple[BatchItem, str]] = field(default_factory=list)
    #: Seconds to start or join the cluster (included in ``seconds``).
    cluster_seconds: float = 0.0


# -- the worker -------------------------------------------------------------------------


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


# -- the cluster ------------------------------------------------------------------------


def _import_ray() -> Any:
    if not ray_available():
        raise RayBackendError(f"the Ray backend needs Ray, which is not installed: {INSTALL_HINT}")
    import ray

    return ray


@contextlib.contextmanager
def _local_cluster_env() -> Iterator[None]:
    """Environment for starting a local cluster that never reaches the network.

    - ``RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER=0``: Ray's single-machine mode, every
      process on loopback (otherwise they bind the machine's outward address, found
      by routing a socket towards 8.8.8.8).  Read when ``ray`` is imported, so it is
      also set on the already-imported constants.
    - usage statistics off.
    - ``http(s)_proxy`` to a closed loopback port for every address but loopback:
      Ray's API server asks the cloud metadata address (169.254.169.254) which cloud
      it runs on even with statistics off, and its ``requests`` honour the proxy;
      Ray's own traffic is all on loopback, which ``no_proxy`` exempts.  The
      cluster's processes (and the workers they start) keep this environment; this
      process gets its own back.  Measured with ``strace -f -e trace=connect``: no
      connection leaves loopback (``docs/SCALE.md``).
    """
    keep = {k: os.environ.get(k) for k in ("http_proxy", "https_proxy", "no_proxy", "HTTP_PROXY", "HTTPS_PROXY",
                                           "NO_PROXY", "RAY_USAGE_STATS_ENABLED", "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER")}
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")
    closed = "http://127.0.0.1:9"
    for k in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY"):
        os.environ[k] = closed
    for k in ("no_proxy", "NO_PROXY"):
        os.environ[k] = "127.0.0.1,localhost,::1"
    rc: Any = None
    try:
        import ray._private.ray_constants as rc
    except ImportError:  # pragma: no cover - a Ray without this module keeps its default
        pass
    was = getattr(rc, "ENABLE_RAY_CLUSTER", None)
    if was is not None and os.environ["RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"] == "0":
        rc.ENABLE_RAY_CLUSTER = False
    try:
        yield
    finally:
        # The cluster's processes keep what they started with; this process gets its
        # own settings back (it may join another cluster later).
        if was is not None:
            rc.ENABLE_RAY_CLUSTER = was
        for k, v in keep.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def start_local_cluster(num_cpus: int | None = None, num_gpus: int | None = None) -> None:
    """Start a Ray cluster on this machine for this process (kept off the network)."""
    with _local_cluster_env():
        ray = _import_ray()
        # Ray turns on token authentication for a new local cluster (a token in
        # ~/.ray) and warns that it did: the right default, the warning only noise.
        auth_log = logging.getLogger("ray._private.authentication.authentication_token_setup")
        level = auth_log.level
        auth_log.setLevel(logging.ERROR)
        try:
            ray.init(
                num_cpus=num_cpus or os.cpu_count() or 1,
                num_gpus=num_gpus,
                include_dashboard=False,
                # Photos go by path: the store holds only per-run shared state.
                object_store_memory=256 << 20,
                logging_level=logging.WARNING,
                log_to_driver=False,
                namespace="inpaint-studio",
            )
        finally:
            auth_log.setLevel(level)


def _check_reachable(address: str, timeout: float = 10.0) -> None:
    """Fail in seconds, not minutes, when nothing listens at ``host:port`` (Ray itself
    retries a dead address for a long time)."""
    if address == "auto" or "://" in address or ":" not in address:
        return
    host, _, port = address.rpartition(":")
    try:
        with socket.create_connection((host.strip("[]"), int(port)), timeout=timeout):
            pass
    except (OSError, ValueError) as exc:
        raise RayBackendError(f"no Ray cluster reachable at {address} ({exc}); start one with `ray start --head`") from exc


def _connect(config: RayConfig) -> tuple[Any, bool]:
    """Join or start a cluster: (the ``ray`` module, whether this call did, so this run
    shuts it down).  Ray is imported only here: a local cluster's settings must be in
    the environment before the import."""
    import sys

    if not ray_available():
        raise RayBackendError(f"the Ray backend needs Ray, which is not installed: {INSTALL_HINT}")
    ray = sys.modules.get("ray")
    if ray is not None and ray.is_initialized():
        return ray, False
    if config.address:
        _check_reachable(config.address)
        import ray

        try:
            ray.init(address=config.address, logging_level=logging.WARNING, log_to_driver=False,
                     namespace="inpaint-studio")
        except Exception as exc:  # noqa: BLE001 - Ray raises many kinds here; all mean "no cluster"
            raise RayBackendError(f"could not join the Ray cluster at {config.address}: {exc}") from exc
        return ray, True
    want = (config.workers or os.cpu_count() or 1) * max(1.0, config.cpus_per_worker or 1.0)
    start_local_cluster(num_cpus=max(os.cpu_count() or 1, int(want)))
    import ray

    return ray, True


def _shape(ray: Any, config: RayConfig, options: InpaintOptions, todo: int, local: bool) -> tuple[int, float, float]:
    """(workers, cpus, gpus per worker) for this cluster and device choice."""
    res = ray.cluster_resources()
    cpus_total, gpus_total = float(res.get("CPU", 0)), float(res.get("GPU", 0))
    if config.cpus_per_worker is not None:
        cpus = max(0.0, float(config.cpus_per_worker))
    elif local and config.workers:
        cpus = float(max(1, int(cpus_total) // config.workers))
    else:
        cpus = 1.0
    gpus = config.gpus_per_worker
    if gpus is None:
        if options.device == "cpu" or gpus_total == 0:
            gpus = 0.0
        elif config.workers:
            gpus = min(1.0, gpus_total / config.workers)
        else:
            gpus = 1.0
    if options.device == "cuda" and gpus_total == 0:
        raise RayBackendError("--device cuda, but the Ray cluster has no GPU")
    if config.workers:
        workers = config.workers
    elif gpus > 0:
        workers = max(1, int(gpus_total / gpus))
    else:
        workers = max(1, int(cpus_total / cpus) if cpus > 0 else 1)
    return max(1, min(workers, todo)), cpus, gpus


def _expected_method(options: InpaintOptions) -> str:
    """The method this machine fills with: ``auto``'s pick, or Telea where the chosen
    neural method's weights are missing here too (the local backend's fallback)."""
    from .registry import fill_info

    name = Engine().resolve_method(options.method)
    ok, _why = fill_info(name).available()
    return name if ok else "telea"


def _abs(p: Path | None) -> Path | None:
    return None if p is None else Path(os.path.abspath(p))


def _roots(items: list[BatchItem]) -> list[str]:
    """The input and mask folders every worker must see (their common ancestors)."""
    out = []
    for paths in ([str(i.source) for i in items], [str(i.mask) for i in items if i.mask is not None]):
        if paths:
            out.append(os.path.commonpath(paths))
    return out


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
            f"does ({why}); install the same inpaint-studio and weights on every node")


def _is_death(ray: Any, exc: BaseException) -> bool:
    ex = ray.exceptions
    kinds = tuple(
        getattr(ex, n)
        for n in ("RayActorError", "WorkerCrashedError", "NodeDiedError", "OutOfMemoryError", "ObjectLostError")
        if hasattr(ex, n)
    )
    return isinstance(exc, kinds)


def _user_paths(msg: str, absolute: BatchItem, item: BatchItem) -> str:
    """Workers get absolute paths (their working folder is not the driver's); report
    paths as the user gave them, so messages read the same as locally."""
    for a, u in ((absolute.source, item.source), (absolute.mask, item.mask), (absolute.dest, item.dest)):
        if a is not None and u is not None and str(a) != str(u):
            msg = msg.replace(str(a), str(u))
    return msg


@dataclass
class _Slot:
    """A worker as the driver sees it: its actor and the photos sent to it, in order."""

    actor: Any
    stats: WorkerStats
    ready_ref: Any
    started: float
    ready: bool = False
    alive: bool = True
    inflight: deque = field(default_factory=deque)  # (plan index, attempt, ref)


def run_batch_ray(
    items: list[BatchItem],
    options: InpaintOptions,
    *,
    overwrite: bool = False,
    quality: int | None = None,
    on_item: Callable[[int, BatchItem, ItemOutcome], None] | None = None,
    on_notice: Callable[[str], None] | None = None,
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
    config: RayConfig | None = None,
    shared: Any = None,
    process: ProcessFn | None = None,
) -> RayBatchSummary:
    """Process every planned item on Ray workers; per-photo errors are collected.

    The same contract as :func:`~.batch.run_batch` (``on_item`` is called once per
    item, with its index in ``items``, in the order results arrive; the summary lists
    items in plan order), plus ``on_notice`` for cluster events (workers ready or
    dead, photos retried).  ``shared`` (anything picklable) is shipped once to every
    worker and passed to ``process`` as ``shared=``; ``process`` defaults to
    :func:`~.batch.process_item` and must be importable on the workers.

    Raises:
        RayBackendError: Ray missing, no cluster, no worker could start, or a worker
            cannot see the batch's storage.
        KeyboardInterrupt: after stopping the workers (and the local cluster).
    """
    config = config or RayConfig()
    progress = progress or no_progress
    cancel = cancel or CancelToken()
    notice = on_notice or (lambda m: log.info("%s", m))
    summary = RayBatchSummary()
    t0 = time.perf_counter()
    n = len(items)
    finished = 0

    def record(i: int, outcome: ItemOutcome) -> None:
        nonlocal finished
        item = items[i]
        if outcome.status == "ok":
            summary.ok.append(item)
            for w in outcome.warnings:
                summary.warnings[w] = summary.warnings.get(w, 0) + 1
        elif outcome.status == "failed":
            summary.failed.append((item, outcome.message))
        else:
            summary.skipped.append((item, outcome.message))
        finished += 1
        if on_item:
            on_item(i, item, outcome)
        progress(finished / max(1, n), str(item.source))

    for i, item in enumerate(items):
        if item.skip_reason:
            record(i, ItemOutcome("skipped", item.skip_reason))
    todo = [i for i, item in enumerate(items) if not item.skip_reason]
    if not todo:
        progress(1.0, "done")
        summary.seconds = time.perf_counter() - t0
        return summary

    absolute = {i: replace(items[i], source=_abs(items[i].source), mask=_abs(items[i].mask), dest=_abs(items[i].dest))
                for i in todo}
    ray, started_here = _connect(config)
    slots: list[_Slot] = []
    marker: Path | None = None
    try:
        workers, cpus, gpus = _shape(ray, config, options, len(todo), local=started_here and not config.address)
        summary.cluster_seconds = time.perf_counter() - t0
        res = ray.cluster_resources()
        notice(
            f"ray: {'started a local cluster' if started_here and not config.address else 'cluster'} "
            f"with {res.get('CPU', 0):g} CPUs, {res.get('GPU', 0):g} GPUs in {summary.cluster_seconds:.1f}s; "
            f"{workers} workers ({cpus:g} CPU{f', {gpus:g} GPU' if gpus else ''} each)"
        )
        out_root = Path(os.path.commonpath([str(absolute[i].dest.parent) for i in todo]))
        out_root.mkdir(parents=True, exist_ok=True)
        marker = out_root / f"{MARKER_PREFIX}{uuid.uuid4().hex}"
        marker.write_bytes(b"")
        readable = _roots([absolute[i] for i in todo])
        expected = _expected_method(options)
        Worker = ray.remote(PhotoWorker)
        shared_ref = ray.put(shared) if shared is not None else None
        kwargs = dict(overwrite=overwrite, quality=quality, threads=max(1, int(cpus)), shared=shared_ref,
                      has_shared=shared is not None, process=process)

        def start_worker() -> None:
            stats = WorkerStats(index=len(slots) + 1)
            actor = Worker.options(num_cpus=cpus, num_gpus=gpus, max_restarts=0, max_task_retries=0).remote(
                options, **kwargs)
            slots.append(_Slot(actor, stats, actor.hello.remote(readable, str(marker)), time.perf_counter()))
            summary.workers.append(stats)

        for _ in range(workers):
            start_worker()
        replacements = workers if config.replacements is None else config.replacements
        queue: deque[tuple[int, int]] = deque((i, 1) for i in todo)
        deaths: dict[int, int] = {}
        by_ref: dict[Any, _Slot] = {}
        waiting_since = time.perf_counter()

        def worker_died(slot: _Slot, why: str) -> None:
            nonlocal replacements
            slot.alive, slot.stats.died = False, True
            # Results already back are kept; the first photo that is neither back nor
            # written is the one the worker died on, and the ones behind it never started.
            refs = [r for _, _, r in slot.inflight]
            if refs:
                ray.wait(refs, num_returns=len(refs), timeout=5.0)
            culprit_seen = False
            requeue: list[tuple[int, int]] = []
            for i, attempt, ref in slot.inflight:
                by_ref.pop(ref, None)
                if not culprit_seen:
                    try:
                        outcome = ray.get(ref, timeout=0)
                    except Exception:  # noqa: BLE001 - any failure to fetch: the worker lost it
                        outcome = None
                    if outcome is None and not overwrite and absolute[i].dest.exists():
                        # Written (atomically, so completely), but the worker died
                        # before its reply left: the death came after this photo.
                        outcome = ItemOutcome("ok", "written just before its worker died")
                    if outcome is not None:
                        got(slot, i, outcome)
                        continue
                    culprit_seen = True
                    deaths[i] = deaths.get(i, 0) + 1
                    name = items[i].source
                    if deaths[i] <= config.retries:
                        summary.retried.append((items[i], f"worker died ({why}); tried again"))
                        notice(f"worker {slot.stats.index} died while filling {name} ({why}): trying it again "
                               f"on another worker ({deaths[i]} of {config.retries})")
                        requeue.append((i, attempt + 1))
                    else:
                        msg = (f"{name}: its worker died while filling it, {deaths[i]} times ({why}); "
                               "not tried again")
                        summary.retried.append((items[i], "worker died again; reported as failed"))
                        notice(f"worker {slot.stats.index} died while filling {name} ({why}): giving up on it")
                        record(i, ItemOutcome("failed", msg))
                else:
                    requeue.append((i, attempt))
            slot.inflight.clear()
            queue.extendleft(reversed(requeue))
            with contextlib.suppress(Exception):
                ray.kill(slot.actor, no_restart=True)
            if replacements > 0 and (queue or any(s.inflight for s in slots)):
                replacements -= 1
                start_worker()
                notice(f"started worker {slots[-1].stats.index} to replace worker {slot.stats.index}")

        def got(slot: _Slot, i: int, outcome: ItemOutcome) -> None:
            slot.stats.photos += outcome.status == "ok"
            slot.stats.busy_seconds += outcome.seconds
            if outcome.message:
                outcome.message = _user_paths(outcome.message, absolute[i], items[i])
            record(i, outcome)

        def worker_ready(s: _Slot) -> None:
            nonlocal replacements
            try:
                info = ray.get(s.ready_ref)
            except Exception as exc:  # noqa: BLE001 - whatever stopped it, it is not there
                s.alive, s.stats.died = False, True
                if not any(x.ready for x in slots):
                    # Nothing has started yet: most likely every start fails the same way.
                    if not any(x.alive for x in slots):
                        raise RayBackendError(f"no Ray worker could start: {exc}") from exc
                    return
                notice(f"worker {s.stats.index} could not start ({type(exc).__name__})")
                if replacements > 0:
                    replacements -= 1
                    start_worker()
                return
            s.ready = True
            s.stats.node, s.stats.pid = info["node"], info["pid"]
            s.stats.load_seconds = info["load_seconds"]
            s.stats.peak_rss_mb = info["peak_rss_mb"]
            s.stats.ready_seconds = time.perf_counter() - s.started
            check_worker_method(info, expected)
            if info["missing"]:
                raise RayBackendError(
                    f"worker on node {info['node']} cannot see {', '.join(info['missing'])}: the Ray backend "
                    "passes photos by path, so INPUT, MASKS and OUT must be on storage every node mounts "
                    "at the same path (e.g. NFS), and the command must run where it is mounted too")
            notice(f"worker {s.stats.index} ready on {s.stats.node} (pid {s.stats.pid}): models loaded "
                   f"and warmed up in {s.stats.load_seconds:.1f}s, {s.stats.ready_seconds:.1f}s after start")

        def photo_back(ref: Any) -> None:
            s = by_ref.pop(ref, None)
            if s is None:  # its worker died and worker_died settled it already
                return
            try:
                outcome = ray.get(ref)
            except Exception as exc:  # noqa: BLE001
                if _is_death(ray, exc):
                    by_ref[ref] = s  # worker_died settles every photo sent to it
                    worker_died(s, type(exc).__name__)
                    return
                i = next(e[0] for e in s.inflight if e[2] == ref)
                outcome = ItemOutcome("failed", f"{items[i].source}: unexpected error: {exc}")
            # Replies may arrive out of order; the worker ran its photos in order.
            entry = next(e for e in s.inflight if e[2] == ref)
            s.inflight.remove(entry)
            got(s, entry[0], outcome)

        while queue or by_ref:
            if cancel.cancelled:
                summary.cancelled = True
                break
            live = [s for s in slots if s.alive]
            if not live:
                for i, _attempt in queue:
                    record(i, ItemOutcome("failed", f"{items[i].source}: not processed: every Ray worker died"))
                queue.clear()
                break
            for s in live:
                while s.ready and queue and len(s.inflight) < max(1, config.queue_per_worker):
                    i, attempt = queue.popleft()
                    ref = s.actor.fill.remote(absolute[i], attempt)
                    s.inflight.append((i, attempt, ref))
                    by_ref[ref] = s
            starting = {s.ready_ref: s for s in live if not s.ready}
            ready, rest = ray.wait([*by_ref, *starting], num_returns=1, timeout=0.25)
            if not ready:
                if not any(s.ready for s in slots) and time.perf_counter() - waiting_since > config.start_timeout:
                    raise RayBackendError(
                        f"no worker started within {config.start_timeout:.0f}s; does the cluster have "
                        f"{cpus:g} CPU{f' and {gpus:g} GPU' if gpus else ''} free for one?")
                continue
            if rest:  # everything else already back: one pass over the waiting list per batch
                ready += ray.wait(rest, num_returns=len(rest), timeout=0)[0]
            for ref in ready:
                if ref in starting:
                    if starting[ref].alive:
                        worker_ready(starting[ref])
                else:
                    photo_back(ref)
    except KeyboardInterrupt:
        summary.cancelled = True
        raise
    finally:
        for s in slots:
            with contextlib.suppress(Exception):
                ray.kill(s.actor, no_restart=True)
        if marker is not None:
            with contextlib.suppress(OSError):
                marker.unlink()
        if started_here:
            with contextlib.suppress(Exception):
                ray.shutdown()
    order = {id(item): k for k, item in enumerate(items)}
    summary.ok.sort(key=lambda it: order[id(it)])
    summary.failed.sort(key=lambda p: order[id(p[0])])
    summary.skipped.sort(key=lambda p: order[id(p[0])])
    progress(1.0, "done")
    summary.seconds = time.perf_counter() - t0
    return summary
