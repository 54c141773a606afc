"""Editor tools that must not grow with the photo: object/outline select and autosave.

    python bench/bench_editor_tools.py

For each photo size: a box select (GrabCut) of an object covering about a third of
the photo, one scissors map (what each lasso click costs), and, for autosave, one
stroke appended to the journal against a full project save of the same document
(the reference, measured in the same run).  Synthetic photos made here; nothing read.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from inpaint_studio.core import journal  # noqa: E402
from inpaint_studio.core.document import Document  # noqa: E402
from inpaint_studio.core.project import save_project  # noqa: E402
from inpaint_studio.core.selection import ScissorsMap, object_select, scissors_image  # noqa: E402


def photo(h: int, w: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    small = cv2.GaussianBlur(rng.random((h // 8, w // 8, 3)).astype(np.float32), (0, 0), 3)
    img = (cv2.resize(small, (w, h)) * 160 + 40).astype(np.uint8)
    obj = np.zeros((h, w), np.uint8)
    cv2.ellipse(obj, (w // 2, h // 2), (w // 6, h // 3), 20, 0, 360, 1, -1)
    img[obj > 0] = (200, 60, 50)
    return img, obj.astype(bool)


def best(fn: object, n: int = 3) -> float:
    ts = []
    for _ in range(n):
        t = time.perf_counter()
        fn()  # type: ignore[operator]
        ts.append(time.perf_counter() - t)
    return min(ts)


def main() -> None:
    print(
        "| photo | box select | IoU (grow 0) | scissors map | journal append, one stroke | full project save | ratio |"
    )
    print("|---|---|---|---|---|---|---|")
    for h, w in ((480, 640), (2000, 3000), (4000, 6000)):
        img, obj = photo(h, w)
        ys, xs = np.nonzero(obj)
        box = (int(ys.min()) - 20, int(ys.max()) + 20, int(xs.min()) - 20, int(xs.max()) + 20)
        t_sel = best(lambda: object_select(img, box))
        sel = object_select(img, box, grow=0)
        iou = float((sel.full(obj.shape) & obj).sum() / (sel.full(obj.shape) | obj).sum()) if sel else 0.0
        small, scale = scissors_image(img)
        t_map = best(lambda: ScissorsMap(small, scale, (w * 0.3, h * 0.3)))
        doc = Document(img)
        for i in range(20):
            doc.begin_stroke("mask")
            doc.stroke_to((w * 0.1 + i * w * 0.04, h * 0.1), (w * 0.12 + i * w * 0.04, h * 0.9), w / 60)
            doc.end_stroke()
        entry = doc.undo_stack[-1]
        with tempfile.TemporaryDirectory() as d:
            jp = os.path.join(d, "a.journal")
            t_j = best(lambda: journal.append(jp, journal.encode("push", entry, doc.visible)), 5)
            t_s = best(lambda: save_project(os.path.join(d, "a.isproj"), doc, None), 2)
        print(
            f"| {w}×{h} | {t_sel:.2f} s | {iou:.3f} | {t_map:.2f} s | {t_j * 1000:.1f} ms | {t_s:.2f} s | {t_s / t_j:.0f}× |"
        )


if __name__ == "__main__":
    main()
