"""Starting or joining the Ray cluster a batch runs on, and sizing its workers.

Ray is imported here only, and late: a local cluster's settings must be in the
environment before the import, and ``batch`` without ``--backend ray`` never pays
for it.  A local cluster is kept off the network (:func:`_local_cluster_env`).
"""

from __future__ import annotations

import contextlib
import importlib.util
import logging
import os
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from ..core.errors import InpaintStudioError
from .engine import InpaintOptions

#: What to tell a user who asked for ``--backend ray`` without Ray installed.
INSTALL_HINT = 'pip install "inpaint-studio[ray]"'


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
    keep = {
        k: os.environ.get(k)
        for k in (
            "http_proxy",
            "https_proxy",
            "no_proxy",
            "HTTP_PROXY",
            "HTTPS_PROXY",
            "NO_PROXY",
            "RAY_USAGE_STATS_ENABLED",
            "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER",
        )
    }
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
        raise RayBackendError(
            f"no Ray cluster reachable at {address} ({exc}); start one with `ray start --head`"
        ) from exc


def connect(config: RayConfig) -> tuple[Any, bool]:
    """Join or start a cluster: (the ``ray`` module, whether this call did, so this run
    shuts it down).  Ray is imported only here: a local cluster's settings must be in
    the environment before the import."""
    import sys

    if not ray_available():
        raise RayBackendError(f"the Ray backend needs Ray, which is not installed: {INSTALL_HINT}")
    loaded = sys.modules.get("ray")
    if loaded is not None and loaded.is_initialized():
        return loaded, False
    if config.address:
        _check_reachable(config.address)
        import ray

        try:
            ray.init(
                address=config.address, logging_level=logging.WARNING, log_to_driver=False, namespace="inpaint-studio"
            )
        except Exception as exc:  # noqa: BLE001 - Ray raises many kinds here; all mean "no cluster"
            raise RayBackendError(f"could not join the Ray cluster at {config.address}: {exc}") from exc
        return ray, True
    want = (config.workers or os.cpu_count() or 1) * max(1.0, config.cpus_per_worker or 1.0)
    start_local_cluster(num_cpus=max(os.cpu_count() or 1, int(want)))
    import ray

    return ray, True


def plan_workers(
    ray: Any, config: RayConfig, options: InpaintOptions, todo: int, local: bool
) -> tuple[int, float, float]:
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
