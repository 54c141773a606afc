"""Sample sheets at 1:1: crops around holes, input | baselines | ours | truth, unscaled.

A fill is judged by how it looks at 100 % zoom; thumbnails hide exactly what matters
(smear, seams, repeated patches).  Each row is one (photo, mask) pair of an eval-style
folder, cropped to the hole's bounding box plus a margin, every tile at the photo's own
pixels.

    .venv/bin/python tools/fill_sheets.py --data ../shared/data/eval --pairs ../shared/data/eval/pairs.csv \\
        --pick bsds_12003.jpg:01234.png,... --methods telea,patchmatch,guided --out docs/sheets/fill_1to1.jpg
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from inpaint_studio.engine import Engine  # noqa: E402
from inpaint_studio.training.evaluate import (  # noqa: E402
    Contender,
    contender,
    fills_file,
    label_tile,
    load_pair,
    read_pairs,
)


def _fill(engine: Engine, c: Contender, pair, img: np.ndarray, mask: np.ndarray) -> np.ndarray:  # noqa: ANN001
    if c.options is None:
        assert c.folder is not None
        return cv2.cvtColor(cv2.imread(str(fills_file(c.folder, pair))), cv2.COLOR_BGR2RGB)
    blank = img.copy()
    blank[mask] = 0
    return engine.inpaint(blank, mask, options=c.options).pixels


def row(engine: Engine, pair, methods: list[Contender], margin: int, max_side: int) -> np.ndarray:  # noqa: ANN001
    img, mask = load_pair(pair)
    ys, xs = np.nonzero(mask)
    h, w = mask.shape
    y0, y1 = max(0, ys.min() - margin), min(h, ys.max() + 1 + margin)
    x0, x1 = max(0, xs.min() - margin), min(w, xs.max() + 1 + margin)
    y1, x1 = min(y1, y0 + max_side), min(x1, x0 + max_side)
    shown = img.copy()
    shown[mask] = (255, 255, 255)
    tiles = [label_tile(shown[y0:y1, x0:x1], f"{pair.image.stem} {pair.bin}")]
    for c in methods:
        out = _fill(engine, c, pair, img, mask)
        tiles.append(label_tile(out[y0:y1, x0:x1], c.label))
    tiles.append(label_tile(img[y0:y1, x0:x1], "truth"))
    gap = np.full((y1 - y0, 4, 3), 255, np.uint8)
    parts = []
    for t in tiles:
        parts += [t, gap]
    return np.concatenate(parts[:-1], axis=1)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", required=True)
    ap.add_argument("--pairs", required=True)
    ap.add_argument("--pick", required=True, help="comma-separated IMAGE:MASK names from the pairs file")
    ap.add_argument(
        "--methods", default="telea,patchmatch,guided", help="fill methods (or files:DIR), as eval names them"
    )
    ap.add_argument("--edges", default="off", help="the last method follows these edges (as eval --edges)")
    ap.add_argument("--margin", type=int, default=24)
    ap.add_argument("--max-side", type=int, default=360, help="crop at most this many pixels each way")
    ap.add_argument("--out", type=Path, required=True)
    args = ap.parse_args()
    pairs = {(p.image.name, p.mask.name): p for p in read_pairs(args.data, args.pairs)}
    engine = Engine()
    names = args.methods.split(",")
    methods = [contender(n, args.edges if i == len(names) - 1 else "off") for i, n in enumerate(names)]
    rows = []
    for item in args.pick.split(","):
        image, _, mask = item.partition(":")
        rows.append(row(engine, pairs[(image, mask)], methods, args.margin, args.max_side))
    width = max(r.shape[1] for r in rows)
    sheet = np.concatenate([np.pad(r, ((0, 6), (0, width - r.shape[1]), (0, 0)), constant_values=255) for r in rows])
    args.out.parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(args.out), cv2.cvtColor(sheet, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 95])
    print(f"{args.out}: {sheet.shape[1]}x{sheet.shape[0]}, {len(rows)} rows at 1:1")
    return 0


if __name__ == "__main__":
    sys.exit(main())
