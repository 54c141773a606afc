"""A few tiny training steps: the loss goes down, checkpoints resume exactly, CLI runs."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import torch

from inpaint_studio.cli import main
from inpaint_studio.training.trainer import TrainConfig, Trainer
from tests.helpers import photo

torch.set_num_threads(1)


def _data(tmp_path: Path) -> Path:
    d = tmp_path / "photos"
    d.mkdir(exist_ok=True)
    for i in range(3):
        cv2.imwrite(str(d / f"p{i}.png"), photo(48, 64, seed=i))
    return d


def _cfg(tmp_path: Path, **kw) -> TrainConfig:
    base = dict(
        data=str(_data(tmp_path)),
        out=str(tmp_path / "run"),
        size=32,
        batch=2,
        cnum=8,
        long_side=(40, 64),
        save_every=2,
        sample_every=2,
        lr=2e-3,
    )
    base.update(kw)
    return TrainConfig(**base)


def test_generator_loss_decreases_on_a_fixed_batch(tmp_path: Path) -> None:
    t = Trainer(_cfg(tmp_path))
    b = t.batch(0)
    losses = [t.train_step(b)[0]["l1"] for _ in range(12)]
    assert np.mean(losses[-3:]) < np.mean(losses[:3])


def test_gan_and_edge_steps_run(tmp_path: Path) -> None:
    t = Trainer(_cfg(tmp_path, gan_weight=0.1, l2_weight=1.0))
    logs, vis = t.train_step(t.batch(0))
    assert {"l1", "l2", "d", "g_adv"} <= set(logs)
    e = Trainer(_cfg(tmp_path, kind="edges", edge_width=8, edge_blocks=1, gan_weight=1.0, out=str(tmp_path / "e")))
    logs, _ = e.train_step(e.batch(0))
    assert {"bce", "d", "fm"} <= set(logs)


def test_edge_model_sees_known_edges_as_at_run_time(tmp_path: Path) -> None:
    """The edge trainer's input edges come from the photo with the hole, like the
    engine's: no edge along the hole's border, none within the dropped band."""
    from inpaint_studio.engine.edges import NEAR_HOLE_MARGIN, known_edges

    e = Trainer(_cfg(tmp_path, kind="edges", edge_width=8, edge_blocks=1, out=str(tmp_path / "e")))
    b = e.batch(0)
    truth, known = b["edges"], b["known"]
    mask = b["mask"].numpy()[:, 0] > 0.5
    assert mask.any() and truth.sum() > 0
    imgs = np.rint((b["image"].permute(0, 2, 3, 1).numpy() + 1) * 127.5).clip(0, 255).astype(np.uint8)
    for i in range(len(imgs)):
        want = known_edges(imgs[i], mask[i])
        np.testing.assert_array_equal(known[i, 0].numpy(), want)
        grown = cv2.dilate(mask[i].astype(np.uint8), np.ones((2 * NEAR_HOLE_MARGIN + 1,) * 2, np.uint8)) > 0
        assert not known[i, 0].numpy()[grown].any()
    # A flat photo with a hole: plain Canny of the blanked photo outlines the hole;
    # the known edges have nothing.
    flat = np.full((32, 32, 3), 120, np.uint8)
    hole = np.zeros((32, 32), bool)
    hole[10:20, 10:20] = True
    blanked = flat.copy()
    blanked[hole] = 0
    from inpaint_studio.engine.edges import canny_edges

    assert canny_edges(blanked).any() and not known_edges(blanked, hole).any()


def test_resume_continues_exactly(tmp_path: Path) -> None:
    cfg = _cfg(tmp_path)
    straight = Trainer(_cfg(tmp_path, out=str(tmp_path / "a")))
    straight.fit(4, progress=False)
    first = Trainer(cfg)
    first.fit(2, progress=False)
    resumed = Trainer(_cfg(tmp_path, out=cfg.out), resume=True)
    assert resumed.step == 2
    resumed.fit(4, progress=False)
    for (k, a), b in zip(straight.g.state_dict().items(), resumed.g.state_dict().values()):
        assert torch.allclose(a, b, atol=1e-5), k
    run = Path(cfg.out)
    assert (run / "last.pt").is_file() and (run / "log.jsonl").is_file()
    assert list((run / "samples").glob("*.png"))


def test_train_cli_smoke(tmp_path: Path) -> None:
    data = _data(tmp_path)
    out = tmp_path / "cli_run"
    args = [
        "train",
        "generator",
        "--data",
        str(data),
        "--out",
        str(out),
        "--steps",
        "2",
        "--size",
        "32",
        "--batch",
        "1",
        "--cnum",
        "8",
        "--device",
        "cpu",
        "--long-side",
        "40",
        "64",
    ]
    assert main(args) == 0
    resume = [
        "train",
        "generator",
        "--data",
        str(data),
        "--out",
        str(out),
        "--steps",
        "3",
        "--resume",
        "--size",
        "32",
        "--batch",
        "1",
        "--device",
        "cpu",
        "--long-side",
        "40",
        "64",
    ]
    assert main(resume) == 0
    assert (out / "last.pt").is_file()
    assert (
        main(
            [
                "train",
                "generator",
                "--data",
                str(tmp_path / "empty"),
                "--out",
                str(out),
                "--steps",
                "1",
                "--device",
                "cpu",
            ]
        )
        == 2
    )


def test_slim_state_resumes_without_discriminator(tmp_path: Path) -> None:
    t = Trainer(_cfg(tmp_path))
    t.fit(2, progress=False)
    slim = t.save_slim(tmp_path / "slim.pt")
    state = torch.load(slim, weights_only=True)
    assert "d" not in state and state["step"] == 2
    again = Trainer(_cfg(tmp_path, out=str(tmp_path / "b")), resume_from=slim)
    assert again.step == 2
    for a, b in zip(t.g.state_dict().values(), again.g.state_dict().values()):
        assert torch.equal(a, b)


def test_export_checkpoint_to_shippable_weights(tmp_path: Path) -> None:
    from inpaint_studio.models.export import main as export_main
    from inpaint_studio.models.weights import load_weights

    t = Trainer(_cfg(tmp_path))
    t.fit(1, progress=False)
    out = tmp_path / "w" / "deepfill.safetensors"
    slim = tmp_path / "w" / "state.pt"
    assert export_main([str(t.out / "last.pt"), str(out), "--working-size", "64", "--slim-state", str(slim)]) == 0
    model, info = load_weights(out)
    assert info["working_size"] == 64 and info["step"] == 1 and model.cnum == 8
    assert Trainer(_cfg(tmp_path, out=str(tmp_path / "c")), resume_from=slim).step == 1
    assert export_main([str(tmp_path / "missing.pt"), str(out)]) == 1


def test_export_refuses_a_resume_state_from_a_generator_only_snapshot(tmp_path: Path, capsys) -> None:  # noqa: ANN001
    from inpaint_studio.models.export import main as export_main

    t = Trainer(_cfg(tmp_path))
    t.fit(1, progress=False)
    snap = t.save_snapshot()
    out, slim = tmp_path / "w.safetensors", tmp_path / "state.pt"
    assert export_main([str(snap), str(out), "--slim-state", str(slim)]) == 1
    assert "last.pt" in capsys.readouterr().err and not slim.exists() and not out.exists()
    assert export_main([str(snap), str(out)]) == 0  # the weights alone are fine


def test_resume_takes_the_new_learning_rate(tmp_path: Path) -> None:
    cfg = _cfg(tmp_path)
    Trainer(cfg).fit(1, progress=False)
    resumed = Trainer(_cfg(tmp_path, out=cfg.out, lr=1e-5), resume=True)
    assert all(g["lr"] == 1e-5 for g in resumed.opt_g.param_groups)


def test_blend_generator_trains_with_a_telea_guide_and_resumes_its_variant(tmp_path: Path) -> None:
    t = Trainer(_cfg(tmp_path, prefill="blend", l2_weight=1.0))
    b = t.batch(0)
    assert b["guide"].shape == b["image"].shape
    losses = [t.train_step(b)[0]["l1"] for _ in range(12)]
    assert np.mean(losses[-3:]) < np.mean(losses[:3])
    t.save()
    again = Trainer(_cfg(tmp_path, prefill=None), resume=True)  # the variant comes from the checkpoint
    assert again.g.prefill == "blend" and again.step == 0


def test_cosine_anneal_is_resumable_and_reaches_the_final_lr(tmp_path: Path) -> None:
    cfg = _cfg(tmp_path, steps=4, lr=1e-3, lr_final=1e-5)
    first = Trainer(cfg)
    assert first.cfg.decay_start == 0
    assert first.lr_at(0) == 1e-3
    assert abs(first.lr_at(2) - (1e-5 + 0.5 * (1e-3 - 1e-5))) < 1e-12
    assert abs(first.lr_at(4) - 1e-5) < 1e-12
    first.fit(2, progress=False)
    # Resumed with the same final lr, the anneal keeps its start instead of restarting at step 2.
    resumed = Trainer(_cfg(tmp_path, out=cfg.out, steps=4, lr=1e-3, lr_final=1e-5), resume=True)
    assert resumed.cfg.decay_start == 0
    resumed.fit(4, progress=False)
    assert all(abs(g["lr"] - resumed.lr_at(3)) < 1e-12 for g in resumed.opt_g.param_groups)
    # Without --lr-final the lr stays constant.
    assert Trainer(_cfg(tmp_path, out=str(tmp_path / "c"), lr=3e-4)).lr_at(1000) == 3e-4


def test_thin_edges_keeps_the_ridge_of_a_band() -> None:
    from inpaint_studio.engine.edges import thin_edges

    y, x = np.mgrid[0:24, 0:32]
    band = np.exp(-((y - 12) ** 2) / 8.0).astype(np.float32)  # a horizontal edge, 7 px wide above 0.3
    t = thin_edges(band)
    assert ((band > 0.3).sum(0) == 7).all()
    assert ((t > 0.3).sum(0) == 1).all() and (t[12] == band[12]).all()
    diag = np.exp(-((x - y - 4) ** 2) / 8.0).astype(np.float32)  # a diagonal one
    td = thin_edges(diag)
    inner = (td > 0.3)[4:-4, 10:-10]
    assert (inner.sum(1) <= 2).all() and inner.any()
    assert not thin_edges(np.full((8, 8), 0.4, np.float32)).any()  # a flat haze has no ridge


def test_patch_gan_phase_keeps_snapshots_and_resumes_its_discriminator(tmp_path: Path) -> None:
    from inpaint_studio.models.discriminators import MaskedPatchGAN
    from inpaint_studio.models.export import main as export_main

    t = Trainer(_cfg(tmp_path, gan_weight=0.1, disc="patch", d_cnum=8, keep_every=1))
    records = t.fit(2, progress=False)
    assert {"d", "g_adv", "fm"} <= set(records[-1])
    keep = sorted((tmp_path / "run" / "keep").glob("step_*.pt"))
    assert [p.name for p in keep] == ["step_0000001.pt", "step_0000002.pt"]
    assert export_main([str(keep[0]), str(tmp_path / "w.safetensors")]) == 0
    # The saved D fixes its kind and width; the caller's defaults do not replace it.
    again = Trainer(_cfg(tmp_path), resume=True)
    assert isinstance(again.d, MaskedPatchGAN) and again.cfg.d_cnum == 8 and again.step == 2


def test_hole_weighted_patch_d_learns_real_from_blurred() -> None:
    """The patch D, scored over the hole's cells, separates a textured hole from its blur."""
    from inpaint_studio.models.discriminators import MaskedPatchGAN, hinge_d_loss, hole_cells

    torch.manual_seed(0)
    real = torch.rand(4, 3, 32, 32) * 2 - 1
    mask = torch.zeros(4, 1, 32, 32)
    mask[:, :, 8:24, 8:24] = 1
    blurred = torch.nn.functional.avg_pool2d(real, 5, 1, 2)
    fake = real * (1 - mask) + blurred * mask
    cells = hole_cells(mask, (2, 2))
    assert cells.shape == (4, 1, 2, 2) and cells.min() == 1  # every cell of this crop sees the hole
    d = MaskedPatchGAN(4, 8)
    opt = torch.optim.Adam(d.parameters(), lr=2e-3, betas=(0.5, 0.999))
    for _ in range(40):
        pos, neg = d(real, mask)[0], d(fake, mask)[0]
        loss = hinge_d_loss(pos, neg, hole_cells(mask, pos.shape[-2:]))
        opt.zero_grad()
        loss.backward()
        opt.step()
    with torch.no_grad():
        gap = float(d(real, mask)[0].mean() - d(fake, mask)[0].mean())
    assert gap > 0.5
