"""Automatic text masks: captions, date stamps and signs found and cut to their glyphs.

Detection is RapidOCR's PP-OCR text detector (a DB network, Apache-2.0; the ONNX model
ships inside the ``rapidocr`` wheel, so it runs offline, on ``onnxruntime``).  Its
boxes cover whole lines, background included; filling a whole box throws away the
photo between the letters, so each box is cut down to the glyph pixels: the
background under the box is guessed by harmonic interpolation from the pixels just
outside it, and the pixels that stand out from that guess (letters and their
outlines or shadows), plus a small margin for anti-aliasing, are the mask.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field

import cv2
import numpy as np

from ..core.errors import InpaintStudioError
from .cancel import CancelToken
from .watermark import harmonic_fill

log = logging.getLogger(__name__)

INSTALL_HINT = "pip install rapidocr onnxruntime"


class TextDetectorUnavailable(InpaintStudioError):
    """rapidocr / onnxruntime cannot be imported."""


@dataclass
class TextMask:
    """The mask (bool, H x W) and the detector's line boxes (4 corner points each)."""

    mask: np.ndarray
    boxes: list[np.ndarray] = field(default_factory=list)
    scores: list[float] = field(default_factory=list)

    @property
    def found(self) -> bool:
        return bool(self.mask.any())


_detector = None
_lock = threading.Lock()


def available() -> bool:
    """Whether text detection can run here (rapidocr and onnxruntime import)."""
    try:
        import onnxruntime  # noqa: F401
        import rapidocr  # noqa: F401
    except Exception:  # noqa: BLE001 - any import failure means unavailable
        return False
    return True


def _get_detector():  # noqa: ANN202 - rapidocr's own type
    global _detector
    with _lock:
        if _detector is None:
            try:
                from rapidocr import RapidOCR
            except Exception as exc:  # noqa: BLE001
                raise TextDetectorUnavailable(
                    f"text detection needs rapidocr and onnxruntime ({type(exc).__name__}: {exc}); "
                    f"install them with: {INSTALL_HINT}"
                ) from exc
            _detector = RapidOCR(
                params={"Global.use_cls": False, "Global.use_rec": False, "Global.log_level": "error"}
            )
        return _detector


def detect_boxes(image: np.ndarray, *, min_score: float = 0.5) -> tuple[list[np.ndarray], list[float]]:
    """Text line boxes (4x2 float corner points, image coordinates) and their scores."""
    rgb = _rgb8(image)
    det = _get_detector()
    with _lock:  # one onnxruntime session, used from one thread at a time
        out = det(cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR), use_det=True, use_cls=False, use_rec=False)
    boxes = getattr(out, "boxes", None)
    scores = getattr(out, "scores", None)
    if boxes is None or len(boxes) == 0:
        return [], []
    keep = [(np.asarray(b, np.float32), float(s)) for b, s in zip(boxes, scores or [1.0] * len(boxes)) if s >= min_score]
    return [b for b, _ in keep], [s for _, s in keep]


def _rgb8(image: np.ndarray) -> np.ndarray:
    img = image
    if img.ndim == 2:
        img = np.repeat(img[..., None], 3, axis=2)
    img = img[..., :3]
    if img.dtype == np.uint16:
        img = (img >> 8).astype(np.uint8)
    elif img.dtype != np.uint8:
        img = np.clip(img * 255.0, 0, 255).astype(np.uint8)
    return np.ascontiguousarray(img)


def glyph_pixels(rgb: np.ndarray, box: np.ndarray, margin: int = 2) -> np.ndarray:
    """Bool (H, W): the pixels of the letters inside one detected line box.

    The box is widened a little (the detector's box can clip a descender or an
    outline), the background under it interpolated from a ring just outside, and the
    pixels standing out from that guess by more than the photo's own variation in the
    ring kept; if they are most of the box (text on busy texture the guess cannot
    separate), the whole box is the mask.
    """
    H, W = rgb.shape[:2]
    quad = box.reshape(-1, 2)
    hgt = max(4.0, float(np.linalg.norm(quad[3] - quad[0])), float(np.linalg.norm(quad[2] - quad[1])))
    grow = int(round(0.15 * hgt)) + margin
    x0 = max(0, int(np.floor(quad[:, 0].min())) - grow - 4)
    y0 = max(0, int(np.floor(quad[:, 1].min())) - grow - 4)
    x1 = min(W, int(np.ceil(quad[:, 0].max())) + grow + 5)
    y1 = min(H, int(np.ceil(quad[:, 1].max())) + grow + 5)
    crop = rgb[y0:y1, x0:x1].astype(np.float32)
    region = np.zeros((y1 - y0, x1 - x0), np.uint8)
    cv2.fillPoly(region, [np.rint(quad - [x0, y0]).astype(np.int32)], 1)
    region = cv2.dilate(region, np.ones((2 * grow + 1, 2 * grow + 1), np.uint8)).astype(bool)
    ring = cv2.dilate(region.astype(np.uint8), np.ones((7, 7), np.uint8)).astype(bool) & ~region
    out = np.zeros((H, W), bool)
    if not ring.any() or not region.any():
        return out
    bg = harmonic_fill(crop.transpose(2, 0, 1), region, sweeps=120).transpose(1, 2, 0)
    diff = np.abs(crop - bg).max(axis=-1)
    # The ring's own variation around its smooth guess is what photo texture does.
    ring_dev = np.abs(crop - cv2.blur(crop, (5, 5))).max(axis=-1)[ring]
    noise = float(np.percentile(ring_dev, 90)) if ring_dev.size else 0.0
    vals = diff[region]
    otsu = _otsu(vals)
    thr = max(24.0, 2.0 * noise, 0.5 * otsu)
    glyph = (diff > thr) & region
    if glyph.sum() > 0.75 * region.sum():
        glyph = region
    else:
        k = 2 * margin + 1
        glyph = cv2.dilate(glyph.astype(np.uint8), np.ones((k, k), np.uint8)).astype(bool) & region
    out[y0:y1, x0:x1] = glyph
    return out


def _otsu(values: np.ndarray) -> float:
    if values.size == 0:
        return 0.0
    v = np.clip(values, 0, 255).astype(np.uint8).reshape(-1, 1)
    t, _ = cv2.threshold(v, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    return float(t)


def detect_text_mask(
    image: np.ndarray, *, margin: int = 2, min_score: float = 0.5, cancel: CancelToken | None = None
) -> TextMask:
    """A hole mask covering the text in ``image`` (RGB/RGBA, uint8/uint16, or grey).

    Raises:
        TextDetectorUnavailable: rapidocr/onnxruntime missing (the message says how to install).
    """
    rgb = _rgb8(image)
    boxes, scores = detect_boxes(rgb, min_score=min_score)
    mask = np.zeros(rgb.shape[:2], bool)
    for b in boxes:
        if cancel is not None:
            cancel.raise_if_cancelled()
        mask |= glyph_pixels(rgb, b, margin)
    return TextMask(mask, boxes, scores)
