from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from inpaint_studio.cli import main
from inpaint_studio.core.image_io import load_image
from inpaint_studio.core.masks import load_mask
from tests.helpers import photo


@pytest.fixture()
def photos(tmp_path: Path) -> Path:
    d = tmp_path / "photos"
    (d / "sub").mkdir(parents=True)
    im = Image.fromarray(photo(60, 80, seed=1))
    ex = im.getexif()
    ex[0x0112] = 6
    ex[0x010F] = "Cam"
    im.save(d / "rot.jpg", exif=ex.tobytes(), quality=92)
    Image.fromarray(photo(50, 70, seed=2, channels=4), "RGBA").save(d / "sub" / "alpha.png")
    import tifffile

    tifffile.imwrite(d / "deep.tif", photo(40, 60, seed=3, dtype=np.uint16), photometric="rgb")
    (d / "broken.jpg").write_bytes((d / "rot.jpg").read_bytes()[:300])
    wm = np.zeros((20, 20), np.uint8)
    wm[8:12, 4:16] = 255
    Image.fromarray(wm).save(tmp_path / "wm.png")
    return d


def test_batch_template_mask_mixed_folder(photos: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    code = main(
        ["batch", str(photos), "--masks", str(tmp_path / "wm.png"), "--out", str(out), "--model", "telea", "-q"]
    )
    assert code == 1  # one corrupt file
    text = capsys.readouterr().out
    assert "broken.jpg" in text and "1 failed" in text and "3 filled" in text
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()) == [
        "deep.tif",
        "rot.jpg",
        "sub/alpha.png",
    ]
    for rel in ("deep.tif", "sub/alpha.png"):
        a, b = load_image(photos / rel), load_image(out / rel)
        m = load_mask(tmp_path / "wm.png", size=(a.width, a.height))
        assert b.pixels.dtype == a.pixels.dtype and b.source_mode == a.source_mode
        np.testing.assert_array_equal(b.pixels[~m], a.pixels[~m])
        assert (b.pixels[m] != a.pixels[m]).any()
    with Image.open(out / "rot.jpg") as o:
        assert o.getexif().get(0x010F) == "Cam"
    # Upright as the source shows (EXIF orientation kept, pixels spliced in stored order).
    a, b = load_image(photos / "rot.jpg"), load_image(out / "rot.jpg")
    assert b.pixels.shape == a.pixels.shape == (80, 60, 3)
    m = load_mask(tmp_path / "wm.png", size=(a.width, a.height))
    ys, xs = np.nonzero(m)
    far = np.ones_like(m)
    far[max(0, ys.min() - 18) : ys.max() + 19, max(0, xs.min() - 18) : xs.max() + 19] = False
    np.testing.assert_array_equal(b.pixels[far], a.pixels[far])


def test_batch_resume_skips_existing_and_overwrite_redoes(
    photos: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (photos / "broken.jpg").unlink()
    args = [
        "batch",
        str(photos),
        "--masks",
        str(tmp_path / "wm.png"),
        "--out",
        str(tmp_path / "o"),
        "--model",
        "telea",
        "-q",
    ]
    assert main(args) == 0
    first = (tmp_path / "o" / "deep.tif").stat().st_mtime_ns
    capsys.readouterr()
    assert main(args) == 0
    assert "3 skipped" in capsys.readouterr().out
    assert (tmp_path / "o" / "deep.tif").stat().st_mtime_ns == first
    assert main([*args, "--overwrite"]) == 0
    assert "3 filled" in capsys.readouterr().out


def test_batch_per_image_masks_by_stem(photos: Path, tmp_path: Path) -> None:
    (photos / "broken.jpg").unlink()
    masks = tmp_path / "masks"
    (masks / "sub").mkdir(parents=True)
    m = np.zeros((10, 10), np.uint8)
    m[2:5, 2:5] = 255
    Image.fromarray(m).save(masks / "rot.png")
    Image.fromarray(m).save(masks / "sub" / "alpha.png")
    out = tmp_path / "o"
    assert (
        main(
            [
                "batch",
                str(photos),
                "--masks",
                str(masks),
                "--out",
                str(out),
                "--model",
                "telea",
                "--format",
                "png",
                "-q",
            ]
        )
        == 0
    )
    assert sorted(p.name for p in out.rglob("*.png")) == ["alpha.png", "rot.png"]  # deep.tif: no mask, skipped


def test_batch_usage_errors_exit_2(tmp_path: Path) -> None:
    assert main(["batch", str(tmp_path / "nope"), "--masks", str(tmp_path), "--out", str(tmp_path / "o")]) == 2
    (tmp_path / "a.png").write_bytes(b"x")
    a = str(tmp_path / "a.png")
    assert main(["batch", a, "--masks", a, "--out", str(tmp_path / "o"), "--model", "nope"]) == 2
    with pytest.raises(SystemExit) as e:
        main(["batch", str(tmp_path)])
    assert e.value.code == 2


def test_help_lists_subcommands(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    assert "batch" in out and "models" in out


def test_cuda_without_gpu_is_usage_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("inpaint_studio.engine.device.cuda_available", lambda: False)
    (tmp_path / "a.png").write_bytes(b"x")
    a = str(tmp_path / "a.png")
    assert main(["batch", a, "--masks", a, "--out", str(tmp_path / "o"), "--device", "cuda"]) == 2


def test_plain_invocation_routes_options_to_gui(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[list[str]] = []
    import inpaint_studio.cli as cli

    real = cli.build_parser

    def spy() -> object:
        parser = real()

        def parse(argv: list[str]) -> object:
            seen.append(list(argv))
            raise SystemExit(0)

        parser.parse_args = parse  # type: ignore[method-assign]
        return parser

    monkeypatch.setattr(cli, "build_parser", spy)
    for argv, expected in (
        (["--smoke-test"], ["gui", "--smoke-test"]),
        (["a.jpg"], ["gui", "a.jpg"]),
        (["batch", "x"], ["batch", "x"]),
        (["--version"], ["--version"]),
    ):
        with pytest.raises(SystemExit):
            cli.main(argv)
        assert seen[-1] == expected


def test_batch_deepfill_with_edges_on_and_off(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """``--edges canny`` feeds predicted hole edges to the net; ``off`` does not.  Both
    keep every pixel outside the mask, and the edge guidance changes the fill."""
    import torch

    from inpaint_studio.models import DeepFillGenerator
    from inpaint_studio.models.weights import save_weights

    torch.manual_seed(0)
    monkeypatch.setenv("INPAINT_STUDIO_WEIGHTS", str(tmp_path / "w"))
    save_weights(
        DeepFillGenerator(cnum=8),
        tmp_path / "w" / "deepfill.safetensors",
        {"working_size": 128, "flip_average": False},
        half=False,
    )
    src = tmp_path / "in"
    src.mkdir()
    img = np.zeros((64, 80, 3), np.uint8)
    img[:, :40] = (230, 220, 210)  # a strong vertical edge through the hole
    img[:, 40:] = (20, 30, 40)
    Image.fromarray(img).save(src / "a.png")
    m = np.zeros((64, 80), np.uint8)
    m[20:44, 25:55] = 255
    Image.fromarray(m).save(tmp_path / "m.png")
    outs = {}
    for mode in ("off", "canny"):
        out = tmp_path / mode
        code = main(
            [
                "batch",
                str(src),
                "--masks",
                str(tmp_path / "m.png"),
                "--out",
                str(out),
                "--model",
                "deepfill",
                "--device",
                "cpu",
                "--edges",
                mode,
                "-q",
            ]
        )
        assert code == 0, capsys.readouterr()
        outs[mode] = np.asarray(Image.open(out / "a.png"))
        np.testing.assert_array_equal(outs[mode][m == 0], img[m == 0])
    assert (outs["off"] != outs["canny"]).any()
    assert (
        main(
            [
                "batch",
                str(src),
                "--masks",
                str(tmp_path / "m.png"),
                "--out",
                str(tmp_path / "x"),
                "--edges",
                "nonsense",
                "-q",
            ]
        )
        == 2
    )
