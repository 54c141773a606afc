"""The one way files are written: a reader sees the old file or the whole new one, never half.

Every writer in the package (photos, projects, weights and their records, training
state) goes through :func:`atomic_path`, so a crash, a full disk or a kill mid-write
leaves the previous file in place and no temporary file behind.  The new file gets the
permissions a saved file should have (those of the file it replaces, else 0666 less
the umask) without touching the process umask, which other threads (autosave, the
batch workers) may be relying on at that moment.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

#: ``atomic_path``'s temporary for ``name`` is ``.{name}.{random}`` + this, beside it.
_TEMP_SUFFIX = ".tmp"


def current_umask() -> int:
    """The process umask, read without changing it.

    ``os.umask`` can only be read by setting it, and for that instant every file
    another thread creates would get the wrong mode; Linux reports it in
    ``/proc/self/status``.  Elsewhere the usual 022 is assumed.
    """
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    return 0o022


def saved_file_mode(dest: Path) -> int:
    """The mode of the file being replaced, else what a newly saved file gets."""
    try:
        return dest.stat().st_mode & 0o777
    except OSError:
        return 0o666 & ~current_umask()


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str], *, overwrite: bool = True) -> Iterator[Path]:
    """A temporary path beside ``path`` to write to; leaving the block puts it in place.

    On a clean exit the file is flushed to disk, given :func:`saved_file_mode` and
    renamed over ``path``.  On an exception it is removed and ``path`` is untouched.
    Without ``overwrite``, an existing ``path`` raises ``FileExistsError``, also when
    it appears while the data is written (the file is linked into place, not renamed).

    Raises:
        FileExistsError: ``path`` exists and ``overwrite`` is false.
        OSError: the folder cannot be written, or the rename failed.
    """
    dest = Path(path)
    if not overwrite and dest.exists():
        raise FileExistsError(f"{dest}: already exists")
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=_TEMP_SUFFIX, dir=dest.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        _fsync(tmp)
        with contextlib.suppress(OSError):  # a filesystem without modes keeps its own
            os.chmod(tmp, saved_file_mode(dest))
        if overwrite:
            os.replace(tmp, dest)
        else:
            _link_new(tmp, dest)
    finally:
        with contextlib.suppress(OSError):
            tmp.unlink()


def remove_orphan_temps(dests: list[Path]) -> int:
    """Delete the temporary files :func:`atomic_path` left beside ``dests``.

    A writer killed outright (SIGKILL, a dead worker process) never reaches its own
    clean-up; whoever started it calls this once the writer is gone.  One folder
    listing per distinct folder, so it stays cheap for long batches.  Returns how many
    files went.
    """
    by_folder: dict[Path, set[str]] = {}
    for d in dests:
        by_folder.setdefault(d.parent, set()).add(d.name)
    gone = 0
    for folder, names in by_folder.items():
        try:
            entries = list(os.scandir(folder))
        except OSError:
            continue
        for e in entries:
            n = e.name
            if not (n.startswith(".") and n.endswith(_TEMP_SUFFIX)) or not e.is_file(follow_symlinks=False):
                continue
            stem = n[1 : -len(_TEMP_SUFFIX)].rpartition(".")[0]  # mkstemp's random part has no dot
            if stem in names:
                with contextlib.suppress(OSError):
                    os.unlink(e.path)
                    gone += 1
    return gone


def atomic_write_bytes(
    path: str | os.PathLike[str], data: bytes | memoryview | list[bytes], *, overwrite: bool = True
) -> Path:
    """``data`` (or its parts, in order) as the file ``path``, through :func:`atomic_path`."""
    with atomic_path(path, overwrite=overwrite) as tmp, open(tmp, "wb") as fh:
        for part in data if isinstance(data, list) else [data]:
            fh.write(part)
    return Path(path)


def atomic_write_text(path: str | os.PathLike[str], text: str, *, encoding: str = "utf-8") -> Path:
    """``text`` as the file ``path``, replacing it atomically."""
    return atomic_write_bytes(path, text.encode(encoding))


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDWR)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _link_new(tmp: Path, dest: Path) -> None:
    """Put ``tmp`` at ``dest`` only if nothing is there (a hard link fails if it is)."""
    try:
        os.link(tmp, dest)
    except FileExistsError:
        raise FileExistsError(f"{dest}: already exists") from None
    except OSError:
        # Filesystems without hard links: best effort, the check before writing stands.
        if dest.exists():
            raise FileExistsError(f"{dest}: already exists") from None
        os.replace(tmp, dest)
