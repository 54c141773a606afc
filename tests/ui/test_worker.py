"""The worker's `busy` flag and the outcome a caller waits for."""

from __future__ import annotations

import time

import pytest

from inpaint_studio.ui.worker import WorkerHost


@pytest.fixture
def slow_handoff(monkeypatch: pytest.MonkeyPatch) -> None:
    """Widen the gap between the thread going idle and the outcome signal, which the
    scheduler opens by chance on a loaded machine (the smoke test failed ~1 run in 3)."""
    orig = WorkerHost._finish

    def finish(self: WorkerHost, job: object) -> None:
        orig(self, job)
        time.sleep(0.3)

    monkeypatch.setattr(WorkerHost, "_finish", finish)


def test_busy_lasts_until_the_outcome_reached_the_gui_thread(qtbot, qapp, slow_handoff: None) -> None:
    host = WorkerHost()
    got: list[int] = []
    try:
        host.submit("quick", lambda progress, cancel: 7, on_done=got.append)
        end = time.monotonic() + 10
        while host.busy and time.monotonic() < end:
            qapp.processEvents()
            time.sleep(0.005)
        qapp.processEvents()
        assert got == [7]
    finally:
        host.shutdown()


def test_smoke_fill_counts_its_result_even_when_the_handoff_is_slow(qtbot, qapp, slow_handoff: None, capsys) -> None:
    from inpaint_studio.ui.app import _smoke
    from inpaint_studio.ui.main_window import MainWindow

    win = MainWindow()
    win.prompt_on_close = False
    win.save_settings_on_close = False
    win.show()
    assert _smoke(qapp, win, fill=True) == 0
    assert "fill ok" in capsys.readouterr().out


def test_a_task_thread_keeps_every_task_in_order_and_answers_on_the_gui_thread(qtbot, qapp) -> None:  # noqa: ANN001
    import threading

    from inpaint_studio.ui.background import TaskThread

    tasks = TaskThread("test-tasks")
    got: list[tuple[int, str]] = []
    errors: list[BaseException] = []
    try:
        for i in range(5):  # not latest wins: none is dropped
            tasks.call(
                "task",
                lambda i=i: (time.sleep(0.01), i)[1],
                on_done=lambda v: got.append((v, threading.current_thread().name)),
            )
        tasks.call("broken", lambda: 1 / 0, on_error=errors.append)
        assert tasks.wait(10)
        qtbot.waitUntil(lambda: not tasks.busy, timeout=10000)
        assert [v for v, _ in got] == [0, 1, 2, 3, 4]
        assert {name for _, name in got} == {threading.main_thread().name}
        assert len(errors) == 1 and isinstance(errors[0], ZeroDivisionError)
    finally:
        assert tasks.shutdown()
