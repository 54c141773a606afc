"""Opening a malformed project is one error notice; the work on screen stays."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import numpy as np

from tests.ui.util import drag


def test_bad_project_keeps_the_current_work(qtbot, window, photo_file: Path, tmp_path: Path) -> None:  # noqa: ANN001
    assert window.open_path(photo_file)
    drag(qtbot, window.canvas, [(100.5, 100.5), (180.5, 120.5)])
    doc, painted = window.doc, window.doc.layers["mask"].copy()
    assert painted.any()
    good = tmp_path / "good.isproj"
    assert window.files.save_project_to(good)
    with zipfile.ZipFile(good) as zf:
        members = {n: zf.read(n) for n in zf.namelist()}
    meta = json.loads(members["project.json"])
    meta["undo"][0]["atoms"][0]["bbox"] = [0, 10**6, 0, 10]  # a box far outside the photo
    members["project.json"] = json.dumps(meta).encode()
    bad = tmp_path / "bad.isproj"
    with zipfile.ZipFile(bad, "w") as zf:
        for n, data in members.items():
            zf.writestr(n, data)
    assert not window.open_path(bad)
    assert window.notice.isVisible() and window.notice.level == "error"
    assert "bad.isproj" in window.notice.label.text() and "outside" in window.notice.label.text()
    assert window.doc is doc and np.array_equal(window.doc.layers["mask"], painted)
