"""High-resolution strategy: fill small crops around holes, paste back only hole pixels.

A 24 MP photo with a 1 % hole should cost about as much as the hole, not the photo.
So each hole region (nearby holes merged) gets a crop with context around it; the
crop is scaled down so the model sees at most its working size; the fill is scaled
back up and written into the photo **only where the mask is set**.  Outside the
mask the output is the input array itself, bit for bit.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import cv2
import numpy as np

from .box import Box, mask_box
from .masks import connected_regions, dilate


@dataclass(frozen=True)
class Region:
    """One crop to fill.

    Attributes:
        box: crop in photo pixels (hole bounding box + context), clipped to the photo.
        hole_box: bounding box of the hole pixels inside it.
        scale: factor from photo pixels to working pixels (<= 1).
    """

    box: Box
    hole_box: Box
    scale: float

    @property
    def work_size(self) -> tuple[int, int]:
        """(width, height) the fill method sees."""
        return (
            max(1, int(round(self.box.width * self.scale))),
            max(1, int(round(self.box.height * self.scale))),
        )

    def at_most(self, side: int) -> Region:
        """The same crop scaled so its longer side is at most ``side`` working pixels."""
        scale = min(self.scale, side / max(self.box.width, self.box.height))
        return self if scale == self.scale else replace(self, scale=scale)


def plan_regions(
    mask: np.ndarray,
    working_size: int = 512,
    context: float = 0.5,
    min_context: int = 32,
    merge_distance: int = 16,
    min_crop: int = 128,
) -> list[Region]:
    """Group hole pixels into crops, each with enough surrounding context.

    Args:
        mask: boolean hole mask of the photo.
        working_size: longest side the fill method should see.
        context: margin around a hole as a fraction of the hole's longer side.
        min_context: margin in photo pixels at least.
        merge_distance: holes closer than this are filled together.
        min_crop: crops are grown to at least this side (when the photo allows), so
            tiny holes still come with context.
    """
    h, w = mask.shape
    holes = hole_boxes(mask, merge_distance // 2 if merge_distance > 1 else 0)
    if not holes:
        return []
    boxes: list[tuple[Box, Box]] = []
    for hb in holes:
        side = max(hb.width, hb.height)
        margin = max(min_context, int(round(side * context)))
        cx, cy = (hb.x0 + hb.x1) / 2, (hb.y0 + hb.y1) / 2
        half_w = max(hb.width / 2 + margin, min_crop / 2)
        half_h = max(hb.height / 2 + margin, min_crop / 2)
        box = _clip_box(cx - half_w, cy - half_h, cx + half_w, cy + half_h, w, h)
        boxes.append((box, hb))

    # Merge overlapping crops until stable: overlapping crops filled separately
    # would overwrite each other's context.
    merged = True
    while merged:
        merged = False
        out: list[tuple[Box, Box]] = []
        for box, hb in boxes:
            for i, (ob, ohb) in enumerate(out):
                if ob.overlaps(box):
                    out[i] = (ob.union(box), ohb.union(hb))
                    merged = True
                    break
            else:
                out.append((box, hb))
        boxes = out

    regions = []
    for box, hb in boxes:
        hb = Box(max(hb.y0, box.y0), min(hb.y1, box.y1), max(hb.x0, box.x0), min(hb.x1, box.x1))
        scale = min(1.0, working_size / max(box.width, box.height))
        regions.append(Region(box=box, hole_box=hb, scale=scale))
    regions.sort(key=lambda r: (r.box.y0, r.box.x0))
    return regions


def hole_boxes(mask: np.ndarray, radius: int = 0) -> list[Box]:
    """Boxes of the hole regions after closing gaps: ``connected_regions(dilate(mask, radius))``.

    Only the holes' bounding box (grown by ``radius``) is dilated and labelled: on a
    24 MP photo with one hole, doing the whole mask cost ~0.5 s, the box ~1/20 of it.
    Pixels beyond the box are all known, so the labels are the same.
    """
    h, w = mask.shape
    tight = mask_box(mask)
    if tight is None:
        return []
    oy, ox = max(0, tight.y0 - radius - 1), max(0, tight.x0 - radius - 1)
    sub = mask[oy : min(h, tight.y1 + radius + 1), ox : min(w, tight.x1 + radius + 1)]
    probe = dilate(sub, radius) if radius > 0 else sub
    return [b.shifted(oy, ox) for b in connected_regions(probe)]


def _clip_box(x0: float, y0: float, x1: float, y1: float, w: int, h: int) -> Box:
    """Clip to the photo, shifting (not shrinking) the box where it hits an edge."""
    bw, bh = x1 - x0, y1 - y0
    if bw >= w:
        x0, x1 = 0, w
    else:
        x0 = min(max(0.0, x0), w - bw)
        x1 = x0 + bw
    if bh >= h:
        y0, y1 = 0, h
    else:
        y0 = min(max(0.0, y0), h - bh)
        y1 = y0 + bh
    return Box(y0=int(np.floor(y0)), y1=min(h, int(np.ceil(y1))), x0=int(np.floor(x0)), x1=min(w, int(np.ceil(x1))))


def to_float_rgb(pixels: np.ndarray) -> np.ndarray:
    """RGB channels as float32 in [0, 1] (alpha dropped: only colour is filled)."""
    rgb = pixels[..., :3]
    scale = 65535.0 if pixels.dtype == np.uint16 else 255.0
    return rgb.astype(np.float32) * np.float32(1.0 / scale)


def from_float_rgb(rgb: np.ndarray, dtype: np.dtype) -> np.ndarray:
    scale = 65535.0 if np.dtype(dtype) == np.uint16 else 255.0
    return np.clip(np.rint(rgb * scale), 0, scale).astype(dtype)


def extract_crop(
    pixels: np.ndarray,
    mask: np.ndarray,
    region: Region,
    edges: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """The working-size inputs of one region: float RGB, boolean hole, float edges.

    The hole is scaled conservatively (a working pixel is hole if any photo pixel under
    it is) so the model never treats half-covered object pixels as known context.
    Scaling happens on the integer pixels, before the float conversion, so a crop of
    a 24 MP photo never exists as float32 at full size.
    """
    ys, xs = region.box.slices()
    crop = pixels[ys, xs, :3]
    hole = mask[ys, xs]
    e = edges[ys, xs] if edges is not None else None
    if region.scale < 1.0:
        size = region.work_size
        crop = cv2.resize(np.ascontiguousarray(crop), size, interpolation=cv2.INTER_AREA)
        # 0/255 (not 0/1) so that one hole pixel under a working pixel survives the
        # averaging; uint8 keeps a 24 MP crop's mask at 1 byte per pixel.
        hole = cv2.resize(hole.astype(np.uint8) * np.uint8(255), size, interpolation=cv2.INTER_AREA) > 0
        if e is not None:
            e = cv2.resize(e.astype(np.float32), size, interpolation=cv2.INTER_AREA)
            # Thin strokes must survive downscaling: boost what averaging thinned out.
            e = np.clip(e * (1.0 / max(region.scale, 1e-6)) ** 0.5, 0, 1)
    rgb = to_float_rgb(crop)
    if e is not None:
        e = e.astype(np.float32)
    return np.ascontiguousarray(rgb), np.ascontiguousarray(hole), e


def seam_alpha(hole: np.ndarray, feather_px: int) -> np.ndarray:
    """Blend weight inside the hole: ramps up over ``feather_px`` from the hole border.

    Outside the hole it is exactly 0, so pasting never touches known pixels.
    """
    if feather_px <= 0:
        return hole.astype(np.float32)
    dist = cv2.distanceTransform(hole.view(np.uint8), cv2.DIST_L2, 3)
    return np.clip(dist / float(feather_px + 1), 0.0, 1.0).astype(np.float32) * hole


def paste_fill(
    out_pixels: np.ndarray,
    original: np.ndarray,
    mask: np.ndarray,
    region: Region,
    fill_work: np.ndarray,
    feather_px: int = 0,
) -> None:
    """Scale a working-size fill back and write it into ``out_pixels`` at hole pixels only.

    ``out_pixels`` is modified in place; pixels where ``mask`` is False are never written.
    Only the hole's bounding box is touched, and the upscaled fill stays in the photo's
    integer type, so memory follows the hole, not the crop.
    """
    box = region.box
    hb = region.hole_box
    # Hole bounding box in crop coordinates (a little wider for the cubic kernel).
    hy0, hx0 = hb.y0 - box.y0, hb.x0 - box.x0
    hy1, hx1 = hb.y1 - box.y0, hb.x1 - box.x0
    hole = mask[hb.y0 : hb.y1, hb.x0 : hb.x1]
    if not hole.any():
        return
    small = from_float_rgb(np.clip(fill_work, 0, 1), original.dtype)
    if small.shape[:2] != (box.height, box.width):
        sy = small.shape[0] / box.height
        sx = small.shape[1] / box.width
        # Resize only the window of the fill that lands on the hole's bounding box.
        m = np.array([[sx, 0, (hx0 + 0.5) * sx - 0.5], [0, sy, (hy0 + 0.5) * sy - 0.5]], np.float32)
        fill = cv2.warpAffine(
            small,
            m,
            (hx1 - hx0, hy1 - hy0),
            flags=cv2.INTER_CUBIC | cv2.WARP_INVERSE_MAP,
            borderMode=cv2.BORDER_REPLICATE,
        )
    else:
        fill = small[hy0:hy1, hx0:hx1]
    dst = out_pixels[hb.y0 : hb.y1, hb.x0 : hb.x1]
    if feather_px > 0:
        alpha = seam_alpha(hole, feather_px)
        band = hole & (alpha < 1.0)
        solid = hole & ~band
        dst[..., :3][solid] = fill[solid]
        if band.any():
            a = alpha[band][:, None]
            orig = original[hb.y0 : hb.y1, hb.x0 : hb.x1, :3][band].astype(np.float32)
            mixed = a * fill[band].astype(np.float32) + (1.0 - a) * orig
            top = 65535 if original.dtype == np.uint16 else 255
            dst[..., :3][band] = np.clip(np.rint(mixed), 0, top).astype(original.dtype)
    else:
        copy_where(dst[..., :3], fill, hole)


def copy_where(dst: np.ndarray, src: np.ndarray, where: np.ndarray) -> None:
    """``dst[where] = src[where]`` in place, for (H, W, C) views and an (H, W) mask.

    Boolean indexing gathers and scatters every selected pixel through a temporary;
    OpenCV's masked copy is one pass with none, which matters on a large hole of a big
    photo (docs/BENCHMARKS.md).  Views OpenCV cannot write into (the colour channels of an RGBA
    photo) take numpy's masked copy, which is still a single pass.
    """
    m8 = where.view(np.uint8)
    if dst.strides[-1] == dst.itemsize and dst.strides[-2] == dst.itemsize * dst.shape[-1]:
        try:
            if cv2.copyTo(src, m8, dst) is dst:
                return
        except cv2.error:
            pass
    np.copyto(dst, src, where=where[..., None])
