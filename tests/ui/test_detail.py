"""The Detail slider: live for deepfill with its GAN-tuned weights, saved, used by the fill."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from inpaint_studio.models import DeepFillGenerator
from inpaint_studio.models.weights import save_weights
from tests.ui.conftest import choose
from tests.ui.util import drag


def test_detail_slider_follows_the_model_and_reaches_the_fill(
    qtbot, window, photo_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch  # noqa: ANN001
) -> None:
    w = tmp_path / "weights"
    monkeypatch.setenv("INPAINT_STUDIO_WEIGHTS", str(w))
    torch.manual_seed(0)
    info = {"working_size": 64, "ensemble": 1}
    save_weights(DeepFillGenerator(cnum=8), w / "deepfill.safetensors", info)
    save_weights(DeepFillGenerator(cnum=8), w / "deepfill_detail.safetensors", {**info, "default_detail": 0.25})
    slider = window.tools.detail_slider
    choose(window, "telea")
    assert not slider.isEnabled()
    choose(window, "deepfill")
    assert slider.isEnabled() and slider.value() == 25  # the weights' default until moved
    slider.setValue(60)
    assert window.settings.detail == pytest.approx(0.6)
    assert window.options().detail == pytest.approx(0.6)
    choose(window, "telea")
    assert not slider.isEnabled() and window.options().detail is None
    choose(window, "deepfill")
    assert slider.isEnabled() and slider.value() == 60  # the user's choice is kept

    window.open_path(photo_file)
    window.tools.size_spin.setValue(20)
    drag(qtbot, window.canvas, [(150.5, 140.5), (200.5, 150.5)])
    window.fill()
    qtbot.waitUntil(lambda: len(window.doc.results) == 1, timeout=20000)
    assert window.last_result.method == "deepfill" and window.last_result.detail == pytest.approx(0.6)
    assert "detail 60 %" in window.tools.last_run.text()

    (w / "deepfill_detail.safetensors").unlink()
    window._update_model_label()
    assert not slider.isEnabled() and "missing" in slider.toolTip()


def _slider_reaches_the_fill(qtbot, window, photo_file: Path, name: str, percent: int) -> None:  # noqa: ANN001
    """Set the ``name`` slider (grain, texture) to ``percent``: saved, in the options, in
    the label, and in the next fill's result and its "Last fill" line."""
    value = percent / 100
    choose(window, "telea")
    getattr(window.tools, f"{name}_slider").setValue(percent)
    assert getattr(window.settings, name) == pytest.approx(value)
    assert getattr(window.options(), name) == pytest.approx(value)
    assert getattr(window.tools, f"{name}_label").text() == f"{percent} %"

    window.open_path(photo_file)
    window.tools.size_spin.setValue(20)
    drag(qtbot, window.canvas, [(150.5, 140.5), (200.5, 150.5)])
    window.fill()
    qtbot.waitUntil(lambda: len(window.doc.results) == 1, timeout=20000)
    assert getattr(window.last_result, name) == pytest.approx(value)
    assert f"{name} {percent} %" in window.tools.last_run.text()


def test_grain_slider_is_saved_and_reaches_the_fill(qtbot, window, photo_file: Path) -> None:  # noqa: ANN001
    slider = window.tools.grain_slider
    assert slider.value() == 0 and window.options().grain == 0.0  # off unless asked for
    _slider_reaches_the_fill(qtbot, window, photo_file, "grain", 40)


def test_texture_slider_is_saved_and_reaches_the_fill(qtbot, window, photo_file: Path) -> None:  # noqa: ANN001
    from inpaint_studio.engine import InpaintOptions

    slider = window.tools.texture_slider
    default = InpaintOptions().texture
    assert slider.value() == round(default * 100) and window.options().texture == pytest.approx(default)
    _slider_reaches_the_fill(qtbot, window, photo_file, "texture", 70)
    slider.setValue(0)
    assert window.options().texture == 0.0 and window.settings.texture == 0.0
