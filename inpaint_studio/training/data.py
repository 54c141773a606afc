"""Photos from any folder as training samples: (image, hole mask, edge channel)."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import torch
from torch.utils.data import Dataset

from ..core.image_formats import SUFFIX_FORMAT
from .edges import canny_edges, drop_near_hole, known_edges
from .masks import free_form_mask

#: The photo suffixes training reads (with OpenCV): the JPEG, PNG and WebP names of
#: ``core.image_formats``' table.
IMAGE_SUFFIXES = frozenset(s for s, f in SUFFIX_FORMAT.items() if f in ("JPEG", "PNG", "WEBP"))


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
        cache_mb: int = 0,
        edge_model: bool = False,
    ) -> None:
        self.files = split_holdout(list_images(root), holdout_every)[0]
        if not self.files:
            raise FileNotFoundError(f"no .jpg/.png/.webp photos under {root}")
        self.size = size
        self.long_side = long_side
        self.edge_keep = edge_keep
        self.seed = seed
        self.guide = guide
        #: For the edge model: ``edges`` is the whole crop's Canny (the truth) and
        #: ``known`` the known edges made exactly as the engine makes them at run time.
        self.edge_model = edge_model
        self.epoch = 0
        #: Decoded photos kept in memory (``cache_mb`` budget): JPEG decoding was a
        #: quarter of a training step on 2 CPU cores, and a few thousand photos fit.
        self.cache_mb = cache_mb
        self._cache: dict[int, np.ndarray] = {}
        self._cache_bytes = 0

    def _photo(self, idx: int) -> np.ndarray | None:
        idx %= len(self.files)
        img = self._cache.get(idx)
        if img is None:
            img = read_rgb(self.files[idx])
            if img is not None and self._cache_bytes + img.nbytes <= self.cache_mb * 2**20:
                self._cache[idx] = img
                self._cache_bytes += img.nbytes
        return img

    def __len__(self) -> int:
        return len(self.files)

    def sample(self, idx: int, rng: np.random.Generator) -> dict[str, torch.Tensor]:
        img = self._photo(idx)
        if img is None:
            img = np.full((self.size, self.size, 3), 127, np.uint8)
        s = self.size
        h, w = img.shape[:2]
        target = rng.uniform(*self.long_side)
        scale = max(target / max(h, w), s / min(h, w))
        nh, nw = max(s, round(h * scale)), max(s, round(w * scale))
        top, left = int(rng.integers(0, nh - s + 1)), int(rng.integers(0, nw - s + 1))
        # Resize only the source region under the crop (same pixels as resizing the
        # whole photo and cropping, up to the filter's border, at a fraction of the cost).
        sy, sx = h / nh, w / nw
        y0, x0 = int(top * sy), int(left * sx)
        y1, x1 = min(h, int(np.ceil((top + s) * sy)) + 1), min(w, int(np.ceil((left + s) * sx)) + 1)
        region = img[y0:y1, x0:x1]
        rh, rw = round((y1 - y0) / sy), round((x1 - x0) / sx)
        region = cv2.resize(
            region, (max(s, rw), max(s, rh)), interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC
        )
        oy, ox = min(round(top - y0 / sy), region.shape[0] - s), min(round(left - x0 / sx), region.shape[1] - s)
        img = region[max(0, oy) : max(0, oy) + s, max(0, ox) : max(0, ox) + s]
        if rng.random() < 0.5:
            img = img[:, ::-1]
        img = np.ascontiguousarray(img)
        hole = free_form_mask(s, s, rng)
        edges = canny_edges(img)
        if not self.edge_model and rng.random() >= self.edge_keep:
            edges = drop_near_hole(edges, hole)
        out = {
            "image": torch.from_numpy(img).permute(2, 0, 1).float() / 127.5 - 1.0,
            "mask": torch.from_numpy(hole.astype(np.float32))[None],
            "edges": torch.from_numpy(edges)[None],
        }
        if self.edge_model:
            out["known"] = torch.from_numpy(known_edges(img, hole))[None]
        if self.guide:  # the classical fill a prefill="blend" generator starts from
            from ..engine.classical import telea_u8

            blank = img.copy()
            blank[hole] = 0
            out["guide"] = torch.from_numpy(telea_u8(blank, hole)).permute(2, 0, 1).float() / 127.5 - 1.0
        return out

    def __getitem__(self, idx: int) -> dict[str, torch.Tensor]:
        rng = np.random.default_rng([self.seed, self.epoch, idx])
        return self.sample(idx, rng)
