"""A validation set from the photos a run held out (``--holdout-every N``).

Choices made while training (which checkpoint, which schedule) must not be tuned on
the eval set that reports the result; this writes ``(image, mask)`` pairs in the eval
set's layout (``images/``, ``masks/``, ``pairs.csv`` with hole-ratio bins) from the
held-out photos, so ``inpaint-studio eval`` runs on it unchanged.  Masks are free-form
(the training sampler) or irregular (NVIDIA-style: ribbons, specks, blobs), at the
photo's own size, one per photo, bins in rotation.

    python -m inpaint_studio.training.valset --data DIR --every 20 --out runs/val
"""

from __future__ import annotations

import argparse
import csv
from pathlib import Path

import cv2
import numpy as np

from ..core.atomic import atomic_path
from .data import list_images, read_rgb, split_holdout
from .masks import free_form_mask, irregular_mask

BINS = [(0.01, 0.10), (0.10, 0.20), (0.20, 0.30), (0.30, 0.40), (0.40, 0.50), (0.50, 0.60)]


def bin_name(lo: float, hi: float) -> str:
    return f"{round(lo * 100):02d}-{round(hi * 100)}%"


#: Mask styles: the training sampler's free-form strokes, NVIDIA-style irregular masks,
#: or irregular masks of fewer, wider parts the larger the hole ("irregular-deep": the
#: NVIDIA masks' large ratios are deep holes, which the plain style rarely makes).
MASK_KINDS = ("free-form", "irregular", "irregular-deep")


def mask_in_bin(
    h: int, w: int, lo: float, hi: float, rng: np.random.Generator, tries: int = 3000, kind: str = "free-form"
) -> np.ndarray | None:
    """A mask of ``kind`` whose hole ratio is in ``[lo, hi)``, or None if none was drawn."""
    for _ in range(tries):
        if kind == "irregular":
            m = irregular_mask(h, w, rng, parts=4 + int(hi * 40))
        elif kind == "irregular-deep":
            m = irregular_mask(h, w, rng, parts=2 + int(hi * 10), scale=1.0 + 3.0 * hi)
        else:
            m = free_form_mask(h, w, rng, box_prob=0.5 if hi > 0.3 else 0.2, max_strokes=12 if hi > 0.3 else 6)
        if lo <= m.mean() < hi:
            return m
    return None


def make_valset(data: str | Path, out: str | Path, every: int, seed: int = 1234, kind: str = "free-form") -> int:
    """Write the pairs; returns how many."""
    out = Path(out)
    (out / "images").mkdir(parents=True, exist_ok=True)
    (out / "masks").mkdir(parents=True, exist_ok=True)
    _, held = split_holdout(list_images(data), every)
    rng = np.random.default_rng(seed)
    rows = []
    for i, path in enumerate(held):
        img = read_rgb(path)
        if img is None:
            continue
        lo, hi = BINS[i % len(BINS)]
        m = mask_in_bin(img.shape[0], img.shape[1], lo, hi, rng, kind=kind)
        if m is None:
            continue
        name = f"{i:04d}_{path.stem}"
        cv2.imwrite(str(out / "images" / f"{name}.png"), cv2.cvtColor(img, cv2.COLOR_RGB2BGR))
        cv2.imwrite(str(out / "masks" / f"{name}.png"), m.astype(np.uint8) * 255)
        rows.append({"image": f"{name}.png", "mask": f"{name}.png", "hole_ratio_bin": bin_name(lo, hi)})
    with atomic_path(out / "pairs.csv") as tmp, open(tmp, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=["image", "mask", "hole_ratio_bin"])
        w.writeheader()
        w.writerows(rows)
    return len(rows)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", required=True)
    ap.add_argument("--every", type=int, required=True, help="the trainer's --holdout-every")
    ap.add_argument("--out", required=True)
    ap.add_argument("--seed", type=int, default=1234)
    ap.add_argument("--masks", choices=MASK_KINDS, default="free-form", help="mask style (default free-form)")
    args = ap.parse_args(argv)
    n = make_valset(args.data, args.out, args.every, args.seed, args.masks)
    print(f"{n} pairs in {args.out}/pairs.csv")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
