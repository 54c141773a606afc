"""Brush limits scale with the photo; typed sizes are taken, or refused with a reason."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import Qt

from inpaint_studio.core.image_io import LoadedImage, save_image


@pytest.fixture
def big_photo(tmp_path: Path) -> Path:
    p = tmp_path / "big.png"  # the proportions of a 24 MP photo, at a test's size
    save_image(p, LoadedImage(pixels=np.zeros((4000, 6000, 3), np.uint8), format="PNG"))
    return p


def _type(qtbot, spin, text: str) -> None:  # noqa: ANN001
    spin.setFocus()
    spin.selectAll()
    qtbot.keyClicks(spin, text)
    qtbot.keyClick(spin, Qt.Key.Key_Return)


def test_a_typed_size_is_taken_as_typed(qtbot, window, big_photo: Path) -> None:
    window.open_path(big_photo)
    spin = window.tools.size_spin
    _type(qtbot, spin, "700")
    assert spin.value() == 700 and window.canvas.brush_size == 700
    _type(qtbot, spin, "2500")
    assert window.canvas.brush_size == 2500  # far above the old 500 px ceiling
    assert not window.notice.isVisible()


def test_a_size_beyond_the_photo_is_refused_with_the_reason(qtbot, window, photo_file: Path) -> None:
    window.open_path(photo_file)  # 400x300
    spin = window.tools.size_spin
    _type(qtbot, spin, "7000")
    assert window.canvas.brush_size == spin.value() == 400
    assert window.notice.isVisible()
    text = window.notice.label.text()
    assert "7000" in text and "400" in text and "long side" in text


def test_the_default_and_the_keys_scale_with_the_photo(qtbot, window, big_photo: Path) -> None:
    window.open_path(big_photo)
    assert window.canvas.brush_size == 160  # 4 % of the short side, not a 40 px speck
    presses = 0
    while window.canvas.brush_size < 1000:
        window.act_bigger.trigger()
        presses += 1
    assert presses <= 10
    for _ in range(40):
        window.act_bigger.trigger()
    assert window.canvas.brush_size == 6000  # the long side is the limit
    for _ in range(60):
        window.act_smaller.trigger()
    assert window.canvas.brush_size == 1
