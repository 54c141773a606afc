"""Per-photo functions for the Ray backend tests; they run inside the Ray workers.

Shipped by value (``cloudpickle.register_pickle_by_value``), so the workers need not
import the tests package.  They take the per-run ``shared`` state the backend puts in
the object store, which is how a test tells them where to log and whom to kill.
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path
from typing import Any


def _log(shared: dict[str, Any], line: str) -> None:
    with open(shared["log"], "a", encoding="utf-8") as fh:
        fh.write(line + "\n")


def _meet(shared: dict[str, Any]) -> None:
    """With ``shared["meet"]`` (a folder and a count), a worker's first photo waits until
    that many workers have come this far (at most 60 s).  Photos of a test batch take
    milliseconds, so without it the first worker up may fill them all before the other
    has loaded its models, and a test that needs both workers would depend on timing."""
    meet = shared.get("meet")
    if not meet:
        return
    folder, count = Path(meet[0]), int(meet[1])
    (folder / str(os.getpid())).touch()
    deadline = time.monotonic() + 60.0
    while len(list(folder.iterdir())) < count and time.monotonic() < deadline:
        time.sleep(0.05)


def met(item: Any, engine: Any, options: Any, *, overwrite: bool, quality: Any, shared: dict[str, Any]) -> Any:
    """``process_item`` once every worker is up (see ``_meet``)."""
    from inpaint_studio.engine.batch import process_item

    _meet(shared)
    return process_item(item, engine, options, overwrite=overwrite, quality=quality)


def logged(item: Any, engine: Any, options: Any, *, overwrite: bool, quality: Any, shared: dict[str, Any]) -> Any:
    """``process_item``, logging which worker process and which engine object filled what."""
    from inpaint_studio.engine.batch import process_item

    _meet(shared)
    token = getattr(engine, "_test_token", None)
    if token is None:
        token = engine._test_token = os.urandom(8).hex()
    _log(shared, f"{Path(item.source).name} {os.getpid()} {token}")
    return process_item(item, engine, options, overwrite=overwrite, quality=quality)


def kill_worker_on(
    item: Any, engine: Any, options: Any, *, overwrite: bool, quality: Any, shared: dict[str, Any]
) -> Any:
    """``process_item``, except that the worker filling ``shared["victim"]`` is killed
    (SIGKILL, as the OOM killer or a lost node would) on its first try, or on every
    try with ``shared["always"]``."""
    from inpaint_studio.engine.batch import process_item

    name = Path(item.source).name
    _log(shared, name)
    if name == shared["victim"]:
        first = not os.path.exists(shared["log"] + ".killed")
        if first or shared.get("always"):
            Path(shared["log"] + ".killed").touch()
            os.kill(os.getpid(), signal.SIGKILL)
    return process_item(item, engine, options, overwrite=overwrite, quality=quality)
