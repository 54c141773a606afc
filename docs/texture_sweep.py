"""Texture (``InpaintOptions.texture``, ``batch --texture``): PSNR cost by amount.

    python docs/texture_sweep.py --data runs/val20 --pairs runs/val20/pairs.csv

For each pair: deepfill's default fill without texture and Telea's, through the engine;
then the texture synthesised once on the whole photo (``engine.texture.synthesize``,
guided by that fill, as the engine does on the hole's crop) and blended into the fill
at 0.3, 0.5, 0.7 and 1.  Prints the mean PSNR gain over Telea on the 10-50 % bins for
each, and the seconds the synthesis took per pair.
"""

from __future__ import annotations

import argparse
import time
from collections import defaultdict

import numpy as np

from inpaint_studio.engine import Engine, InpaintOptions
from inpaint_studio.engine.texture import synthesize
from inpaint_studio.training.evaluate import load_pair, read_pairs
from inpaint_studio.training.metrics import psnr

BINS = ("10-20%", "20-30%", "30-40%", "40-50%")
AMOUNTS = (0.0, 0.3, 0.5, 0.7, 1.0)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", required=True)
    ap.add_argument("--pairs", required=True)
    args = ap.parse_args()
    engine = Engine()
    gains: dict[float, dict[str, list[float]]] = {a: defaultdict(list) for a in AMOUNTS}
    seconds = []
    for pair in read_pairs(args.data, args.pairs):
        if pair.bin not in BINS:
            continue
        img, mask = load_pair(pair)
        blanked = img.copy()
        blanked[mask] = 0
        fill, telea = (engine.inpaint(blanked, mask, options=InpaintOptions(method=m, device="cpu", feather=0,
                                                                             texture=0.0)).pixels
                       for m in ("deepfill", "telea"))
        t0 = time.perf_counter()
        made = synthesize(blanked.astype(np.float32) / 255, mask, fill.astype(np.float32) / 255) * 255
        seconds.append(time.perf_counter() - t0)
        base = psnr(telea, img)
        for a in AMOUNTS:
            out = np.clip(fill + a * (made - fill) + 0.5, 0, 255).astype(np.uint8)
            gains[a][pair.bin].append(psnr(out, img) - base)
    print("| texture | gain over Telea, 10-50 % bins (dB) |\n|---|---|")
    for a in AMOUNTS:
        print(f"| {a:g} | {np.mean([np.mean(gains[a][b]) for b in BINS]):+.3f} |")
    print(f"\nsynthesis: {np.mean(seconds):.2f} s per pair (mean of {len(seconds)})")


if __name__ == "__main__":
    main()
