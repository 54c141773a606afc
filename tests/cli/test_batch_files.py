"""``inpaint-studio batch`` on the layouts and files a user trial broke it with."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from inpaint_studio.cli import main
from tests.helpers import photo

H, W = 48, 64


def _mask(box: tuple[int, int, int, int] = (16, 32, 20, 44), invert: bool = False) -> np.ndarray:
    m = np.zeros((H, W), np.uint8)
    y0, y1, x0, x1 = box
    m[y0:y1, x0:x1] = 255
    return 255 - m if invert else m


def _batch(*args: str) -> int:
    return main(["batch", *args, "--model", "telea", "-q"])


def test_readme_layout_photo_mask_next_to_photo(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`batch in/ --masks in/` with `a_mask.png` beside `a.jpg`: a.jpg gets its own mask
    (not itself), the mask file is not processed, a masks/ folder in the input neither."""
    src = tmp_path / "in"
    (src / "masks").mkdir(parents=True)
    a = photo(H, W, seed=1)
    Image.fromarray(a).save(src / "a.png")
    Image.fromarray(_mask()).save(src / "a_mask.png")
    Image.fromarray(photo(H, W, seed=2)).save(src / "b.png")
    Image.fromarray(_mask()).save(src / "masks" / "b.png")
    Image.fromarray(photo(H, W, seed=5)).save(src / "c.png")
    out = tmp_path / "out"
    assert _batch(str(src), "--masks", str(src), "--out", str(out)) == 0
    text = capsys.readouterr().out
    done = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    assert done == ["a.png", "b.png"], done  # masks/b.png is b.png's mask, not a photo
    filled = np.asarray(Image.open(out / "a.png"))
    hole = _mask() > 0
    np.testing.assert_array_equal(filled[~hole], a[~hole])  # only a_mask's 8 % changed, not 83 %
    assert re.search(r"skipped .*a_mask\.png: named like a mask", text)
    assert re.search(r"skipped .*masks/b\.png: in a folder named masks", text)
    assert re.search(r"skipped .*c\.png: no mask found .*c_mask\.png", text)
    capsys.readouterr()
    out2 = tmp_path / "out2"
    assert _batch(str(src), "--masks", str(src / "masks"), "--out", str(out2)) == 0
    text = capsys.readouterr().out
    assert sorted(p.name for p in out2.rglob("*") if p.is_file()) == ["b.png"]  # a.png, c.png: no mask there
    assert re.search(r"skipped .*masks/b\.png: in the masks folder", text)


def test_near_total_and_inverted_masks_are_refused_unless_asked(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src = tmp_path / "in"
    src.mkdir()
    img = photo(H, W, seed=3)
    Image.fromarray(img).save(src / "a.png")
    Image.fromarray(_mask(invert=True)).save(tmp_path / "inv.png")  # black = hole
    Image.fromarray(np.full((H, W), 255, np.uint8)).save(tmp_path / "white.png")
    assert _batch(str(src), "--masks", str(tmp_path / "white.png"), "--out", str(tmp_path / "o1")) == 1
    text = capsys.readouterr().out
    assert "covers 100%" in text and "--max-hole" in text and not (tmp_path / "o1" / "a.png").exists()
    assert _batch(str(src), "--masks", str(tmp_path / "inv.png"), "--out", str(tmp_path / "o2")) == 1
    text = capsys.readouterr().out
    assert "looks inverted" in text and "--invert-masks" in text
    assert _batch(str(src), "--masks", str(tmp_path / "inv.png"), "--out", str(tmp_path / "o3"), "--invert-masks") == 0
    filled = np.asarray(Image.open(tmp_path / "o3" / "a.png"))
    hole = _mask() > 0
    np.testing.assert_array_equal(filled[~hole], img[~hole])
    assert (filled[hole] != img[hole]).any()
    assert (
        _batch(str(src), "--masks", str(tmp_path / "inv.png"), "--out", str(tmp_path / "o4"), "--max-hole", "100") == 0
    )
    assert _batch(str(src), "--masks", str(tmp_path / "inv.png"), "--out", str(tmp_path / "o5"), "--max-hole", "0") == 2


def test_unwritable_output_folder_fails_before_any_photo_is_filled(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    src = tmp_path / "in"
    src.mkdir()
    Image.fromarray(photo(H, W)).save(src / "a.png")
    Image.fromarray(_mask()).save(tmp_path / "m.png")
    (tmp_path / "blocker").write_text("a file where the output folder should be")
    calls = []
    from inpaint_studio.engine import engine as engine_mod

    monkeypatch.setattr(engine_mod.Engine, "inpaint", lambda *a, **k: calls.append(1))
    code = _batch(str(src), "--masks", str(tmp_path / "m.png"), "--out", str(tmp_path / "blocker" / "out"))
    err = capsys.readouterr().err
    assert code == 2 and calls == []
    assert "cannot write to the output folder" in err and "unexpected" not in err


def test_out_equal_to_input_is_a_clear_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = tmp_path / "in"
    src.mkdir()
    Image.fromarray(photo(H, W)).save(src / "a.png")
    Image.fromarray(_mask()).save(tmp_path / "m.png")
    assert _batch(str(src), "--masks", str(tmp_path / "m.png"), "--out", str(src)) == 2
    err = capsys.readouterr().err
    assert "is the input folder" in err and "no photos found" not in err


def test_unsupported_files_are_listed_and_disguised_jpegs_processed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src = tmp_path / "in"
    src.mkdir()
    Image.fromarray(photo(H, W, seed=4)).save(src / "phone.heic", format="JPEG")
    frames = [Image.new("RGB", (W, H), (i * 60, 0, 0)) for i in range(4)]
    frames[0].save(src / "anim.gif", save_all=True, append_images=frames[1:])
    Image.fromarray(photo(H, W)).quantize(8).save(src / "pal.png")
    (src / "notes.txt").write_text("x")
    Image.fromarray(_mask()).save(tmp_path / "m.png")
    out = tmp_path / "out"
    assert _batch(str(src), "--masks", str(tmp_path / "m.png"), "--out", str(out)) == 0
    text = capsys.readouterr().out
    assert sorted(p.name for p in out.iterdir()) == ["pal.png", "phone.heic"]
    with Image.open(out / "phone.heic") as o:
        assert o.format == "JPEG"
    with Image.open(out / "pal.png") as o:
        assert o.mode == "P"  # palette kept, not promoted to RGB
    assert re.search(r"skipped .*anim\.gif: animated GIF with 4 frames", text)
    assert re.search(r"skipped .*notes\.txt: not an image", text)
    # Named directly, an animation fails loudly instead of being flattened to one frame.
    assert _batch(str(src / "anim.gif"), "--masks", str(tmp_path / "m.png"), "--out", str(tmp_path / "o2")) == 1
    assert "only still images" in capsys.readouterr().out and not (tmp_path / "o2" / "anim.gif").exists()


def test_mask_of_another_aspect_ratio_is_named_in_the_summary(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src = tmp_path / "in"
    src.mkdir()
    Image.fromarray(photo(H, W)).save(src / "a.png")
    Image.fromarray(np.pad(np.full((10, 10), 255, np.uint8), 20)).save(tmp_path / "square.png")
    assert _batch(str(src), "--masks", str(tmp_path / "square.png"), "--out", str(tmp_path / "o")) == 0
    text = capsys.readouterr().out
    assert re.search(r"warning \(1 photo\): .*50x50 \(1\.00:1\).*64x48 \(1\.33:1\).*stretched", text)


def test_size_limit_error_names_the_flag_that_raises_it(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = tmp_path / "in"
    src.mkdir()
    Image.fromarray(photo(H, W)).save(src / "a.png")
    Image.fromarray(_mask()).save(tmp_path / "m.png")
    assert (
        _batch(str(src), "--masks", str(tmp_path / "m.png"), "--out", str(tmp_path / "o"), "--max-megapixels", "0.001")
        == 1
    )
    text = capsys.readouterr().out
    assert "--max-megapixels" in text and "settings" not in text
    assert (
        _batch(str(src), "--masks", str(tmp_path / "m.png"), "--out", str(tmp_path / "o"), "--max-megapixels", "0.01")
        == 0
    )


def test_header_before_the_bar_and_the_bar_names_the_photo_in_progress(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src = tmp_path / "in"
    src.mkdir()
    for name in ("first.png", "second.png"):
        Image.fromarray(photo(H, W)).save(src / name)
    Image.fromarray(_mask()).save(tmp_path / "m.png")
    assert (
        main(["batch", str(src), "--masks", str(tmp_path / "m.png"), "--out", str(tmp_path / "o"), "--model", "telea"])
        == 0
    )
    err = capsys.readouterr().err
    assert err.startswith("2 photos, 2 to process, model=telea\n"), err[:200]
    # While a photo is being filled the bar shows its name with the count of those done.
    assert re.search(r"0/2 \[[^\]]*first\.png\]", err), err
    assert re.search(r"1/2 \[[^\]]*second\.png\]", err), err


def test_models_into_a_closed_pipe_ends_quietly(tmp_path: Path) -> None:
    """`inpaint-studio models | head -3`: no BrokenPipeError traceback."""
    import os

    r, w = os.pipe()
    os.close(r)  # the reader is gone before anything is written
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "inpaint_studio", "models"],
            stdout=w,
            stderr=subprocess.PIPE,
            timeout=120,
            env={**os.environ, "INPAINT_STUDIO_WEIGHTS": str(tmp_path)},
        )
    finally:
        os.close(w)
    assert b"Traceback" not in proc.stderr and b"BrokenPipe" not in proc.stderr, proc.stderr.decode()
