"""Close-ups of eval holes at several Detail settings, for docs/detail_samples.jpg.

The eval's own ``samples.png`` shows whole photos at thumbnail size, where the
difference between a smooth fill and a textured one is invisible; this crops each
row to the hole so the texture (or its absence) can be judged by eye.

    python docs/make_detail_samples.py --data ../shared/data/eval --pairs ../shared/data/eval/pairs.csv \
        --bins 20-30% 30-40% 40-50% --per-bin 2 --grain 0.5 --out docs/detail_samples.jpg

and, for docs/texture_samples.jpg (the default fill without, at and above its texture):

    python docs/make_detail_samples.py --data ../shared/data/eval --pairs ../shared/data/eval/pairs.csv \
        --bins 30-40% 40-50% --per-bin 3 --methods telea deepfill deepfill+t0.5 deepfill+t1 \
        --out docs/texture_samples.jpg
"""

from __future__ import annotations

import argparse
from collections import defaultdict

import cv2
import numpy as np

from inpaint_studio.engine import Engine, InpaintOptions
from inpaint_studio.training.evaluate import label_tile, load_pair, read_pairs, split_spec

#: Fill methods between the input and the truth; plain ``deepfill`` is the default detail.
METHODS = ["telea", "deepfill:0", "deepfill", "deepfill:1"]


def hole_crop(mask: np.ndarray, size: int) -> tuple[slice, slice]:
    """A square window of ``size`` centred on the hole's largest part, inside the image."""
    n, labels, stats, cents = cv2.connectedComponentsWithStats(mask.astype(np.uint8))
    big = 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA])) if n > 1 else 0
    cx, cy = cents[big] if n > 1 else (mask.shape[1] / 2, mask.shape[0] / 2)
    h, w = mask.shape
    size = min(size, h, w)
    x0 = int(np.clip(cx - size / 2, 0, w - size))
    y0 = int(np.clip(cy - size / 2, 0, h - size))
    return slice(y0, y0 + size), slice(x0, x0 + size)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", required=True)
    ap.add_argument("--pairs", required=True)
    ap.add_argument("--bins", nargs="+", default=["20-30%", "30-40%", "40-50%"])
    ap.add_argument("--per-bin", type=int, default=2)
    ap.add_argument("--skip", type=int, default=13, help="look at every SKIP-th pair of a bin (pairs.csv lists one photo's masks together)")
    ap.add_argument("--crop", type=int, default=224)
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("--methods", nargs="+", default=METHODS,
                    help="fill methods, eval syntax (NAME[:DETAIL][+tTEXTURE]; no texture unless +t says so)")
    ap.add_argument("--grain", type=float, nargs="*", default=[], metavar="G",
                    help="also a column of the default deepfill fill with photo grain G, for each G")
    ap.add_argument("--out", required=True)
    args = ap.parse_args()

    by_bin: dict[str, list] = defaultdict(list)
    for p in read_pairs(args.data, args.pairs):
        by_bin[p.bin].append(p)
    engine = Engine()
    rows = []
    used: set[str] = set()
    for b in args.bins:
        picked = []
        for p in by_bin[b][:: args.skip]:
            if p.image.stem not in used and len(picked) < args.per_bin:
                picked.append(p)
                used.add(p.image.stem)
        for p in picked:
            img, mask = load_pair(p)
            blanked = img.copy()
            blanked[mask] = 0
            ys, xs = hole_crop(mask, args.crop)
            shown = img.copy()
            shown[mask] = 255
            tiles = [shown]
            titles = [f"{p.image.stem} {b}"]
            for spec in args.methods:
                name, _, detail, texture = split_spec(spec)
                res = engine.inpaint(blanked, mask, options=InpaintOptions(method=name, detail=detail, feather=0,
                                                                           device="cpu", texture=texture or 0.0))
                if res.method != name or (detail is not None and res.detail != detail):
                    raise SystemExit(f"{spec} was not applied ({res.method}, detail {res.detail}): {res.warnings}")
                tiles.append(res.pixels)
                title = spec if detail is not None or res.detail is None else f"{name} detail {res.detail:g}"
                titles.append(title if texture is None or title == spec else f"{title} texture {texture:g}")
            for g in args.grain:
                res = engine.inpaint(blanked, mask, options=InpaintOptions(method="deepfill", grain=g, feather=0, device="cpu", texture=0.0))
                tiles.append(res.pixels)
                titles.append(f"deepfill + grain {g:g}")
            tiles.append(img)
            titles.append("truth")
            crops = [label_tile(t[ys, xs], title) for t, title in zip(tiles, titles)]
            rows.append(np.concatenate([np.pad(c, ((2, 2), (2, 2), (0, 0)), constant_values=255) for c in crops], axis=1))
    grid = np.concatenate(rows, axis=0)
    if args.scale != 1.0:
        grid = cv2.resize(grid, None, fx=args.scale, fy=args.scale, interpolation=cv2.INTER_AREA)
    cv2.imwrite(args.out, cv2.cvtColor(grid, cv2.COLOR_RGB2BGR))
    print(args.out, grid.shape)


if __name__ == "__main__":
    main()
