"""The one table of image formats: suffixes, Pillow names, and what each front end offers.

The batch command, the open and export dialogs and the training data scan all read
these, so a format added or renamed here changes every one of them together.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import NamedTuple

#: File suffix per Pillow format name, for ``--format`` and "keep".
FORMAT_SUFFIX = {"JPEG": ".jpg", "PNG": ".png", "TIFF": ".tif", "WEBP": ".webp", "BMP": ".bmp"}
SUFFIX_FORMAT = {
    ".jpg": "JPEG",
    ".jpeg": "JPEG",
    ".jpe": "JPEG",
    ".png": "PNG",
    ".tif": "TIFF",
    ".tiff": "TIFF",
    ".webp": "WEBP",
    ".bmp": "BMP",
    ".gif": "GIF",
}
#: Suffixes the batch command and the open dialog treat as photos.
IMAGE_SUFFIXES = frozenset(SUFFIX_FORMAT)
#: Formats (as Pillow names them, found from the content) that load and save faithfully.
SUPPORTED_FORMATS = frozenset(SUFFIX_FORMAT.values()) | {"MPO"}


class OutputFormat(NamedTuple):
    """One choice of output format: what the dialogs call it, its suffix and Pillow name
    (both ``None`` for ``keep``: the source's own)."""

    label: str
    suffix: str | None
    pil: str | None


#: The output formats every front end offers (``batch --format``, the Export and Batch
#: dialogs), in menu order.
OUTPUT_FORMATS: dict[str, OutputFormat] = {
    "keep": OutputFormat("Same as the original", None, None),
    "png": OutputFormat("PNG (lossless)", FORMAT_SUFFIX["PNG"], "PNG"),
    "jpg": OutputFormat("JPEG", FORMAT_SUFFIX["JPEG"], "JPEG"),
    "webp": OutputFormat("WebP", FORMAT_SUFFIX["WEBP"], "WEBP"),
    "tif": OutputFormat("TIFF (16-bit kept)", FORMAT_SUFFIX["TIFF"], "TIFF"),
}
#: Other names accepted for an output format.
OUTPUT_FORMAT_ALIASES = {"jpeg": "jpg", "tiff": "tif"}
#: Image suffixes no decoder here reads; a folder scan lists them instead of ignoring them.
UNREADABLE_SUFFIXES = {
    ".heic": "HEIC",
    ".heif": "HEIF",
    ".avif": "AVIF",
    ".jxl": "JPEG XL",
    ".psd": "Photoshop",
    ".svg": "SVG",
    ".dng": "raw (DNG)",
    ".cr2": "raw (CR2)",
    ".cr3": "raw (CR3)",
    ".nef": "raw (NEF)",
    ".arw": "raw (ARW)",
    ".orf": "raw (ORF)",
    ".rw2": "raw (RW2)",
    ".raf": "raw (RAF)",
    ".raw": "raw",
}


def format_for_path(path: str | os.PathLike[str]) -> str | None:
    """The Pillow format a file name's suffix stands for, ``None`` if none here."""
    return SUFFIX_FORMAT.get(Path(path).suffix.lower())
