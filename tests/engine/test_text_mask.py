"""Automatic text masks: rapidocr's detector (bundled model) plus glyph refinement."""

from __future__ import annotations

import numpy as np
import pytest

from inpaint_studio.engine import text_mask
from inpaint_studio.training.synthetic_marks import draw_text, synthetic_photo

# rapidocr and onnxruntime are regular dependencies; skip only where they are absent.
pytest.importorskip("rapidocr", reason="rapidocr not installed (pip install rapidocr onnxruntime)")
pytest.importorskip("onnxruntime", reason="onnxruntime not installed (pip install rapidocr onnxruntime)")


@pytest.fixture(scope="module")
def captioned():
    photo = synthetic_photo(300, 420, np.random.default_rng(4))
    st = draw_text(photo, [("Summer at the lake", (30, 50), 1.2), ("2023-07-14 18:42", (230, 280), 0.7)])
    return st


def test_detects_a_synthetic_caption_cut_to_the_glyphs(captioned):
    tm = text_mask.detect_text_mask(captioned.image)
    text = np.any(captioned.image != captioned.clean, axis=-1)
    assert len(tm.boxes) >= 2
    assert (tm.mask & text).sum() >= 0.9 * text.sum()
    # Cut to the letters, not the detector's whole line boxes.
    assert tm.mask.sum() <= 3.0 * text.sum()
    # Nothing masked away from the text.
    far = np.ones_like(text)
    ys, xs = np.nonzero(text)
    far[max(0, ys.min() - 30) : ys.max() + 30, max(0, xs.min() - 30) : xs.max() + 30] = False
    assert not (tm.mask & far).any()


def test_no_text_on_a_plain_photo():
    photo = synthetic_photo(300, 420, np.random.default_rng(5))
    tm = text_mask.detect_text_mask(photo)
    assert not tm.found
    assert tm.mask.shape == photo.shape[:2]


def test_missing_detector_says_how_to_install(monkeypatch):
    import builtins

    real_import = builtins.__import__

    def fake_import(name, *args, **kwargs):
        if name == "rapidocr" or name.startswith("rapidocr."):
            raise ImportError("No module named 'rapidocr'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(text_mask, "_detector", None)
    monkeypatch.setattr(builtins, "__import__", fake_import)
    assert not text_mask.available()
    with pytest.raises(text_mask.TextDetectorUnavailable, match="pip install rapidocr onnxruntime"):
        text_mask.detect_text_mask(np.zeros((40, 40, 3), np.uint8))
