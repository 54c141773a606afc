"""Photos from any folder as training samples: (image, hole mask, edge channel)."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import torch
from torch.utils.data import Dataset

from .edges import canny_edges, drop_near_hole
from .masks import free_form_mask

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".webp"}


def list_images(root: str | Path) -> list[Path]:
    """Every photo under ``root`` (recursive), sorted so runs are reproducible."""
    root = Path(root)
    files = sorted(p for p in root.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file())
    return files


def split_holdout(files: list[Path], every: int) -> tuple[list[Path], list[Path]]:
    """``(train, validation)``: every ``every``-th photo (sorted order) is held out.

    Deterministic, so the trainer and ``inpaint_studio.training.valset`` agree on which
    photos a run never saw without storing a list.  ``every`` 0 holds out nothing.
    """
    if every <= 0:
        return list(files), []
    return [f for i, f in enumerate(files) if i % every], [f for i, f in enumerate(files) if not i % every]


def read_rgb(path: Path) -> np.ndarray | None:
    data = np.fromfile(str(path), np.uint8)
    img = cv2.imdecode(data, cv2.IMREAD_COLOR)
    if img is None:
        return None
    return cv2.cvtColor(img, cv2.COLOR_BGR2RGB)


class InpaintDataset(Dataset):
    """Random crop of ``size`` after a random rescale, a fresh free-form mask, Canny edges.

    ``long_side`` rescales each photo so its long side is drawn from that range first:
    this keeps the scale of texture close to what the model fills at run time (the
    engine works on crops up to 512 px) instead of training on tiny downsized thumbs.
    ``edge_keep`` is the chance that ground-truth edges are shown inside the hole too
    (user-guided fill); otherwise the hole's edge channel is empty (automatic fill).
    """

    def __init__(
        self,
        root: str | Path,
        size: int = 256,
        long_side: tuple[int, int] = (400, 600),
        edge_keep: float = 0.3,
        seed: int = 0,
        holdout_every: int = 0,
        guide: bool = False,
    ) -> None:
        self.files = split_holdout(list_images(root), holdout_every)[0]
        if not self.files:
            raise FileNotFoundError(f"no .jpg/.png/.webp photos under {root}")
        self.size = size
        self.long_side = long_side
        self.edge_keep = edge_keep
        self.seed = seed
        self.guide = guide
        self.epoch = 0

    def __len__(self) -> int:
        return len(self.files)

    def sample(self, idx: int, rng: np.random.Generator) -> dict[str, torch.Tensor]:
        img = read_rgb(self.files[idx % len(self.files)])
        if img is None:
            img = np.full((self.size, self.size, 3), 127, np.uint8)
        s = self.size
        h, w = img.shape[:2]
        target = rng.uniform(*self.long_side)
        scale = max(target / max(h, w), s / min(h, w))
        nh, nw = max(s, round(h * scale)), max(s, round(w * scale))
        img = cv2.resize(img, (nw, nh), interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC)
        top, left = int(rng.integers(0, nh - s + 1)), int(rng.integers(0, nw - s + 1))
        img = img[top : top + s, left : left + s]
        if rng.random() < 0.5:
            img = img[:, ::-1]
        img = np.ascontiguousarray(img)
        hole = free_form_mask(s, s, rng)
        edges = canny_edges(img)
        if rng.random() >= self.edge_keep:
            edges = drop_near_hole(edges, hole)
        out = {
            "image": torch.from_numpy(img).permute(2, 0, 1).float() / 127.5 - 1.0,
            "mask": torch.from_numpy(hole.astype(np.float32))[None],
            "edges": torch.from_numpy(edges)[None],
        }
        if self.guide:  # the classical fill a prefill="blend" generator starts from
            from ..engine.classical import telea_u8

            blank = img.copy()
            blank[hole] = 0
            out["guide"] = torch.from_numpy(telea_u8(blank, hole)).permute(2, 0, 1).float() / 127.5 - 1.0
        return out

    def __getitem__(self, idx: int) -> dict[str, torch.Tensor]:
        rng = np.random.default_rng([self.seed, self.epoch, idx])
        return self.sample(idx, rng)
