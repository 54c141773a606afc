"""The one thread that runs engine calls (fills, edge hallucination, batches).

Why one thread and not a pool: models are cached per device inside the
:class:`~inpaint_studio.engine.Engine`, and two fills at once on a GPU would just fight
for memory.  Requests are *latest wins*: submitting while a job runs cancels it (the
engine checks the CancelToken between regions) and a queued job that was not started yet
is dropped, so hammering Fill never builds a backlog.

Jobs are plain callables ``fn(progress, cancel) -> result``; the GUI builds them from a
snapshot of the document, so the worker never touches Qt widgets or live arrays.  It is
a :class:`~.background.TaskThread` (the editor's one threading mechanism): results come
back through queued signals and are dispatched to per-job callbacks on the GUI thread.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject

from .background import Job, JobFn, TaskThread, error_message

__all__ = ["Job", "JobFn", "WorkerHost"]


class WorkerHost(TaskThread):
    """GUI-side handle: submit (latest wins), cancel, and get callbacks on the GUI thread."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__("inpaint-worker", parent)

    def submit(
        self,
        label: str,
        fn: JobFn,
        *,
        on_done: Callable[[Any], None] | None = None,
        on_error: Callable[[str], None] | None = None,  # type: ignore[override]
        on_cancel: Callable[[], None] | None = None,
        on_progress: Callable[[float, str], None] | None = None,
    ) -> int:
        """Queue ``fn``; cancels whatever runs or waits (latest wins).  Returns the job id.

        ``on_error`` gets the message the user should read, not the exception.
        """

        def failed(exc: BaseException) -> None:
            if on_error is not None:
                on_error(error_message(label, exc))

        job = Job(
            next(self._ids), label, fn, on_done=on_done, on_error=failed, on_cancel=on_cancel, on_progress=on_progress
        )
        self._enqueue(job, drop_queued=True)
        return job.id

    def shutdown(self, wait_ms: int = 10000, cancel: bool = True) -> bool:
        """Cancel everything and stop the thread (at exit; the engine stops between regions)."""
        return super().shutdown(wait_ms, cancel=cancel)
