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
  are atomic, so a worker killed mid-write leaves no partial output, and the driver
  removes the temporary file such a worker leaves when the run ends.
- **Per-run shared state** (``shared``): something computed once on the driver for
  the whole batch, e.g. the watermark mode's estimated mark, is put into Ray's object
  store once; each worker receives it when it starts and passes it to ``process``
  as ``shared=`` for every photo.  See ``docs/SCALE.md``.

A local cluster started for the run is kept off the network: it binds to loopback
only, usage statistics are off, there is no dashboard, and the cloud-metadata probe
Ray's API server makes even with statistics off (``169.254.169.254``) is sent to a
closed loopback port instead (see :func:`.ray_cluster._local_cluster_env`).
"""

from __future__ import annotations

import contextlib
import logging
import os
import time
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, overload

from ..core.atomic import remove_orphan_temps
from .batch import BatchItem, BatchSummary, ItemOutcome
from .cancel import CancelToken, ProgressCallback, no_progress
from .engine import InpaintOptions
from .ray_cluster import RayBackendError, RayConfig, connect, plan_workers
from .ray_worker import PhotoWorker, ProcessFn, WorkerStats, check_worker_method, expected_method

log = logging.getLogger(__name__)

#: Name of the marker the driver writes into OUT so a worker can prove it sees the
#: same storage (a folder of the same name on a node's local disk would not have it).
MARKER_PREFIX = ".inpaint-studio-ray-"


@dataclass
class RayBatchSummary(BatchSummary):
    """:class:`BatchSummary` plus what only a cluster run has: workers and retries."""

    workers: list[WorkerStats] = field(default_factory=list)
    #: Photos tried again because their worker died, with what happened to it.
    retried: list[tuple[BatchItem, str]] = field(default_factory=list)
    #: Seconds to start or join the cluster (included in ``seconds``).
    cluster_seconds: float = 0.0


@overload
def _abs(p: Path) -> Path: ...
@overload
def _abs(p: None) -> None: ...
def _abs(p: Path | None) -> Path | None:
    return None if p is None else Path(os.path.abspath(p))


def _roots(items: list[BatchItem]) -> list[str]:
    """The input and mask folders every worker must see (their common ancestors)."""
    out = []
    for paths in ([str(i.source) for i in items], [str(i.mask) for i in items if i.mask is not None]):
        if paths:
            out.append(os.path.commonpath(paths))
    return out


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

    absolute = {
        i: replace(items[i], source=_abs(items[i].source), mask=_abs(items[i].mask), dest=_abs(items[i].dest))
        for i in todo
    }
    ray, started_here = connect(config)
    slots: list[_Slot] = []
    marker: Path | None = None
    try:
        workers, cpus, gpus = plan_workers(ray, config, options, len(todo), local=started_here and not config.address)
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
        expected = expected_method(options)
        Worker = ray.remote(PhotoWorker)
        shared_ref = ray.put(shared) if shared is not None else None
        kwargs = dict(
            overwrite=overwrite,
            quality=quality,
            threads=max(1, int(cpus)),
            shared=shared_ref,
            has_shared=shared is not None,
            process=process,
        )

        def start_worker() -> None:
            stats = WorkerStats(index=len(slots) + 1)
            actor = Worker.options(num_cpus=cpus, num_gpus=gpus, max_restarts=0, max_task_retries=0).remote(
                options, **kwargs
            )
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
                        notice(
                            f"worker {slot.stats.index} died while filling {name} ({why}): trying it again "
                            f"on another worker ({deaths[i]} of {config.retries})"
                        )
                        requeue.append((i, attempt + 1))
                    else:
                        msg = f"{name}: its worker died while filling it, {deaths[i]} times ({why}); not tried again"
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
                    "at the same path (e.g. NFS), and the command must run where it is mounted too"
                )
            notice(
                f"worker {s.stats.index} ready on {s.stats.node} (pid {s.stats.pid}): models loaded "
                f"and warmed up in {s.stats.load_seconds:.1f}s, {s.stats.ready_seconds:.1f}s after start"
            )

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
                        f"{cpus:g} CPU{f' and {gpus:g} GPU' if gpus else ''} free for one?"
                    )
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
        # A worker killed mid-write (by Ctrl+C here or by its node) cannot remove its own
        # temporary file.
        remove_orphan_temps([absolute[i].dest for i in todo])
    order = {id(item): k for k, item in enumerate(items)}
    summary.ok.sort(key=lambda it: order[id(it)])
    summary.failed.sort(key=lambda p: order[id(p[0])])
    summary.skipped.sort(key=lambda p: order[id(p[0])])
    progress(1.0, "done")
    summary.seconds = time.perf_counter() - t0
    return summary
