"""Experiment (not in the app): the photo's own fine grain copied into a smooth fill.

The GAN refiner draws texture where it has learned some (fur, grass, foliage) and
almost none on low-contrast surfaces such as snow or sky haze, where a smooth fill
reads as a smudge.  This tries an exemplar source instead: the fine band of the known
photo (what a Gaussian blur of σ 2 px removes), copied with one shift per hole pixel.
For K random shifts, the cost of a shift at a pixel is the squared difference of the
smooth fill's low band and the shifted photo's low band, summed over a 9×9 window
(windows overlap, so neighbours pick the same shift and the copied grain stays
coherent); sources within 8 px of the hole do not count.  The hole gets
``smooth + amount × copied fine band``.

    python docs/exemplar_grain_experiment.py --data runs/val20 --pairs runs/val20/pairs.csv
    python docs/exemplar_grain_experiment.py --photo ../shared/data/eval/images/bsds_100007.jpg \\
        --box 96 130 246 224 --out docs/exemplar_grain.jpg
"""

from __future__ import annotations

import argparse

import cv2
import numpy as np

BINS = ("10-20%", "20-30%", "30-40%", "40-50%")


def blur(x: np.ndarray, sigma: float) -> np.ndarray:
    r = int(np.ceil(4 * sigma))
    return cv2.GaussianBlur(x, (2 * r + 1, 2 * r + 1), sigma, borderType=cv2.BORDER_REFLECT_101)


def exemplar_band(smooth: np.ndarray, mask: np.ndarray, shifts: int = 48, win: int = 9, seed: int = 0) -> np.ndarray:
    """The known photo's fine band, moved into the hole by the best of ``shifts`` shifts."""
    h, w = mask.shape
    low = blur(smooth, 2.0)
    fine = smooth - low
    source_ok = ~(cv2.dilate(mask.astype(np.uint8), np.ones((17, 17), np.uint8)) > 0)
    rng = np.random.default_rng(seed)
    best = np.full((h, w), np.inf, np.float32)
    out = np.zeros_like(smooth)
    for _ in range(shifts):
        dy, dx = int(rng.integers(-h + 1, h)), int(rng.integers(-w + 1, w))
        y0, y1, x0, x1 = max(0, -dy), min(h, h - dy), max(0, -dx), min(w, w - dx)
        low_s, fine_s, ok = np.zeros_like(low), np.zeros_like(fine), np.zeros((h, w), bool)
        low_s[y0:y1, x0:x1] = low[y0 + dy : y1 + dy, x0 + dx : x1 + dx]
        fine_s[y0:y1, x0:x1] = fine[y0 + dy : y1 + dy, x0 + dx : x1 + dx]
        ok[y0:y1, x0:x1] = source_ok[y0 + dy : y1 + dy, x0 + dx : x1 + dx]
        cost = np.where(ok, ((low - low_s) ** 2).sum(-1), 1e6).astype(np.float32)
        cost = cv2.boxFilter(cost, -1, (win, win))
        cost[~ok] = np.inf
        better = (cost < best) & mask
        best[better] = cost[better]
        out[better] = fine_s[better]
    return out


def main() -> None:
    from inpaint_studio.engine import Engine, InpaintOptions
    from inpaint_studio.training.evaluate import load_pair, read_pairs
    from inpaint_studio.training.metrics import psnr

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data")
    ap.add_argument("--pairs")
    ap.add_argument("--photo")
    ap.add_argument("--box", type=int, nargs=4, metavar=("X0", "Y0", "X1", "Y1"))
    ap.add_argument("--out", default="exemplar_grain.jpg")
    args = ap.parse_args()
    engine = Engine()

    def fill(img: np.ndarray, mask: np.ndarray, detail: float | None) -> np.ndarray:
        blanked = img.copy()
        blanked[mask] = 0
        opts = InpaintOptions(method="deepfill", detail=detail, device="cpu", feather=0)
        return engine.inpaint(blanked, mask, options=opts).pixels

    def mixed(img: np.ndarray, mask: np.ndarray, smooth: np.ndarray, band: np.ndarray, amount: float) -> np.ndarray:
        out = np.where(mask[..., None], smooth.astype(np.float32) + amount * band, img)
        return np.clip(np.rint(out), 0, 255).astype(np.uint8)

    if args.photo:
        img = cv2.cvtColor(cv2.imread(args.photo), cv2.COLOR_BGR2RGB)
        x0, y0, x1, y1 = args.box
        mask = np.zeros(img.shape[:2], bool)
        mask[y0:y1, x0:x1] = True
        smooth = fill(img, mask, 0.0)
        band = exemplar_band(smooth.astype(np.float32), mask)
        tiles = [fill(img, mask, None), mixed(img, mask, smooth, band, 0.5), mixed(img, mask, smooth, band, 1.0)]
        m = 30
        ys = slice(max(0, y0 - m), min(img.shape[0], y1 + m))
        xs = slice(max(0, x0 - m), min(img.shape[1], x1 + m))
        row = np.concatenate([np.pad(t[ys, xs], ((2, 2), (2, 2), (0, 0)), constant_values=255) for t in tiles], 1)
        row = cv2.resize(row, None, fx=2, fy=2, interpolation=cv2.INTER_NEAREST)
        cv2.imwrite(args.out, cv2.cvtColor(row, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 92])
        print(args.out, "columns: deepfill default | + photo grain 0.5 | + photo grain 1")
        return
    amounts = (0.0, 0.25, 0.5, 1.0)
    scores = {a: {b: [] for b in BINS} for a in (*amounts, "telea")}
    for p in read_pairs(args.data, args.pairs):
        if p.bin not in BINS:
            continue
        img, mask = load_pair(p)
        smooth = fill(img, mask, 0.0)
        band = exemplar_band(smooth.astype(np.float32), mask)
        for a in amounts:
            scores[a][p.bin].append(psnr(mixed(img, mask, smooth, band, a), img))
        blanked = img.copy()
        blanked[mask] = 0
        telea = engine.inpaint(blanked, mask, options=InpaintOptions(method="telea", feather=0)).pixels
        scores["telea"][p.bin].append(psnr(telea, img))
    for a in amounts:
        gain = np.mean([np.mean(scores[a][b]) - np.mean(scores["telea"][b]) for b in BINS])
        print(f"| detail 0 + photo grain {a:g} | {gain:+.3f} dB |")


if __name__ == "__main__":
    main()
