"""``inpaint-studio edges`` writes the edge map and the strokes for each photo."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from inpaint_studio.cli import main
from inpaint_studio.core.strokes import from_json
from tests.engine.test_strokes import _two_tone


def test_edges_writes_png_and_json_of_the_photo_size(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    photos, masks, out = tmp_path / "in", tmp_path / "masks", tmp_path / "out"
    photos.mkdir()
    masks.mkdir()
    Image.fromarray(_two_tone(120, 160)).save(photos / "kerb.png")
    m = np.zeros((120, 160), np.uint8)
    m[35:90, 50:110] = 255
    Image.fromarray(m).save(masks / "kerb.png")
    code = main(["edges", str(photos), "--masks", str(masks), "--out", str(out), "--method", "canny", "-q"])
    assert code == 0
    edge = np.asarray(Image.open(out / "kerb.png"))
    assert edge.shape == (120, 160)
    assert edge[m == 0].max() == 0  # only inside the hole
    assert edge[55:66, 80].max() > 200  # the kerb continued across it
    doc = json.loads((out / "kerb.json").read_text())
    assert (doc["width"], doc["height"]) == (160, 120)
    strokes = from_json(doc["strokes"], (160, 120))
    assert strokes and strokes[0].source == "predicted"


def test_edges_without_masks_is_a_usage_error(tmp_path: Path) -> None:
    (tmp_path / "in").mkdir()
    Image.fromarray(_two_tone(20, 20)).save(tmp_path / "in" / "a.png")
    code = main(["edges", str(tmp_path / "in"), "--masks", str(tmp_path / "nope"), "--out", str(tmp_path / "o")])
    assert code == 2
