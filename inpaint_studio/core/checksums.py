"""SHA-256 records next to files that must arrive intact (the network weights).

A truncated or partly zeroed weights file can still parse and load, and then fills
differently without a word.  So each shipped file has a record ``NAME.sha256`` beside
it, in the format ``sha256sum`` writes and checks (``sha256sum -c NAME.sha256``).
Writing weights writes the record; loading verifies it.  A file without a record is
"unverified", not damaged: weights a user trained and copied in are still usable.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from .atomic import atomic_write_text

RECORD_SUFFIX = ".sha256"

OK, UNVERIFIED, DAMAGED, MISSING = "ok", "unverified", "damaged", "missing"


@dataclass(frozen=True)
class Check:
    """``status``: ``ok`` (matches its record), ``unverified`` (no record), ``damaged``
    (differs from its record, or unreadable) or ``missing``; ``message`` says which."""

    status: str
    message: str = ""

    @property
    def usable(self) -> bool:
        return self.status in (OK, UNVERIFIED)


def record_path(path: str | os.PathLike[str]) -> Path:
    p = Path(path)
    return p.with_name(p.name + RECORD_SUFFIX)


def sha256_file(path: str | os.PathLike[str]) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def write_record(path: str | os.PathLike[str]) -> Path:
    """Write ``NAME.sha256`` for ``path`` (atomically: a reader sees the old or the new one)."""
    p = Path(path)
    rec = record_path(p)
    atomic_write_text(rec, f"{sha256_file(p)}  {p.name}\n", encoding="ascii")
    _cache.pop(str(p.resolve()), None)
    return rec


def read_record(path: str | os.PathLike[str]) -> str | None:
    """The recorded hex digest for ``path``, ``None`` without a (readable) record."""
    try:
        text = record_path(path).read_text(encoding="ascii").split()
    except (OSError, UnicodeDecodeError):
        return None
    digest = text[0].lower() if text else ""
    return digest if len(digest) == 64 and all(c in "0123456789abcdef" for c in digest) else None


_cache: dict[str, tuple[tuple[int, int, int], Check]] = {}


def check_file(path: str | os.PathLike[str]) -> Check:
    """Compare ``path`` with its record; cached until the file or the record changes."""
    p = Path(path)
    try:
        st = p.stat()
    except OSError:
        return Check(MISSING, f"{p} not found")
    if not p.is_file():
        return Check(MISSING, f"{p} is not a file")
    if st.st_size == 0:
        return Check(DAMAGED, f"{p} is empty")
    try:
        rec_mtime = record_path(p).stat().st_mtime_ns
    except OSError:
        rec_mtime = -1
    key = (st.st_size, st.st_mtime_ns, rec_mtime)
    hit = _cache.get(str(p.resolve()))
    if hit is not None and hit[0] == key:
        return hit[1]
    want = read_record(p)
    if want is None:
        result = Check(UNVERIFIED, f"{p} has no {record_path(p).name} record to check it against")
    else:
        try:
            got = sha256_file(p)
        except OSError as exc:
            result = Check(DAMAGED, f"{p} cannot be read ({exc.strerror or exc})")
        else:
            result = (
                Check(OK)
                if got == want
                else Check(
                    DAMAGED,
                    f"{p} is damaged: its SHA-256 differs from {record_path(p).name} (truncated or altered file)",
                )
            )
    _cache[str(p.resolve())] = (key, result)
    return result


def safetensors_problem(path: str | os.PathLike[str]) -> str | None:
    """What is structurally wrong with a safetensors file, ``None`` if nothing.

    Reads the header only: its tensors' byte ranges must end exactly at the end of
    the file, which catches a truncated copy even when no record exists.
    """
    import json
    import struct

    p = Path(path)
    try:
        size = p.stat().st_size
        with open(p, "rb") as fh:
            head = fh.read(8)
            if len(head) < 8:
                return f"{p} is truncated (no header)"
            n = struct.unpack("<Q", head)[0]
            if n > min(size - 8, 100 << 20):
                return f"{p} is truncated or not a safetensors file (header of {n} bytes)"
            header = json.loads(fh.read(n))
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        return f"{p} is damaged or not a safetensors file ({exc})"
    if not isinstance(header, dict):
        return f"{p} is damaged (its header is not a table of tensors)"
    end = 0
    for name, meta in header.items():
        if name == "__metadata__":
            continue
        try:
            end = max(end, int(meta["data_offsets"][1]))
        except (KeyError, IndexError, TypeError, ValueError):
            return f"{p} is damaged (tensor {name!r} has no byte range)"
    if 8 + n + end != size:
        what = "truncated" if 8 + n + end > size else "longer than its header says"
        return f"{p} is {what}: {size} bytes, its header describes {8 + n + end}"
    return None


def check_weights(path: str | os.PathLike[str]) -> Check:
    """:func:`check_file`, plus the structure check for a ``.safetensors`` without a record."""
    c = check_file(path)
    if c.status == UNVERIFIED and Path(path).suffix == ".safetensors":
        problem = safetensors_problem(path)
        if problem:
            return Check(DAMAGED, problem)
    return c
