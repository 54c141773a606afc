"""Resumable training loops for the DeepFill v2 generator and the EdgeConnect edge model.

Everything needed to continue a run lives in ``RUN_DIR/last.pt`` (models, optimisers,
step, RNG states, config), written atomically every ``save_every`` steps, so a killed
run loses at most that many steps.  Sample order depends only on ``(seed, step)``, so
a resumed run sees the same batches it would have seen without the interruption.
"""

from __future__ import annotations

import contextlib
import json
import math
import random
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path

import cv2
import numpy as np
import torch
import torch.nn.functional as F

from ..core.atomic import atomic_path
from ..models import DeepFillGenerator, EdgeDiscriminator, EdgeGenerator, SNPatchGAN
from ..models.discriminators import MaskedPatchGAN, hole_cells
from ..models.weights import np_rng_state_from_plain, np_rng_state_to_plain
from .data import InpaintDataset
from .edges import NEAR_HOLE_MARGIN as EDGE_BAND
from .losses import edge_bce, feature_matching_loss, hinge_d_loss, hinge_g_loss, hole_mse, inpaint_l1


@dataclass
class TrainConfig:
    kind: str = "generator"  # "generator" | "edges"
    data: str = ""
    out: str = "runs/deepfill"
    steps: int = 1000
    size: int = 256
    batch: int = 4
    device: str = "cpu"
    lr: float = 3e-4
    d_lr: float = 1e-4
    seed: int = 0
    cnum: int = 24
    edge_width: int = 32
    edge_blocks: int = 4
    gan_weight: float = 0.0  # L1-first: PSNR drops with an early GAN term
    d_cnum: int = 64  # discriminator base width (paper: 64); its cost grows with the square
    disc: str = "snpatch"  # generator's D: "snpatch" (DeepFill v2) | "patch" (MaskedPatchGAN)
    fm_weight: float = 10.0
    hole_weight: float = 1.0
    whole_weight: float = 1.0  # the paper's whole-image L1 (0 for residual generators)
    l2_weight: float = 0.0
    save_every: int = 200
    keep_every: int = 0  # also keep a generator-only snapshot every N steps (for choosing one later)
    sample_every: int = 500
    log_every: int = 10
    long_side: tuple[int, int] = (400, 600)
    threads: int = 0
    prefill: str | None = None  # "pullpush": residual generator (see models/deepfill.py)
    holdout_every: int = 0  # every N-th photo is kept out of training for validation
    cache_mb: int = 2048  # decoded photos kept in memory
    lr_final: float | None = None  # cosine-anneal the generator lr to this by ``steps``
    decay_start: int | None = None  # step where the anneal begins (default: where the run starts)
    extra: dict = field(default_factory=dict)


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


class Trainer:
    """One class for both models; ``kind`` selects networks and losses."""

    def __init__(self, cfg: TrainConfig, resume: bool = False, resume_from: str | Path | None = None) -> None:
        self.cfg = cfg
        self.out = Path(cfg.out)
        self.out.mkdir(parents=True, exist_ok=True)
        if cfg.threads:
            torch.set_num_threads(cfg.threads)
        from ..engine.torch_runtime import configure_allocator

        configure_allocator()  # same page-fault saving per step as per fill
        self.device = torch.device(cfg.device)
        self.cuda = self.device.type == "cuda"
        self.step = 0
        ckpt_path = Path(resume_from) if resume_from else self.out / "last.pt"
        if resume_from and not ckpt_path.is_file():
            raise FileNotFoundError(f"checkpoint {ckpt_path} not found")
        if (resume or resume_from) and ckpt_path.exists():
            from ..models.weights import load_checkpoint

            # Without pickle's code: a checkpoint from elsewhere cannot run anything.
            ckpt = load_checkpoint(ckpt_path)
            saved = ckpt["config"]
            # Architecture comes from the checkpoint; schedule (steps, device) from the caller.
            keys = ["kind", "cnum", "edge_width", "edge_blocks", "prefill", "holdout_every"]
            if "d" in ckpt:  # a saved discriminator fixes its width; slim states leave it to the caller
                keys += ["d_cnum", "disc"]
            for key in keys:
                if key in saved:
                    setattr(cfg, key, saved[key])
        else:
            ckpt = None
        seed_everything(cfg.seed)
        self._build()
        if ckpt is not None:
            self.g.load_state_dict(ckpt["g"])
            self.opt_g.load_state_dict(ckpt["opt_g"])
            if "d" in ckpt:  # slim states (L1-only runs) carry no discriminator
                self.d.load_state_dict(ckpt["d"])
                self.opt_d.load_state_dict(ckpt["opt_d"])
            # The caller's learning rates win over the saved ones (lowering lr on resume).
            for opt, lr in ((self.opt_g, cfg.lr), (self.opt_d, cfg.d_lr)):
                for group in opt.param_groups:
                    group["lr"] = lr
            self.step = int(ckpt["step"])
            # A resumed anneal keeps its start, so lr stays a function of the step alone.
            if cfg.decay_start is None and cfg.lr_final is not None and saved.get("lr_final") == cfg.lr_final:
                cfg.decay_start = saved.get("decay_start")
            torch.set_rng_state(ckpt["rng_torch"])
            np.random.set_state(np_rng_state_from_plain(ckpt["rng_numpy"]))
            random.setstate(ckpt["rng_python"])
            if self.cuda and ckpt.get("rng_cuda") is not None:
                torch.cuda.set_rng_state_all(ckpt["rng_cuda"])
        if cfg.lr_final is not None and cfg.decay_start is None:
            cfg.decay_start = self.step
        self.data = InpaintDataset(
            cfg.data,
            cfg.size,
            (cfg.long_side[0], cfg.long_side[1]),
            seed=cfg.seed,
            holdout_every=cfg.holdout_every,
            guide=cfg.kind == "generator" and cfg.prefill in ("blend", "harmonic"),
            cache_mb=cfg.cache_mb,
            edge_model=cfg.kind == "edges",
        )
        self.log_path = self.out / "log.jsonl"

    def _build(self) -> None:
        cfg = self.cfg
        self.g: DeepFillGenerator | EdgeGenerator
        self.d: MaskedPatchGAN | SNPatchGAN | EdgeDiscriminator
        if cfg.kind == "generator":
            self.g = DeepFillGenerator(cfg.cnum, cfg.prefill)
            self.d = MaskedPatchGAN(4, cfg.d_cnum) if cfg.disc == "patch" else SNPatchGAN(4, cfg.d_cnum)
            betas = (0.5, 0.999)
        elif cfg.kind == "edges":
            self.g = EdgeGenerator(cfg.edge_width, cfg.edge_blocks)
            self.d = EdgeDiscriminator(2, cfg.d_cnum)
            betas = (0.0, 0.9)
        else:
            raise ValueError(f"unknown model kind {cfg.kind!r}; use generator or edges")
        # channels-last pays on CPU too (oneDNN's fast kernels expect it).
        mem = torch.channels_last
        # torch's stubs for Module.to omit memory_format, which it takes.
        self.g.to(self.device, memory_format=mem)  # type: ignore[call-overload]
        self.d.to(self.device, memory_format=mem)  # type: ignore[call-overload]
        self.opt_g = torch.optim.Adam(self.g.parameters(), lr=cfg.lr, betas=betas)
        self.opt_d = torch.optim.Adam(self.d.parameters(), lr=cfg.d_lr, betas=betas)

    # -- data -----------------------------------------------------------------
    def batch(self, step: int) -> dict[str, torch.Tensor]:
        """The batch for ``step``: a pure function of (seed, step), hence resumable."""
        rng = np.random.default_rng([self.cfg.seed, step])
        idx = rng.integers(0, len(self.data), self.cfg.batch)
        items = [self.data.sample(int(i), np.random.default_rng([self.cfg.seed, step, k])) for k, i in enumerate(idx)]
        out = {k: torch.stack([it[k] for it in items]) for k in items[0]}
        mem = torch.channels_last
        return {k: v.to(self.device, non_blocking=True).contiguous(memory_format=mem) for k, v in out.items()}

    def _autocast(self) -> contextlib.AbstractContextManager:
        if self.cuda:
            return torch.autocast("cuda", dtype=torch.bfloat16)
        return contextlib.nullcontext()

    def lr_at(self, step: int) -> float:
        """Generator lr for ``step``: constant, or a cosine from ``lr`` to ``lr_final``.

        Annealing the lr at the end of a run is the cheapest PSNR we can buy: the
        constant-lr weights hover around a minimum that a smaller step settles into.
        """
        cfg = self.cfg
        if cfg.lr_final is None or cfg.decay_start is None or step <= cfg.decay_start:
            return cfg.lr
        span = max(1, cfg.steps - cfg.decay_start)
        t = min(1.0, (step - cfg.decay_start) / span)
        return cfg.lr_final + 0.5 * (cfg.lr - cfg.lr_final) * (1 + math.cos(math.pi * t))

    # -- steps ----------------------------------------------------------------
    def train_step(self, b: dict[str, torch.Tensor]) -> tuple[dict[str, float], dict[str, torch.Tensor]]:
        if self.cfg.kind == "generator":
            return self._generator_step(b)
        return self._edge_step(b)

    def _generator_step(self, b: dict[str, torch.Tensor]) -> tuple[dict[str, float], dict[str, torch.Tensor]]:
        cfg = self.cfg
        img, mask, edges = b["image"], b["mask"], b["edges"]
        logs: dict[str, float] = {}
        with self._autocast():
            x1, x2, comp = self.g(img, mask, edges, b.get("guide"))
        use_gan = cfg.gan_weight > 0
        patch = cfg.disc == "patch"
        if use_gan:
            with self._autocast():
                pos, _ = self._score(img, mask)
                neg, _ = self._score(comp.detach(), mask)
                w = hole_cells(mask, (pos.shape[-2], pos.shape[-1])) if patch else None
                d_loss = hinge_d_loss(pos.float(), neg.float(), w)
            self.opt_d.zero_grad(set_to_none=True)
            d_loss.backward()
            self.opt_d.step()
            logs["d"] = float(d_loss.detach())
        with self._autocast():
            l1 = inpaint_l1(x1.float(), img, mask, cfg.hole_weight, cfg.whole_weight) + inpaint_l1(
                x2.float(), img, mask, cfg.hole_weight, cfg.whole_weight
            )
            loss = l1
            if cfg.l2_weight > 0:
                l2 = hole_mse(x1.float(), img, mask) + hole_mse(x2.float(), img, mask)
                loss = loss + cfg.l2_weight * l2
                logs["l2"] = float(l2.detach())
            if use_gan:
                neg, neg_f = self._score(comp, mask)
                g_adv = hinge_g_loss(neg.float(), w)
                loss = loss + cfg.gan_weight * g_adv
                logs["g_adv"] = float(g_adv.detach())
                if patch and cfg.fm_weight > 0:
                    # The D's features as a learned perceptual distance (EdgeConnect's FM),
                    # the photo's taken with the D as just updated.
                    with torch.no_grad():
                        _, pos_f = self._score(img, mask)
                    fm = feature_matching_loss([f.float() for f in pos_f[:-1]], [f.float() for f in neg_f[:-1]])
                    loss = loss + cfg.fm_weight * fm
                    logs["fm"] = float(fm.detach())
        self.opt_g.zero_grad(set_to_none=True)
        loss.backward()
        self.opt_g.step()
        logs["l1"] = float(l1.detach())
        hole_l1 = float(((comp.detach().float() - img).abs() * mask).sum() / (mask.sum() * 3).clamp_min(1))
        logs["hole_l1"] = hole_l1
        return logs, {"input": img * (1 - mask), "edges": edges, "output": comp.detach().float(), "truth": img}

    def _score(self, rgb: torch.Tensor, mask: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor]]:
        """The generator's D: (scores, features); SN-PatchGAN has no features to match."""
        out = self.d(rgb, mask)
        return out if isinstance(out, tuple) else (out, [])

    def _edge_step(self, b: dict[str, torch.Tensor]) -> tuple[dict[str, float], dict[str, torch.Tensor]]:
        cfg = self.cfg
        img, mask = b["image"], b["mask"]
        gray = (0.299 * img[:, 0:1] + 0.587 * img[:, 1:2] + 0.114 * img[:, 2:3] + 1.0) / 2.0
        # Truth: Canny of the whole crop.  Known: as the engine makes them at run time
        # (hole mean-filled, edges within EDGE_BAND px dropped), since there the hole's
        # border is itself an edge; both from the uint8 crop, in the loader thread.
        truth, known = b["edges"], b["known"]
        # The net predicts the hole and the band where the known edges were dropped.
        band = F.max_pool2d(mask, 2 * EDGE_BAND + 1, 1, EDGE_BAND)
        logs: dict[str, float] = {}
        with self._autocast():
            pred = self.g(gray, known, mask)
        merged = pred * band + truth * (1 - band)
        bce = edge_bce(pred.float(), truth, band)
        loss = bce
        if cfg.gan_weight > 0:
            bce_l = torch.nn.functional.binary_cross_entropy_with_logits
            with self._autocast():
                real, real_f = self.d(torch.cat([gray, truth], 1))
                fake, _ = self.d(torch.cat([gray, merged.detach()], 1))
                d_loss = (
                    bce_l(real.float(), torch.ones_like(real.float()))
                    + bce_l(fake.float(), torch.zeros_like(fake.float()))
                ) / 2
            self.opt_d.zero_grad(set_to_none=True)
            d_loss.backward()
            self.opt_d.step()
            with self._autocast():
                fake, fake_f = self.d(torch.cat([gray, merged], 1))
                g_adv = bce_l(fake.float(), torch.ones_like(fake.float()))
                fm = feature_matching_loss([f.float() for f in real_f], [f.float() for f in fake_f])
            loss = loss + cfg.gan_weight * g_adv + cfg.fm_weight * fm
            logs.update(d=float(d_loss.detach()), g_adv=float(g_adv.detach()), fm=float(fm.detach()))
        self.opt_g.zero_grad(set_to_none=True)
        loss.backward()
        self.opt_g.step()
        logs["bce"] = float(bce.detach())
        return logs, {
            "input": img * (1 - mask),
            "edges": known,
            "output": merged.detach().float() * 2 - 1,
            "truth": truth * 2 - 1,
        }

    # -- persistence ----------------------------------------------------------
    def save(self, path: Path | None = None) -> Path:
        path = path or self.out / "last.pt"
        state = {
            "g": self.g.state_dict(),
            "d": self.d.state_dict(),
            "opt_g": self.opt_g.state_dict(),
            "opt_d": self.opt_d.state_dict(),
            "step": self.step,
            "config": asdict(self.cfg),
            "model_config": self.g.config(),
            "rng_torch": torch.get_rng_state(),
            "rng_numpy": np_rng_state_to_plain(tuple(np.random.get_state(legacy=True))),
            "rng_python": random.getstate(),
            "rng_cuda": torch.cuda.get_rng_state_all() if self.cuda else None,
        }
        with atomic_path(path) as tmp:
            torch.save(state, tmp)
        return path

    def save_slim(self, path: Path) -> Path:
        """Resumable state without the discriminator (for L1-only runs: ~1/2 the size)."""
        self.save(path)
        state = torch.load(path, map_location="cpu", weights_only=True)
        for key in ("d", "opt_d"):
            state.pop(key, None)
        with atomic_path(path) as tmp:
            torch.save(state, tmp)
        return path

    def save_snapshot(self) -> Path:
        """``RUN_DIR/keep/step_N.pt``: the generator alone, enough for ``models.export``.

        GAN phases do not improve monotonically, so the shipped step is chosen afterwards
        on the validation set; ``last.pt`` alone would only offer the final one.
        """
        keep = self.out / "keep"
        keep.mkdir(exist_ok=True)
        path = keep / f"step_{self.step:07d}.pt"
        with atomic_path(path) as tmp:
            torch.save(
                {
                    "g": self.g.state_dict(),
                    "model_config": self.g.config(),
                    "step": self.step,
                    "config": asdict(self.cfg),
                },
                tmp,
            )
        return path

    def save_grid(self, vis: dict[str, torch.Tensor], path: Path, rows: int = 4) -> None:
        """PNG with one row per sample: input | edges | output | truth."""
        cols = []
        for key in ("input", "edges", "output", "truth"):
            t = vis[key][:rows].float().cpu()
            if key == "edges":
                t = t * 2 - 1
            if t.shape[1] == 1:
                t = t.repeat(1, 3, 1, 1)
            cols.append(t)
        grid = torch.cat([torch.cat(list(c), dim=1) for c in cols], dim=2)  # (3, rows*H, 4*W)
        arr = ((grid.permute(1, 2, 0).numpy() + 1) * 127.5).clip(0, 255).astype(np.uint8)
        cv2.imwrite(str(path), cv2.cvtColor(arr, cv2.COLOR_RGB2BGR))

    # -- loop -----------------------------------------------------------------
    def fit(self, steps: int, progress: bool = True) -> list[dict[str, float]]:
        """Train until the global step reaches ``steps``; returns the logged records."""
        from tqdm import tqdm

        cfg = self.cfg
        self.g.train()
        self.d.train()
        records: list[dict[str, float]] = []
        bar = tqdm(total=steps, initial=self.step, disable=not progress, dynamic_ncols=True, unit="it")
        t0 = time.perf_counter()
        start = self.step
        # The next batch is prepared in a thread while this step runs: OpenCV and the
        # torch kernels release the GIL, so data no longer adds to the step time.
        # ``batch(step)`` is a pure function of the step, so this changes nothing else.
        pool = ThreadPoolExecutor(1)
        ahead = pool.submit(self.batch, self.step) if self.step < steps else None
        with open(self.log_path, "a") as log, pool:
            while self.step < steps:
                assert ahead is not None  # submitted whenever a step is left
                b = ahead.result()
                if self.step + 1 < steps:
                    ahead = pool.submit(self.batch, self.step + 1)
                for group in self.opt_g.param_groups:
                    group["lr"] = self.lr_at(self.step)
                logs, vis = self.train_step(b)
                self.step += 1
                bar.update(1)
                bar.set_postfix({k: f"{v:.4f}" for k, v in logs.items()})
                rec = {"step": self.step, **logs, "elapsed_s": round(time.perf_counter() - t0, 2)}
                records.append(rec)
                if self.step % cfg.log_every == 0 or self.step == steps:
                    rec["it_s"] = round((self.step - start) / max(1e-9, time.perf_counter() - t0), 3)
                    log.write(json.dumps(rec) + "\n")
                    log.flush()
                if self.step % cfg.sample_every == 0 or self.step == steps:
                    (self.out / "samples").mkdir(exist_ok=True)
                    self.save_grid(vis, self.out / "samples" / f"step_{self.step:07d}.png")
                if self.step % cfg.save_every == 0 or self.step == steps:
                    self.save()
                if cfg.keep_every and self.step % cfg.keep_every == 0:
                    self.save_snapshot()
        bar.close()
        return records
