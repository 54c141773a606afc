"""Automatic text masks: captions, date stamps and signs found and cut to their glyphs.

Detection is RapidOCR's PP-OCR text detector (a DB network, Apache-2.0; the ONNX
models ship inside the ``rapidocr`` wheel, so it runs offline, on ``onnxruntime``),
with its recogniser reading each line: the detector alone also fires on some
textures, which do not read as text.  Its
boxes cover whole lines, background included; filling a whole box throws away the
photo between the letters, so each box is cut down to the glyph pixels: the
background under the box is guessed by harmonic interpolation from the pixels just
outside it; the pixels that stand out from that guess in the letters' flat fill
colour are their core, grown ring by ring over a flat-coloured outline and the
anti-aliased edge.  Every extra pixel in the hole is photo thrown away and guessed,
so the mask stays as close to the changed pixels as it can.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field

import cv2
import numpy as np

from ..core.errors import InpaintStudioError
from .cancel import CancelToken
from .watermark_matte import harmonic_fill

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
    #: What the recogniser read in each box.
    texts: list[str] = field(default_factory=list)

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
            _detector = RapidOCR(params={"Global.use_cls": False, "Global.log_level": "error"})
        return _detector


#: A detected line counts as text only if the recogniser reads it this surely.  On
#: the benchmark's photos real captions and date stamps read almost surely and the
#: textures the detector also fires on (grass, crowds, foliage) well below this.
MIN_READ = 0.8


def detect_boxes(image: np.ndarray, *, min_read: float = MIN_READ) -> tuple[list[np.ndarray], list[float], list[str]]:
    """Text line boxes (4x2 float corner points, image coordinates), read scores, texts.

    The detector alone fires on some textures; each line is also read by the
    recogniser (bundled too), and kept only if it reads as text.
    """
    rgb = _rgb8(image)
    det = _get_detector()
    with _lock:  # one onnxruntime session, used from one thread at a time
        out = det(cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR), use_det=True, use_cls=False, use_rec=True, text_score=0.0)
    boxes = getattr(out, "boxes", None)
    if boxes is None or len(boxes) == 0:
        return [], [], []
    scores = list(getattr(out, "scores", None) or [1.0] * len(boxes))
    texts = list(getattr(out, "txts", None) or [""] * len(boxes))
    keep = [i for i in range(len(boxes)) if float(scores[i]) >= min_read and str(texts[i]).strip()]
    return (
        [np.asarray(boxes[i], np.float32) for i in keep],
        [float(scores[i]) for i in keep],
        [str(texts[i]) for i in keep],
    )


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


def glyph_pixels(rgb: np.ndarray, box: np.ndarray, margin: int = 0) -> np.ndarray:
    """Bool (H, W): the pixels of the letters inside one detected line box.

    The box is widened a little (the detector's box can clip a descender or an
    outline) and the background under it interpolated from a ring just outside.  The
    pixels standing out from that guess by more than the photo's own variation are
    candidates; the letters' flat fill colour among them is the core, grown to the
    outline and anti-aliased edge (:func:`_refine`).  A box with no flat, thin fill
    colour, or whose "fill" is a speck or most of the box, is not text (the detector
    fires on some textures) and gives no mask: better a caption left for the brush
    than a photo's foliage thrown away.  ``margin`` grows the result by that many
    pixels.
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
    thr = max(24.0, 2.0 * noise, 0.5 * _otsu(vals))
    cand = (diff > thr) & region
    colour = _text_colour(crop, cand, diff, hgt)
    if colour is None:
        return out  # no flat, thin fill colour: texture the detector took for text
    # Letters are filled with one flat colour; photo edges that cross the box are not,
    # and the background guess alone cannot tell them apart.  The outline or shadow
    # beside the fill is picked up by the refinement.
    core = cand & (np.abs(crop - colour[None, None]).max(axis=-1) < 24.0)
    share = float(core.sum()) / max(1.0, float(region.sum()))
    if not 0.02 <= share <= 0.6:
        return out  # a speck, or a flat patch the size of the box: not a line of text
    glyph = _refine(crop, core, region)
    if margin > 0:
        k = 2 * margin + 1
        glyph = cv2.dilate(glyph.astype(np.uint8), np.ones((k, k), np.uint8)).astype(bool) & region
    out[y0:y1, x0:x1] = glyph
    return out


#: A pixel is text where the text changed it by at least this many levels (of 255).
CHANGE = 10.0


def _disk(r: int) -> np.ndarray:
    return cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * r + 1, 2 * r + 1))


def _outline_width(crop: np.ndarray, core: np.ndarray, region: np.ndarray, max_w: int = 4) -> int:
    """How many pixels of flat-coloured outline (or shadow) hug the letters' fill.

    Captions and date stamps are a fill, often inside an outline of another flat
    colour.  Ring by ring outwards, a ring belongs to the outline while it is mostly
    one colour and that colour differs from the rings two pixels further out (which
    are the photo, once the outline has ended).
    """
    rings: list[tuple[float, np.ndarray]] = []
    prev: np.ndarray = core.astype(np.uint8)
    for d in range(1, max_w + 3):
        grown = cv2.dilate(core.astype(np.uint8), _disk(d))
        ring = grown.astype(bool) & ~prev.astype(bool) & region
        prev = grown
        if ring.sum() < 8:
            break
        px = crop[ring]
        med = np.median(px, axis=0)
        rings.append((float((np.abs(px - med).max(axis=-1) < 32.0).mean()), med))
    width = 0
    for d in range(1, min(max_w, len(rings) - 2) + 1):
        flat, med = rings[d - 1]
        beyond = rings[d + 1][1]
        if flat < 0.7 or float(np.abs(med - beyond).max()) < 40.0:
            break
        width = d
    return width


def _refine(crop: np.ndarray, core: np.ndarray, region: np.ndarray) -> np.ndarray:
    """The letters' fill core grown to its outline and anti-aliased edge.

    Outline: as wide as :func:`_outline_width` finds.  Edge: the next pixel out, where
    the text visibly changed it (``CHANGE`` levels against a background guessed from a
    couple of pixels further out: under thin strokes that guess is good).  Growing by
    rings, not by "differs from the background", keeps busy photo texture beside the
    letters out of the hole.
    """
    w = _outline_width(crop, core, region)
    body = cv2.dilate(core.astype(np.uint8), _disk(w)).astype(bool) & region if w else core.copy()
    edge = cv2.dilate(body.astype(np.uint8), _disk(1)).astype(bool) & ~body & region
    hole = cv2.dilate(body.astype(np.uint8), _disk(3)).astype(bool) & region
    bg = harmonic_fill(crop.transpose(2, 0, 1), hole, sweeps=60).transpose(1, 2, 0)
    changed = np.abs(crop - bg).max(axis=-1) >= CHANGE
    return body | (edge & changed)


def _text_colour(crop: np.ndarray, cand: np.ndarray, diff: np.ndarray, hgt: float) -> np.ndarray | None:
    """The letters' fill colour among a box's stand-out pixels (None when there is none).

    Three k-means clusters of the stand-out pixels' colours.  The fill is a cluster
    that sits tight around its centre (photo structure is not one flat colour) and
    lies in thin strokes (little of it survives an erosion by an eighth of the line's
    height; a flat patch of photo does); of those, the one that stands out most.
    """
    pixels = crop[cand]
    if pixels.shape[0] < 12:
        return None
    data = pixels.reshape(-1, 3).astype(np.float32)
    k = min(3, data.shape[0])
    crit = (cv2.TERM_CRITERIA_EPS + cv2.TERM_CRITERIA_MAX_ITER, 20, 1.0)
    cv2.setRNGSeed(7)
    _c, labels, centres = cv2.kmeans(data, k, None, crit, 3, cv2.KMEANS_PP_CENTERS)
    labels = labels.ravel()
    lab_img = np.full(cand.shape, -1, np.int32)
    lab_img[cand] = labels
    r = max(1, int(round(0.12 * hgt)))
    best, best_score = None, 0.0
    for j in range(k):
        sel = labels == j
        members = data[sel]
        if members.shape[0] < 0.15 * data.shape[0]:
            continue
        spread = float(np.median(np.abs(members - centres[j]).max(axis=-1)))
        if spread >= 20.0:
            continue
        mask = (lab_img == j).astype(np.uint8)
        thick = float(cv2.erode(mask, _disk(r)).sum()) / max(1.0, float(mask.sum()))
        score = members.shape[0] * float(np.mean(diff[cand][sel])) * max(0.0, 1.0 - 2.0 * thick)
        if score > best_score:
            best, best_score = centres[j], score
    return best


def _otsu(values: np.ndarray) -> float:
    if values.size == 0:
        return 0.0
    v = np.clip(values, 0, 255).astype(np.uint8).reshape(-1, 1)
    t, _ = cv2.threshold(v, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    return float(t)


def detect_text_mask(
    image: np.ndarray, *, margin: int = 0, min_read: float = MIN_READ, cancel: CancelToken | None = None
) -> TextMask:
    """A hole mask covering the text in ``image`` (RGB/RGBA, uint8/uint16, or grey).

    Raises:
        TextDetectorUnavailable: rapidocr/onnxruntime missing (the message says how to install).
    """
    rgb = _rgb8(image)
    boxes, scores, texts = detect_boxes(rgb, min_read=min_read)
    mask = np.zeros(rgb.shape[:2], bool)
    kept: tuple[list, list, list] = ([], [], [])
    for b, sc, tx in zip(boxes, scores, texts):
        if cancel is not None:
            cancel.raise_if_cancelled()
        g = glyph_pixels(rgb, b, margin)
        if g.any():
            mask |= g
            kept[0].append(b)
            kept[1].append(sc)
            kept[2].append(tx)
    return TextMask(mask, *kept)
