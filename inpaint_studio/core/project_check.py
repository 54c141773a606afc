"""Checks that make a project file safe to open: its JSON, its boxes, its array sizes.

A project is a file from anywhere (a mail attachment, a shared drive), so nothing in
it is trusted: ``project.json`` is checked field by field, every box against the photo,
the undo/redo history is replayed on result ids to show it can be applied, and the
arrays' shapes are read from their headers and compared with what the JSON implies
*before* anything is decompressed.  A 3 MB file holding a deflated 3 GB member is
refused from its directory entry, not after filling the memory.  Every problem is a
:class:`ProjectError` with one readable line.
"""

from __future__ import annotations

import io
import os
import zipfile
from typing import Any

import numpy as np

from .box import Box
from .document import PAINT_LAYERS
from .errors import InpaintStudioError
from .image_probe import max_pixels_limit

#: ``project.json`` larger than this is not one we wrote (a 200-step history is ~100 kB).
MAX_JSON_BYTES = 32 << 20
#: Per array: the ``.npy`` header and zip bookkeeping on top of the pixels.
_ARRAY_SLACK = 64 << 10


class ProjectError(InpaintStudioError):
    """The project file is unreadable, from a newer version, or its photo is missing."""


#: ``{member: {array name: (shape, allowed dtypes)}}``
Expected = dict[str, dict[str, tuple[tuple[int, ...], tuple[str, ...]]]]

_PIXEL_DTYPES = ("uint8", "uint16")


def _fail(path: object, what: str) -> ProjectError:
    return ProjectError(f"{path}: damaged or invalid project file ({what})")


def _int(v: Any, what: str, path: object, lo: int | None = None, hi: int | None = None) -> int:
    if isinstance(v, bool) or not isinstance(v, int):
        raise _fail(path, f"{what} is not a whole number")
    if (lo is not None and v < lo) or (hi is not None and v > hi):
        raise _fail(path, f"{what} = {v} is out of range")
    return v


def _str(v: Any, what: str, path: object) -> str:
    if not isinstance(v, str):
        raise _fail(path, f"{what} is not text")
    return v


def _bool(v: Any, what: str, path: object) -> bool:
    if not isinstance(v, bool):
        raise _fail(path, f"{what} is not true/false")
    return v


def _list(v: Any, what: str, path: object) -> list:
    if not isinstance(v, list):
        raise _fail(path, f"{what} is not a list")
    return v


def _dict(v: Any, what: str, path: object) -> dict:
    if not isinstance(v, dict):
        raise _fail(path, f"{what} is not a table")
    return v


def _bbox(v: Any, what: str, h: int, w: int, path: object) -> Box:
    """``(y0, y1, x0, x1)`` inside the photo, non-empty."""
    b = _list(v, what, path)
    if len(b) != 4:
        raise _fail(path, f"{what} does not have 4 numbers")
    y0, y1, x0, x1 = (_int(x, what, path) for x in b)
    if not (0 <= y0 < y1 <= h and 0 <= x0 < x1 <= w):
        raise _fail(path, f"{what} {[y0, y1, x0, x1]} lies outside the {w}x{h} photo")
    return Box(y0, y1, x0, x1)


def validate_meta(meta: Any, path: object, format_name: str, format_version: int) -> None:
    """Check every field :func:`project.load_project` reads, or raise :class:`ProjectError`."""
    m = _dict(meta, "project.json", path)
    if m.get("format") != format_name:
        raise ProjectError(f"{path}: not an Inpaint Studio project")
    version = _int(m.get("version"), "version", path, lo=1)
    if version > format_version:
        raise ProjectError(f"{path}: made by a newer Inpaint Studio (format {version})")
    if m.get("photo") is not None:
        _str(m["photo"], "photo", path)
    size = _list(m.get("photo_size"), "photo_size", path)
    if len(size) != 2:
        raise _fail(path, "photo_size does not have 2 numbers")
    w, h = (_int(x, "photo_size", path, lo=1) for x in size)
    if w * h > max_pixels_limit():
        raise _fail(path, f"photo_size {w}x{h} is above the pixel limit")
    _int(m.get("photo_channels", 3), "photo_channels", path, lo=3, hi=4)
    for k, v in _dict(m.get("visible", {}), "visible", path).items():
        _bool(v, f"visible[{k!r}]", path)
    for i, r in enumerate(_list(m.get("results", []), "results", path)):
        _result(r, f"results[{i}]", h, w, path)
    _int(m.get("next_uid", 1), "next_uid", path, lo=0)
    if not isinstance(m.get("saved_at", 0), (int, float)) or isinstance(m.get("saved_at", 0), bool):
        raise _fail(path, "saved_at is not a number")
    if m.get("extra") is not None:
        _dict(m["extra"], "extra", path)
    for stack in ("undo", "redo"):
        for i, e in enumerate(_list(m.get(stack, []), stack, path)):
            _entry(e, f"{stack}[{i}]", h, w, path)
    _replay(m, path)


def _result(r: Any, what: str, h: int, w: int, path: object) -> None:
    r = _dict(r, what, path)
    _int(r.get("uid"), f"{what}.uid", path, lo=0)
    _bbox(r.get("bbox"), f"{what}.bbox", h, w, path)
    _str(r.get("method", ""), f"{what}.method", path)
    _str(r.get("device", ""), f"{what}.device", path)
    _bool(r.get("visible", True), f"{what}.visible", path)
    for j, x in enumerate(_list(r.get("warnings", []), f"{what}.warnings", path)):
        _str(x, f"{what}.warnings[{j}]", path)


def _entry(e: Any, what: str, h: int, w: int, path: object) -> None:
    e = _dict(e, what, path)
    _str(e.get("text"), f"{what}.text", path)
    for j, a in enumerate(_list(e.get("atoms"), f"{what}.atoms", path)):
        a = _dict(a, f"{what}.atoms[{j}]", path)
        if a.get("layer") not in PAINT_LAYERS:
            raise _fail(path, f"{what}.atoms[{j}].layer {a.get('layer')!r} is not a paint layer")
        _bbox(a.get("bbox"), f"{what}.atoms[{j}].bbox", h, w, path)
    for key in ("result_added", "result_removed"):
        if e.get(key) is not None:
            _result(e[key], f"{what}.{key}", h, w, path)
    _int(e.get("result_index", -1), f"{what}.result_index", path, lo=-1)
    vis = e.get("visibility")
    if vis is not None:
        vis = _list(vis, f"{what}.visibility", path)
        if len(vis) != 2:
            raise _fail(path, f"{what}.visibility does not have 2 values")
        _int(vis[0], f"{what}.visibility", path, lo=0)
        _bool(vis[1], f"{what}.visibility", path)


def _replay(m: dict, path: object) -> None:
    """Undo every undo step and redo every redo step on result ids alone.

    A history that refers to a fill that is not there, or shows/hides a result index
    that does not exist, would load and then fail at the user's first Ctrl+Z.
    """

    def apply(state: list[int], e: dict, forward: bool, what: str) -> None:
        add, rem = e.get("result_added"), e.get("result_removed")
        idx = int(e.get("result_index", -1))
        gone = rem if forward else add
        come = add if forward else rem
        if gone is not None:
            if int(gone["uid"]) not in state:
                raise _fail(path, f"{what} takes out fill {gone['uid']}, which is not there")
            state.remove(int(gone["uid"]))
        if come is not None:
            state.insert(min(idx, len(state)) if idx >= 0 else len(state), int(come["uid"]))
        if e.get("visibility") is not None and int(e["visibility"][0]) >= len(state):
            raise _fail(path, f"{what} shows or hides result {e['visibility'][0]} of {len(state)}")

    current = [int(r["uid"]) for r in m.get("results", [])]
    state = list(current)
    undo = m.get("undo", [])
    for i in range(len(undo) - 1, -1, -1):
        apply(state, undo[i], False, f"undo[{i}]")
    state = list(current)
    redo = m.get("redo", [])
    for i in range(len(redo) - 1, -1, -1):
        apply(state, redo[i], True, f"redo[{i}]")


def expected_arrays(m: dict) -> Expected:
    """The arrays each zip member must hold, with their exact shapes, from the JSON."""
    w, h = (int(x) for x in m["photo_size"])
    c = int(m.get("photo_channels", 3))
    exp: Expected = {
        "layers.npz": {n: ((h, w), ("uint8",)) for n in PAINT_LAYERS},
        "results.npz": {},
        "history.npz": {},
    }
    if not m.get("photo"):
        exp["photo.npy"] = {"": ((h, w, c), _PIXEL_DTYPES)}

    def result(r: dict | None) -> None:
        if r is None:
            return
        y0, y1, x0, x1 = (int(v) for v in r["bbox"])
        uid = int(r["uid"])
        exp["results.npz"][f"r{uid}_pixels"] = ((y1 - y0, x1 - x0, c), _PIXEL_DTYPES)
        exp["results.npz"][f"r{uid}_mask"] = ((y1 - y0, x1 - x0), ("bool", "uint8"))

    for r in m.get("results", []):
        result(r)
    for stack, prefix in (("undo", "u"), ("redo", "r")):
        for i, e in enumerate(m.get(stack, [])):
            for j, a in enumerate(e.get("atoms", [])):
                y0, y1, x0, x1 = (int(v) for v in a["bbox"])
                for side in ("old", "new"):
                    exp["history.npz"][f"{prefix}{i}_{j}_{side}"] = ((y1 - y0, x1 - x0), ("uint8",))
            result(e.get("result_added"))
            result(e.get("result_removed"))
    return exp


def _nbytes(shape: tuple[int, ...], dtypes: tuple[str, ...]) -> int:
    return int(np.prod(shape, dtype=np.int64)) * max(np.dtype(d).itemsize for d in dtypes)


def memory_budget(m: dict) -> int:
    """Most memory a project may ask for: a share of the machine, and 64 photos' worth.

    A real project holds its photo's layers, result crops and undo boxes; 64 times the
    photo's pixel bytes (at least 1 GiB) covers a long history of large edits, and half
    the physical memory is where opening it would start to hurt the rest of the machine.
    """
    w, h = (int(x) for x in m["photo_size"])
    c = int(m.get("photo_channels", 3))
    budget = max(1 << 30, 64 * w * h * c * 2)
    try:
        budget = min(budget, os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // 2)
    except (ValueError, OSError, AttributeError):
        pass
    return int(budget)


def check_sizes(zf: zipfile.ZipFile, exp: Expected, m: dict, path: object) -> None:
    """Refuse before decompressing: total and per-member sizes against what the JSON implies."""
    total = sum(_nbytes(s, d) for arrays in exp.values() for s, d in arrays.values())
    if total > memory_budget(m):
        raise _fail(path, f"it would need {total / 2**30:.1f} GB of memory to open")
    for member, arrays in exp.items():
        try:
            info = zf.getinfo(member)
        except KeyError:
            if member == "photo.npy":
                raise ProjectError(f"{path}: project has no photo") from None
            raise _fail(path, f"{member} is missing") from None
        raw = sum(_nbytes(s, d) + _ARRAY_SLACK for s, d in arrays.values()) + _ARRAY_SLACK
        # Deflate never grows data by more than a fraction of a percent.
        if info.file_size > raw + raw // 100:
            raise _fail(
                path,
                f"{member} unpacks to {info.file_size / 2**20:.0f} MB, its arrays take at most "
                f"{raw / 2**20:.1f} MB: a decompression bomb or a damaged file",
            )


def read_arrays(
    zf: zipfile.ZipFile, member: str, expected: dict[str, tuple[tuple[int, ...], tuple[str, ...]]], path: object
) -> dict[str, np.ndarray]:
    """The arrays of one ``.npz`` (or the ``.npy``) member, each checked before it is read."""
    try:
        data = zf.read(member)  # bounded by check_sizes
        if member.endswith(".npy"):
            return {"": _read_one(io.BytesIO(data), len(data), expected[""], member, path)}
        out: dict[str, np.ndarray] = {}
        with zipfile.ZipFile(io.BytesIO(data)) as inner:
            for info in inner.infolist():
                key = info.filename[:-4] if info.filename.endswith(".npy") else info.filename
                if key not in expected:
                    continue  # an array nothing refers to: never read
                shape, dtypes = expected[key]
                if info.file_size > _nbytes(shape, dtypes) + _ARRAY_SLACK:
                    raise _fail(path, f"{member}/{key} unpacks to more than its {shape} array")
                with inner.open(info) as fh:
                    out[key] = _read_one(fh, info.file_size, expected[key], f"{member}/{key}", path)
        return out
    except ProjectError:
        raise
    except (OSError, ValueError, EOFError, zipfile.BadZipFile, KeyError) as exc:
        raise _fail(path, f"{member}: {exc}") from None


def _read_one(fh: Any, size: int, spec: tuple[tuple[int, ...], tuple[str, ...]], what: str, path: object) -> np.ndarray:
    shape, dtypes = spec
    version = np.lib.format.read_magic(fh)
    if version == (1, 0):
        got_shape, fortran, dtype = np.lib.format.read_array_header_1_0(fh)
    elif version == (2, 0):
        got_shape, fortran, dtype = np.lib.format.read_array_header_2_0(fh)
    else:
        raise _fail(path, f"{what} has an unknown array format {version}")
    if tuple(got_shape) != tuple(shape) or dtype.str.lstrip("<>|=") not in {
        np.dtype(d).str.lstrip("<>|=") for d in dtypes
    }:
        raise _fail(path, f"{what} is {dtype} {tuple(got_shape)}, expected {'/'.join(dtypes)} {tuple(shape)}")
    if dtype.hasobject:
        raise _fail(path, f"{what} holds Python objects")
    arr = np.empty(shape, dtype=dtype, order="F" if fortran else "C")
    view = arr.reshape(-1, order="A").view(np.uint8).data if arr.size else memoryview(b"")
    pos = 0
    while pos < len(view):
        got = fh.readinto(view[pos:])
        if not got:
            raise _fail(path, f"{what} is truncated")
        pos += got
    if not dtype.isnative:
        arr = arr.astype(dtype.newbyteorder("="))
    return np.ascontiguousarray(arr)
