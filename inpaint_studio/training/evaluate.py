"""Benchmark fill methods on (image, mask) pairs through the real engine path.

Every method runs through ``Engine.inpaint`` exactly as the app and the batch CLI do
(crop planning, scaling to the working size, compositing), so the numbers describe
what users get, not the bare network.
"""

from __future__ import annotations

import csv
import json
import os
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from ..engine import InpaintOptions
from .metrics import hole_detail, mean_l1, psnr, ssim, swd


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
    hole = cv2.resize(m, (img.shape[1], img.shape[0]), interpolation=cv2.INTER_NEAREST) > 127
    return img, hole


#: A ``--model`` or ``--baseline`` naming a folder of fills made elsewhere (another tool,
#: another version of this one): ``files:DIR`` reads ``DIR/<image stem>__<mask stem>.png``.
FILES_PREFIX = "files:"


@dataclass(frozen=True)
class Contender:
    """One column of the eval: a fill request run through the engine, or a folder of fills.

    Requests are :class:`~inpaint_studio.engine.InpaintOptions`, so eval names methods
    and edge predictors as the editor and ``batch`` do and checks them the same way.
    """

    label: str
    options: InpaintOptions | None = None
    folder: Path | None = None


def contender(name: str, edges: str = "off", device: str = "cpu") -> Contender:
    """The column for fill method ``name`` (or ``files:DIR``), with ``edges`` as ``batch --edges``
    takes it: ``off``, ``auto`` or a registered edge predictor whose edges the fill follows.

    Raises:
        UnknownMethodError: ``name`` or ``edges`` is not registered.
        FileNotFoundError: a ``files:`` folder that does not exist.
    """
    if name.startswith(FILES_PREFIX):
        folder = Path(name[len(FILES_PREFIX) :])
        if not folder.is_dir():
            raise FileNotFoundError(f"{name}: no such folder of fills")
        return Contender(folder.name, folder=folder)
    # No seam feathering: it blends the fill with the *original* hole pixels, which here
    # would be the ground truth leaking into the scaled (neural) fills only.
    options = InpaintOptions(
        method=name,
        device=device,
        feather=0,
        auto_edges=edges != "off",
        edge_method="auto" if edges in ("off", "auto") else edges,
    )
    return Contender(name if edges == "off" else f"{name} (edges: {edges})", options)


def fills_file(folder: Path, pair: Pair) -> Path:
    """Where a folder of fills made elsewhere holds the fill of ``pair``."""
    return folder / f"{pair.image.stem}__{pair.mask.stem}.png"


def evaluate(
    pairs: list[Pair],
    contenders: list[Contender],
    device: str = "cpu",
    progress: bool = True,
    samples: int = 0,
    jobs: int = 1,
) -> tuple[dict, list[np.ndarray]]:
    """Metrics per contender and bin; ``samples`` > 0 also returns that many comparison rows.

    The result's ``methods`` are the contenders' labels, the first the one measured.

    ``jobs`` > 1 scores the pairs in that many processes (CPU only): one torch process
    leaves cores idle in the single-threaded parts of a fill (Telea, compositing, the
    metrics).  The numbers are the same either way (every
    fill is deterministic); the seconds per pair are then each process's own, under the
    other's load.

    Raises RuntimeError if a method silently fell back to another (missing weights),
    since its numbers would then be Telea's under another name.
    """
    from tqdm import tqdm

    methods = [c.label for c in contenders]
    if len(set(methods)) != len(methods):
        raise ValueError(f"two columns would have the same title: {', '.join(methods)}")
    acc: dict[str, dict[str, dict[str, list[float]]]] = {m: defaultdict(lambda: defaultdict(list)) for m in methods}
    seconds: dict[str, float] = defaultdict(float)
    rows: list[np.ndarray] = []
    sample_every = max(1, len(pairs) // samples) if samples else 0
    tasks = [
        (i, pair, bool(sample_every) and i % sample_every == 0 and i // sample_every < samples)
        for i, pair in enumerate(pairs)
    ]
    if jobs > 1 and device == "cpu" and len(pairs) > 1:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        # spawn, not fork: a forked child inherits torch's OpenMP pool in a broken state.
        ctx = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(
            jobs, mp_context=ctx, initializer=_init_worker, initargs=(contenders, max(1, (os.cpu_count() or 1) // jobs))
        ) as pool:
            scored = list(tqdm(pool.map(_score_in_worker, tasks), total=len(tasks), disable=not progress, unit="pair"))
    else:
        scorer = _Scorer(contenders)
        scored = [scorer.score(*t) for t in tqdm(tasks, disable=not progress, unit="pair")]
    for pair, (metrics, secs, row) in zip(pairs, scored):
        for m in methods:
            seconds[m] += secs[m]
            for key in (pair.bin, "all"):
                for k, v in metrics[m].items():
                    acc[m][key][k].append(v)
        if row is not None:
            rows.append(row)
    result = {
        "pairs": len(pairs),
        "methods": methods,
        "seconds_per_pair": {m: seconds[m] / max(1, len(pairs)) for m in methods},
        "metrics": {
            m: {
                b: {k: float(np.mean(v)) for k, v in d.items()} | {"n": len(d["psnr"])}
                for b, d in sorted(acc[m].items())
            }
            for m in methods
        },
    }
    return result, rows


class _Scorer:
    """One engine filling pairs with every contender; one per process."""

    def __init__(self, contenders: list[Contender]) -> None:
        from ..engine import Engine
        from ..engine.registry import edge_info

        self.engine = Engine()
        self.contenders = contenders
        for c in contenders:
            opts = c.options
            if opts is not None and opts.auto_edges and opts.edge_method != "auto":
                # Built here so a missing edge model stops the eval instead of
                # quietly measuring the Canny fallback under its name.
                kind = edge_info(opts.edge_method).kind
                self.engine.load("edges", opts.edge_method, opts.device if kind == "neural" else "cpu")

    def score(self, i: int, pair: Pair, sample: bool) -> tuple[dict, dict, np.ndarray | None]:
        img, mask = load_pair(pair)
        # The methods get the photo with the hole blanked (and no feathering, ``contender``).
        blanked = img.copy()
        blanked[mask] = 0
        metrics: dict[str, dict[str, float]] = {}
        secs: dict[str, float] = {}
        outs = []
        for c in self.contenders:
            t0 = time.perf_counter()
            if c.options is None:
                assert c.folder is not None
                out = _read_fill(fills_file(c.folder, pair), img.shape)
            else:
                res = self.engine.inpaint(blanked, mask, edges=None, options=c.options)
                if res.method != c.options.method:
                    raise RuntimeError(f"{c.options.method} fell back to {res.method}: {'; '.join(res.warnings)}")
                if res.warnings:
                    # e.g. the guided fill without its network: numbers under a false name
                    raise RuntimeError(f"{c.label}: {'; '.join(res.warnings)}")
                out = res.pixels
            secs[c.label] = time.perf_counter() - t0
            outs.append(out)
            metrics[c.label] = {
                "psnr": psnr(out, img),
                "ssim": ssim(out, img),
                "l1": mean_l1(out, img),
                "detail": hole_detail(out, img, mask),
                "swd": swd(out, img, mask),
            }
        row = None
        if sample:
            shown = img.copy()
            shown[mask] = 255
            # input (hole white) | baselines, last first | model | truth
            tiles = [shown, *outs[::-1], img]
            titles = [f"{pair.image.stem} {pair.bin}", *[c.label for c in self.contenders[::-1]], "truth"]
            row = np.concatenate([label_tile(t, title) for t, title in zip(tiles, titles)], axis=1)
        return metrics, secs, row


def _read_fill(path: Path, shape: tuple[int, ...]) -> np.ndarray:
    img = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if img is None:
        raise FileNotFoundError(f"no fill {path}")
    if img.shape != shape:
        raise ValueError(f"{path} is {img.shape[1]}x{img.shape[0]}, the photo {shape[1]}x{shape[0]}")
    return cv2.cvtColor(img, cv2.COLOR_BGR2RGB)


_worker: _Scorer | None = None


def _init_worker(contenders: list[Contender], threads: int) -> None:
    global _worker
    # Before torch loads: the engine gives torch every core unless OMP_NUM_THREADS is
    # set, and processes whose threads outnumber the cores wait on each other.
    os.environ["OMP_NUM_THREADS"] = str(threads)
    import torch

    torch.set_num_threads(threads)
    cv2.setNumThreads(threads)
    _worker = _Scorer(contenders)


def _score_in_worker(task: tuple[int, Pair, bool]) -> tuple[dict, dict, np.ndarray | None]:
    assert _worker is not None
    return _worker.score(*task)


#: (key, title, format) of each table of the report, the one that matters most first.
TABLES = (
    ("swd", "Perceptual distance in the hole (sliced Wasserstein of 7×7 patches, Laplacian levels) ↓", "{:.4f}"),
    ("detail", "Hole detail, % of the truth's (100 = as much detail as the photo)", "{:.0%}"),
    ("psnr", "PSNR, dB ↑", "{:.2f}"),
    ("ssim", "SSIM ↑", "{:.4f}"),
    ("l1", "Mean L1, % of 255 ↓", "{:.2%}"),
)


def _bins(result: dict) -> list[str]:
    methods = result["methods"]
    return sorted({b for m in methods for b in result["metrics"][m]} - {"all"}) + ["all"]


def markdown_table(result: dict, key: str = "psnr", fmt: str = "{:.2f}") -> str:
    """One row per bin, one column per method, for one metric."""
    methods = result["methods"]
    lines = ["| hole ratio | n | " + " | ".join(methods) + " |", "|---|---|" + "---|" * len(methods)]
    for b in _bins(result):
        n = result["metrics"][methods[0]].get(b, {}).get("n", 0)
        cells = []
        for m in methods:
            d = result["metrics"][m].get(b, {})
            cells.append(fmt.format(d[key]) if key in d else "–")
        lines.append(f"| {'**overall**' if b == 'all' else b} | {n} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def versus(
    result: dict, model: str, baseline: str, bins: tuple[str, ...] = ("10-20%", "20-30%", "30-40%", "40-50%")
) -> str:
    """``model`` against ``baseline`` per bin: how much lower its SWD is, and the PSNR gap."""
    cells = []
    for b in bins:
        m, r = result["metrics"][model].get(b), result["metrics"][baseline].get(b)
        if not m or not r or "swd" not in m or "swd" not in r:
            continue
        lower = 100 * (1 - m["swd"] / max(r["swd"], 1e-12))
        cells.append(
            f"{b}: SWD {abs(lower):.0f} % {'lower' if lower >= 0 else 'higher'}, PSNR {m['psnr'] - r['psnr']:+.2f} dB"
        )
    return f"{model} against {baseline}: " + "; ".join(cells)


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
    """Rows of portrait and landscape photos, all scaled to one width so the columns line up.

    The width is that of the widest row at ``height`` px; a portrait photo's row comes
    out taller instead of a half-width strip (its tiles would otherwise sit under the
    wrong column headings of the rows above)."""
    width = max(round(r.shape[1] * height / r.shape[0]) for r in rows)
    return np.concatenate(
        [cv2.resize(r, (width, round(r.shape[0] * width / r.shape[1])), interpolation=cv2.INTER_AREA) for r in rows]
    )


def write_report(result: dict, out_dir: str | Path, rows: list[np.ndarray], command: str = "") -> Path:
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    (out / "eval.json").write_text(json.dumps(result, indent=2))
    md = [
        f"{result['pairs']} pairs; PSNR in dB, SSIM (Gaussian 11×11 σ 1.5, mean of RGB channels), "
        "mean L1 in % of 255; all on the whole image.  Methods see the photo with the hole "
        "blanked, with seam feathering off (so no ground truth can leak into a fill).  "
        "Detail: the hole's mean gradient magnitude in % of the truth's there (under 100 "
        "is smoother than the photo, over 100 noisier; it does not say whether the detail "
        "is the right one).",
        "",
    ]
    if command:
        md += ["```", command, "```", ""]
    for key, title, fmt in TABLES:
        md += [f"**{title}**", "", markdown_table(result, key, fmt), ""]
    m = result["methods"]
    for base in m[1:]:
        md += ["", versus(result, m[0], base)]
    md += [
        "",
        "Seconds per pair (engine, this machine): "
        + ", ".join(f"{k} {v:.2f}" for k, v in result["seconds_per_pair"].items()),
    ]
    (out / "eval.md").write_text("\n".join(md) + "\n")
    if rows:
        grid = _stack_rows(rows)
        cv2.imwrite(str(out / "samples.png"), cv2.cvtColor(grid, cv2.COLOR_RGB2BGR))
    return out / "eval.md"
