"""The one thread that runs engine calls (fills, edge hallucination, batches).

Why one QObject in one QThread and not a pool: models are cached per device inside the
:class:`~inpaint_studio.engine.Engine`, and two fills at once on a GPU would just fight
for memory.  Requests are *latest wins*: submitting while a job runs cancels it (the
engine checks the CancelToken between regions) and a queued job that was not started yet
is dropped, so hammering Fill never builds a backlog.

Jobs are plain callables ``fn(progress, cancel) -> result``; the GUI builds them from a
snapshot of the document, so the worker never touches Qt widgets or live arrays.
Results come back through queued signals and are dispatched to per-job callbacks on the
GUI thread.
"""

from __future__ import annotations

import itertools
import logging
import threading
import traceback
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from PySide6.QtCore import QObject, QThread, Signal, Slot

from ..core.errors import CancelledError, InpaintStudioError
from .client import CancelToken, ProgressCallback

log = logging.getLogger(__name__)

JobFn = Callable[[ProgressCallback, CancelToken], Any]


@dataclass
class Job:
    id: int
    label: str
    fn: JobFn
    token: CancelToken = field(default_factory=CancelToken)
    on_done: Callable[[Any], None] | None = None
    on_error: Callable[[str], None] | None = None
    on_cancel: Callable[[], None] | None = None
    on_progress: Callable[[float, str], None] | None = None


class _Runner(QObject):
    """Lives in the worker thread; runs the pending job when woken."""

    started = Signal(int, str)
    progressed = Signal(int, float, str)
    done = Signal(int, object)
    errored = Signal(int, str)
    cancelled = Signal(int)

    def __init__(self, host: WorkerHost) -> None:
        super().__init__()
        self._host = host

    @Slot()
    def wake(self) -> None:
        while True:
            job = self._host._take_pending()
            if job is None:
                return
            self._run(job)

    def _run(self, job: Job) -> None:
        def progress(fraction: float, message: str) -> None:
            self.progressed.emit(job.id, float(fraction), str(message))

        self.started.emit(job.id, job.label)
        outcome: tuple[str, Any]
        try:
            job.token.raise_if_cancelled()
            result = job.fn(progress, job.token)
            if job.token.cancelled:
                raise CancelledError("cancelled")
            outcome = ("done", result)
        except CancelledError:
            outcome = ("cancelled", None)
        except InpaintStudioError as exc:
            outcome = ("error", str(exc))
        except MemoryError:
            outcome = ("error", "Out of memory: try a smaller mask or the CPU device")
        except Exception as exc:  # noqa: BLE001 - any failure must reach the user, not kill the thread
            log.error("job %s failed:\n%s", job.label, traceback.format_exc())
            outcome = ("error", f"{job.label} failed: {type(exc).__name__}: {exc}")
        # The thread is free for the next job; `busy` stays True until the GUI thread has
        # dispatched this outcome (see WorkerHost.busy).
        self._host._finish(job)
        kind, payload = outcome
        if kind == "done":
            self.done.emit(job.id, payload)
        elif kind == "cancelled":
            self.cancelled.emit(job.id)
        else:
            self.errored.emit(job.id, payload)


class WorkerHost(QObject):
    """GUI-side handle: submit, cancel, and get callbacks on the GUI thread."""

    #: Every host created, so tests can fail on a worker thread left running.
    instances: weakref.WeakSet[WorkerHost] = weakref.WeakSet()

    busyChanged = Signal(bool)
    progress = Signal(float, str)
    _wake = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self._pending: Job | None = None
        self._current: Job | None = None
        self._jobs: dict[int, Job] = {}
        self._thread = QThread()
        self._thread.setObjectName("inpaint-worker")
        self._runner = _Runner(self)
        self._runner.moveToThread(self._thread)
        self._wake.connect(self._runner.wake)
        self._runner.progressed.connect(self._on_progress)
        self._runner.done.connect(self._on_done)
        self._runner.errored.connect(self._on_error)
        self._runner.cancelled.connect(self._on_cancelled)
        self._thread.start()
        WorkerHost.instances.add(self)

    def is_running(self) -> bool:
        return bool(self._thread.isRunning())

    # -- called from the GUI thread ---------------------------------------------------------
    def submit(
        self,
        label: str,
        fn: JobFn,
        *,
        on_done: Callable[[Any], None] | None = None,
        on_error: Callable[[str], None] | None = None,
        on_cancel: Callable[[], None] | None = None,
        on_progress: Callable[[float, str], None] | None = None,
    ) -> int:
        """Queue ``fn``; cancels whatever runs or waits (latest wins).  Returns the job id."""
        job = Job(next(self._ids), label, fn, on_done=on_done, on_error=on_error,
                  on_cancel=on_cancel, on_progress=on_progress)
        with self._lock:
            dropped = self._pending
            self._pending = job
            if self._current is not None:
                self._current.token.cancel()
            self._jobs[job.id] = job
        if dropped is not None:
            dropped.token.cancel()
            self._on_cancelled(dropped.id)
        self.busyChanged.emit(True)
        self._wake.emit()
        return job.id

    def cancel(self) -> None:
        """Cancel the running job and drop the waiting one."""
        with self._lock:
            dropped, self._pending = self._pending, None
            if self._current is not None:
                self._current.token.cancel()
        if dropped is not None:
            dropped.token.cancel()
            self._on_cancelled(dropped.id)

    @property
    def busy(self) -> bool:
        """True from ``submit`` until the job's outcome callback has run on the GUI thread.

        Why not "the thread is running something": the outcome travels by a queued signal,
        so a caller that saw the thread idle and processed events once could still miss
        the result (``gui --smoke-test`` failed that way about one run in three).  The
        job leaves ``_jobs`` just before its callback, so callbacks already see False.
        """
        return bool(self._jobs)

    def shutdown(self, wait_ms: int = 10000) -> bool:
        """Cancel everything and stop the thread (at exit; the engine stops between regions)."""
        self.cancel()
        self._thread.quit()
        ok = self._thread.wait(wait_ms)
        return bool(ok)

    # -- called from the worker thread ------------------------------------------------------
    def _take_pending(self) -> Job | None:
        with self._lock:
            job, self._pending = self._pending, None
            self._current = job
            return job

    def _finish(self, job: Job) -> None:
        with self._lock:
            if self._current is job:
                self._current = None

    # -- dispatch on the GUI thread -----------------------------------------------------------
    def _pop(self, job_id: int) -> Job | None:
        job = self._jobs.pop(job_id, None)
        if not self.busy:
            self.busyChanged.emit(False)
        return job

    @Slot(int, float, str)
    def _on_progress(self, job_id: int, fraction: float, message: str) -> None:
        job = self._jobs.get(job_id)
        if job is None or job.token.cancelled:
            return
        self.progress.emit(fraction, message)
        if job.on_progress:
            job.on_progress(fraction, message)

    @Slot(int, object)
    def _on_done(self, job_id: int, result: object) -> None:
        job = self._pop(job_id)
        if job is not None and job.on_done:
            job.on_done(result)

    @Slot(int, str)
    def _on_error(self, job_id: int, message: str) -> None:
        job = self._pop(job_id)
        if job is not None and job.on_error:
            job.on_error(message)

    @Slot(int)
    def _on_cancelled(self, job_id: int) -> None:
        job = self._pop(job_id)
        if job is not None and job.on_cancel:
            job.on_cancel()
