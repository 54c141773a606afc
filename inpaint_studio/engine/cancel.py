"""Cooperative cancellation and progress reporting, shared by GUI worker and CLI.

Fills cannot be interrupted in the middle of a torch call, so cancellation is a flag
that the engine checks between regions and passes; the caller sets it from any thread.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from ..core.errors import CancelledError

#: ``progress(fraction in [0, 1], message)``; called from the engine's thread.
ProgressCallback = Callable[[float, str], None]


class CancelToken:
    """Thread-safe cancel flag; cheap to check in loops."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def raise_if_cancelled(self) -> None:
        if self._event.is_set():
            raise CancelledError("cancelled by the user")


def no_progress(_fraction: float, _message: str) -> None:
    """Default progress sink."""
