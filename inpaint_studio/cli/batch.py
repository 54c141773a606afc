"""``inpaint-studio batch``: fill a folder (or one photo) from the command line.

Exit codes: 0 all succeeded, 1 some failed (or interrupted), 2 usage error.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def add_parser(sub: argparse._SubParsersAction, name: str, help_text: str) -> None:
    from ..core.image_formats import OUTPUT_FORMATS

    p = sub.add_parser(
        name,
        help=help_text,
        description=help_text + ". MASKS is a folder of masks matched by file name (photo.jpg <- photo.png or "
        "photo_mask.png), or one mask file used for every photo (watermark template). "
        "White (or opaque, for transparent masks) marks the hole; a mask of another size is scaled. "
        "Without --masks: --auto-mask text masks the text found in each photo; --watermark estimates "
        "the mark the photos share and undoes it (recovering the photo under a semi-transparent mark, "
        "filling only where it is near-opaque); --masks TEMPLATE then hints where the mark is.",
    )
    p.add_argument("input", type=Path, help="photo or folder of photos (searched recursively)")
    p.add_argument("--masks", "-m", type=Path, default=None, help="mask folder or one template mask")
    p.add_argument(
        "--auto-mask",
        choices=["text"],
        default=None,
        help="make each photo's mask automatically: 'text' = captions, date stamps, signs (rapidocr)",
    )
    p.add_argument(
        "--watermark",
        action="store_true",
        help="estimate the watermark shared by the photos and remove it (with --masks TEMPLATE as a hint)",
    )
    p.add_argument(
        "--max-shift",
        type=int,
        default=None,
        metavar="PX",
        help="--watermark: how far (px) a photo's mark may sit from its usual place (default 64)",
    )
    p.add_argument(
        "--save-mark",
        type=Path,
        default=None,
        metavar="PNG",
        help="--watermark: also write the estimated mark (colour + opacity) as an RGBA PNG",
    )
    p.add_argument("--out", "-o", type=Path, required=True, help="output folder (subfolders kept)")
    p.add_argument("--model", default="auto", help="fill method (see `inpaint-studio models`); default: best")
    p.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    p.add_argument("--format", default="keep", choices=list(OUTPUT_FORMATS), help="output format")
    p.add_argument("--quality", type=int, default=None, help="JPEG/WebP quality (default: keep source's)")
    p.add_argument("--dilate", type=int, default=0, help="grow each mask by N pixels first")
    p.add_argument(
        "--edges",
        default="off",
        metavar="METHOD",
        help="guide a neural fill by edges predicted inside each hole with this edge method "
        "(auto, canny, edgeconnect; see `inpaint-studio models`), or 'off' (default: the "
        "network sees the photo's edges around the hole only)",
    )
    p.add_argument(
        "--seed",
        type=int,
        default=0,
        metavar="N",
        help="which of the plausible fills the default (guided) fill makes: the same seed gives the same "
        "pixels, another seed another fill (default 0)",
    )
    p.add_argument(
        "--max-hole",
        type=float,
        default=60.0,
        metavar="PERCENT",
        help="refuse masks whose hole covers more than this share of the photo (default 60; 100 = no limit): "
        "an all-white or inverted mask would turn the photo into a gradient",
    )
    p.add_argument("--invert-masks", action="store_true", help="black marks the hole in the masks (white is kept)")
    p.add_argument(
        "--max-megapixels",
        type=float,
        default=None,
        metavar="MP",
        help="refuse photos and masks larger than this (default 200, or $INPAINT_STUDIO_MAX_MEGAPIXELS), "
        "a guard against decompression bombs",
    )
    p.add_argument("--overwrite", action="store_true", help="redo outputs that already exist")
    p.add_argument("--quiet", "-q", action="store_true", help="no progress bar")
    from .batch_ray import add_arguments as add_ray_arguments

    add_ray_arguments(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..core.errors import InpaintStudioError
    from ..engine import Engine, InpaintOptions
    from ..engine.batch import ItemSettings, check_output_folder, plan_batch, run_batch
    from ..engine.registry import fill_info

    if args.quality is not None and not 1 <= args.quality <= 100:
        print("error: --quality must be between 1 and 100", file=sys.stderr)
        return 2
    if not 0.0 < args.max_hole <= 100.0:
        print("error: --max-hole must be a percentage above 0 and at most 100", file=sys.stderr)
        return 2
    if args.max_megapixels is not None and args.max_megapixels <= 0:
        print("error: --max-megapixels must be positive", file=sys.stderr)
        return 2
    from .batch_ray import check_args as check_ray_args

    if (problem := check_ray_args(args)) is not None:
        print(f"error: {problem}", file=sys.stderr)
        return 2
    if args.masks is None and not args.watermark and args.auto_mask is None:
        print("error: give --masks, --auto-mask text or --watermark", file=sys.stderr)
        return 2
    if args.auto_mask and (args.masks is not None or args.watermark):
        print("error: --auto-mask makes the masks; it does not combine with --masks or --watermark", file=sys.stderr)
        return 2
    if args.max_shift is not None and args.max_shift < 0:
        print("error: --max-shift must be 0 or more", file=sys.stderr)
        return 2
    if args.masks is not None and args.watermark and not args.masks.is_file():
        print("error: with --watermark, --masks must be one template mask file (the hint)", file=sys.stderr)
        return 2
    if args.auto_mask == "text":
        from ..engine.text_mask import INSTALL_HINT, available

        if not available():
            print(f"error: --auto-mask text needs rapidocr and onnxruntime: {INSTALL_HINT}", file=sys.stderr)
            return 2
    from ..engine.device import cuda_available

    if args.device == "cuda" and not cuda_available():
        print("error: --device cuda but no CUDA GPU is available (use --device auto or cpu)", file=sys.stderr)
        return 2
    try:
        options = InpaintOptions(
            method=args.model,
            device=args.device,
            dilate=args.dilate,
            seed=args.seed,
            auto_edges=args.edges != "off",
            edge_method="auto" if args.edges in ("off", "auto") else args.edges,
        )
        plan_masks = None if (args.watermark or args.auto_mask) else args.masks
        items = plan_batch(args.input, plan_masks, args.out, args.format, args.overwrite)
        if not any(i.is_photo for i in items):
            why = "".join(f"\n  skipped {i.source}: {i.skip_reason}" for i in items)
            raise InpaintStudioError(f"no photos found in {args.input}" + why)
        if any(not i.skip_reason for i in items):
            # Before any photo is filled: an unwritable folder must not cost the computing.
            check_output_folder(args.out)
    except InpaintStudioError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2

    engine = Engine()
    todo = sum(1 for i in items if not i.skip_reason)
    method = engine.resolve_method(args.model)
    header = f"{sum(i.is_photo for i in items)} photos, {todo} to process, model={method}" + (
        f", edges={args.edges}" if args.edges != "off" else ""
    )
    from ..engine.registry import auto_fallback

    if args.model == "auto":
        fallback = auto_fallback()
    else:
        ok, why = fill_info(args.model).available()
        fallback = None if ok else f"{args.model} is unavailable ({why}): the photos are filled with telea instead"
    # The header goes out before the bar exists, so it is not drawn into the bar's line.
    print(header, file=sys.stderr)
    if fallback:
        print(f"warning: {fallback}", file=sys.stderr)
    provider = None
    if args.watermark:
        provider = _watermark_provider(args, items)
        if isinstance(provider, int):
            return provider
    elif args.auto_mask == "text":
        from ..engine.batch_marks import TextProvider

        provider = TextProvider()
    bar = None
    if not args.quiet:
        from tqdm import tqdm

        bar = tqdm(total=len(items), unit="file", dynamic_ncols=True, file=sys.stderr)
    warned: set[str] = {fallback} if fallback else set()

    def on_start(_fraction: float, message: str) -> None:
        # Called before each item: the bar names the photo being filled, not the last one.
        if bar is not None and message != "done":
            bar.set_postfix_str(Path(message).name[-30:])

    def on_item(_i: int, item, outcome) -> None:  # noqa: ANN001
        if bar is not None:
            bar.update(1)
        for w in outcome.warnings:
            if w not in warned:
                warned.add(w)
                (bar.write if bar else print)(f"warning: {w}", file=sys.stderr)
        if outcome.status == "failed":
            (bar.write if bar else print)(f"FAILED {outcome.message}", file=sys.stderr)
        elif provider is not None and outcome.message:
            (bar.write if bar else print)(f"{item.source.name}: {outcome.message}")

    try:
        settings = ItemSettings(
            provider=provider,
            max_hole=None if args.max_hole >= 100 else args.max_hole / 100.0,
            invert_masks=args.invert_masks,
            max_pixels=None if args.max_megapixels is None else int(args.max_megapixels * 1e6),
        )
        if args.backend == "ray":
            from . import batch_ray

            summary = batch_ray.run(
                args, items, options, on_item, lambda m: (bar.write if bar else print)(m, file=sys.stderr), settings
            )
        else:
            summary = run_batch(
                items,
                engine,
                options,
                overwrite=args.overwrite,
                quality=args.quality,
                on_item=on_item,
                progress=on_start,
                **settings.kwargs(),
            )
    except InpaintStudioError as exc:  # the Ray backend could not run at all
        if bar is not None:
            bar.close()
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        if bar is not None:
            bar.close()
        print("interrupted: re-run the same command to resume (finished files are skipped)", file=sys.stderr)
        return 1
    if bar is not None:
        bar.close()
    print(
        f"done in {summary.seconds:.1f}s: {len(summary.ok)} filled, {len(summary.failed)} failed, "
        f"{len(summary.skipped)} skipped"
    )
    for w, n in sorted(summary.warnings.items()):  # arrival order differs between backends
        print(f"  warning ({n} photo{'s' if n != 1 else ''}): {w}")
    for item, why in summary.skipped:
        print(f"  skipped {item.source}: {why}")
    for _item, why in summary.failed:
        print(f"  failed  {why}")
    return summary.exit_code


def _watermark_provider(args: argparse.Namespace, items: list):  # noqa: ANN202
    """Estimate the shared mark from the batch's photos; an exit code if there is none."""
    from ..core.errors import InpaintStudioError
    from ..engine.batch_marks import WatermarkProvider
    from ..engine.watermark import MAX_SHIFT, NoWatermarkError

    provider = WatermarkProvider(args.masks, MAX_SHIFT if args.max_shift is None else args.max_shift)
    sources = [i.source for i in items]
    print(f"estimating the watermark shared by {len(sources)} photos...", file=sys.stderr)
    try:
        mark = provider.estimate(sources)
    except NoWatermarkError as exc:
        print(f"no shared watermark found: {exc}; nothing written", file=sys.stderr)
        return 1
    except InpaintStudioError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    h, w = mark.shape
    a = mark.alpha[mark.footprint]
    print(
        f"watermark: {w}x{h} px near x={mark.origin[0]}, y={mark.origin[1]}, from {mark.photos} photos, "
        f"opacity {float(a.min()) if a.size else 0:.2f}-{float(a.max()) if a.size else 0:.2f}",
        file=sys.stderr,
    )
    if args.save_mark is not None:
        from PIL import Image

        from ..core.atomic import atomic_path

        fmt = Image.registered_extensions().get(Path(args.save_mark).suffix.lower(), "PNG")
        with atomic_path(args.save_mark) as tmp:
            Image.fromarray(mark.preview(), "RGBA").save(tmp, format=fmt)
        print(f"estimated mark written to {args.save_mark}", file=sys.stderr)
    return provider
