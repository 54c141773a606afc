"""Damaged weights: the editor says so at once and with every fill, never silently."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.ui.conftest import choose
from tests.ui.util import drag


@pytest.fixture()
def damaged_weights(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    d = tmp_path / "weights"
    d.mkdir()
    f = d / "deepfill.safetensors"
    f.write_bytes(b"\x10\x00\x00\x00\x00\x00\x00\x00" + b"{}" + bytes(200))
    (d / "deepfill.safetensors.sha256").write_text("0" * 64 + "  deepfill.safetensors\n")
    monkeypatch.setenv("INPAINT_STUDIO_WEIGHTS", str(d))
    return d


def test_a_poorer_default_fill_is_a_visible_notice(qtbot, damaged_weights: Path, window, photo_file: Path) -> None:  # noqa: ANN001
    assert window.notice.isVisible() and window.notice.level == "warning"
    text = window.notice.label.text()
    assert "deepfill is unavailable" in text and "damaged" in text and "harmonic" in text
    assert "guided (fallback)" in window.model_label.text()
    window.open_path(photo_file)
    window.tools.size_spin.setValue(30)
    drag(qtbot, window.canvas, [(150.5, 140.5), (250.5, 160.5)])
    choose(window, "auto")
    window.act_fill.trigger()
    qtbot.waitUntil(lambda: len(window.doc.results) == 1, timeout=15000)
    assert window.doc.results[0].method == "guided"
    assert window.notice.isVisible() and "deepfill is unavailable" in window.notice.label.text()
