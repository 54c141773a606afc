"""core.atomic: the one atomic write every saver uses."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from inpaint_studio.core.atomic import atomic_path, atomic_write_bytes, current_umask, remove_orphan_temps


def test_failed_write_keeps_the_old_file_and_leaves_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "a.bin"
    target.write_bytes(b"old")
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        tmp.write_bytes(b"half")
        raise RuntimeError("killed mid-write")
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["a.bin"]


def test_new_file_gets_the_umask_mode_and_a_replaced_one_keeps_its_own(tmp_path: Path) -> None:
    target = atomic_write_bytes(tmp_path / "sub" / "n.bin", b"x")
    assert target.read_bytes() == b"x"
    assert stat.S_IMODE(target.stat().st_mode) == 0o666 & ~current_umask()  # not mkstemp's 0600
    os.chmod(target, 0o640)
    atomic_write_bytes(target, [b"y", b"z"])
    assert target.read_bytes() == b"yz"
    assert stat.S_IMODE(target.stat().st_mode) == 0o640


def test_never_changes_the_process_umask(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Another thread creating a file at that instant would get the wrong mode."""

    def no_umask(_mask: int) -> int:
        raise AssertionError("os.umask called while writing")

    monkeypatch.setattr(os, "umask", no_umask)
    atomic_write_bytes(tmp_path / "a.bin", b"x")
    atomic_write_bytes(tmp_path / "a.bin", b"y")
    from inpaint_studio.core.image_io import atomic_write_bytes as save_bytes

    save_bytes(tmp_path / "b.bin", b"x")


def test_without_overwrite_a_file_that_appears_meanwhile_is_not_replaced(tmp_path: Path) -> None:
    target = tmp_path / "a.bin"
    with pytest.raises(FileExistsError), atomic_path(target, overwrite=False) as tmp:
        tmp.write_bytes(b"mine")
        target.write_bytes(b"theirs")  # another process got there first
    assert target.read_bytes() == b"theirs"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.bin"]
    with pytest.raises(FileExistsError), atomic_path(target, overwrite=False):
        pass


def test_the_temporary_of_a_killed_writer_is_removed_and_nothing_else(tmp_path: Path) -> None:
    """A writer killed outright leaves mkstemp's file; its owner cleans up after it."""
    import multiprocessing as mp

    target = tmp_path / "p.png"
    ctx = mp.get_context("fork")
    proc = ctx.Process(target=_write_and_die, args=(target,))
    proc.start()
    proc.join(30)
    left = [p.name for p in tmp_path.iterdir()]
    assert len(left) == 1 and left[0].startswith(".p.png.") and left[0].endswith(".tmp")
    (tmp_path / ".q.png.abc.tmp").write_bytes(b"another photo's")  # not one of ours
    (tmp_path / "p.png.tmp").write_bytes(b"the user's file")
    assert remove_orphan_temps([target, tmp_path / "r.png"]) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == [".q.png.abc.tmp", "p.png.tmp"]


def _write_and_die(target: Path) -> None:
    with atomic_path(target) as tmp:
        tmp.write_bytes(b"half")
        os._exit(9)  # no finally runs, as under SIGKILL
