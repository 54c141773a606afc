"""How well the predicted strokes draw the structure inside the hole, and whether the
fill follows strokes.

* **F1** (2-px tolerance, one-to-one as in ``training.edge_eval``) inside the hole
  against the truth's *structural* edges: Canny at σ 3 of the original photo, 8-connected
  components of at least 40 px (texture and noise edges are not structure a user
  would draw).  The prediction is the strokes (``Engine.predict_strokes`` on the photo
  with the hole blanked) drawn one pixel wide.  The baseline is the same structural
  edges taken from a PyPatchMatch fill (``patch_match.inpaint``, patch size 3).
* **Strokes, not specks**: the 8-connected components of the drawn strokes inside the
  hole: their median size and the share under 8 px.
* **Oracle** (``--oracle N``, on N pairs taken evenly over the hole-size bins): the
  fill's SWD (``training.metrics.swd``) with strokes traced from the truth's structural
  edges against the same fill with no edges.

    nice -n 10 python -m inpaint_studio.training.stroke_eval --data ../shared/data/eval --json runs/strokes.json
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from .edge_eval import edge_scores
from .edges import canny_edges
from .evaluate import load_pair, read_pairs

#: The truth's structure: Canny σ and the smallest component kept (px).
TRUTH_SIGMA = 3.0
TRUTH_MIN_COMPONENT = 40


def structural_edges(rgb: np.ndarray) -> np.ndarray:
    """Canny (σ 3) edges in components of at least 40 px, boolean."""
    e = canny_edges(rgb, sigma=TRUTH_SIGMA) > 0.5
    n, labels, stats, _ = cv2.connectedComponentsWithStats(e.astype(np.uint8), connectivity=8)
    keep = np.zeros(n, bool)
    keep[1:] = stats[1:, cv2.CC_STAT_AREA] >= TRUTH_MIN_COMPONENT
    return keep[labels]


def component_sizes(pred: np.ndarray, hole: np.ndarray) -> list[int]:
    n, _, stats, _ = cv2.connectedComponentsWithStats((pred & hole).astype(np.uint8), connectivity=8)
    return [int(a) for a in stats[1:, cv2.CC_STAT_AREA]]


def _f1(s: np.ndarray) -> dict:
    mp, np_, mt, nt = (int(v) for v in s)
    p, r = mp / max(1, np_), mt / max(1, nt)
    return {"precision": p, "recall": r, "f1": 2 * p * r / max(1e-9, p + r)}


def patchmatch_fill(img: np.ndarray, hole: np.ndarray) -> np.ndarray:
    from patchmatch import patch_match

    blank = img.copy()
    blank[hole] = 0
    return patch_match.inpaint(blank, (hole.astype(np.uint8) * 255), patch_size=3)


def evaluate_strokes(
    pairs: list,
    method: str = "auto",
    device: str = "cpu",
    baseline: bool = True,
    cache: Path | None = None,
    raw_only: bool = False,
) -> dict:
    """F1 of the strokes (and of the PyPatchMatch fill's edges, and of the edge network's
    map as the overlay showed it before strokes), and stroke sizes."""
    from ..core.strokes import rasterize
    from ..engine import Engine, InpaintOptions
    from ..engine.strokes import predict_strokes

    engine = Engine()
    opts = InpaintOptions(device=device, edge_method=method)
    sums = {k: np.zeros(4, np.int64) for k in ("strokes", "patchmatch", "network_map")}
    sizes: list[int] = []
    raw_sizes: list[int] = []
    pm_cache: dict = json.loads(cache.read_text()) if cache and cache.exists() else {}
    t_strokes = 0.0
    for k, pair in enumerate(pairs):
        img, hole = load_pair(pair)
        truth = structural_edges(img)
        blank = img.copy()
        blank[hole] = 0
        t0 = time.perf_counter()
        net = engine.hallucinate_edges(blank, hole, opts)
        raw = (net >= 0.5) & hole
        sums["network_map"] += edge_scores(raw, truth, hole)
        raw_sizes += component_sizes(raw, hole)
        if raw_only:
            continue
        strokes = predict_strokes(blank, hole, net)  # what Engine.predict_strokes does
        t_strokes += time.perf_counter() - t0
        pred = rasterize(strokes, hole.shape) > 0
        sums["strokes"] += edge_scores(pred, truth, hole)
        sizes += component_sizes(pred, hole)
        if baseline:
            key = f"{pair.image.name}|{pair.mask.name}"
            if key not in pm_cache:
                pm = structural_edges(patchmatch_fill(img, hole))
                pm_cache[key] = list(edge_scores(pm, truth, hole))
            sums["patchmatch"] += np.array(pm_cache[key], np.int64)
        if (k + 1) % 50 == 0:
            print(f"{k + 1}/{len(pairs)}", flush=True)
            if cache and baseline:
                cache.write_text(json.dumps(pm_cache))
    if cache and baseline:
        cache.write_text(json.dumps(pm_cache))
    sz = np.array(sizes) if sizes else np.zeros(1)
    rz = np.array(raw_sizes) if raw_sizes else np.zeros(1)
    out: dict[str, Any] = {
        "pairs": len(pairs),
        "network_map": {
            **_f1(sums["network_map"]),
            "median_px": float(np.median(rz)),
            "share_under_8px": float((rz < 8).mean()),
        },
        "strokes": _f1(sums["strokes"]),
        "components": {
            "count": len(sizes),
            "median_px": float(np.median(sz)),
            "share_under_8px": float((sz < 8).mean()),
        },
        "seconds_per_pair_strokes": t_strokes / max(1, len(pairs)),
    }
    if raw_only:
        return {"pairs": len(pairs), "network_map": out["network_map"]}
    if baseline:
        out["patchmatch"] = _f1(sums["patchmatch"])
        out["ratio"] = out["strokes"]["f1"] / max(1e-9, out["patchmatch"]["f1"])
    return out


def oracle_strokes(img: np.ndarray, hole: np.ndarray) -> list:
    """Strokes traced from the truth's structural edges in and next to the hole."""
    from ..engine.strokes import network_strokes

    truth = structural_edges(img).astype(np.float32)
    grown = cv2.dilate(hole.astype(np.uint8), np.ones((11, 11), np.uint8)) > 0
    return network_strokes(truth, grown, min_length=4)


def evaluate_oracle(
    pairs: list, device: str = "cpu", edge_weight: float | None = None, edge_weight_fine: float | None = None
) -> dict:
    """SWD of the default fill with oracle strokes vs with no edges.

    ``edge_weight`` replaces the synthesis' weight of the edge channel for this run
    (``engine.synthesis.SynthesisParams.edge_weight``): how much a stronger pull of
    the strokes would change the fill; ``edge_weight_fine`` the weight at the finest
    scale (``SynthesisParams.edge_weight_fine``).
    """
    from dataclasses import replace

    from ..core.strokes import rasterize
    from ..engine import Engine, InpaintOptions
    from .metrics import swd

    engine = Engine()
    changes: dict[str, float] = {}
    if edge_weight is not None:
        changes["edge_weight"] = float(edge_weight)
    if edge_weight_fine is not None:
        changes["edge_weight_fine"] = float(edge_weight_fine)
    if changes:
        guided = engine.load("fill", "guided", device)
        guided.params = replace(guided.params, **changes)  # type: ignore[attr-defined]
    opts = InpaintOptions(device=device, use_edges=True)
    with_e, without = [], []
    for k, pair in enumerate(pairs):
        img, hole = load_pair(pair)
        blank = img.copy()
        blank[hole] = 0
        e = rasterize(oracle_strokes(img, hole), hole.shape)
        a = engine.inpaint(blank, hole, e, opts).pixels
        b = engine.inpaint(blank, hole, None, opts).pixels
        f = lambda x: x.astype(np.float32) / 255.0  # noqa: E731
        with_e.append(swd(f(a), f(img), hole))
        without.append(swd(f(b), f(img), hole))
        print(f"{k + 1}/{len(pairs)} swd edges {with_e[-1]:.4f} none {without[-1]:.4f}", flush=True)
    m_with, m_without = float(np.mean(with_e)), float(np.mean(without))
    return {
        "pairs": len(pairs),
        "edge_weight": edge_weight,
        "edge_weight_fine": edge_weight_fine,
        "swd_oracle_strokes": m_with,
        "swd_no_edges": m_without,
        "improvement": 1.0 - m_with / max(1e-12, m_without),
        "pairs_better": int(sum(a < b for a, b in zip(with_e, without))),
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", required=True, help="folder with images/, masks/ and pairs.csv")
    ap.add_argument("--limit", type=int, help="pairs, taken evenly over the hole-size bins")
    ap.add_argument("--method", default="auto", help="edge network under the strokes")
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--no-baseline", action="store_true")
    ap.add_argument("--raw-only", action="store_true", help="score only the edge network's map as it is")
    ap.add_argument("--cache", type=Path, help="JSON file keeping the PyPatchMatch scores per pair")
    ap.add_argument("--oracle", type=int, default=0, metavar="N", help="also the oracle SWD test on N pairs")
    ap.add_argument("--oracle-only", action="store_true")
    ap.add_argument("--edge-weight", type=float, help="oracle: the synthesis' edge weight for this run")
    ap.add_argument("--edge-weight-fine", type=float, help="oracle: that weight at the finest scale")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args(argv)
    res: dict = {}
    if not args.oracle_only:
        pairs = read_pairs(args.data, Path(args.data) / "pairs.csv", args.limit)
        res["edges"] = evaluate_strokes(
            pairs, args.method, args.device, not args.no_baseline, args.cache, args.raw_only
        )
        print(json.dumps(res["edges"], indent=1))
    if args.oracle:
        pairs = read_pairs(args.data, Path(args.data) / "pairs.csv", args.oracle)
        res["oracle"] = evaluate_oracle(pairs, args.device, args.edge_weight, args.edge_weight_fine)
        print(json.dumps(res["oracle"], indent=1))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(res, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
