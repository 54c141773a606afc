"""UI fixtures: isolated settings and data dir, a synthetic photo, test-only fill methods."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QSettings

from inpaint_studio.core.errors import WeightsError
from inpaint_studio.core.image_io import LoadedImage, save_image
from inpaint_studio.engine import registry
from inpaint_studio.engine.registry import MethodInfo, register_fill
from tests.helpers import photo


@pytest.fixture(autouse=True)
def isolated_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Nothing a test does reaches the user's QSettings or autosave folder."""
    d = tmp_path / "qsettings"
    d.mkdir()
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(d))
    monkeypatch.setenv("INPAINT_STUDIO_DATA_DIR", str(tmp_path / "data"))
    yield d


@pytest.fixture(autouse=True)
def no_leaked_worker_threads(qapp) -> Iterator[None]:  # noqa: ANN001 - pytest-qt fixture
    """Every window a test opens must be closed, and closing stops its worker thread."""
    yield
    from inpaint_studio.ui.worker import WorkerHost

    qapp.processEvents()
    running = [h for h in list(WorkerHost.instances) if h.is_running()]
    for h in running:
        h.shutdown()
    assert not running, "a worker thread was left running"


class SlowFill:
    """Sleeps (GIL released, like a torch call) then returns a flat grey fill."""

    name = "test-slow"
    working_size = 512

    def __init__(self, delay: float) -> None:
        self.delay = delay

    def fill(self, rgb: np.ndarray, hole: np.ndarray, edges: np.ndarray | None) -> np.ndarray:
        time.sleep(self.delay)
        return np.full_like(rgb, 0.5)


class BoomFill:
    name = "test-boom"
    working_size = 512

    def fill(self, rgb: np.ndarray, hole: np.ndarray, edges: np.ndarray | None) -> np.ndarray:
        raise RuntimeError("boom: the model exploded")


class RecordFill:
    """Remembers the edges it was given, fills with a constant."""

    name = "test-record"
    working_size = 512
    seen: list[np.ndarray | None] = []

    def fill(self, rgb: np.ndarray, hole: np.ndarray, edges: np.ndarray | None) -> np.ndarray:
        RecordFill.seen.append(None if edges is None else edges.copy())
        return np.full_like(rgb, 0.25)


class GuideFirstFill:
    """Like ``guided``: a quick green guide (the preview), then a slow blue refinement that
    stops when told to (the synthesis's ``should_stop``)."""

    name = "test-guide-first"
    working_size = 512
    GUIDE = (0.0, 1.0, 0.0)
    FINAL = (0.0, 0.0, 1.0)

    def __init__(self, refine_s: float) -> None:
        self.refine_s = refine_s

    def make_layout(self, rgb: np.ndarray, hole: np.ndarray, edges: np.ndarray | None) -> tuple[np.ndarray, float]:
        out = rgb.copy()
        out[hole] = self.GUIDE
        return out, 1.0

    def refine(
        self,
        rgb: np.ndarray,
        hole: np.ndarray,
        edges: np.ndarray | None,
        layout: np.ndarray,
        scale: float,
        *,
        seed: int = 0,
        should_stop=None,
        progress=None,
    ) -> np.ndarray:  # noqa: ANN001
        t0 = time.perf_counter()
        while time.perf_counter() - t0 < self.refine_s:
            if should_stop is not None and should_stop():
                return layout  # partial: the engine must not paste it
            if progress is not None:
                progress((time.perf_counter() - t0) / self.refine_s)
            time.sleep(0.02)
        out = rgb.copy()
        out[hole] = self.FINAL
        return out

    def fill(self, rgb: np.ndarray, hole: np.ndarray, edges: np.ndarray | None, **kw: object) -> np.ndarray:
        layout, scale = self.make_layout(rgb, hole, edges)
        return self.refine(rgb, hole, edges, layout, scale, **kw)  # type: ignore[arg-type]


def _no_weights(device: str) -> object:
    raise WeightsError("weights file test.safetensors not found")


TEST_METHODS = {
    "test-slow": lambda d: SlowFill(1.0),
    "test-boom": lambda d: BoomFill(),
    "test-record": lambda d: RecordFill(),
    "test-noweights": _no_weights,
    "test-guide-first": lambda d: GuideFirstFill(1.0),
}


@pytest.fixture
def test_methods() -> Iterator[None]:
    """Register test-only fills for one test (priority below telea: 'auto' is unchanged)."""
    for name, factory in TEST_METHODS.items():
        two_step = name == "test-guide-first"
        register_fill(
            MethodInfo(
                name=name,
                description=f"test only: {name}",
                kind="classical",
                factory=factory,
                priority=-100,
                seeds=two_step,
                guide_first=two_step,
            )
        )
    RecordFill.seen = []
    yield
    for name in TEST_METHODS:
        registry._FILLS.pop(name, None)


@pytest.fixture
def photo_file(tmp_path: Path) -> Path:
    p = tmp_path / "photo.png"
    save_image(p, LoadedImage(pixels=photo(300, 400), format="PNG"))
    return p


@pytest.fixture
def window(qtbot, test_methods: None) -> Iterator[object]:  # noqa: ANN001 - qtbot fixture
    from inpaint_studio.ui.main_window import MainWindow

    win = MainWindow()
    win.prompt_on_close = False

    def modal(*_a: object) -> object:  # a real modal box would hang the run: fail instead
        raise AssertionError("a test reached a modal question it did not answer")

    win.ask_yes_no = win.ask_replace_original = win.ask_save_changes = modal
    qtbot.addWidget(win)
    win.resize(1000, 700)
    win.show()
    qtbot.waitExposed(win)
    yield win
    win.worker.cancel()
    win.close()


def choose(win: object, method: str) -> None:
    cb = win.tools.fill_combo  # type: ignore[attr-defined]
    i = cb.findData(method)
    assert i >= 0, f"{method} not listed"
    cb.setCurrentIndex(i)
