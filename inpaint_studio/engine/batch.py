"""Batch export: a folder of photos, per-image masks or one template mask.

Shared by ``inpaint-studio batch`` and the GUI's batch dialog.  Planning is separate
from running so a front end can show what will happen (and what is skipped) first.
One bad file is reported and skipped; it never aborts the batch.
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..core.errors import CancelledError, InpaintStudioError, MaskError
from ..core.image_formats import (
    FORMAT_SUFFIX,
    IMAGE_SUFFIXES,
    OUTPUT_FORMAT_ALIASES,
    OUTPUT_FORMATS,
    SUFFIX_FORMAT,
    SUPPORTED_FORMATS,
    UNREADABLE_SUFFIXES,
)
from ..core.image_io import load_image, save_image
from ..core.image_probe import animation_message, sniff
from ..core.masks import aspect_warning, dilate, hole_ratio, load_mask, resize_mask
from .cancel import CancelToken, ProgressCallback, no_progress
from .engine import Engine, InpaintOptions


@dataclass
class BatchItem:
    """One file of the input; ``skip_reason`` set means it will not be processed.

    ``is_photo`` is False for files that are listed only to say why they are not
    processed (masks inside the input, unsupported or non-image files).
    """

    source: Path
    mask: Path | None
    dest: Path
    skip_reason: str | None = None
    is_photo: bool = True


@dataclass
class Prepared:
    """What a per-photo provider (``engine.batch_marks``) hands the fill: the photo to
    fill (possibly already partly restored), the hole, and every pixel it changed."""

    pixels: np.ndarray
    mask: np.ndarray
    changed: np.ndarray | None = None
    note: str = ""


class ItemSkipped(InpaintStudioError):
    """A provider found nothing to do for this photo; it is reported and left as it is."""


#: ``provider(item, image) -> Prepared``: makes the mask (and any restoration) per photo
#: instead of reading ``item.mask``; raises :class:`ItemSkipped` to leave a photo alone.
MaskProvider = Callable[["BatchItem", np.ndarray], Prepared]


@dataclass
class ItemOutcome:
    status: str  # "ok" | "failed" | "skipped"
    message: str = ""
    seconds: float = 0.0
    warnings: list[str] = field(default_factory=list)


@dataclass
class BatchSummary:
    ok: list[BatchItem] = field(default_factory=list)
    failed: list[tuple[BatchItem, str]] = field(default_factory=list)
    skipped: list[tuple[BatchItem, str]] = field(default_factory=list)
    cancelled: bool = False
    seconds: float = 0.0
    #: Each distinct warning once, with the number of photos it came with (a fallback
    #: from damaged weights is one line per batch, not one per photo).
    warnings: dict[str, int] = field(default_factory=dict)

    @property
    def exit_code(self) -> int:
        """0 all good, 1 some failed (or cancelled)."""
        return 1 if (self.failed or self.cancelled) else 0


#: Subfolders of the input whose files are masks whatever ``--masks`` says.
MASK_FOLDER_NAMES = frozenset({"mask", "masks"})
#: Default of ``--max-hole``: masks covering more of the photo are refused.
DEFAULT_MAX_HOLE = 0.60


def is_named_mask(path: Path) -> bool:
    """``photo_mask.png`` / ``photo.mask.png``: the names the matcher looks for as masks."""
    stem = path.stem.lower()
    return stem.endswith("_mask") or stem.endswith(".mask")


@dataclass
class _Scan:
    images: list[Path] = field(default_factory=list)
    #: (file, why it is not processed): image formats that cannot be edited faithfully.
    unsupported: list[tuple[Path, str]] = field(default_factory=list)
    #: Files that are not images at all (sidecars, notes).
    other: list[Path] = field(default_factory=list)


def _scan(root: Path, exclude: Path | None = None) -> _Scan:
    """Every visible file under ``root``, sorted into images, unsupported images and others.

    The suffix decides for the usual photo suffixes; any other file is sniffed by its
    content, so a ``.heic`` name with JPEG inside is a photo, a real HEIC is listed as
    unreadable, and an animation is listed instead of being flattened to one frame.
    """
    scan = _Scan()
    if root.is_file():
        scan.images.append(root)
        return scan
    for p in sorted(root.rglob("*")):
        if not p.is_file() or p.name.startswith("."):
            continue
        if exclude is not None and exclude in p.resolve().parents:
            continue  # the output folder inside the input: our own results
        suffix = p.suffix.lower()
        fmt: str | None
        if suffix in IMAGE_SUFFIXES and suffix not in _MAY_ANIMATE:
            fmt, frames = SUFFIX_FORMAT[suffix], 1  # a JPEG/BMP name: its loader says the rest
        else:
            fmt, frames = sniff(p)
        if fmt in SUPPORTED_FORMATS:
            if frames > 1:
                scan.unsupported.append((p, animation_message(None, fmt, frames)))
            else:
                scan.images.append(p)
        elif fmt is not None:
            scan.unsupported.append((p, f"{fmt} images are not supported (convert it to PNG, JPEG or TIFF first)"))
        elif suffix in UNREADABLE_SUFFIXES:
            scan.unsupported.append(
                (p, f"{UNREADABLE_SUFFIXES[suffix]} files cannot be read here (convert it to JPEG, PNG or TIFF first)")
            )
        elif suffix in IMAGE_SUFFIXES:
            scan.images.append(p)  # named like a photo but unreadable: reported as a failure
        else:
            scan.other.append(p)
    return scan


#: Suffixes whose files may hold several frames, so their content is looked at first.
_MAY_ANIMATE = frozenset({".gif", ".png", ".webp", ".tif", ".tiff"})


def _dest_for(source: Path, rel: Path, out: Path, fmt: str | None) -> Path:
    dest = out / rel
    if fmt is not None:
        dest = dest.with_suffix(FORMAT_SUFFIX[fmt])
    return dest


def _inside(path: Path, folder: Path) -> bool:
    return folder == path or folder in path.parents


def plan_batch(
    input: Path,
    masks: Path | None,
    out: Path,
    fmt: str = "keep",
    overwrite: bool = False,
) -> list[BatchItem]:
    """Match each photo under ``input`` with its mask and output path.

    ``masks`` is a folder of masks matched by file stem (``a/b/photo.jpg`` looks for
    ``masks/a/b/photo.*`` then ``masks/photo.*``, also ``photo_mask.*``) or one mask
    file used for every photo (a watermark template).  Existing outputs are skipped
    unless ``overwrite`` (so re-running resumes an interrupted batch).  ``masks=None``:
    the masks come from a provider at run time (automatic text or watermark masks).

    Masks are never photos: a file named ``*_mask.*``, the template, everything in a
    masks folder that lies inside the input, and everything in a subfolder named
    ``masks`` are listed as skipped, and a photo is never matched with itself.  Where
    masks and photos share one folder, only those count as masks there.  Files that are not photos we can edit
    (animations, HEIC, other formats, non-image files) are listed with the reason.

    Raises:
        InpaintStudioError: ``input`` or ``masks`` does not exist, the output folder is
            the input folder, or an unknown format.
    """
    auto = masks is None
    input, masks, out = Path(input), Path(masks if masks is not None else input), Path(out)
    if not input.exists():
        raise InpaintStudioError(f"{input}: no such file or folder")
    if not masks.exists():
        raise InpaintStudioError(f"{masks}: no such mask file or folder")
    key = OUTPUT_FORMAT_ALIASES.get(fmt.lower(), fmt.lower())
    if key not in OUTPUT_FORMATS:
        raise InpaintStudioError(f"unknown format {fmt!r}; use one of {', '.join(OUTPUT_FORMATS)}")
    forced = OUTPUT_FORMATS[key].pil
    in_r, masks_r, out_r = input.resolve(), masks.resolve(), out.resolve()
    if input.is_dir() and out_r == in_r:
        raise InpaintStudioError(
            f"the output folder {out} is the input folder: the results would replace the originals; "
            "choose another --out (e.g. a new folder next to it)"
        )
    scan = _scan(input, exclude=out_r if input.is_dir() else None)
    masks_inside = masks.is_dir() and input.is_dir() and masks_r != in_r and _inside(masks_r, in_r)

    def rel_of(p: Path) -> Path:
        return p.relative_to(input) if input.is_dir() else Path(p.name)

    def listed(p: Path, why: str) -> BatchItem:
        return BatchItem(source=p, mask=None, dest=_dest_for(p, rel_of(p), out, None), skip_reason=why, is_photo=False)

    notes: list[BatchItem] = []
    photos: list[Path] = []
    for p in scan.images:
        pr = p.resolve()
        if masks.is_file() and pr == masks_r:
            notes.append(listed(p, "the template mask, not a photo"))
        elif masks_inside and _inside(pr, masks_r):
            notes.append(listed(p, f"in the masks folder {masks}, not a photo"))
        elif is_named_mask(p):
            notes.append(listed(p, "named like a mask (*_mask), not a photo"))
        elif input.is_dir() and any(part.lower() in MASK_FOLDER_NAMES for part in rel_of(p).parent.parts):
            notes.append(listed(p, "in a folder named masks, not a photo"))
        else:
            photos.append(p)
    notes += [listed(p, why) for p, why in scan.unsupported]
    notes += [listed(p, "not an image") for p in scan.other]

    if masks.is_dir() and not auto:
        photo_set = {p.resolve() for p in photos}
        mask_index: dict[str, list[Path]] = {}
        for m in _scan(masks, exclude=out_r).images:
            if m.resolve() not in photo_set:  # a photo is never anyone's mask
                mask_index.setdefault(m.stem.lower(), []).append(m)
    shared = masks.is_dir() and input.is_dir() and (_inside(in_r, masks_r))
    items = []
    for src in photos:
        rel = rel_of(src)
        dest = _dest_for(src, rel, out, forced)
        mask: Path | None
        if auto:
            mask = None
        elif masks.is_file():
            mask = masks
        else:
            mask = _match_mask(src, rel, masks, mask_index)
        item = BatchItem(source=src, mask=mask, dest=dest)
        if mask is None and not auto:
            item.skip_reason = "no mask found for this photo" + (
                f" (next to the photos a mask must be named {src.stem}_mask.png)" if shared else ""
            )
        elif dest.resolve() == src.resolve():
            item.skip_reason = "output would overwrite the original"
        elif dest.exists() and not overwrite:
            item.skip_reason = "output exists (use --overwrite to redo)"
        items.append(item)
    return sorted(items + notes, key=lambda it: str(it.source))


def check_output_folder(out: Path) -> None:
    """Create ``out`` and write and remove a probe file there, before any photo is filled.

    A read-only or missing-permission output folder used to be found only when the
    first result was saved, after all the computing.

    Raises:
        InpaintStudioError: the folder cannot be created or written to.
    """
    out = Path(out)
    try:
        out.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(prefix=".inpaint-studio-probe-", dir=out)
        os.close(fd)
        os.unlink(name)
    except OSError as exc:
        why = exc.strerror or str(exc)
        raise InpaintStudioError(f"cannot write to the output folder {out}: {why}") from None


def check_hole_ratio(mask: np.ndarray, max_hole: float, path: Path | None = None) -> None:
    """Refuse a mask that would have most of the photo invented.

    An all-white mask, or an inverted one (black marking the hole, a common convention
    elsewhere), turns a photo into a smooth gradient; that is almost never what was
    meant.  A mask is said to look inverted when its hole runs around the photo's edge
    (a frame around what is kept, as an object drawn in black leaves) and what it keeps
    would be an acceptable hole.

    Raises:
        MaskError: the hole covers more than ``max_hole`` of the photo.
    """
    ratio = hole_ratio(mask)
    if ratio <= max_hole:
        return
    name = f"mask {path}" if path is not None else "the mask"
    msg = f"{name} covers {ratio:.0%} of the photo, more than the limit of {max_hole:.0%} (--max-hole)"
    if ratio >= 0.999:
        msg += ": it marks the whole photo as hole, nothing is left to fill from"
    elif 1.0 - ratio <= max_hole and _border_share(mask) >= 0.9:
        msg += (
            f"; it looks inverted (black marking the hole, {1 - ratio:.0%} of the photo?): "
            "use --invert-masks if black marks the hole in your masks"
        )
    raise MaskError(msg)


def _border_share(mask: np.ndarray) -> float:
    """Share of the photo's outermost pixels that are hole."""
    edge = np.concatenate([mask[0], mask[-1], mask[:, 0], mask[:, -1]])
    return float(edge.mean()) if edge.size else 0.0


def _match_mask(src: Path, rel: Path, masks: Path, index: dict[str, list[Path]]) -> Path | None:
    stem = src.stem.lower()
    candidates = index.get(stem, []) + index.get(stem + "_mask", []) + index.get(stem + ".mask", [])
    candidates = [c for c in candidates if c.resolve() != src.resolve()]
    if not candidates:
        return None
    # Prefer the mask in the same relative subfolder.
    same_dir = [c for c in candidates if c.parent.resolve() == (masks / rel.parent).resolve()]
    return (same_dir or candidates)[0]


def process_item(
    item: BatchItem,
    engine: Engine,
    options: InpaintOptions,
    *,
    overwrite: bool = False,
    quality: int | None = None,
    cancel: CancelToken | None = None,
    provider: MaskProvider | None = None,
    max_hole: float | None = DEFAULT_MAX_HOLE,
    invert_masks: bool = False,
    max_pixels: int | None = None,
) -> ItemOutcome:
    """Load, mask (scaled to the photo), fill and save one photo; raises on failure.

    A mask of another aspect ratio is stretched with a warning; unless ``max_hole`` is
    ``None``, a mask whose hole (after ``dilate``) covers more than ``max_hole`` of the
    photo is refused.
    """
    t0 = time.perf_counter()
    img = load_image(item.source, max_pixels=max_pixels)
    notes = []
    note, pixels, changed = "", img.pixels, None
    if provider is not None:
        prep = provider(item, img.pixels)
        pixels, mask, changed, note = prep.pixels, prep.mask, prep.changed, prep.note
    else:
        assert item.mask is not None
        # Read once, at its own size: the shape it is shown at says whether it must be
        # stretched (a PNG's header alone cannot say, its EXIF may follow the pixels).
        mask = load_mask(item.mask, max_pixels=max_pixels)
        stretched = aspect_warning((mask.shape[1], mask.shape[0]), (img.width, img.height), item.mask)
        if stretched:
            notes.append(f"{item.source}: {stretched}")
        mask = resize_mask(mask, (img.width, img.height))
        if invert_masks:
            mask = ~mask
    if options.dilate > 0:
        mask = dilate(mask, options.dilate)
        options = options.replace(dilate=0)
    if max_hole is not None and provider is None:
        check_hole_ratio(mask, max_hole, item.mask)
    result = engine.inpaint(pixels, mask, None, options, cancel=cancel)
    # The original pixels are not needed any more: dropping them before encoding keeps
    # the peak at the result plus the encoder's copy (docs/BENCHMARKS.md, memory).
    filled = img.with_pixels(result.pixels)
    changed = result.mask if changed is None else (result.mask | changed)
    del img, mask, pixels
    # The destination's suffix picks the format ("keep" kept the source's suffix).
    save_image(item.dest, filled, quality=quality, overwrite=overwrite, changed=changed)
    return ItemOutcome("ok", note, time.perf_counter() - t0, result.warnings + notes)


@dataclass
class ItemSettings:
    """How each photo is prepared, beyond the fill's options: one picklable object, so a
    backend that runs photos elsewhere (``engine.ray_backend``) ships it once."""

    provider: MaskProvider | None = None
    max_hole: float | None = DEFAULT_MAX_HOLE
    invert_masks: bool = False
    max_pixels: int | None = None

    def kwargs(self) -> dict:
        return {
            "provider": self.provider,
            "max_hole": self.max_hole,
            "invert_masks": self.invert_masks,
            "max_pixels": self.max_pixels,
        }


def process_with_settings(
    item: BatchItem, engine: Engine, options: InpaintOptions, *, shared: ItemSettings, **kwargs: object
) -> ItemOutcome:
    """:func:`process_item` with ``shared`` settings (the Ray backend's ``process`` hook)."""
    return process_item(item, engine, options, **shared.kwargs(), **kwargs)  # type: ignore[arg-type]


def run_batch(
    items: list[BatchItem],
    engine: Engine,
    options: InpaintOptions,
    *,
    overwrite: bool = False,
    quality: int | None = None,
    on_item: Callable[[int, BatchItem, ItemOutcome], None] | None = None,
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
    provider: MaskProvider | None = None,
    max_hole: float | None = DEFAULT_MAX_HOLE,
    invert_masks: bool = False,
    max_pixels: int | None = None,
) -> BatchSummary:
    """Process every planned item; per-file errors are collected, never raised.

    ``progress`` hears of each item before it is processed (its path as the message),
    so a front end can name the photo being filled.
    """
    progress = progress or no_progress
    cancel = cancel or CancelToken()
    summary = BatchSummary()
    t0 = time.perf_counter()
    n = len(items)
    for i, item in enumerate(items):
        if cancel.cancelled:
            summary.cancelled = True
            break
        progress(i / max(1, n), str(item.source))
        if item.skip_reason:
            outcome = ItemOutcome("skipped", item.skip_reason)
            summary.skipped.append((item, item.skip_reason))
        else:
            try:
                outcome = process_item(
                    item,
                    engine,
                    options,
                    overwrite=overwrite,
                    quality=quality,
                    cancel=cancel,
                    provider=provider,
                    max_hole=max_hole,
                    invert_masks=invert_masks,
                    max_pixels=max_pixels,
                )
                summary.ok.append(item)
                for w in outcome.warnings:
                    summary.warnings[w] = summary.warnings.get(w, 0) + 1
            except ItemSkipped as exc:
                outcome = ItemOutcome("skipped", str(exc))
                summary.skipped.append((item, str(exc)))
            except CancelledError:
                summary.cancelled = True
                break
            except InpaintStudioError as exc:
                msg = str(exc) if str(item.source) in str(exc) else f"{item.source}: {exc}"
                outcome = ItemOutcome("failed", msg)
                summary.failed.append((item, msg))
            except Exception as exc:  # noqa: BLE001 - one bad file must not end the batch
                msg = f"{item.source}: unexpected error: {type(exc).__name__}: {exc}"
                outcome = ItemOutcome("failed", msg)
                summary.failed.append((item, msg))
        if on_item:
            on_item(i, item, outcome)
    progress(1.0, "done")
    summary.seconds = time.perf_counter() - t0
    return summary
