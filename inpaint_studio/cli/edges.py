"""``inpaint-studio edges``: the structure predicted inside each hole, as strokes.

For each photo, ``OUT/<stem>.png`` is the edge map inside the hole (white = edge, the
photo's size) and ``OUT/<stem>.json`` the strokes (``core.strokes.to_json``: control
points in photo pixels, width, source, strength), the ones the editor's overlay
shows.  Exit codes as ``batch``: 0 all good, 1 some failed, 2 usage error.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from ..core.atomic import atomic_write_bytes


def add_parser(sub: argparse._SubParsersAction, name: str, help_text: str) -> None:
    p = sub.add_parser(
        name,
        help=help_text,
        description=help_text + ". Masks are matched as for `batch` (a folder matched by file name, or one "
        "mask for every photo); white marks the hole.",
    )
    p.add_argument("input", type=Path, help="photo or folder of photos (searched recursively)")
    p.add_argument("--masks", "-m", type=Path, required=True, help="mask folder or one mask file")
    p.add_argument("--out", "-o", type=Path, required=True, help="output folder (subfolders kept)")
    p.add_argument("--method", default="auto", help="edge network under the strokes (auto, canny, edgeconnect)")
    p.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    p.add_argument("--overwrite", action="store_true", help="replace outputs that exist (default: skip them)")
    p.add_argument("--quiet", "-q", action="store_true")
    p.set_defaults(func=run)


def edge_outputs(strokes: list, mask: np.ndarray) -> tuple[bytes, bytes]:
    """PNG bytes of the edge map in the hole, JSON bytes of the strokes."""
    import cv2

    from ..core.strokes import rasterize, to_json

    emap = rasterize(strokes, mask.shape)
    g = np.where(mask, np.rint(emap * 255.0), 0).astype(np.uint8)
    ok, png = cv2.imencode(".png", g)
    if not ok:
        raise RuntimeError("could not encode the edge map as PNG")
    h, w = mask.shape
    doc = {"width": w, "height": h, "strokes": to_json(strokes)}
    return png.tobytes(), json.dumps(doc).encode()


def run(args: argparse.Namespace) -> int:
    from ..core.errors import InpaintStudioError
    from ..core.image_io import load_image
    from ..core.masks import load_mask
    from ..engine import Engine, InpaintOptions
    from ..engine.batch import check_output_folder, plan_batch
    from ..engine.device import cuda_available
    from ..engine.registry import edge_info

    if args.device == "cuda" and not cuda_available():
        print("error: --device cuda but no CUDA GPU is available (use --device auto or cpu)", file=sys.stderr)
        return 2
    try:
        if args.method != "auto":
            edge_info(args.method)
        items = plan_batch(args.input, args.masks, args.out, "png", args.overwrite)
        photos = [i for i in items if i.is_photo]
        if not photos:
            raise InpaintStudioError(f"no photos found in {args.input}")
        check_output_folder(args.out)
    except InpaintStudioError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    engine = Engine()
    opts = InpaintOptions(device=args.device, edge_method=args.method)
    failed = done = 0
    for item in photos:
        json_path = item.dest.with_suffix(".json")
        if item.skip_reason:
            if not args.quiet:
                print(f"skipped {item.source}: {item.skip_reason}", file=sys.stderr)
            continue
        try:
            img = load_image(item.source)
            if item.mask is None:
                raise InpaintStudioError("no mask found for it")
            mask = load_mask(item.mask, size=(img.width, img.height))
            strokes = engine.predict_strokes(img.pixels, mask, opts)
            png, js = edge_outputs(strokes, mask)
            atomic_write_bytes(item.dest, png)
            atomic_write_bytes(json_path, js)
            done += 1
            if not args.quiet:
                print(f"{item.source} -> {item.dest} ({len(strokes)} strokes)", file=sys.stderr)
        except (InpaintStudioError, OSError, ValueError) as exc:
            failed += 1
            print(f"failed {item.source}: {exc}", file=sys.stderr)
    if not args.quiet:
        print(f"{done} written, {failed} failed", file=sys.stderr)
    return 1 if failed else 0
