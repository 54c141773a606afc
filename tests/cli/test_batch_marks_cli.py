"""``inpaint-studio batch --watermark`` and ``batch --auto-mask text``."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from inpaint_studio.cli import main
from inpaint_studio.core.image_io import load_image
from inpaint_studio.training.synthetic_marks import blend_mark, draw_text, make_mark, mark_footprint, synthetic_photo

H, W = 200, 280


def _marked(tmp_path: Path, n: int = 6, unmarked: int = 1) -> tuple[Path, list, list]:
    rng = np.random.default_rng(31)
    mark = make_mark(110, 40, colour=(0.05, 0.05, 0.05))
    d = tmp_path / "set"
    d.mkdir()
    clean, places = [], []
    for i in range(n + unmarked):
        p = synthetic_photo(H, W, rng)
        x, y = 120 + int(rng.integers(-25, 26)), 120 + int(rng.integers(-25, 26))
        Image.fromarray(blend_mark(p, mark, x, y) if i < n else p).save(d / f"p{i}.png")
        clean.append(p)
        places.append((x, y))
    return d, clean, places


def test_watermark_batch_recovers_photos_and_reports_each(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    d, clean, places = _marked(tmp_path)
    out = tmp_path / "out"
    png = tmp_path / "mark.png"
    code = main(["batch", str(d), "--out", str(out), "--watermark", "--model", "telea", "-q", "--save-mark", str(png)])
    assert code == 0
    cap = capsys.readouterr()
    assert "watermark:" in cap.err and "from 6 photos" in cap.err
    lines = [ln for ln in cap.out.splitlines() if ln.startswith("p")]
    assert sum("confidence" in ln for ln in lines) == 6
    assert any(ln.startswith("p6.png") and "no watermark found" in ln for ln in lines)
    assert not (out / "p6.png").exists()  # left as it is
    mark = make_mark(110, 40)
    for i in range(3):
        got = load_image(out / f"p{i}.png").pixels
        foot = mark_footprint(got.shape, mark, *places[i])
        before = np.abs(load_image(d / f"p{i}.png").pixels.astype(int) - clean[i].astype(int))[foot].mean()
        after = np.abs(got.astype(int) - clean[i].astype(int))[foot].mean()
        assert after < 0.2 * before, (before, after)
    rgba = np.asarray(Image.open(png))
    assert rgba.shape[2] == 4 and rgba[..., 3].max() > 100


def test_watermark_batch_with_template_hint(tmp_path: Path) -> None:
    d, clean, places = _marked(tmp_path, unmarked=0)
    hint = np.zeros((H, W), np.uint8)
    hint[120:160, 120:230] = 255
    Image.fromarray(hint).save(tmp_path / "hint.png")
    out = tmp_path / "out"
    assert (
        main(
            [
                "batch",
                str(d),
                "--out",
                str(out),
                "--watermark",
                "--masks",
                str(tmp_path / "hint.png"),
                "--model",
                "telea",
                "-q",
            ]
        )
        == 0
    )
    assert len(list(out.glob("*.png"))) == 6


def test_watermark_batch_without_shared_mark_writes_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    d = tmp_path / "plain"
    d.mkdir()
    rng = np.random.default_rng(5)
    for i in range(5):
        Image.fromarray(synthetic_photo(H, W, rng)).save(d / f"q{i}.png")
    before = {p.name: p.read_bytes() for p in d.iterdir()}
    out = tmp_path / "out"
    assert main(["batch", str(d), "--out", str(out), "--watermark", "-q"]) == 1
    assert "no shared watermark found" in capsys.readouterr().err
    assert not out.exists() or not any(out.iterdir())
    assert {p.name: p.read_bytes() for p in d.iterdir()} == before


def test_auto_mask_text_batch(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("rapidocr")
    d = tmp_path / "in"
    d.mkdir()
    rng = np.random.default_rng(6)
    st = draw_text(synthetic_photo(H, W, rng), [("2023-07-14 18:42", (40, 170), 0.8)])
    Image.fromarray(st.image).save(d / "dated.png")
    Image.fromarray(synthetic_photo(H, W, rng)).save(d / "plain.png")
    out = tmp_path / "out"
    assert main(["batch", str(d), "--out", str(out), "--auto-mask", "text", "--model", "telea", "-q"]) == 0
    text = capsys.readouterr().out
    assert "dated.png: text: 1 line(s)" in text and "plain.png: no text found" in text
    got = load_image(out / "dated.png").pixels
    changed = np.any(got != st.image, axis=-1)
    glyphs = np.any(st.image != st.clean, axis=-1)
    assert changed[glyphs].mean() > 0.85
    assert not (out / "plain.png").exists()


@pytest.mark.parametrize(
    "args, message",
    [
        ([], "give --masks, --auto-mask text or --watermark"),
        (["--auto-mask", "text", "--watermark"], "does not combine"),
        (["--watermark", "--max-shift", "-3"], "--max-shift"),
    ],
)
def test_mark_mode_usage_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    d = tmp_path / "in"
    d.mkdir()
    Image.fromarray(synthetic_photo(60, 80, np.random.default_rng(0))).save(d / "a.png")
    assert main(["batch", str(d), "--out", str(tmp_path / "o"), *args]) == 2
    assert message in capsys.readouterr().err
