"""Two holes where the guided fill loses to PyPatchMatch at 1:1: docs/sheets/guided_failures_1to1.png.

Row 1: a box over a bird's head on a training photo (blurred rocks behind); row 2: two
crossed sine gratings with noise, made here.  Columns: input | telea | patchmatch |
guided | truth, every tile at the photo's own pixels.

    .venv/bin/python tools/guided_failure_sheet.py --photo ../shared/data/train/bsds500_train__103041.webp
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from inpaint_studio.core.image_io import load_image  # noqa: E402
from inpaint_studio.engine import Engine, InpaintOptions  # noqa: E402
from inpaint_studio.training.evaluate import label_tile  # noqa: E402


def gratings() -> tuple[np.ndarray, np.ndarray]:
    y, x = np.mgrid[:300, :400]
    rng = np.random.default_rng(0)
    waves = [128 + 60 * np.sin(x / 9.0), 100 + 50 * np.cos(y / 7.0), 90 + 40 * np.sin((x + y) / 13.0)]
    img = (np.stack(waves, -1) + rng.normal(0, 8, (300, 400, 3))).clip(0, 255).astype(np.uint8)
    hole = np.zeros((300, 400), bool)
    hole[100:170, 150:260] = True
    return img, hole


def row(engine: Engine, img: np.ndarray, hole: np.ndarray, y0: int, x0: int, name: str) -> np.ndarray:
    shown = img.copy()
    shown[hole] = 255
    crop = (slice(y0, y0 + 120), slice(x0, x0 + 150))
    tiles = [label_tile(shown[crop], name)]
    for method in ("telea", "patchmatch", "guided"):
        out = engine.inpaint(img, hole, options=InpaintOptions(method=method, device="cpu")).pixels
        tiles.append(label_tile(out[crop], method))
    tiles.append(label_tile(img[crop], "truth"))
    gap = np.full((120, 4, 3), 255, np.uint8)
    parts: list[np.ndarray] = []
    for t in tiles:
        parts += [t, gap]
    return np.concatenate(parts[:-1], axis=1)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--photo", type=Path, required=True)
    ap.add_argument("--out", type=Path, default=ROOT / "docs" / "sheets" / "guided_failures_1to1.png")
    args = ap.parse_args()
    img = load_image(args.photo).pixels[..., :3]
    h, w = img.shape[:2]
    hole = np.zeros((h, w), bool)
    hole[h // 3 : h // 3 + 60, w // 3 : w // 3 + 90] = True
    engine = Engine()
    first = row(engine, img, hole, h // 3 - 30, w // 3 - 30, args.photo.stem.split("__")[-1] + " (train)")
    second = row(engine, *gratings(), 80, 130, "gratings")
    sheet = np.concatenate([first, np.full((6, first.shape[1], 3), 255, np.uint8), second])
    Image.fromarray(sheet).save(args.out)
    print(f"{args.out}: {sheet.shape[1]}x{sheet.shape[0]} at 1:1")
    return 0


if __name__ == "__main__":
    sys.exit(main())
