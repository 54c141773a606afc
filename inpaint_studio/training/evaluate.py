"""Benchmark fill methods on (image, mask) pairs through the real engine path.

Every method runs through ``Engine.inpaint`` exactly as the app and the batch CLI do
(crop planning, scaling to the working size, compositing), so the numbers describe
what users get, not the bare network.
"""

from __future__ import annotations

import csv
import json
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from .metrics import mean_l1, psnr, ssim


@dataclass
class Pair:
    image: Path
    mask: Path
    bin: str


def read_pairs(data: str | Path, pairs_csv: str | Path, limit: int | None = None) -> list[Pair]:
    """Pairs from ``pairs.csv`` (columns image, mask, hole_ratio_bin).

    With ``limit``, pairs are taken evenly from every bin (round-robin in file order),
    so a short run still covers all hole sizes.
    """
    data = Path(data)
    with open(pairs_csv, newline="") as f:
        rows = list(csv.DictReader(f))
    pairs = [Pair(data / "images" / r["image"], data / "masks" / r["mask"], r["hole_ratio_bin"]) for r in rows]
    if limit is not None and limit < len(pairs):
        by_bin: dict[str, list[Pair]] = defaultdict(list)
        for p in pairs:
            by_bin[p.bin].append(p)
        picked: list[Pair] = []
        i = 0
        while len(picked) < limit:
            for b in sorted(by_bin):
                if i < len(by_bin[b]) and len(picked) < limit:
                    picked.append(by_bin[b][i])
            i += 1
        pairs = picked
    return pairs


def load_pair(pair: Pair) -> tuple[np.ndarray, np.ndarray]:
    """RGB uint8 image and bool hole mask resized to it with nearest neighbour."""
    img = cv2.imread(str(pair.image), cv2.IMREAD_COLOR)
    m = cv2.imread(str(pair.mask), cv2.IMREAD_GRAYSCALE)
    if img is None or m is None:
        raise FileNotFoundError(f"cannot read {pair.image} or {pair.mask}")
    img = cv2.cvtColor(img, cv2.COLOR_BGR2RGB)
    m = cv2.resize(m, (img.shape[1], img.shape[0]), interpolation=cv2.INTER_NEAREST) > 127
    return img, m


def split_method(spec: str) -> tuple[str, str | None, float | None]:
    """``"NAME[:DETAIL][@EDGES]"`` -> ``(name, edge method, detail)``.

    ``deepfill@edgeconnect`` fills guided by the edges edgeconnect predicts for the
    hole (the GUI's overlay, unedited); ``deepfill:0.5`` fills with detail 0.5
    (``InpaintOptions.detail``), so several detail levels can be measured in one run.
    """
    head, _, edges = spec.partition("@")
    name, sep, detail = head.partition(":")
    value: float | None = None
    if sep:
        try:
            value = float(detail)
        except ValueError:
            raise ValueError(f"{spec!r}: the detail after ':' must be a number from 0 to 1") from None
        if not 0.0 <= value <= 1.0:
            raise ValueError(f"{spec!r}: the detail after ':' must be from 0 to 1")
    return name, (edges or None), value


def evaluate(
    pairs: list[Pair],
    methods: list[str],
    device: str = "cpu",
    progress: bool = True,
    samples: int = 0,
) -> tuple[dict, list[np.ndarray]]:
    """Metrics per method and bin; ``samples`` > 0 also returns that many comparison rows.

    Raises RuntimeError if a method silently fell back to another (missing weights),
    since its numbers would then be Telea's under another name.
    """
    from tqdm import tqdm

    from ..engine import Engine, InpaintOptions
    from ..engine.registry import edge_info

    engine = Engine()
    acc: dict[str, dict[str, dict[str, list[float]]]] = {
        m: defaultdict(lambda: defaultdict(list)) for m in methods
    }
    seconds: dict[str, float] = defaultdict(float)
    rows: list[np.ndarray] = []
    sample_every = max(1, len(pairs) // samples) if samples else 0
    for i, pair in enumerate(tqdm(pairs, disable=not progress, unit="pair")):
        img, mask = load_pair(pair)
        # The methods get the photo with the hole blanked, and no seam feathering: the
        # engine's feather blends the fill with the *original* hole pixels, which here
        # would be the ground truth leaking into the scaled (neural) fills only.
        blanked = img.copy()
        blanked[mask] = 0
        opts = {"device": device, "feather": 0}
        outs = []
        for m in methods:
            name, edge_method, detail = split_method(m)
            if edge_method and i == 0:
                # Built here so a missing edge model stops the eval instead of
                # quietly measuring the Canny fallback under its name.
                engine._build("edges", edge_method, device if edge_info(edge_method).kind == "neural" else "cpu")
            t0 = time.perf_counter()
            options = InpaintOptions(method=name, auto_edges=bool(edge_method), edge_method=edge_method or "auto",
                                     detail=detail, **opts)
            res = engine.inpaint(blanked, mask, edges=None, options=options)
            seconds[m] += time.perf_counter() - t0
            if res.method != name:
                raise RuntimeError(f"{name} fell back to {res.method}: {'; '.join(res.warnings)}")
            if detail is not None and res.detail != detail:
                # e.g. no detail weights: the numbers would be detail 0's under this name
                raise RuntimeError(f"{m}: {name} filled with detail {res.detail}, not {detail} "
                                   "(is weights/deepfill_detail.safetensors there?)")
            out = res.pixels
            outs.append(out)
            for key in (pair.bin, "all"):
                acc[m][key]["psnr"].append(psnr(out, img))
                acc[m][key]["ssim"].append(ssim(out, img))
                acc[m][key]["l1"].append(mean_l1(out, img))
        if sample_every and i % sample_every == 0 and len(rows) < samples:
            shown = img.copy()
            shown[mask] = 255
            # input (hole white) | baselines, last first | model | truth
            tiles = [shown, *outs[::-1], img]
            titles = [f"{pair.image.stem} {pair.bin}", *methods[::-1], "truth"]
            rows.append(np.concatenate([label_tile(t, title) for t, title in zip(tiles, titles)], axis=1))
    result = {
        "pairs": len(pairs),
        "methods": methods,
        "seconds_per_pair": {m: seconds[m] / max(1, len(pairs)) for m in methods},
        "metrics": {
            m: {b: {k: float(np.mean(v)) for k, v in d.items()} | {"n": len(d["psnr"])} for b, d in sorted(acc[m].items())}
            for m in methods
        },
    }
    return result, rows


def markdown_table(result: dict) -> str:
    """One row per bin: PSNR / SSIM / L1 of each method side by side."""
    methods = result["methods"]
    bins = sorted({b for m in methods for b in result["metrics"][m]} - {"all"}) + ["all"]
    head = "| hole ratio | n | " + " | ".join(f"{m} PSNR ↑ | {m} SSIM ↑ | {m} L1 % ↓" for m in methods) + " |"
    sep = "|---|---|" + "---|---|---|" * len(methods)
    lines = [head, sep]
    for b in bins:
        cells = []
        n = result["metrics"][methods[0]].get(b, {}).get("n", 0)
        for m in methods:
            d = result["metrics"][m].get(b)
            cells.append(f"{d['psnr']:.2f} | {d['ssim']:.4f} | {100 * d['l1']:.2f}" if d else "– | – | –")
        label = "**overall**" if b == "all" else b
        lines.append(f"| {label} | {n} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def mid_bin_gain(result: dict, model: str, baseline: str, bins: tuple[str, ...] = ("10-20%", "20-30%", "30-40%", "40-50%")) -> float | None:
    """Mean PSNR gain of ``model`` over ``baseline`` on the 10–50 % bins (the done-when)."""
    gains = [
        result["metrics"][model][b]["psnr"] - result["metrics"][baseline][b]["psnr"]
        for b in bins
        if b in result["metrics"][model] and b in result["metrics"][baseline]
    ]
    return float(np.mean(gains)) if gains else None


def label_tile(tile: np.ndarray, text: str, scale: float = 0.45) -> np.ndarray:
    """``tile`` with ``text`` white on black in its top-left corner: a grid of fills is
    unreadable once its columns are out of the order the docs describe."""
    out = tile.copy()
    thick = max(1, round(scale * 2))
    (tw, th), base = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, scale, thick)
    cv2.rectangle(out, (0, 0), (tw + 8, th + base + 6), (0, 0, 0), -1)
    cv2.putText(out, text, (4, th + 3), cv2.FONT_HERSHEY_SIMPLEX, scale, (255, 255, 255), thick, cv2.LINE_AA)
    return out


def _stack_rows(rows: list[np.ndarray], height: int = 200) -> np.ndarray:
    """Rows of different widths (portrait and landscape photos) scaled and padded white."""
    scaled = [cv2.resize(r, (round(r.shape[1] * height / r.shape[0]), height), interpolation=cv2.INTER_AREA) for r in rows]
    width = max(r.shape[1] for r in scaled)
    return np.concatenate([np.pad(r, ((0, 0), (0, width - r.shape[1]), (0, 0)), constant_values=255) for r in scaled])


def write_report(result: dict, out_dir: str | Path, rows: list[np.ndarray], command: str = "") -> Path:
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    (out / "eval.json").write_text(json.dumps(result, indent=2))
    md = [f"{result['pairs']} pairs; PSNR in dB, SSIM (Gaussian 11×11 σ 1.5, mean of RGB channels), "
          "mean L1 in % of 255; all on the whole image.  Methods see the photo with the hole "
          "blanked, with seam feathering off (so no ground truth can leak into a fill).", ""]
    if command:
        md += ["```", command, "```", ""]
    md.append(markdown_table(result))
    m = result["methods"]
    for base in m[1:]:
        gain = mid_bin_gain(result, m[0], base)
        if gain is not None:
            md += ["", f"Mean PSNR gain of {m[0]} over {base} on the 10–50 % bins: {gain:+.2f} dB"]
    md += ["", "Seconds per pair (engine, this machine): "
           + ", ".join(f"{k} {v:.2f}" for k, v in result["seconds_per_pair"].items())]
    (out / "eval.md").write_text("\n".join(md) + "\n")
    if rows:
        grid = _stack_rows(rows)
        cv2.imwrite(str(out / "samples.png"), cv2.cvtColor(grid, cv2.COLOR_RGB2BGR))
    return out / "eval.md"
