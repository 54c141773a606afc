"""Project files (``.isproj``): a zip that lets the user close the editor and resume.

Layout of the zip::

    project.json   format/version, photo path (a reference, not a copy), layer
                   visibility, result metadata and the history's structure
    layers.npz     mask, sketch, edges (uint8, compressed: mostly zeros)
    results.npz    each result layer's crop pixels and mask, keyed by uid
    history.npz    the old/new pixels of every undo/redo atom
    photo.npy      only when the photo has no file (pasted from the clipboard)

Why a reference to the photo instead of a copy: a 24 MP photo is 72 MB raw and the
user already has it; results are stored as crops, so a project stays small.  The same
writer serves autosave, so writing is atomic (temp file + rename): a crash during an
autosave leaves the previous one intact.
"""

from __future__ import annotations

import io
import json
import os
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .atomic import atomic_path
from .box import Box
from .document import PAINT_LAYERS, Atom, Document, Entry, ResultLayer
from .project_check import (
    MAX_JSON_BYTES,
    ProjectError,
    check_sizes,
    expected_arrays,
    read_arrays,
    validate_meta,
)
from .strokes import from_json as strokes_from_json
from .strokes import to_json as strokes_to_json

FORMAT_NAME = "inpaint-studio-project"
FORMAT_VERSION = 1
PROJECT_SUFFIX = ".isproj"


@dataclass
class ProjectInfo:
    """What a project knows besides the document."""

    photo_path: Path | None
    saved_at: float = 0.0
    extra: dict[str, Any] | None = None


def _npz_bytes(arrays: dict[str, np.ndarray]) -> bytes:
    buf = io.BytesIO()
    np.savez_compressed(buf, allow_pickle=True, **arrays)  # numpy's default, named so **arrays cannot be it
    return buf.getvalue()


def _result_meta(r: ResultLayer) -> dict[str, Any]:
    return {
        "uid": r.uid,
        "bbox": list(r.bbox),
        "method": r.method,
        "device": r.device,
        "visible": r.visible,
        "warnings": list(r.warnings),
    }


def save_project(
    path: str | os.PathLike[str],
    doc: Document,
    photo_path: str | os.PathLike[str] | None,
    *,
    include_history: bool = True,
    extra: dict[str, Any] | None = None,
) -> Path:
    """Write ``doc`` atomically; ``photo_path`` is stored as an absolute reference."""
    dest = Path(path)
    results: dict[str, np.ndarray] = {}
    known: dict[int, ResultLayer] = {}

    def keep_result(r: ResultLayer) -> dict[str, Any]:
        if r.uid not in known:
            known[r.uid] = r
            results[f"r{r.uid}_pixels"] = r.pixels
            results[f"r{r.uid}_mask"] = r.mask
        return _result_meta(r)

    history: dict[str, np.ndarray] = {}

    def entry_meta(e: Entry, key: str) -> dict[str, Any]:
        atoms = []
        for j, a in enumerate(e.atoms):
            history[f"{key}_{j}_old"] = a.old
            history[f"{key}_{j}_new"] = a.new
            atoms.append({"layer": a.layer, "bbox": list(a.bbox)})
        return {
            "text": e.text,
            "atoms": atoms,
            "result_added": keep_result(e.result_added) if e.result_added else None,
            "result_removed": keep_result(e.result_removed) if e.result_removed else None,
            "result_index": e.result_index,
            "visibility": list(e.visibility) if e.visibility else None,
            **_strokes_meta(e),
        }

    meta: dict[str, Any] = {
        "format": FORMAT_NAME,
        "version": FORMAT_VERSION,
        "photo": str(Path(photo_path).resolve()) if photo_path else None,
        "photo_size": [doc.width, doc.height],
        "photo_channels": int(doc.photo.shape[2]),
        "visible": dict(doc.visible),
        "results": [keep_result(r) for r in doc.results],
        "next_uid": doc.next_uid(),
        "strokes": strokes_to_json(doc.strokes),
        "saved_at": time.time(),
        "extra": extra or {},
    }
    if include_history:
        meta["undo"] = [entry_meta(e, f"u{i}") for i, e in enumerate(doc.undo_stack)]
        meta["redo"] = [entry_meta(e, f"r{i}") for i, e in enumerate(doc.redo_stack)]
    else:
        meta["undo"], meta["redo"] = [], []

    # core.atomic: the old project or the whole new one, with a saved file's mode.
    with atomic_path(dest) as tmp, open(tmp, "wb") as fh:
        with zipfile.ZipFile(fh, "w", zipfile.ZIP_STORED) as zf:
            zf.writestr("project.json", json.dumps(meta, indent=1))
            zf.writestr("layers.npz", _npz_bytes({n: doc.layers[n] for n in PAINT_LAYERS}))
            zf.writestr("results.npz", _npz_bytes(results))
            zf.writestr("history.npz", _npz_bytes(history))
            if not photo_path:
                buf = io.BytesIO()
                np.save(buf, doc.photo)
                zf.writestr("photo.npy", buf.getvalue())
    return dest


def _strokes_meta(e: Entry) -> dict[str, Any]:
    if e.strokes_before is None or e.strokes_after is None:
        return {}
    return {"strokes_before": strokes_to_json(e.strokes_before), "strokes_after": strokes_to_json(e.strokes_after)}


def _strokes(data: Any, size: tuple[int, int], path: object, what: str) -> tuple:
    try:
        return tuple(strokes_from_json(data, size))
    except ValueError as exc:
        raise ProjectError(f"{path}: damaged or invalid project file ({what}: {exc})") from exc


def read_project_meta(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Only the JSON part (cheap), checked in full: also what describes an autosave.

    Raises:
        ProjectError: not a project, from a newer version, or any field malformed.
    """
    try:
        with zipfile.ZipFile(path) as zf:
            info = zf.getinfo("project.json")
            if info.file_size > MAX_JSON_BYTES:
                raise ProjectError(
                    f"{path}: damaged or invalid project file (project.json is {info.file_size / 2**20:.0f} MB)"
                )
            meta = json.loads(zf.read(info))
    except ProjectError:
        raise
    except (OSError, KeyError, zipfile.BadZipFile, ValueError, RecursionError) as exc:
        raise ProjectError(f"{path}: not a readable Inpaint Studio project ({exc})") from exc
    validate_meta(meta, path, FORMAT_NAME, FORMAT_VERSION)
    return meta


def _default_loader(path: Path) -> np.ndarray:
    from .image_io import load_image

    return load_image(path).pixels


def load_project(
    path: str | os.PathLike[str],
    load_photo: Callable[[Path], np.ndarray] = _default_loader,
    photo_override: str | os.PathLike[str] | None = None,
) -> tuple[Document, ProjectInfo]:
    """Rebuild the document (layers, results, history) of a saved project.

    Args:
        load_photo: reads the referenced photo (the GUI passes its own loader).
        photo_override: where the photo is now, when it was moved since saving.

    Raises:
        ProjectError: unreadable file, or the photo is missing or has another size.
    """
    meta = read_project_meta(path)
    expected = expected_arrays(meta)
    try:
        with zipfile.ZipFile(path) as zf:
            # Sizes first, from the zip's directory: nothing is decompressed that the
            # JSON does not account for (a zip bomb is refused here).
            check_sizes(zf, expected, meta, path)
            arrays = {member: read_arrays(zf, member, spec, path) for member, spec in expected.items()}
    except (OSError, zipfile.BadZipFile) as exc:
        raise ProjectError(f"{path}: damaged project file ({exc})") from exc
    layers, results, history = arrays["layers.npz"], arrays["results.npz"], arrays["history.npz"]
    embedded = arrays["photo.npy"][""] if "photo.npy" in arrays else None
    missing = sorted(set(expected["results.npz"]) - set(results)) + sorted(set(expected["history.npz"]) - set(history))
    if missing:
        raise ProjectError(f"{path}: damaged project file ({missing[0]} is missing)")

    photo_ref = photo_override or meta.get("photo")
    if embedded is not None:
        photo = embedded
    elif photo_ref:
        p = Path(photo_ref)
        if not p.exists():
            raise ProjectError(f"the project's photo {p} is missing (moved or deleted?)")
        photo = load_photo(p)
    else:
        raise ProjectError(f"{path}: project has no photo")
    w, h = meta["photo_size"]
    if photo.shape[:2] != (h, w):
        raise ProjectError(
            f"the photo {photo_ref} is {photo.shape[1]}x{photo.shape[0]}, the project was made on a {w}x{h} photo"
        )
    bad = [
        k
        for k, v in results.items()
        if k.endswith("_pixels") and (v.dtype != photo.dtype or v.shape[2] != photo.shape[2])
    ]
    if bad:
        raise ProjectError(f"{path}: damaged project file ({bad[0]} does not match the photo's depth or channels)")

    doc = Document(photo)
    for n in PAINT_LAYERS:
        if n in layers:
            doc.layers[n][...] = layers[n]
    doc.visible.update({k: bool(v) for k, v in meta.get("visible", {}).items() if k in doc.visible})

    cache: dict[int, ResultLayer] = {}

    def result(m: dict[str, Any]) -> ResultLayer:
        uid = int(m["uid"])
        if uid not in cache:
            cache[uid] = ResultLayer(
                bbox=Box(*(int(v) for v in m["bbox"])),
                pixels=results[f"r{uid}_pixels"],
                mask=results[f"r{uid}_mask"].astype(bool),
                method=m.get("method", ""),
                device=m.get("device", ""),
                visible=bool(m.get("visible", True)),
                warnings=list(m.get("warnings", [])),
                uid=uid,
            )
        return cache[uid]

    doc.results = [result(m) for m in meta.get("results", [])]
    # Visibility of a current result is its saved state, not that of a history copy.
    for m, r in zip(meta.get("results", []), doc.results):
        r.visible = bool(m.get("visible", True))

    def entry(m: dict[str, Any], key: str) -> Entry:
        atoms = [
            Atom(a["layer"], Box(*(int(v) for v in a["bbox"])), history[f"{key}_{j}_old"], history[f"{key}_{j}_new"])
            for j, a in enumerate(m["atoms"])
        ]
        vis = m.get("visibility")
        before = after = None
        if m.get("strokes_before") is not None and m.get("strokes_after") is not None:
            before = _strokes(m["strokes_before"], (w, h), path, f"{key} strokes")
            after = _strokes(m["strokes_after"], (w, h), path, f"{key} strokes")
        return Entry(
            text=m["text"],
            strokes_before=before,
            strokes_after=after,
            atoms=atoms,
            result_added=None if m.get("result_added") is None else result(m["result_added"]),
            result_removed=None if m.get("result_removed") is None else result(m["result_removed"]),
            result_index=int(m.get("result_index", -1)),
            visibility=(int(vis[0]), bool(vis[1])) if vis else None,
        )

    # Projects saved before strokes existed have none.
    doc.strokes = _strokes(meta.get("strokes", []), (w, h), path, "strokes")
    for i, m in enumerate(meta.get("undo", [])):
        doc.undo_stack.append(entry(m, f"u{i}"))
    doc.redo_stack = [entry(m, f"r{i}") for i, m in enumerate(meta.get("redo", []))]
    doc.set_next_uid(int(meta.get("next_uid", 1)))
    doc.revision = 0
    info = ProjectInfo(
        Path(photo_ref) if photo_ref and embedded is None else None, float(meta.get("saved_at", 0)), meta.get("extra")
    )
    return doc, info
