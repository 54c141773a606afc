"""The editor's one way to run work off the GUI thread: a task thread.

A :class:`TaskThread` is one Python thread that runs submitted tasks in order; each
task's outcome (result, error or cancel) and progress come back to the GUI thread by a
queued Qt signal and are dispatched to the task's own callbacks there.  Every kind of
background work uses it: engine jobs (``worker.WorkerHost``, which adds *latest wins*),
export, autosave writes and the outline tool's scissors maps (those keep every task,
in order: a journal record must never land before its base, nor an anchor lose its map).

Why a plain daemon thread and not a ``QThread``: a ``QThread`` destroyed while running
aborts the process, and an autosaver or a map builder is not always shut down by whoever
made it (a test, a dialog); a daemon thread just ends with the process.
"""

from __future__ import annotations

import itertools
import logging
import threading
import traceback
import weakref
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar

from PySide6.QtCore import QObject, Signal, Slot

from ..core.errors import CancelledError, InpaintStudioError
from .client import CancelToken, ProgressCallback

log = logging.getLogger(__name__)

JobFn = Callable[[ProgressCallback, CancelToken], Any]


def error_message(label: str, exc: BaseException) -> str:
    """What the user reads when ``label`` failed with ``exc``."""
    if isinstance(exc, InpaintStudioError):
        return str(exc)
    if isinstance(exc, MemoryError):
        return "Out of memory: try a smaller mask or the CPU device"
    return f"{label} failed: {type(exc).__name__}: {exc}"


@dataclass
class Job:
    id: int
    label: str
    fn: JobFn
    token: CancelToken = field(default_factory=CancelToken)
    on_done: Callable[[Any], None] | None = None
    on_error: Callable[[BaseException], None] | None = None
    on_cancel: Callable[[], None] | None = None
    on_progress: Callable[[float, str], None] | None = None
    #: Set in the task thread once the job has run (its outcome may still be on its way).
    ran: threading.Event = field(default_factory=threading.Event)


class TaskThread(QObject):
    """One background thread; tasks run in submission order, outcomes on the GUI thread."""

    #: Every task thread made, so tests can fail on one left running.
    instances: ClassVar[weakref.WeakSet[TaskThread]] = weakref.WeakSet()

    busyChanged = Signal(bool)
    progress = Signal(float, str)
    # From the task thread; queued to this object's (the GUI) thread.
    _progressed = Signal(int, float, str)
    _finished = Signal(int, str, object)  # job id, "done" | "error" | "cancelled", payload

    def __init__(self, name: str = "background", parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._ids = itertools.count(1)
        self._cv = threading.Condition()
        self._queue: deque[Job] = deque()
        self._current: Job | None = None
        self._last: Job | None = None
        self._stopping = False
        self._jobs: dict[int, Job] = {}
        self._progressed.connect(self._on_progress)
        self._finished.connect(self._on_finished)
        self._thread = threading.Thread(target=self._loop, name=name, daemon=True)
        self._thread.start()
        TaskThread.instances.add(self)

    def is_running(self) -> bool:
        return self._thread.is_alive()

    # -- called from the GUI thread ---------------------------------------------------------
    def submit(
        self,
        label: str,
        fn: JobFn,
        *,
        on_done: Callable[[Any], None] | None = None,
        on_error: Callable[[BaseException], None] | None = None,
        on_cancel: Callable[[], None] | None = None,
        on_progress: Callable[[float, str], None] | None = None,
    ) -> int:
        """Queue ``fn(progress, cancel)`` behind what is queued; returns the job id."""
        job = Job(
            next(self._ids), label, fn, on_done=on_done, on_error=on_error, on_cancel=on_cancel, on_progress=on_progress
        )
        self._enqueue(job)
        return job.id

    def call(
        self,
        label: str,
        fn: Callable[..., Any],
        *args: Any,
        on_done: Callable[[Any], None] | None = None,
        on_error: Callable[[BaseException], None] | None = None,
    ) -> int:
        """Queue a plain ``fn(*args)`` (no progress, no cancel)."""
        return self.submit(label, lambda _progress, _cancel: fn(*args), on_done=on_done, on_error=on_error)

    def _enqueue(self, job: Job, drop_queued: bool = False) -> None:
        with self._cv:
            dropped = list(self._queue) if drop_queued else []
            if drop_queued:
                self._queue.clear()
                if self._current is not None:
                    self._current.token.cancel()
            self._queue.append(job)
            self._jobs[job.id] = job
            self._last = job
            self._cv.notify()
        self._drop(dropped)
        self.busyChanged.emit(True)

    def cancel(self) -> None:
        """Cancel the running task and drop the waiting ones."""
        with self._cv:
            dropped = list(self._queue)
            self._queue.clear()
            if self._current is not None:
                self._current.token.cancel()
        self._drop(dropped)

    def _drop(self, jobs: list[Job]) -> None:
        for job in jobs:
            job.token.cancel()
            job.ran.set()
            self._dispatch(job.id, "cancelled", None)

    @property
    def busy(self) -> bool:
        """True from ``submit`` until the task's outcome callback has run on the GUI thread.

        Why not "the thread is running something": the outcome travels by a queued signal,
        so a caller that saw the thread idle and processed events once could still miss
        the result (``gui --smoke-test`` failed that way about one run in three).  The
        job leaves ``_jobs`` just before its callback, so callbacks already see False.
        """
        return bool(self._jobs)

    def wait(self, timeout: float = 30.0) -> bool:
        """Until every task submitted so far has run (their outcomes may still be queued)."""
        last = self._last
        return last is None or last.ran.wait(timeout)

    def shutdown(self, wait_ms: int = 10000, cancel: bool = False) -> bool:
        """Stop the thread once the queued tasks have run (all cancelled first with ``cancel``)."""
        if cancel:
            self.cancel()
        with self._cv:
            self._stopping = True
            self._cv.notify()
        self._thread.join(wait_ms / 1000.0)
        return not self._thread.is_alive()

    # -- the task thread ---------------------------------------------------------------------
    def _take(self) -> Job | None:
        with self._cv:
            while not self._queue and not self._stopping:
                self._cv.wait()
            job = self._queue.popleft() if self._queue else None
            self._current = job
            return job

    def _loop(self) -> None:
        while True:
            job = self._take()
            if job is None:
                return
            self._run(job)

    def _run(self, job: Job) -> None:
        def progress(fraction: float, message: str) -> None:
            self._progressed.emit(job.id, float(fraction), str(message))

        outcome: tuple[str, Any]
        try:
            job.token.raise_if_cancelled()
            result = job.fn(progress, job.token)
            if job.token.cancelled:
                raise CancelledError("cancelled")
            outcome = ("done", result)
        except CancelledError:
            outcome = ("cancelled", None)
        except Exception as exc:  # noqa: BLE001 - any failure must reach the user, not kill the thread
            if not isinstance(exc, (InpaintStudioError, MemoryError)):
                log.error("%s failed:\n%s", job.label, traceback.format_exc())
            outcome = ("error", exc)
        # The thread is free for the next task; `busy` stays True until the GUI thread has
        # dispatched this outcome (see `busy`).
        self._finish(job)
        job.ran.set()
        self._finished.emit(job.id, *outcome)

    def _finish(self, job: Job) -> None:
        with self._cv:
            if self._current is job:
                self._current = None

    # -- dispatch on the GUI thread -----------------------------------------------------------
    @Slot(int, float, str)
    def _on_progress(self, job_id: int, fraction: float, message: str) -> None:
        job = self._jobs.get(job_id)
        if job is None or job.token.cancelled:
            return
        self.progress.emit(fraction, message)
        if job.on_progress:
            job.on_progress(fraction, message)

    @Slot(int, str, object)
    def _on_finished(self, job_id: int, kind: str, payload: object) -> None:
        self._dispatch(job_id, kind, payload)

    def _dispatch(self, job_id: int, kind: str, payload: Any) -> None:
        job = self._jobs.pop(job_id, None)
        if not self.busy:
            self.busyChanged.emit(False)
        if job is None:
            return
        if kind == "done" and job.on_done:
            job.on_done(payload)
        elif kind == "error" and job.on_error:
            job.on_error(payload)
        elif kind == "cancelled" and job.on_cancel:
            job.on_cancel()
