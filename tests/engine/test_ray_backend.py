"""``batch --backend ray`` on a local Ray cluster of 2 workers (Ray is in the test extra)."""

from __future__ import annotations

import os
import re
import time
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from inpaint_studio.cli import main
from inpaint_studio.engine import Engine, InpaintOptions, ray_worker
from inpaint_studio.engine import ray_cluster as cluster
from inpaint_studio.engine.batch import plan_batch, run_batch
from inpaint_studio.engine.cancel import CancelToken
from inpaint_studio.engine.ray_backend import run_batch_ray
from inpaint_studio.engine.ray_cluster import RayBackendError, RayConfig
from inpaint_studio.engine.ray_worker import PhotoWorker, missing_paths
from tests.engine import ray_hooks
from tests.helpers import photo

TELEA = InpaintOptions(method="telea")


@pytest.fixture(scope="module")
def ray_cluster():
    """One local 2-CPU cluster for the module (starting one costs ~8 s); each run
    starts and stops its own workers on it."""
    import ray
    from ray import cloudpickle

    cloudpickle.register_pickle_by_value(ray_hooks)
    cluster.start_local_cluster(num_cpus=2)
    yield ray
    ray.shutdown()


@pytest.fixture()
def photos(tmp_path: Path) -> Path:
    """PNG, RGBA PNG in a subfolder, 16-bit TIFF, EXIF JPEG, a corrupt JPEG, and a template mask."""
    d = tmp_path / "photos"
    (d / "sub").mkdir(parents=True)
    for k in range(4):
        Image.fromarray(photo(48, 64, seed=k)).save(d / f"p{k}.png")
    Image.fromarray(photo(40, 56, seed=7, channels=4), "RGBA").save(d / "sub" / "alpha.png")
    import tifffile

    tifffile.imwrite(d / "deep.tif", photo(40, 60, seed=3, dtype=np.uint16), photometric="rgb")
    im = Image.fromarray(photo(50, 60, seed=5))
    ex = im.getexif()
    ex[0x010F] = "Cam"
    im.save(d / "cam.jpg", exif=ex.tobytes(), quality=90)
    (d / "broken.jpg").write_bytes((d / "cam.jpg").read_bytes()[:300])
    wm = np.zeros((20, 20), np.uint8)
    wm[8:12, 4:16] = 255
    Image.fromarray(wm).save(tmp_path / "wm.png")
    return d


def _files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def _reasons(summary) -> list[str]:  # noqa: ANN001
    return [why for _item, why in summary.failed]


def test_outputs_byte_identical_to_local_and_corrupt_photo_reported(ray_cluster, photos: Path, tmp_path: Path) -> None:
    wm = tmp_path / "wm.png"
    local = run_batch(plan_batch(photos, wm, tmp_path / "local"), Engine(), TELEA)
    items = plan_batch(photos, wm, tmp_path / "ray")
    seen: list[int] = []
    meet = tmp_path / "meet"
    meet.mkdir()
    remote = run_batch_ray(
        items,
        TELEA,
        config=RayConfig(workers=2),
        on_item=lambda i, _it, _o: seen.append(i),
        process=ray_hooks.met,
        shared={"meet": (str(meet), 2)},
    )
    assert len(local.ok) == 7 and _reasons(local) and "broken.jpg" in _reasons(local)[0]
    # Same photos done, same failure with the same words, same files to the byte.
    assert [i.source for i in remote.ok] == [i.source for i in local.ok]
    assert _reasons(remote) == _reasons(local)
    assert remote.exit_code == local.exit_code == 1
    assert _files(tmp_path / "ray") == _files(tmp_path / "local")
    assert sorted(seen) == list(range(len(items)))
    assert len(remote.workers) == 2 and sum(w.photos for w in remote.workers) == 7
    assert all(w.load_seconds > 0 and w.pid and not w.died for w in remote.workers), remote.workers


def test_each_worker_keeps_one_engine_for_many_photos(ray_cluster, photos: Path, tmp_path: Path) -> None:
    (photos / "broken.jpg").unlink()
    log = tmp_path / "log.txt"
    items = plan_batch(photos, tmp_path / "wm.png", tmp_path / "out")
    meet = tmp_path / "meet"
    meet.mkdir()
    summary = run_batch_ray(
        items,
        TELEA,
        config=RayConfig(workers=2),
        process=ray_hooks.logged,
        shared={"log": str(log), "meet": (str(meet), 2)},
    )
    assert len(summary.ok) == 7
    rows = [line.split() for line in log.read_text().splitlines()]
    engines_per_pid: dict[str, set[str]] = {}
    for _name, pid, token in rows:
        engines_per_pid.setdefault(pid, set()).add(token)
    assert len(rows) == 7 and len(engines_per_pid) == 2  # both workers worked
    assert all(len(tokens) == 1 for tokens in engines_per_pid.values())  # built once, reused
    assert {str(w.pid) for w in summary.workers} == set(engines_per_pid)


def test_killed_worker_photo_redone_once_on_another_worker(ray_cluster, photos: Path, tmp_path: Path) -> None:
    (photos / "broken.jpg").unlink()
    wm = tmp_path / "wm.png"
    run_batch(plan_batch(photos, wm, tmp_path / "local"), Engine(), TELEA)
    log = tmp_path / "log.txt"
    notices: list[str] = []
    summary = run_batch_ray(
        plan_batch(photos, wm, tmp_path / "ray"),
        TELEA,
        config=RayConfig(workers=2),
        process=ray_hooks.kill_worker_on,
        shared={"log": str(log), "victim": "p2.png"},
        on_notice=notices.append,
    )
    assert summary.exit_code == 0 and not summary.failed and len(summary.ok) == 7
    tries = Counter(log.read_text().split())
    assert tries["p2.png"] == 2  # killed once, redone once
    assert all(n == 1 for name, n in tries.items() if name != "p2.png")  # queued behind it: never charged
    assert [i.source.name for i, _ in summary.retried] == ["p2.png"]
    assert sum(w.died for w in summary.workers) == 1 and len(summary.workers) == 3  # one replacement
    assert any("died while filling" in n and "p2.png" in n for n in notices)
    assert _files(tmp_path / "ray") == _files(tmp_path / "local")


def test_photo_that_kills_every_worker_is_reported_not_retried_forever(
    ray_cluster, photos: Path, tmp_path: Path
) -> None:
    (photos / "broken.jpg").unlink()
    log = tmp_path / "log.txt"
    summary = run_batch_ray(
        plan_batch(photos, tmp_path / "wm.png", tmp_path / "ray"),
        TELEA,
        config=RayConfig(workers=2, retries=1),
        process=ray_hooks.kill_worker_on,
        shared={"log": str(log), "victim": "p2.png", "always": True},
    )
    assert summary.exit_code == 1 and len(summary.ok) == 6
    [(item, why)] = summary.failed
    assert item.source.name == "p2.png" and "worker died while filling it, 2 times" in why
    assert Counter(log.read_text().split())["p2.png"] == 2
    assert not (tmp_path / "ray" / "p2.png").exists()


def test_cli_ray_backend_same_summary_and_resume(
    ray_cluster, photos: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["batch", str(photos), "--masks", str(tmp_path / "wm.png"), "--model", "telea", "-q"]
    assert main([*args, "--out", str(tmp_path / "local")]) == 1
    local_text = capsys.readouterr().out
    ray_args = [*args, "--out", str(tmp_path / "ray"), "--backend", "ray", "--workers", "2"]
    assert main(ray_args) == 1
    captured = capsys.readouterr()
    ray_text = captured.out
    assert "7 filled, 1 failed, 0 skipped" in ray_text and "broken.jpg" in ray_text
    strip = lambda t: re.sub(r"done in [0-9.]+s", "", t).replace("/local", "/OUT").replace("/ray", "/OUT")  # noqa: E731
    assert strip(ray_text) == strip(local_text)
    assert "2 workers" in captured.err
    assert _files(tmp_path / "ray") == _files(tmp_path / "local")
    # Re-running resumes: existing outputs are skipped, not rewritten.
    (photos / "broken.jpg").unlink()
    (tmp_path / "ray" / "p1.png").unlink()
    stamp = {p: p.stat().st_mtime_ns for p in (tmp_path / "ray").rglob("*") if p.is_file()}
    assert main(ray_args) == 0
    out = capsys.readouterr().out
    assert "1 filled, 0 failed, 6 skipped" in out
    assert len(stamp) == 6 and all(p.stat().st_mtime_ns == t for p, t in stamp.items())
    assert (tmp_path / "ray" / "p1.png").read_bytes() == (tmp_path / "local" / "p1.png").read_bytes()


def test_worker_that_cannot_see_the_photos_is_a_clear_error(ray_cluster, photos: Path, tmp_path: Path) -> None:
    items = plan_batch(photos, tmp_path / "wm.png", tmp_path / "out")
    photos.rename(tmp_path / "elsewhere")  # as if the workers' node had no such mount
    with pytest.raises(RayBackendError, match=r"cannot see .*photos.*same path"):
        run_batch_ray(items, TELEA, config=RayConfig(workers=2))
    assert not list((tmp_path / "out").glob(".inpaint-studio-ray-*"))  # its marker cleaned up


def test_cancel_stops_the_workers(ray_cluster, photos: Path, tmp_path: Path) -> None:
    (photos / "broken.jpg").unlink()
    token = CancelToken()
    pids: list[int] = []

    def note(msg: str) -> None:
        if m := re.search(r"pid (\d+)", msg):
            pids.append(int(m.group(1)))

    summary = run_batch_ray(
        plan_batch(photos, tmp_path / "wm.png", tmp_path / "out"),
        TELEA,
        config=RayConfig(workers=2),
        cancel=token,
        on_notice=note,
        on_item=lambda *_: token.cancel(),
    )
    assert summary.cancelled and summary.exit_code == 1 and len(summary.ok) < 7
    assert pids and _all_gone(pids)


def test_ctrl_c_in_the_driver_stops_the_workers_and_reraises(ray_cluster, photos: Path, tmp_path: Path) -> None:
    (photos / "broken.jpg").unlink()
    pids: list[int] = []

    def note(msg: str) -> None:
        if m := re.search(r"pid (\d+)", msg):
            pids.append(int(m.group(1)))

    def interrupt(*_a: object) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_batch_ray(
            plan_batch(photos, tmp_path / "wm.png", tmp_path / "out"),
            TELEA,
            config=RayConfig(workers=2),
            on_notice=note,
            on_item=interrupt,
        )
    assert pids and _all_gone(pids)
    # The cluster is usable again at once: the workers' CPUs were given back.
    again = run_batch_ray(
        plan_batch(photos, tmp_path / "wm.png", tmp_path / "out"), TELEA, config=RayConfig(workers=2, start_timeout=60)
    )
    assert again.exit_code == 0 and len(again.ok) + len(again.skipped) == 7


def _all_gone(pids: list[int], timeout: float = 15.0) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        alive = []
        for pid in pids:
            try:
                os.kill(pid, 0)
                alive.append(pid)
            except ProcessLookupError:
                pass
        if not alive:
            return True
        time.sleep(0.2)
    return False


# -- without a cluster -------------------------------------------------------------------


def test_without_ray_the_cli_says_how_to_install(
    monkeypatch: pytest.MonkeyPatch, photos: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(cluster, "ray_available", lambda: False)
    code = main(
        ["batch", str(photos), "--masks", str(tmp_path / "wm.png"), "--out", str(tmp_path / "o"), "--backend", "ray"]
    )
    assert code == 2
    assert 'pip install "inpaint-studio[ray]"' in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


def test_ray_flags_need_the_ray_backend(photos: Path, tmp_path: Path) -> None:
    base = ["batch", str(photos), "--masks", str(tmp_path / "wm.png"), "--out", str(tmp_path / "o")]
    assert main([*base, "--workers", "2"]) == 2
    assert main([*base, "--address", "auto"]) == 2
    assert main([*base, "--backend", "ray", "--workers", "0"]) == 2


def test_unreachable_address_fails_fast() -> None:
    t0 = time.monotonic()
    with pytest.raises(RayBackendError, match="no Ray cluster reachable at 127.0.0.1:1"):
        cluster._check_reachable("127.0.0.1:1", timeout=2)
    assert time.monotonic() - t0 < 5


def test_worker_reports_paths_it_cannot_see(tmp_path: Path) -> None:
    """The worker class without Ray: a photo that is not there on its node is a failed
    photo naming the node, and the start-up check lists what it cannot see."""
    (tmp_path / "out").mkdir()
    marker = tmp_path / "out" / ".inpaint-studio-ray-x"
    assert missing_paths([str(tmp_path)], str(marker)) == [str(tmp_path / "out")]
    marker.touch()
    assert missing_paths([str(tmp_path), str(tmp_path / "nope")], str(marker)) == [str(tmp_path / "nope")]
    worker = PhotoWorker(TELEA)
    from inpaint_studio.engine.batch import BatchItem

    outcome = worker.fill(BatchItem(tmp_path / "gone.png", tmp_path / "gone_mask.png", tmp_path / "out" / "gone.png"))
    assert outcome.status == "failed" and "not found on worker node" in outcome.message
    assert "gone.png" in outcome.message


def test_worker_without_the_weights_is_refused_not_mixed_in(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A node without the weights would fall back to Telea for its share of the batch;
    the driver refuses it instead of mixing two kinds of fill."""
    monkeypatch.setenv("INPAINT_STUDIO_WEIGHTS", str(tmp_path))  # no weights here
    worker = PhotoWorker(InpaintOptions(method="deepfill"))
    info = worker.hello([], None)
    assert info["method"] == "telea" and info["warnings"]
    with pytest.raises(RayBackendError, match=r"fills with telea, not deepfill.*same inpaint-studio and weights"):
        ray_worker.check_worker_method(info, "deepfill")
    ray_worker.check_worker_method({**info, "method": "deepfill"}, "deepfill")


def _raylets() -> set[int]:
    pids = set()
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                if b"raylet" in (d / "cmdline").read_bytes().split(b"\0")[0]:
                    pids.add(int(d.name))
            except OSError:
                pass
    return pids


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads /proc to find the cluster's processes")
def test_sigint_to_the_command_stops_its_cluster_and_exits_1(tmp_path: Path) -> None:
    """Ctrl+C as a user gives it: SIGINT to `inpaint-studio batch --backend ray` once its
    workers are filling; it says how to resume, exits 1 and leaves no cluster behind."""
    import signal
    import subprocess
    import sys

    d = tmp_path / "photos"
    d.mkdir()
    n = 120  # enough work that the batch is still running when the signal comes
    for k in range(n):
        Image.fromarray(photo(480, 640, seed=k)).save(d / f"p{k:03d}.png", compress_level=1)
    m = np.zeros((480, 640), np.uint8)
    m[200:320, 200:440] = 255
    Image.fromarray(m).save(tmp_path / "m.png")
    before = _raylets()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "inpaint_studio",
            "batch",
            str(d),
            "--masks",
            str(tmp_path / "m.png"),
            "--out",
            str(tmp_path / "out"),
            "--model",
            "telea",
            "--backend",
            "ray",
            "--workers",
            "2",
            "-q",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        # Ctrl+C as a shell delivers it: a suite started as a background job of a
        # non-interactive shell (`.ci/run &`) has SIGINT ignored, and a child inherits
        # that through exec, which would swallow the signal
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    assert proc.stderr is not None
    ready = 0
    err = []
    for line in proc.stderr:  # until both workers are up
        err.append(line)
        ready += " ready on " in line
        if ready == 2:
            break
    theirs = _raylets() - before
    proc.send_signal(signal.SIGINT)
    out, rest = proc.communicate(timeout=60)
    text = "".join(err) + rest
    assert proc.returncode == 1, text
    assert "interrupted: re-run the same command to resume" in text
    assert len(list((tmp_path / "out").glob("*.png"))) < n
    assert not list((tmp_path / "out").glob(".*"))  # no half-written file, no marker
    end = time.monotonic() + 20
    while theirs & _raylets() and time.monotonic() < end:
        time.sleep(0.2)
    assert theirs and not theirs & _raylets()
