"""Metrics and the eval CLI on a tiny synthetic benchmark folder."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch

from inpaint_studio.cli import main
from inpaint_studio.models import DeepFillGenerator
from inpaint_studio.models.weights import save_weights
from inpaint_studio.training.metrics import hole_detail, mean_l1, psnr, ssim
from tests.helpers import photo

torch.set_num_threads(1)


def test_metrics_basics() -> None:
    a = photo(40, 40)
    assert psnr(a, a) == float("inf") and ssim(a, a) == pytest.approx(1.0) and mean_l1(a, a) == 0
    b = a.copy()
    b[0, 0, 0] = 0 if a[0, 0, 0] > 127 else 255
    assert 40 < psnr(a, b) < 80
    noisy = np.clip(a.astype(int) + np.random.default_rng(0).integers(-40, 40, a.shape), 0, 255).astype(np.uint8)
    assert ssim(a, noisy) < 0.9
    assert psnr(a, noisy) < psnr(a, b)


def test_hole_detail_tells_blur_and_noise_from_the_photo() -> None:
    rng = np.random.default_rng(1)
    truth = np.clip(128 + rng.normal(0, 25, (64, 64, 3)), 0, 255).astype(np.uint8)
    hole = np.zeros((64, 64), bool)
    hole[16:48, 16:48] = True
    assert hole_detail(truth, truth, hole) == pytest.approx(1.0)
    blurred = truth.copy()
    blurred[hole] = cv2.GaussianBlur(truth, (0, 0), 3)[hole]
    assert hole_detail(blurred, truth, hole) < 0.3
    noisy = truth.copy()
    noisy[hole] = np.clip(truth[hole] + rng.normal(0, 40, truth[hole].shape), 0, 255).astype(np.uint8)
    assert hole_detail(noisy, truth, hole) > 1.3
    # Only the hole counts: blurring outside it changes nothing (the hole measured is a
    # 2 px smaller square, so its 3×3 Sobel sees only restored truth pixels).
    outside = cv2.GaussianBlur(truth, (0, 0), 3)
    outside[hole] = truth[hole]
    assert hole_detail(outside, truth, np.pad(np.ones((28, 28), bool), 18)) == pytest.approx(1.0)
    flat = np.full_like(truth, 90)
    assert hole_detail(flat, flat, hole) == pytest.approx(1.0)  # a flat truth: no division by zero blow-up
    assert hole_detail(truth, truth, np.zeros_like(hole)) == 1.0


def _bench(tmp_path: Path) -> tuple[Path, Path]:
    data = tmp_path / "eval"
    (data / "images").mkdir(parents=True)
    (data / "masks").mkdir()
    rows = ["image,mask,hole_ratio_bin"]
    for i in range(2):  # one landscape, one portrait photo
        cv2.imwrite(str(data / "images" / f"im{i}.jpg"), photo(40, 56, seed=i) if i == 0 else photo(56, 40, seed=i))
    for j, (bin_, side) in enumerate([("01-10%", 12), ("20-30%", 30)]):
        m = np.zeros((64, 64), np.uint8)
        m[10 : 10 + side, 20 : 20 + side] = 255
        cv2.imwrite(str(data / "masks" / f"m{j}.png"), m)
        rows += [f"im{i}.jpg,m{j}.png,{bin_}" for i in range(2)]
    (data / "pairs.csv").write_text("\n".join(rows) + "\n")
    return data, data / "pairs.csv"


def _untrained_deepfill(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INPAINT_STUDIO_WEIGHTS", str(tmp_path / "w"))
    save_weights(DeepFillGenerator(cnum=8), tmp_path / "w" / "deepfill.safetensors", {"working_size": 64})


def test_eval_cli_writes_table_and_json(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _untrained_deepfill(tmp_path, monkeypatch)
    data, pairs = _bench(tmp_path)
    out = tmp_path / "report"
    rc = main(
        [
            "eval",
            "--data",
            str(data),
            "--pairs",
            str(pairs),
            "--model",
            "deepfill",
            "--baseline",
            "telea",
            "--limit",
            "4",
            "--out",
            str(out),
            "--device",
            "cpu",
            "--samples",
            "4",
        ]
    )
    assert rc == 0
    res = json.loads((out / "eval.json").read_text())
    assert res["pairs"] == 4 and res["methods"] == ["deepfill", "telea"]
    assert res["metrics"]["telea"]["all"]["n"] == 4
    assert set(res["metrics"]["deepfill"]) == {"01-10%", "20-30%", "all"}
    md = (out / "eval.md").read_text()
    assert "| hole ratio | n | deepfill | telea |" in md and "| **overall** | 4 |" in md
    assert "**Perceptual distance in the hole" in md and "**Hole detail" in md and "**PSNR" in md
    detail = res["metrics"]["telea"]["all"]["detail"]
    assert 0 < detail < 2 and f"{100 * detail:.0f}%" in md
    swd = res["metrics"]["telea"]["all"]["swd"]
    assert swd > 0 and f"{swd:.4f}" in md
    assert "deepfill against telea: 01-10%" not in md  # the 10–50 % bins only
    assert "deepfill against telea: 20-30%: SWD" in md
    grid = cv2.imread(str(out / "samples.png"))
    # One row per sample, all one width: the landscape rows 200 px high, the portrait
    # ones taller (56/40 squared), so the tiles stay under their columns.
    tile_w = grid.shape[1] // 4  # input | telea | deepfill | truth
    assert grid.shape[1] == round(4 * 56 * 200 / 40)
    land = 200
    port = round(grid.shape[1] * 56 / (4 * 40))
    assert grid.shape[0] == 2 * land + 2 * port
    # Every tile carries its column's name: a black label box in its top-left corner,
    # in portrait rows as in landscape ones.
    for y0 in (0, land, land + port, 2 * land + port):  # --limit takes the bins in turn
        for col in range(4):
            assert grid[y0 + 3, col * tile_w + 3].max() < 40, (y0, col)


def test_eval_jobs_give_the_same_numbers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _untrained_deepfill(tmp_path, monkeypatch)
    data, pairs = _bench(tmp_path)
    results = []
    for jobs in ("1", "2"):
        out = tmp_path / f"r{jobs}"
        rc = main(
            [
                "eval",
                "--data",
                str(data),
                "--pairs",
                str(pairs),
                "--model",
                "deepfill",
                "--limit",
                "4",
                "--out",
                str(out),
                "--device",
                "cpu",
                "--samples",
                "2",
                "--jobs",
                jobs,
            ]
        )
        assert rc == 0
        results.append(json.loads((out / "eval.json").read_text()))
        assert cv2.imread(str(out / "samples.png")).shape[0] > 0
    for m in ("deepfill", "telea"):
        for b, d in results[0]["metrics"][m].items():
            assert results[1]["metrics"][m][b]["n"] == d["n"]
            assert results[1]["metrics"][m][b]["psnr"] == pytest.approx(d["psnr"], abs=1e-3)


def test_eval_refuses_silent_fallback(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INPAINT_STUDIO_WEIGHTS", str(tmp_path / "none"))
    data, pairs = _bench(tmp_path)
    rc = main(
        [
            "eval",
            "--data",
            str(data),
            "--pairs",
            str(pairs),
            "--model",
            "deepfill",
            "--limit",
            "1",
            "--out",
            str(tmp_path / "r"),
            "--device",
            "cpu",
        ]
    )
    assert rc == 1


def test_edge_scores_count_near_misses_within_the_tolerance() -> None:
    import numpy as np

    from inpaint_studio.training.edge_eval import edge_scores

    hole = np.zeros((20, 20), bool)
    hole[2:18, 2:18] = True
    truth = np.zeros_like(hole)
    truth[10, 3:17] = True
    pred = np.zeros_like(hole)
    pred[11, 3:17] = True  # one pixel off: all right
    pred[4, 4] = True  # a false edge
    mp, n_pred, mt, n_truth = edge_scores(pred, truth, hole, tolerance=1)
    assert (mp, n_pred, mt, n_truth) == (14, 15, 14, 14)
    assert edge_scores(pred, truth, hole, tolerance=0)[0] == 0
    # A thick band around the true edge matches each true pixel once: low precision.
    thick = np.zeros_like(hole)
    thick[9:12, 3:17] = True
    assert edge_scores(thick, truth, hole, tolerance=1) == (14, 42, 14, 14)
    # All of the hole as "edge" cannot score well.
    mp, n_pred, _, _ = edge_scores(hole.copy(), truth, hole)
    assert mp / n_pred < 0.1


def test_eval_with_two_baselines_reports_a_gain_over_each(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _untrained_deepfill(tmp_path, monkeypatch)
    data, pairs = _bench(tmp_path)
    out = tmp_path / "report"
    rc = main(
        [
            "eval",
            "--data",
            str(data),
            "--pairs",
            str(pairs),
            "--model",
            "deepfill",
            "--limit",
            "4",
            "--baseline",
            "telea,harmonic",
            "--out",
            str(out),
            "--device",
            "cpu",
            "--samples",
            "2",
        ]
    )
    assert rc == 0
    res = json.loads((out / "eval.json").read_text())
    assert res["methods"] == ["deepfill", "telea", "harmonic"]
    md = (out / "eval.md").read_text()
    for base in ("telea", "harmonic"):
        m, r = res["metrics"]["deepfill"]["20-30%"], res["metrics"][base]["20-30%"]
        lower = 100 * (1 - m["swd"] / r["swd"])
        word = "lower" if lower >= 0 else "higher"
        assert (
            f"deepfill against {base}: 20-30%: SWD {abs(lower):.0f} % {word}, PSNR {m['psnr'] - r['psnr']:+.2f} dB"
            in md
        )


def test_eval_with_predicted_edges(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``--edges EDGES`` fills from the edges EDGES predicts; a missing edge model stops it."""
    from inpaint_studio.models import EdgeGenerator

    _untrained_deepfill(tmp_path, monkeypatch)
    data, pairs = _bench(tmp_path)
    args = ["eval", "--data", str(data), "--pairs", str(pairs), "--limit", "2", "--device", "cpu", "--samples", "0"]
    assert main([*args, "--model", "deepfill", "--edges", "edgeconnect", "--out", str(tmp_path / "r0")]) == 1
    save_weights(EdgeGenerator(8, 1), tmp_path / "w" / "edgeconnect.safetensors", {"working_size": 64})
    out = tmp_path / "r1"
    assert (
        main([*args, "--model", "deepfill", "--edges", "edgeconnect", "--baseline", "deepfill", "--out", str(out)]) == 0
    )
    res = json.loads((out / "eval.json").read_text())
    assert res["methods"] == ["deepfill (edges: edgeconnect)", "deepfill"]
    psnrs = [res["metrics"][m]["all"]["psnr"] for m in res["methods"]]
    out = tmp_path / "r2"
    assert main([*args, "--model", "deepfill", "--edges", "canny", "--baseline", "deepfill", "--out", str(out)]) == 0
    res = json.loads((out / "eval.json").read_text())
    assert res["methods"] == ["deepfill (edges: canny)", "deepfill"]
    psnrs += [res["metrics"][m]["all"]["psnr"] for m in res["methods"]]
    assert len(set(psnrs)) > 1  # the edge channel reached the generator


def test_edge_eval_scores_each_threshold(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from inpaint_studio.models import EdgeGenerator
    from inpaint_studio.training.edge_eval import evaluate_edges
    from inpaint_studio.training.evaluate import read_pairs

    monkeypatch.setenv("INPAINT_STUDIO_WEIGHTS", str(tmp_path / "w"))
    torch.manual_seed(0)
    save_weights(EdgeGenerator(8, 1), tmp_path / "w" / "edgeconnect.safetensors", {"working_size": 64})
    data, pairs_csv = _bench(tmp_path)
    pairs = read_pairs(data, pairs_csv)
    res = evaluate_edges(pairs, ["canny", "edgeconnect"], thresholds=[0.2, 0.5, 0.8])
    assert set(res) == {f"{m} >={t}" for m in ("canny", "edgeconnect") for t in (0.2, 0.5, 0.8)}
    # Canny's edges are 0/1, so its scores do not depend on the threshold.
    assert res["canny >=0.2"] == res["canny >=0.8"]
    for r in res.values():
        assert 0.0 <= r["precision"] <= 1.0 and 0.0 <= r["recall"] <= 1.0 and r["pairs"] == 4
    # A higher threshold keeps a subset of the edge pixels: recall cannot rise.
    assert (
        res["edgeconnect >=0.2"]["recall"] >= res["edgeconnect >=0.5"]["recall"] >= res["edgeconnect >=0.8"]["recall"]
    )
    single = evaluate_edges(pairs[:1], ["canny"])
    assert set(single) == {"canny"}


def test_eval_names_methods_as_everywhere_else(tmp_path: Path) -> None:
    from inpaint_studio.core.errors import UnknownMethodError
    from inpaint_studio.training.evaluate import contender

    plain = contender("guided")
    assert plain.label == "guided" and plain.options is not None and not plain.options.auto_edges
    assert plain.options.feather == 0  # no ground truth leaks into a fill through the seam
    edged = contender("guided", "canny")
    assert edged.label == "guided (edges: canny)" and edged.options is not None
    assert edged.options.auto_edges and edged.options.edge_method == "canny"
    with pytest.raises(UnknownMethodError):
        contender("guided@edgeconnect")  # no grammar of its own: the registry's names
    with pytest.raises(UnknownMethodError):
        contender("guided", "nope")
    (tmp_path / "old_default").mkdir()
    files = contender(f"files:{tmp_path / 'old_default'}")
    assert files.label == "old_default" and files.options is None
    with pytest.raises(FileNotFoundError):
        contender(f"files:{tmp_path / 'missing'}")


def test_eval_scores_fills_made_elsewhere(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``files:DIR`` scores another tool's fills; Telea's own, saved, score as Telea."""
    from inpaint_studio.training.evaluate import load_pair, read_pairs

    data, pairs = _bench(tmp_path)
    saved = tmp_path / "saved"
    saved.mkdir()
    for pair in read_pairs(data, pairs):
        img, mask = load_pair(pair)
        blank = img.copy()
        blank[mask] = 0
        fill = cv2.inpaint(blank, mask.astype(np.uint8), 5, cv2.INPAINT_TELEA)
        cv2.imwrite(str(saved / f"{pair.image.stem}__{pair.mask.stem}.png"), cv2.cvtColor(fill, cv2.COLOR_RGB2BGR))
    out = tmp_path / "r"
    args = ["eval", "--data", str(data), "--pairs", str(pairs), "--model", f"files:{saved}", "--baseline", "telea"]
    args += ["--out", str(out), "--device", "cpu", "--samples", "0"]
    assert main(args) == 0
    res = json.loads((out / "eval.json").read_text())
    mine, telea = res["metrics"][saved.name]["all"], res["metrics"]["telea"]["all"]
    for k in ("psnr", "ssim", "l1", "detail", "swd"):
        assert mine[k] == pytest.approx(telea[k]), k
    # A missing fill is an error, not a silent skip.
    next(saved.iterdir()).unlink()
    assert main(args) == 1


def test_eval_refuses_unknown_methods(tmp_path: Path) -> None:
    data, pairs = _bench(tmp_path)
    args = [
        "eval",
        "--data",
        str(data),
        "--pairs",
        str(pairs),
        "--limit",
        "2",
        "--out",
        str(tmp_path / "r"),
        "--device",
        "cpu",
        "--samples",
        "0",
    ]
    assert main([*args, "--model", "deepfill:0.5"]) == 2
    assert main([*args, "--model", "telea", "--baseline", "grain"]) == 2
    assert main([*args, "--model", "telea@nonsense"]) == 2
