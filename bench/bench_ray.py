"""Ray backend against the local backend, same photos, same run: throughput, model load, identity.

Run:  .venv/bin/python bench/bench_ray.py [--photos DIR] [--n 40] [--workers 2] [--rounds 2]
          [--model auto] [--json docs/bench_ray.json]

Each round fills the same N photos (default: the first N of ../shared/data/eval/images,
481x321 JPEGs; synthetic photos where that folder is missing) with one template mask
(a 150x30 "watermark" band, 2.9 % of the photo) and PNG outputs, three times: with the
local backend as ``inpaint-studio batch`` runs it (a fresh process, torch on every
core), with the local backend at one thread (``OMP_NUM_THREADS=1``, the thread count
of a 1-CPU Ray worker), and with ``--backend ray`` (a local cluster of ``--workers``
workers started for the run, as ``batch --backend ray`` does).  Rounds repeat the three
so a drift of the shared machine hits all of them.  It reports, per backend:

- wall time of the whole batch, including the model load (local) or the cluster start
  and the workers' start (ray);
- steady throughput: photos per second once every model is loaded;
- the model-load cost and how often it was paid (once per worker);
- whether every output file is byte-identical to the local ones (and if not, by how
  many levels and on what share of the pixels they differ).

Then three numbers ``docs/SCALE.md`` builds on: the per-photo cost split into reading
and writing (``load_image``/``load_mask``/``save_image`` alone) and filling, the bytes
read and written per photo, and the driver's dispatch ceiling (photos per second
on 16x16 photos with a 2x2 hole, where the fill costs next to nothing: Ray's and the
driver's per-photo overhead).

A benchmark, not a test: the numbers depend on the machine and its load.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from inpaint_studio.engine import Engine, InpaintOptions  # noqa: E402
from inpaint_studio.engine.batch import plan_batch, run_batch  # noqa: E402
from inpaint_studio.engine.ray_backend import run_batch_ray  # noqa: E402
from inpaint_studio.engine.ray_cluster import RayConfig  # noqa: E402

EVAL = Path(__file__).resolve().parents[2] / "shared" / "data" / "eval" / "images"


def _photos(src: Path | None, n: int, dest: Path) -> Path:
    from PIL import Image

    dest.mkdir(parents=True, exist_ok=True)
    files = sorted(src.glob("*.jpg"))[:n] if src and src.is_dir() else []
    for f in files:
        shutil.copy(f, dest / f.name)
    rng = np.random.default_rng(0)
    for k in range(len(files), n):  # synthetic stand-ins
        yy, xx = np.mgrid[0:321, 0:481].astype(np.float32)
        img = np.stack([xx / 481, yy / 321, 0.5 + 0.3 * np.sin(xx / (20 + k))], -1) * 200 + 20
        img = np.clip(img + rng.normal(0, 10, img.shape), 0, 255).astype(np.uint8)
        Image.fromarray(img).save(dest / f"synthetic_{k:04d}.jpg", quality=90)
    return dest


def _mask(path: Path) -> Path:
    from PIL import Image

    m = np.zeros((321, 481), np.uint8)
    m[270:300, 300:450] = 255
    Image.fromarray(m).save(path)
    return path


def _files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def _local(photos: Path, mask: Path, out: Path, model: str, threads: int | None) -> dict:
    """The local backend in a fresh process (so the model load is paid, and the thread
    count set, as ``inpaint-studio batch`` would): ``threads`` None is its default
    (every core), 1 is ``OMP_NUM_THREADS=1``, the thread count of a 1-CPU Ray worker."""
    env = dict(os.environ)
    env.pop("OMP_NUM_THREADS", None)
    if threads:
        env["OMP_NUM_THREADS"] = str(threads)
    t0 = time.perf_counter()
    res = subprocess.run(
        [sys.executable, __file__, "--local-child", str(photos), str(mask), str(out), model],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    wall = time.perf_counter() - t0
    child = json.loads(res.stdout.strip().splitlines()[-1])
    stamps = child["stamps"]
    return {
        "threads": child["threads"],
        "wall_s": wall,
        "ok": child["ok"],
        "failed": child["failed"],
        "first_photo_s": stamps[0],
        "steady_photos_per_s": (len(stamps) - 1) / (stamps[-1] - stamps[0]),
        "loads": 1,
    }


def _local_child(photos: str, mask: str, out: str, model: str) -> None:
    import torch

    stamps: list[float] = []
    t0 = time.perf_counter()
    summary = run_batch(
        plan_batch(Path(photos), Path(mask), Path(out), "png"),
        Engine(),
        InpaintOptions(method=model),
        on_item=lambda *_: stamps.append(time.perf_counter() - t0),
    )
    print(
        json.dumps(
            {"stamps": stamps, "ok": len(summary.ok), "failed": len(summary.failed), "threads": torch.get_num_threads()}
        )
    )


def _compare(a: Path, b: Path) -> dict:
    """How far two output folders are apart: files that differ, largest level difference,
    share of pixels that differ."""
    from inpaint_studio.core.image_io import load_image

    fa, fb = _files(a), _files(b)
    differ = [k for k in fa if fa[k] != fb.get(k)]
    worst, px, total = 0, 0, 0
    for k in differ:
        x = load_image(a / k).pixels.astype(np.int32)
        y = load_image(b / k).pixels.astype(np.int32)
        d = np.abs(x - y).max(axis=2)
        worst, px, total = max(worst, int(d.max())), px + int((d > 0).sum()), total + d.size
    return {
        "files": len(fa),
        "files_differ": len(differ),
        "max_level_diff": worst,
        "pixels_differ_share_in_those": px / total if total else 0.0,
    }


def _ray(photos: Path, mask: Path, out: Path, options: InpaintOptions, workers: int) -> dict:
    stamps: list[float] = []
    ready: list[float] = []
    t0 = time.perf_counter()

    def note(msg: str) -> None:
        if " ready on " in msg:
            ready.append(time.perf_counter())

    summary = run_batch_ray(
        plan_batch(photos, mask, out, "png"),
        options,
        config=RayConfig(workers=workers),
        on_item=lambda *_: stamps.append(time.perf_counter()),
        on_notice=note,
    )
    wall = time.perf_counter() - t0
    all_ready = max(ready)
    after = [s for s in stamps if s > all_ready]
    steady = (len(after) - 1) / (after[-1] - after[0]) if len(after) > 1 else float("nan")
    return {
        "wall_s": wall,
        "ok": len(summary.ok),
        "failed": len(summary.failed),
        "cluster_start_s": summary.cluster_seconds,
        "workers_ready_s": all_ready - t0,
        "worker_load_s": [w.load_seconds for w in summary.workers],
        "worker_peak_rss_mb": [w.peak_rss_mb for w in summary.workers],
        "worker_ready_s": [w.ready_seconds for w in summary.workers],
        "worker_photos": [w.photos for w in summary.workers],
        "worker_busy_s_per_photo": [w.busy_seconds / max(1, w.photos) for w in summary.workers],
        "loads": len(summary.workers),
        "steady_photos_per_s": steady,
    }


def _io_cost(photos: Path, mask: Path, out: Path) -> dict:
    """Seconds and bytes per photo of reading and writing alone (no fill)."""
    from inpaint_studio.core.image_io import load_image, save_image
    from inpaint_studio.core.masks import load_mask

    items = plan_batch(photos, mask, out, "png")
    t0 = time.perf_counter()
    read = written = 0
    for it in items:
        img = load_image(it.source)
        load_mask(it.mask, size=(img.width, img.height))
        save_image(it.dest, img)
        read += it.source.stat().st_size
        written += it.dest.stat().st_size
    n = len(items)
    return {
        "io_s_per_photo": (time.perf_counter() - t0) / n,
        "read_bytes_per_photo": read / n,
        "written_bytes_per_photo": written / n,
    }


def _dispatch_ceiling(tmp: Path, workers: int, n: int = 400) -> dict:
    """Ray's per-photo overhead: tiny photos, the classical fill of a 2x2 hole."""
    from PIL import Image

    d = tmp / "tiny"
    d.mkdir()
    for k in range(n):
        Image.fromarray(np.full((16, 16, 3), k % 250, np.uint8)).save(d / f"t{k:04d}.png")
    m = np.zeros((16, 16), np.uint8)
    m[7:9, 7:9] = 255
    Image.fromarray(m).save(tmp / "tiny_mask.png")
    telea = InpaintOptions(method="telea")
    stamps: list[float] = []
    run_batch(
        plan_batch(d, tmp / "tiny_mask.png", tmp / "tiny_local"),
        Engine(),
        telea,
        on_item=lambda *_: stamps.append(time.perf_counter()),
    )
    local = (len(stamps) - 1) / (stamps[-1] - stamps[0])
    stamps = []
    run_batch_ray(
        plan_batch(d, tmp / "tiny_mask.png", tmp / "tiny_out"),
        telea,
        config=RayConfig(workers=workers),
        on_item=lambda *_: stamps.append(time.perf_counter()),
    )
    late = stamps[len(stamps) // 4 :]  # after the workers' start
    fill_rate = (len(late) - 1) / (late[-1] - late[0])
    stamps = []
    run_batch_ray(
        plan_batch(d, tmp / "tiny_mask.png", tmp / "noop_out"),
        telea,
        process=_noop,
        config=RayConfig(workers=workers),
        on_item=lambda *_: stamps.append(time.perf_counter()),
    )
    late = stamps[len(stamps) // 4 :]
    import pickle

    from inpaint_studio.engine.batch import ItemOutcome

    item = plan_batch(d, tmp / "tiny_mask.png", tmp / "noop_out")[0]
    return {
        "photos_per_s": fill_rate,
        "local_photos_per_s": local,
        "noop_photos_per_s": (len(late) - 1) / (late[-1] - late[0]),
        "message_bytes_per_photo": len(pickle.dumps(item)) + len(pickle.dumps(ItemOutcome("ok", "", 1.0))),
    }


def _noop(item, engine, options, *, overwrite, quality):  # noqa: ANN001, ANN202 - shipped to the workers by value
    """A fill that does nothing: what is left is the driver's and Ray's cost per photo."""
    from inpaint_studio.engine.batch import ItemOutcome

    return ItemOutcome("ok", "", 0.0)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--photos", type=Path, default=EVAL)
    ap.add_argument("--n", type=int, default=40)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--model", default="auto")
    ap.add_argument("--json", type=Path, default=None)
    ap.add_argument("--local-child", nargs=4, default=None, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.local_child:
        _local_child(*args.local_child)
        return 0
    options = InpaintOptions(method=args.model)
    tmp = Path(tempfile.mkdtemp(prefix="bench_ray_"))
    try:
        photos = _photos(args.photos, args.n, tmp / "photos")
        mask = _mask(tmp / "wm.png")
        rounds = []
        for r in range(args.rounds):
            row = {"load_avg_before": os.getloadavg()[0]}
            row["local"] = _local(photos, mask, tmp / f"local{r}", args.model, None)
            row["local_1_thread"] = _local(photos, mask, tmp / f"local1_{r}", args.model, 1)
            row["ray"] = _ray(photos, mask, tmp / f"ray{r}", options, args.workers)
            row["ray_vs_local_1_thread"] = _compare(tmp / f"ray{r}", tmp / f"local1_{r}")
            row["ray_vs_local_default"] = _compare(tmp / f"ray{r}", tmp / f"local{r}")
            rounds.append(row)
            print(json.dumps(row, indent=1), flush=True)
        io = _io_cost(photos, mask, tmp / "io")
        ceiling = _dispatch_ceiling(tmp, args.workers)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    result = {
        "machine": f"{platform.machine()} {platform.processor() or ''} {os.cpu_count()} cores".strip(),
        "python": platform.python_version(),
        "n": args.n,
        "workers": args.workers,
        "model": args.model,
        "rounds": rounds,
        "io": io,
        "dispatch_ceiling": ceiling,
    }
    import ray

    result["ray"] = ray.__version__
    print(f"\n{args.n} photos, model {args.model}, {args.workers} workers, ray {ray.__version__}\n")
    print("| round | backend | wall s | steady photos/s | model loads | load s |\n|---|---|---|---|---|---|")
    for k, r in enumerate(rounds):
        for name in ("local", "local_1_thread"):
            lo = r[name]
            print(
                f"| {k + 1} | {name} ({lo['threads']} threads) | {lo['wall_s']:.1f} | {lo['steady_photos_per_s']:.3f} "
                f"| 1 | (first photo done at {lo['first_photo_s']:.1f} s) |"
            )
        ra = r["ray"]
        print(
            f"| {k + 1} | ray, {args.workers} workers | {ra['wall_s']:.1f} | {ra['steady_photos_per_s']:.3f} | "
            f"{ra['loads']} | {', '.join(f'{s:.1f}' for s in ra['worker_load_s'])} |"
        )
    for k, r in enumerate(rounds):
        print(
            f"round {k + 1}: ray vs local 1 thread {r['ray_vs_local_1_thread']}; "
            f"vs local default {r['ray_vs_local_default']}"
        )
    print(
        f"\nI/O alone: {io['io_s_per_photo'] * 1000:.0f} ms per photo, {io['read_bytes_per_photo'] / 1e3:.0f} kB read, "
        f"{io['written_bytes_per_photo'] / 1e3:.0f} kB written; dispatch ceiling "
        f"{ceiling['photos_per_s']:.0f} photos/s on {args.workers} workers (local, same tiny photos: "
        f"{ceiling['local_photos_per_s']:.0f} photos/s); with a fill that does nothing "
        f"{ceiling['noop_photos_per_s']:.0f} photos/s; {ceiling['message_bytes_per_photo']} bytes of messages per photo"
    )
    if args.json:
        args.json.write_text(json.dumps(result, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
