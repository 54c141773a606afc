"""Batch export: a folder of photos, per-image masks or one template mask.

Shared by ``inpaint-studio batch`` and the GUI's batch dialog.  Planning is separate
from running so a front end can show what will happen (and what is skipped) first.
One bad file is reported and skipped; it never aborts the batch.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ..core.errors import CancelledError, InpaintStudioError
from ..core.image_io import FORMAT_SUFFIX, IMAGE_SUFFIXES, load_image, save_image
from ..core.masks import load_mask
from .cancel import CancelToken, ProgressCallback, no_progress
from .engine import Engine, InpaintOptions

#: ``--format`` choices: keep the source's format or force one.
OUTPUT_FORMATS = {"keep": None, "png": "PNG", "jpg": "JPEG", "jpeg": "JPEG", "webp": "WEBP", "tif": "TIFF"}


@dataclass
class BatchItem:
    """One photo to process; ``skip_reason`` set means it will not be processed."""

    source: Path
    mask: Path | None
    dest: Path
    skip_reason: str | None = None


@dataclass
class Prepared:
    """What a per-photo provider (``engine.batch_marks``) hands the fill: the photo to
    fill (possibly already partly restored), the hole, and every pixel it changed."""

    pixels: object
    mask: object
    changed: object = None
    note: str = ""


class ItemSkipped(InpaintStudioError):
    """A provider found nothing to do for this photo; it is reported and left as it is."""


#: ``provider(item, image) -> Prepared``: makes the mask (and any restoration) per photo
#: instead of reading ``item.mask``; raises :class:`ItemSkipped` to leave a photo alone.
MaskProvider = Callable[["BatchItem", object], Prepared]


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

    @property
    def exit_code(self) -> int:
        """0 all good, 1 some failed (or cancelled)."""
        return 1 if (self.failed or self.cancelled) else 0


def _iter_images(root: Path) -> list[Path]:
    if root.is_file():
        return [root]
    files = [
        p
        for p in root.rglob("*")
        if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES and not p.name.startswith(".")
    ]
    return sorted(files)


def _dest_for(source: Path, rel: Path, out: Path, fmt: str | None) -> Path:
    dest = out / rel
    if fmt is not None:
        dest = dest.with_suffix(FORMAT_SUFFIX[fmt])
    return dest


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

    Raises:
        InpaintStudioError: ``input`` or ``masks`` does not exist, or an unknown format.
    """
    auto = masks is None
    input, masks, out = Path(input), Path(masks if masks is not None else input), Path(out)
    if not input.exists():
        raise InpaintStudioError(f"{input}: no such file or folder")
    if not masks.exists():
        raise InpaintStudioError(f"{masks}: no such mask file or folder")
    key = fmt.lower()
    if key not in OUTPUT_FORMATS:
        raise InpaintStudioError(f"unknown format {fmt!r}; use one of {', '.join(OUTPUT_FORMATS)}")
    forced = OUTPUT_FORMATS[key]
    out_resolved = out.resolve()
    sources = [p for p in _iter_images(input) if out_resolved not in p.resolve().parents]
    if masks.is_dir() and not auto:
        mask_index: dict[str, list[Path]] = {}
        for m in _iter_images(masks):
            mask_index.setdefault(m.stem.lower(), []).append(m)
    items = []
    for src in sources:
        rel = src.relative_to(input) if input.is_dir() else Path(src.name)
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
            item.skip_reason = "no mask found for this photo"
        elif dest.resolve() == src.resolve():
            item.skip_reason = "output would overwrite the original"
        elif dest.exists() and not overwrite:
            item.skip_reason = "output exists (use --overwrite to redo)"
        items.append(item)
    return items


def _match_mask(src: Path, rel: Path, masks: Path, index: dict[str, list[Path]]) -> Path | None:
    stem = src.stem.lower()
    candidates = index.get(stem, []) + index.get(stem + "_mask", []) + index.get(stem + ".mask", [])
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
) -> ItemOutcome:
    """Load, mask (scaled to the photo), fill and save one photo; raises on failure."""
    t0 = time.perf_counter()
    img = load_image(item.source)
    note, pixels, changed = "", img.pixels, None
    if provider is not None:
        prep = provider(item, img.pixels)
        pixels, mask, changed, note = prep.pixels, prep.mask, prep.changed, prep.note
    else:
        assert item.mask is not None
        mask = load_mask(item.mask, size=(img.width, img.height))
    result = engine.inpaint(pixels, mask, None, options, cancel=cancel)
    # The destination's suffix picks the format ("keep" kept the source's suffix).
    save_image(
        item.dest, img.with_pixels(result.pixels), quality=quality, overwrite=overwrite,
        changed=result.mask if changed is None else (result.mask | changed),
    )
    return ItemOutcome("ok", note, time.perf_counter() - t0, result.warnings)


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
) -> BatchSummary:
    """Process every planned item; per-file errors are collected, never raised."""
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
                    item, engine, options, overwrite=overwrite, quality=quality, cancel=cancel, provider=provider
                )
                summary.ok.append(item)
            except ItemSkipped as exc:
                outcome = ItemOutcome("skipped", str(exc))
                summary.skipped.append((item, str(exc)))
            except CancelledError:
                summary.cancelled = True
                break
            except InpaintStudioError as exc:
                outcome = ItemOutcome("failed", str(exc))
                summary.failed.append((item, str(exc)))
            except Exception as exc:  # noqa: BLE001 - one bad file must not end the batch
                msg = f"{item.source}: unexpected error: {type(exc).__name__}: {exc}"
                outcome = ItemOutcome("failed", msg)
                summary.failed.append((item, msg))
        if on_item:
            on_item(i, item, outcome)
    progress(1.0, "done")
    summary.seconds = time.perf_counter() - t0
    return summary
