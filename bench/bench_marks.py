"""Watermark and text removal quality on real photos with synthetic marks and text.

Run:  .venv/bin/python bench/bench_marks.py [--part watermark|text|all] [--data ../shared/data/train]

Watermark: two sets of 12 photos (512x384 crops of training photos), one sharing a
white mark, one a dark one, opacity 0.3 at the mark's left to 0.6 at its right,
each photo's copy shifted by up to +-40 px.  The mark is estimated from each set with
no hint, found, inverted and, where near-opaque, filled with the engine's default
fill.  Reported: PSNR inside the mark's true footprint (every pixel the mark changed)
against the clean photo, and for reference the same footprint filled by the default
fill with a template mask at the true place (the best a template can do: the photo
under the mark is thrown away and guessed).

Text: 16 photos with a caption and a date stamp (light glyphs with a dark outline or
plain coloured digits, several fonts and sizes).  Reported: share of text pixels
(every pixel the drawn text changed) inside the automatic mask, mask area over text
area, and PSNR in the text band of the default fill with the automatic mask against
the same fill with the perfect mask.

Both check that no pixel farther than 60 px from a mark or text changed.  With
``--jpeg Q`` the marked photos are JPEG-compressed first (the clean reference is not).
A benchmark, not a test: it needs the photos in ``--data``.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from inpaint_studio.engine import Engine, InpaintOptions  # noqa: E402
from inpaint_studio.engine.text_mask import detect_text_mask  # noqa: E402
from inpaint_studio.engine.watermark import invert_watermark  # noqa: E402
from inpaint_studio.engine.watermark_estimate import estimate_watermark  # noqa: E402
from inpaint_studio.training.synthetic_marks import (  # noqa: E402
    blend_mark,
    draw_text,
    make_mark,
    mark_footprint,
)

W, H = 512, 384


def _photos(data: Path, n: int, offset: int) -> list[np.ndarray]:
    files = sorted(p for p in data.iterdir() if p.suffix.lower() in {".jpg", ".jpeg", ".png", ".webp"})
    step = max(1, len(files) // (4 * n))
    out = []
    for p in files[offset::step]:
        img = np.asarray(Image.open(p).convert("RGB"))
        h, w = img.shape[:2]
        s = max(W / w, H / h)
        img = cv2.resize(img, (max(W, round(w * s)), max(H, round(h * s))), interpolation=cv2.INTER_AREA)
        y0, x0 = (img.shape[0] - H) // 2, (img.shape[1] - W) // 2
        out.append(np.ascontiguousarray(img[y0 : y0 + H, x0 : x0 + W]))
        if len(out) == n:
            break
    return out


def _psnr(a: np.ndarray, b: np.ndarray, where: np.ndarray) -> float:
    d = a.astype(np.float64)[where] - b.astype(np.float64)[where]
    mse = float(np.mean(d * d)) if d.size else 0.0
    return 99.0 if mse == 0 else 10 * np.log10(255.0**2 / mse)


def _far(mask: np.ndarray, px: int = 60) -> np.ndarray:
    dist = cv2.distanceTransform((~mask).astype(np.uint8), cv2.DIST_L2, 5)
    return dist > px


def _jpeg(img: np.ndarray, quality: int) -> np.ndarray:
    import io

    buf = io.BytesIO()
    Image.fromarray(img).save(buf, "JPEG", quality=quality)
    return np.asarray(Image.open(io.BytesIO(buf.getvalue())).convert("RGB"))


def bench_watermark(data: Path, engine: Engine, jpeg: int | None = None) -> list[str]:
    rng = np.random.default_rng(2017)
    rows = [
        "| set | photos found | PSNR in footprint, estimated + inverted (dB) | template fill at the true place (dB) | recovered by inversion | changed > 60 px away | seconds (estimate, per photo) |",  # noqa: E501 - a table row
        "|---|---|---|---|---|---|---|",
    ]
    for si, (name, colour) in enumerate([("white mark", (1.0, 1.0, 1.0)), ("dark mark", (0.08, 0.07, 0.06))]):
        clean = _photos(data, 12, offset=si * 7)
        mark = make_mark(200, 72, colour=colour, opacity=(0.3, 0.6))
        nominal = (W - 200 - 60, H - 72 - 60)
        marked, places = [], []
        for p in clean:
            x = nominal[0] + int(rng.integers(-40, 41))
            y = nominal[1] + int(rng.integers(-40, 41))
            j = blend_mark(p, mark, x, y)
            marked.append(j if jpeg is None else _jpeg(j, jpeg))
            places.append((x, y))
        t0 = time.perf_counter()
        est = estimate_watermark(marked)
        t_est = time.perf_counter() - t0
        ours, tmpl, shares, far_changed, found = [], [], [], 0, 0
        t1 = time.perf_counter()
        for p, j, (x, y) in zip(clean, marked, places):
            inv = invert_watermark(j, est)
            found += inv.match.found
            out = engine.inpaint(inv.pixels, inv.fill, None, InpaintOptions()).pixels if inv.fill.any() else inv.pixels
            foot = mark_footprint(p.shape, mark, x, y)
            ours.append(_psnr(out, p, foot))
            shares.append(inv.recovered_share)
            far_changed += int(np.any(out != j, axis=-1)[_far(foot)].sum())
            hole = cv2.dilate(foot.astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool)
            tmpl.append(_psnr(engine.inpaint(j, hole, None, InpaintOptions()).pixels, p, foot))
        t_photo = (time.perf_counter() - t1) / len(clean) / 2
        rows.append(
            f"| {name}{'' if jpeg is None else f', JPEG q{jpeg}'} | {found}/12 | {np.mean(ours):.1f} (min {np.min(ours):.1f}) | {np.mean(tmpl):.1f} (min {np.min(tmpl):.1f}) "  # noqa: E501 - a table row
            f"| {100 * np.mean(shares):.0f} % | {far_changed} px | {t_est:.1f}, {t_photo:.1f} |"
        )
        print(rows[-1], flush=True)
    return rows


CAPTIONS = [
    "Summer at the lake",
    "Grand Canyon 2019",
    "Happy birthday Anna!",
    "Sunset over the bay",
    "Family trip",
    "Winter in the mountains",
    "Our new house",
    "First day of school",
]
FONTS = [cv2.FONT_HERSHEY_DUPLEX, cv2.FONT_HERSHEY_SIMPLEX, cv2.FONT_HERSHEY_TRIPLEX, cv2.FONT_HERSHEY_COMPLEX]


def bench_text(data: Path, engine: Engine) -> list[str]:
    rng = np.random.default_rng(42)
    photos = _photos(data, 16, offset=3)
    cov, area, d_psnr, auto_p, perf_p, far_changed, secs, plain_hits = [], [], [], [], [], 0, [], 0
    for i, p in enumerate(photos):
        font = FONTS[i % len(FONTS)]
        cap = CAPTIONS[i % len(CAPTIONS)]
        date = f"20{rng.integers(10, 25)}-{rng.integers(1, 13):02d}-{rng.integers(1, 29):02d} {rng.integers(0, 24):02d}:{rng.integers(0, 60):02d}"  # noqa: E501
        fs = float(rng.uniform(0.9, 1.5))
        (tw, _), _ = cv2.getTextSize(cap, font, fs, 2)
        cy = int(rng.choice([50, H - 30]))
        lines_cap = [(cap, (int(rng.integers(10, max(11, W - tw - 10))), cy), fs)]
        st = draw_text(p, lines_cap, colour=(255, 255, 255), outline=(0, 0, 0), font=font)
        dfs = float(rng.uniform(0.6, 0.9))
        (dw, _), _ = cv2.getTextSize(date, cv2.FONT_HERSHEY_SIMPLEX, dfs, 2)
        dy = H - 20 if cy < H // 2 else 40
        st2 = draw_text(
            st.image,
            [(date, (W - dw - 20, dy), dfs)],
            colour=(255, 150, 30),
            outline=None,
            font=cv2.FONT_HERSHEY_SIMPLEX,
        )
        image = st2.image
        text = np.any(image != p, axis=-1)
        band = st.band | st2.band
        t0 = time.perf_counter()
        tm = detect_text_mask(image)
        secs.append(time.perf_counter() - t0)
        cov.append((tm.mask & text).sum() / text.sum())
        area.append(tm.mask.sum() / text.sum())
        fill_auto = engine.inpaint(image, tm.mask, None, InpaintOptions()).pixels
        fill_perf = engine.inpaint(image, text, None, InpaintOptions()).pixels
        a, b = _psnr(fill_auto, p, band), _psnr(fill_perf, p, band)
        auto_p.append(a)
        perf_p.append(b)
        d_psnr.append(b - a)
        far_changed += int(np.any(fill_auto != image, axis=-1)[_far(text)].sum())
        plain_hits += int(detect_text_mask(p).mask.sum() > 0)
        print(
            f"  photo {i}: coverage {cov[-1]:.3f}, area x{area[-1]:.2f}, PSNR auto {a:.2f} perfect {b:.2f}", flush=True
        )
    rows = [
        "| photos | text pixels in mask (mean, min) | mask area / text area (mean, max) | PSNR in text band: auto mask, perfect mask, gap (mean; median, max) | changed > 60 px away | text found on the clean photos | seconds per detection |",  # noqa: E501 - a table row
        "|---|---|---|---|---|---|---|",
        f"| {len(photos)} | {100 * np.mean(cov):.1f} %, {100 * np.min(cov):.1f} % | {np.mean(area):.2f}, {np.max(area):.2f} "
        f"| {np.mean(auto_p):.2f}, {np.mean(perf_p):.2f}, {np.mean(d_psnr):.2f} dB ({np.median(d_psnr):.2f}, {np.max(d_psnr):.2f}) "
        f"| {far_changed} px | {plain_hits} of {len(photos)} | {np.median(secs):.2f} |",
    ]
    print(rows[-1])
    return rows


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--part", choices=["watermark", "text", "all"], default="all")
    ap.add_argument("--data", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "data" / "train")
    ap.add_argument(
        "--jpeg",
        type=int,
        default=None,
        metavar="Q",
        help="watermark: save each marked photo as JPEG at quality Q first, as marked photos on the web are",
    )
    args = ap.parse_args()
    if not args.data.is_dir():
        print(f"error: {args.data}: no such folder (pass --data)", file=sys.stderr)
        return 2
    engine = Engine()
    print(f"default fill: {engine.resolve_method('auto')}")
    if args.part in ("watermark", "all"):
        print("\n".join(bench_watermark(args.data, engine, args.jpeg)))
    if args.part in ("text", "all"):
        print("\n".join(bench_text(args.data, engine)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
