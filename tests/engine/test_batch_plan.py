"""Batch planning: which file is a photo, which is a mask, and why the rest is skipped."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from inpaint_studio.core.errors import InpaintStudioError, MaskError
from inpaint_studio.engine.batch import check_hole_ratio, check_output_folder, plan_batch
from tests.helpers import photo


def _save_photo(path: Path, seed: int = 0) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(photo(30, 40, seed=seed)).save(path)


def _save_mask(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    m = np.zeros((30, 40), np.uint8)
    m[10:20, 10:20] = 255
    Image.fromarray(m).save(path)


def _by_name(items: list) -> dict:  # noqa: ANN001
    return {it.source.name: it for it in items}


def test_masks_next_to_the_photos_never_mask_themselves(tmp_path: Path) -> None:
    src = tmp_path / "in"
    _save_photo(src / "a.jpg")
    _save_mask(src / "a_mask.png")
    _save_photo(src / "b.png", 1)
    _save_photo(src / "c.jpg", 2)
    _save_photo(src / "c.png", 3)  # same stem, no _mask: both photos, neither a mask
    items = _by_name(plan_batch(src, src, tmp_path / "out"))
    assert items["a.jpg"].mask == src / "a_mask.png" and not items["a.jpg"].skip_reason
    assert not items["a_mask.png"].is_photo and "mask" in items["a_mask.png"].skip_reason
    for name in ("b.png", "c.jpg", "c.png"):
        it = items[name]
        assert it.mask is None and "no mask" in it.skip_reason and "_mask" in it.skip_reason, name
    assert all(it.mask != it.source for it in items.values())


def test_a_masks_folder_inside_the_input_holds_masks_not_photos(tmp_path: Path) -> None:
    src = tmp_path / "in"
    _save_photo(src / "a.jpg")
    _save_photo(src / "sub" / "b.jpg", 1)
    _save_mask(src / "masks" / "a.png")
    _save_mask(src / "masks" / "sub" / "b.png")
    for masks in (src / "masks", src):  # the folder itself, or the input as the mask folder
        items = _by_name(plan_batch(src, masks, tmp_path / "out"))
        todo = {n for n, it in items.items() if not it.skip_reason}
        if masks == src:
            # Shared folder: a.jpg finds masks/a.png, never itself; masks/ holds no photos.
            assert items["a.jpg"].mask == src / "masks" / "a.png"
            assert not items["a.png"].is_photo and "folder named masks" in items["a.png"].skip_reason
            assert todo == {"a.jpg", "b.jpg"}
            continue
        assert todo == {"a.jpg", "b.jpg"}
        assert items["a.jpg"].mask == src / "masks" / "a.png"
        assert items["b.jpg"].mask == src / "masks" / "sub" / "b.png"
        for name in ("a.png", "b.png"):
            assert not items[name].is_photo and "masks folder" in items[name].skip_reason


def test_template_inside_the_input_is_not_a_photo(tmp_path: Path) -> None:
    src = tmp_path / "in"
    _save_photo(src / "a.jpg")
    _save_mask(src / "wm.png")
    items = _by_name(plan_batch(src, src / "wm.png", tmp_path / "out"))
    assert not items["wm.png"].is_photo and "template" in items["wm.png"].skip_reason
    assert items["a.jpg"].mask == src / "wm.png"


def test_every_file_that_is_not_processed_is_listed_with_a_reason(tmp_path: Path) -> None:
    src = tmp_path / "in"
    _save_photo(src / "a.jpg")
    Image.fromarray(photo(30, 40)).save(src / "phone.heic", format="JPEG")  # JPEG inside
    (src / "real.heic").write_bytes(b"\x00\x00\x00\x18ftypheic" + b"\x00" * 64)
    frames = [Image.new("RGB", (40, 30), (i * 60, 0, 0)) for i in range(3)]
    frames[0].save(src / "anim.gif", save_all=True, append_images=frames[1:])
    (src / "notes.txt").write_text("shot list")
    Image.fromarray(photo(30, 40)).save(src / "x.ico")
    (src / ".hidden.jpg").write_bytes(b"ours")
    items = _by_name(plan_batch(src, _template(tmp_path), tmp_path / "out"))
    assert not items["a.jpg"].skip_reason and not items["phone.heic"].skip_reason
    assert items["phone.heic"].dest.name == "phone.heic"
    assert "animated GIF with 3 frames" in items["anim.gif"].skip_reason
    assert "HEIC" in items["real.heic"].skip_reason
    assert items["notes.txt"].skip_reason == "not an image"
    assert "ICO images are not supported" in items["x.ico"].skip_reason
    assert ".hidden.jpg" not in items


def _template(tmp_path: Path) -> Path:
    _save_mask(tmp_path / "wm.png")
    return tmp_path / "wm.png"


def test_output_folder_equal_to_the_input_is_refused_clearly(tmp_path: Path) -> None:
    src = tmp_path / "in"
    _save_photo(src / "a.jpg")
    with pytest.raises(InpaintStudioError, match="is the input folder"):
        plan_batch(src, _template(tmp_path), src)


def test_output_folder_is_checked_before_any_work(tmp_path: Path) -> None:
    check_output_folder(tmp_path / "new" / "deep")
    assert (tmp_path / "new" / "deep").is_dir() and not list((tmp_path / "new" / "deep").iterdir())
    (tmp_path / "file").write_text("x")
    with pytest.raises(InpaintStudioError, match="cannot write to the output folder"):
        check_output_folder(tmp_path / "file" / "out")


def test_hole_ratio_limit_and_inverted_masks() -> None:
    m = np.zeros((100, 100), bool)
    m[40:60, 40:60] = True
    check_hole_ratio(m, 0.6)
    with pytest.raises(MaskError, match="covers 96%.*looks inverted.*--invert-masks"):
        check_hole_ratio(~m, 0.6)
    with pytest.raises(MaskError, match="covers 100%.*whole photo"):
        check_hole_ratio(np.ones((10, 10), bool), 0.6)
    half = np.zeros((100, 100), bool)
    half[:, :70] = True
    with pytest.raises(MaskError, match="covers 70%") as info:
        check_hole_ratio(half, 0.6)
    assert "inverted" not in str(info.value)  # a big hole on one side, not a frame around an object
    check_hole_ratio(half, 0.75)
