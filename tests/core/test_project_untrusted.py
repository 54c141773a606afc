"""A project file from anywhere: every malformed one is one ProjectError, none a crash or a bomb."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from inpaint_studio.core.project import ProjectError, load_project, read_project_meta, save_project
from tests.core.test_project import _edited


def _members(p: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(p) as zf:
        return {n: zf.read(n) for n in zf.namelist()}


def _write(p: Path, members: dict[str, bytes], deflate: set[str] = frozenset()) -> Path:
    with zipfile.ZipFile(p, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data, zipfile.ZIP_DEFLATED if name in deflate else zipfile.ZIP_STORED)
    return p


@pytest.fixture()
def saved(tmp_path: Path) -> Path:
    return save_project(tmp_path / "good.isproj", _edited(), None)


def _with_meta(saved: Path, tmp_path: Path, change: Callable[[dict], None]) -> Path:
    members = _members(saved)
    meta = json.loads(members["project.json"])
    change(meta)
    members["project.json"] = json.dumps(meta).encode()
    return _write(tmp_path / "bad.isproj", members)


def _set(path: str, value: object) -> Callable[[dict], None]:
    def change(meta: dict) -> None:
        keys = path.split(".")
        node = meta
        for k in keys[:-1]:
            node = node[int(k)] if isinstance(node, list) else node[k]
        last = keys[-1]
        if value is KeyError:
            del node[last]
        elif isinstance(node, list):
            node[int(last)] = value
        else:
            node[last] = value

    return change


@pytest.mark.parametrize(
    ("change", "words"),
    [
        (_set("photo_size", KeyError), "photo_size"),
        (_set("photo_size", [80]), "photo_size"),
        (_set("photo_size", ["80", 64]), "photo_size"),
        (_set("version", "1"), "version"),
        (_set("results", {"a": 1}), "results"),
        (_set("results.0.uid", KeyError), "uid"),
        (_set("results.0.bbox", [0, 10, 0]), "bbox"),
        (_set("results.0.bbox", [0, 500, 0, 10]), "outside"),  # a box beyond the 80x64 photo
        (_set("results.0.bbox", [10, 5, 0, 10]), "outside"),  # empty box
        (_set("undo.0.text", KeyError), "text"),
        (_set("undo.0.atoms", None), "atoms"),
        (_set("undo.0.atoms.0.layer", "photo"), "paint layer"),
        (_set("undo.0.atoms.0.bbox", [-1, 5, 0, 5]), "outside"),
        (_set("redo.0.visibility", [7, True]), "result 7"),
        (_set("undo.1.result_added.uid", 99), "fill"),
        (_set("visible.mask", "yes"), "visible"),
    ],
)
def test_malformed_project_json_is_one_project_error(saved: Path, tmp_path: Path, change: Callable, words: str) -> None:
    meta = json.loads(_members(saved)["project.json"])
    # Make the mutations above meaningful for this fixture's history.
    assert len(meta["undo"]) >= 2 and meta["undo"][1]["result_added"] is not None and meta["redo"]
    bad = _with_meta(saved, tmp_path, change)
    with pytest.raises(ProjectError, match=words):
        load_project(bad)


def test_redo_visibility_out_of_range_is_caught(saved: Path, tmp_path: Path) -> None:
    bad = _with_meta(saved, tmp_path, _set("redo.0.visibility", [7, True]))
    with pytest.raises(ProjectError, match="result 7"):
        read_project_meta(bad)  # the cheap read (autosave description) checks it too


def test_zip_bomb_member_is_refused_before_it_is_decompressed(saved: Path, tmp_path: Path) -> None:
    members = _members(saved)
    bomb = tmp_path / "bomb.isproj"
    with zipfile.ZipFile(bomb, "w") as zf:
        for name, data in members.items():
            if name != "layers.npz":
                zf.writestr(name, data)
        zi = zipfile.ZipInfo("layers.npz")
        zi.compress_type = zipfile.ZIP_DEFLATED
        with zf.open(zi, "w", force_zip64=True) as fh:
            block = bytes(16 << 20)
            for _ in range(16):  # 256 MB of zeros, a few hundred kB on disk
                fh.write(block)
    assert bomb.stat().st_size < 8 << 20
    import tracemalloc

    tracemalloc.start()
    with pytest.raises(ProjectError, match="decompression bomb"):
        load_project(bomb)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 32 << 20, peak


def test_inner_array_bomb_and_wrong_shapes_are_refused(saved: Path, tmp_path: Path) -> None:
    members = _members(saved)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as inner:
        with inner.open("mask.npy", "w", force_zip64=True) as fh:
            np.lib.format.write_array_header_1_0(fh, {"descr": "|u1", "fortran_order": False, "shape": (64, 80)})
            for _ in range(8):
                fh.write(bytes(16 << 20))
    bad = _write(tmp_path / "inner.isproj", {**members, "layers.npz": buf.getvalue()})
    with pytest.raises(ProjectError, match="layers.npz"):
        load_project(bad)
    wrong = io.BytesIO()
    np.savez_compressed(
        wrong,
        mask=np.zeros((10, 10), np.uint8),
        sketch=np.zeros((64, 80), np.uint8),
        edges=np.zeros((64, 80), np.uint8),
    )
    bad = _write(tmp_path / "shape.isproj", {**members, "layers.npz": wrong.getvalue()})
    with pytest.raises(ProjectError, match=r"\(10, 10\).*\(64, 80\)"):
        load_project(bad)
    obj = io.BytesIO()
    np.save(obj, np.array([{"a": 1}] * 5, dtype=object), allow_pickle=True)
    bad = _write(tmp_path / "obj.isproj", {**members, "photo.npy": obj.getvalue()})
    with pytest.raises(ProjectError):
        load_project(bad)


def test_a_valid_project_still_round_trips_after_the_checks(saved: Path) -> None:
    doc, _info = load_project(saved)
    ref = _edited()
    np.testing.assert_array_equal(doc.composite(), ref.composite())
    assert len(doc.undo_stack) == len(ref.undo_stack) and len(doc.redo_stack) == len(ref.redo_stack)
    doc.results[0].pixels[0, 0] = 1  # arrays are ordinary, writable ones
