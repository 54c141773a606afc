"""Append-only log of history operations, replayed on top of an autosaved project.

Why a journal and not only full autosaves: writing the whole project takes a third of
a second for a 24 MP photo (more as the history grows), so strokes painted a fraction
of a second apart outran it, and a crash lost them.  Appending one stroke's changed
pixels takes milliseconds whatever the photo's size, so after a crash only the stroke
in progress is lost.  A full project is still written now and then (it *compacts* the
journal); each journal belongs to one such base project, named in the base's metadata.

File layout: ``MAGIC`` then records, each ``length (u32) | crc32 (u32) | payload``.  A
payload is a JSON header (its length as u32 first) followed by the arrays it names,
each ``np.save`` bytes compressed with zlib.  A record cut short by a crash, or
damaged, ends the journal: everything before it is replayed, nothing after.
No pickle anywhere: a journal is data, never code.
"""

from __future__ import annotations

import io
import json
import os
import struct
import zlib
from pathlib import Path
from typing import Any

import numpy as np

from .box import Box
from .document import Atom, Document, Entry, ResultLayer

MAGIC = b"ISJOURNAL1\n"
_HEAD = struct.Struct("<II")
_LEN = struct.Struct("<I")
#: History operations a record can carry.
OPS = ("push", "undo", "redo", "visible")


def _array_bytes(a: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.save(buf, np.ascontiguousarray(a), allow_pickle=False)
    return zlib.compress(buf.getvalue(), 1)


def _result_meta(r: ResultLayer, arrays: list[np.ndarray]) -> dict[str, Any]:
    arrays.extend([r.pixels, r.mask])
    return {
        "uid": r.uid,
        "bbox": list(r.bbox),
        "method": r.method,
        "device": r.device,
        "visible": r.visible,
        "warnings": list(r.warnings),
    }


def encode(op: str, entry: Entry | None, visible: dict[str, bool]) -> bytes:
    """One framed record: ``op`` (see :data:`OPS`), the pushed entry, layer visibility."""
    if op not in OPS:
        raise ValueError(f"unknown journal op {op!r}")
    arrays: list[np.ndarray] = []
    head: dict[str, Any] = {"op": op, "visible": dict(visible)}
    if op == "push":
        assert entry is not None
        atoms = []
        for a in entry.atoms:
            arrays.extend([a.old, a.new])
            atoms.append({"layer": a.layer, "bbox": list(a.bbox)})
        head["entry"] = {
            "text": entry.text,
            "atoms": atoms,
            # A removed result is one the document already holds: named by uid.
            "result_removed": entry.result_removed.uid if entry.result_removed else None,
            "result_added": _result_meta(entry.result_added, arrays) if entry.result_added else None,
            "result_index": entry.result_index,
            "visibility": list(entry.visibility) if entry.visibility else None,
        }
        if entry.strokes_before is not None and entry.strokes_after is not None:
            from .strokes import to_json

            head["entry"]["strokes_before"] = to_json(entry.strokes_before)
            head["entry"]["strokes_after"] = to_json(entry.strokes_after)
    blobs = [_array_bytes(a) for a in arrays]
    head["arrays"] = [len(b) for b in blobs]
    hj = json.dumps(head).encode()
    payload = b"".join([_LEN.pack(len(hj)), hj, *blobs])
    return _HEAD.pack(len(payload), zlib.crc32(payload)) + payload


def append(path: str | os.PathLike[str], record: bytes) -> None:
    """Add ``record`` (from :func:`encode`) and hand it to the OS before returning.

    ``flush`` is enough against a crash of the app (the OS keeps the bytes); an fsync
    per stroke would cost more than the record itself on slow disks.
    """
    p = Path(path)
    new = not p.exists() or p.stat().st_size == 0
    with open(p, "ab") as fh:
        if new:
            fh.write(MAGIC)
        fh.write(record)
        fh.flush()


def read(path: str | os.PathLike[str]) -> list[dict[str, Any]]:
    """The intact records of a journal, in order (a torn or damaged tail is dropped)."""
    try:
        data = Path(path).read_bytes()
    except FileNotFoundError:
        return []
    if not data.startswith(MAGIC):
        return []
    out: list[dict[str, Any]] = []
    pos = len(MAGIC)
    while pos + _HEAD.size <= len(data):
        n, crc = _HEAD.unpack_from(data, pos)
        payload = data[pos + _HEAD.size : pos + _HEAD.size + n]
        if len(payload) < n or zlib.crc32(payload) != crc:
            break
        pos += _HEAD.size + n
        try:
            out.append(_decode(payload))
        except (ValueError, KeyError, zlib.error, struct.error):
            break
    return out


def _decode(payload: bytes) -> dict[str, Any]:
    (hn,) = _LEN.unpack_from(payload, 0)
    head = json.loads(payload[_LEN.size : _LEN.size + hn])
    pos = _LEN.size + hn
    arrays = []
    for n in head["arrays"]:
        raw = zlib.decompress(payload[pos : pos + n])
        arrays.append(np.load(io.BytesIO(raw), allow_pickle=False))
        pos += n
    head["_arrays"] = arrays
    return head


def replay(doc: Document, records: list[dict[str, Any]]) -> int:
    """Apply ``records`` to ``doc`` as the session did; returns how many were applied.

    Stops at the first record that does not fit the document (a journal of another
    base), so the result is always a state the session really had.
    """
    done = 0
    for rec in records:
        op = rec.get("op")
        if op == "push":
            entry = _entry(doc, rec)
            if entry is None:
                break
            doc.replay_push(entry)
        elif op == "undo":
            if doc.undo() is None:
                break
        elif op == "redo":
            if doc.redo() is None:
                break
        elif op != "visible":
            break
        doc.visible.update({k: bool(v) for k, v in rec.get("visible", {}).items() if k in doc.visible})
        done += 1
    return done


def _entry(doc: Document, rec: dict[str, Any]) -> Entry | None:
    m = rec["entry"]
    arrays = list(rec["_arrays"])
    atoms = []
    for a in m["atoms"]:
        y0, y1, x0, x1 = (int(v) for v in a["bbox"])
        old, new = arrays.pop(0), arrays.pop(0)
        if a["layer"] not in doc.layers or old.shape != (y1 - y0, x1 - x0) or new.shape != old.shape:
            return None
        if y0 < 0 or x0 < 0 or y1 > doc.height or x1 > doc.width:
            return None
        atoms.append(Atom(a["layer"], Box(y0, y1, x0, x1), old, new))
    added = None
    if m.get("result_added"):
        r = m["result_added"]
        pixels, mask = arrays.pop(0), arrays.pop(0)
        added = ResultLayer(
            bbox=Box(*(int(v) for v in r["bbox"])),
            pixels=pixels,
            mask=mask.astype(bool),
            method=r.get("method", ""),
            device=r.get("device", ""),
            visible=bool(r.get("visible", True)),
            warnings=list(r.get("warnings", [])),
            uid=int(r["uid"]),
        )
    removed = None
    if m.get("result_removed") is not None:
        removed = next((r for r in doc.results if r.uid == int(m["result_removed"])), None)
        if removed is None:
            return None
    vis = m.get("visibility")
    if vis and not 0 <= int(vis[0]) < len(doc.results):
        return None
    before = after = None
    if m.get("strokes_before") is not None and m.get("strokes_after") is not None:
        from .strokes import from_json

        try:
            before = tuple(from_json(m["strokes_before"], (doc.width, doc.height)))
            after = tuple(from_json(m["strokes_after"], (doc.width, doc.height)))
        except ValueError:
            return None
    return Entry(
        text=m["text"],
        atoms=atoms,
        result_added=added,
        result_removed=removed,
        result_index=int(m.get("result_index", -1)),
        visibility=(int(vis[0]), bool(vis[1])) if vis else None,
        strokes_before=before,
        strokes_after=after,
    )
