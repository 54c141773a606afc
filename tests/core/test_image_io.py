from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageCms

from inpaint_studio.core.errors import (
    ImageLoadError,
    ImageTooLargeError,
    OutputExistsError,
)
from inpaint_studio.core.image_io import atomic_write_bytes, load_image, save_image
from tests.helpers import photo


def _srgb_icc() -> bytes:
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


@pytest.mark.parametrize(
    ("mode", "suffix"),
    [
        ("RGB", ".png"),
        ("RGBA", ".png"),
        ("L", ".png"),
        ("LA", ".png"),
        ("P", ".png"),
        ("RGB", ".tif"),
        ("RGB", ".webp"),
        ("L", ".tif"),
        ("RGBA", ".tif"),
        ("RGBA", ".webp"),
    ],
)
def test_lossless_round_trip_every_mode(tmp_path: Path, mode: str, suffix: str) -> None:
    rgb = photo(40, 56, channels=4)
    src = Image.fromarray(rgb, "RGBA").convert(mode)
    kwargs = {"lossless": True} if suffix == ".webp" else {}
    path = tmp_path / f"in{suffix}"
    src.save(path, **kwargs)
    img = load_image(path)
    assert img.pixels.shape[:2] == (40, 56)
    assert img.pixels.dtype == np.uint8
    out = save_image(tmp_path / f"out{suffix}", img)
    again = load_image(out)
    assert again.source_mode == img.source_mode
    np.testing.assert_array_equal(again.pixels, img.pixels)
    # The file written is in the source's mode, not silently promoted to RGB.
    with Image.open(out) as o:
        expected = {"LA": ("LA",), "L": ("L",)}.get(mode, (mode,))
        assert o.mode in expected


def test_exif_rotated_jpeg_is_upright_and_keeps_exif(tmp_path: Path) -> None:
    a = photo(30, 50)
    im = Image.fromarray(a)
    exif = im.getexif()
    exif[0x0112] = 6  # rotate 90 CW to display
    exif[0x010F] = "TestCam"
    im.save(tmp_path / "r.jpg", exif=exif.tobytes(), quality=95)
    img = load_image(tmp_path / "r.jpg")
    assert img.pixels.shape == (50, 30, 3)  # width and height swapped
    # Top-left of the upright image is the bottom-left of the stored one.
    stored = np.asarray(Image.open(tmp_path / "r.jpg").convert("RGB")).astype(int)
    assert np.abs(img.pixels[0, 0].astype(int) - stored[-1, 0]).max() < 12
    out = save_image(tmp_path / "o.jpg", img)
    with Image.open(out) as o:
        ex = o.getexif()
        assert ex.get(0x010F) == "TestCam"
        assert ex.get(0x0112, 1) == 1  # pixels are upright now: no double rotation
        assert o.size == (30, 50)


def test_16bit_png_and_tiff_keep_depth(tmp_path: Path) -> None:
    import cv2
    import tifffile

    a = photo(24, 32, dtype=np.uint16)
    cv2.imwrite(str(tmp_path / "d.png"), a[..., ::-1])
    tifffile.imwrite(tmp_path / "d.tif", a, photometric="rgb")
    for name in ("d.png", "d.tif"):
        img = load_image(tmp_path / name)
        assert img.pixels.dtype == np.uint16
        assert img.source_mode == "RGB;16"
        np.testing.assert_array_equal(img.pixels, a)
        out = save_image(tmp_path / f"o_{name}", img)
        np.testing.assert_array_equal(load_image(out).pixels, a)


def test_16bit_gray_png(tmp_path: Path) -> None:
    g = (np.arange(20 * 30).reshape(20, 30) * 97 % 65535).astype(np.uint16)
    Image.fromarray(g).save(tmp_path / "g.png")
    img = load_image(tmp_path / "g.png")
    assert img.pixels.dtype == np.uint16 and img.source_mode == "I;16"
    np.testing.assert_array_equal(img.pixels[..., 0], g)
    out = save_image(tmp_path / "o.png", img)
    np.testing.assert_array_equal(load_image(out).pixels[..., 0], g)


def test_icc_profile_kept(tmp_path: Path) -> None:
    icc = _srgb_icc()
    Image.fromarray(photo(20, 20)).save(tmp_path / "c.png", icc_profile=icc)
    img = load_image(tmp_path / "c.png")
    assert img.icc_profile == icc
    out = save_image(tmp_path / "o.png", img)
    with Image.open(out) as o:
        assert o.info.get("icc_profile") == icc


def test_cmyk_jpeg_round_trips_as_cmyk(tmp_path: Path) -> None:
    Image.fromarray(photo(32, 40)).convert("CMYK").save(tmp_path / "k.jpg", quality=95)
    img = load_image(tmp_path / "k.jpg")
    assert img.source_mode == "CMYK" and img.pixels.shape == (32, 40, 3)
    out = save_image(tmp_path / "o.jpg", img)
    with Image.open(out) as o:
        assert o.mode == "CMYK"
    diff = np.abs(load_image(out).pixels.astype(int) - img.pixels.astype(int))
    assert diff.mean() < 3


def test_corrupt_truncated_and_empty_files_raise_readable_errors(tmp_path: Path) -> None:
    (tmp_path / "empty.jpg").write_bytes(b"")
    (tmp_path / "junk.png").write_bytes(b"this is not an image at all")
    buf = io.BytesIO()
    Image.fromarray(photo(64, 64)).save(buf, "JPEG")
    (tmp_path / "trunc.jpg").write_bytes(buf.getvalue()[: len(buf.getvalue()) // 3])
    for name, words in (("empty.jpg", "empty"), ("junk.png", "not a readable"), ("trunc.jpg", "truncated")):
        with pytest.raises(ImageLoadError, match=words) as info:
            load_image(tmp_path / name)
        assert name in str(info.value)
    with pytest.raises(ImageLoadError, match="not found"):
        load_image(tmp_path / "missing.png")


def test_too_large_is_refused_before_decoding(tmp_path: Path) -> None:
    Image.new("RGB", (300, 200)).save(tmp_path / "big.png")
    with pytest.raises(ImageTooLargeError, match="exceeds"):
        load_image(tmp_path / "big.png", max_pixels=50_000)
    assert load_image(tmp_path / "big.png", max_pixels=60_000).width == 300


def test_save_never_overwrites_unless_asked(tmp_path: Path) -> None:
    target = tmp_path / "x.png"
    target.write_bytes(b"precious")
    img = load_image_from_array(photo(8, 8))
    with pytest.raises(OutputExistsError):
        save_image(target, img)
    assert target.read_bytes() == b"precious"
    save_image(target, img, overwrite=True)
    assert load_image(target).width == 8


def test_atomic_write_leaves_no_partial_file_on_failure(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "keep.bin"
    target.write_bytes(b"old")

    def boom(*_a: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr("os.replace", boom)
    from inpaint_studio.core.errors import ImageSaveError

    with pytest.raises(ImageSaveError):
        atomic_write_bytes(target, b"new", overwrite=True)
    assert target.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep.bin"]  # temp file cleaned


def load_image_from_array(a: np.ndarray):  # noqa: ANN201
    from inpaint_studio.core.image_io import LoadedImage

    return LoadedImage(pixels=a, source_mode="RGB", format="PNG")


@pytest.mark.parametrize("orientation", [1, 6, 3])
@pytest.mark.parametrize("subsampling", [0, 2])
def test_jpeg_resave_keeps_untouched_blocks_bit_identical(tmp_path: Path, orientation: int, subsampling: int) -> None:
    im = Image.fromarray(photo(120, 152, seed=orientation))
    ex = im.getexif()
    ex[0x0112] = orientation
    ex[0x010F] = "Cam"
    im.save(tmp_path / "s.jpg", exif=ex.tobytes(), quality=85, subsampling=subsampling)
    img = load_image(tmp_path / "s.jpg")
    h, w = img.pixels.shape[:2]
    hole = np.zeros((h, w), bool)
    hole[40:60, 50:75] = True
    px = img.pixels.copy()
    px[hole] = [0, 255, 0]
    out = save_image(tmp_path / "o.jpg", img.with_pixels(px), changed=hole)
    again = load_image(out)
    assert again.pixels.shape == img.pixels.shape
    # Changes stay within the MCUs touching the hole plus one chroma sample (<= 16+2 px).
    ys, xs = np.nonzero(hole)
    near = np.zeros_like(hole)
    near[max(0, ys.min() - 18) : ys.max() + 19, max(0, xs.min() - 18) : xs.max() + 19] = True
    np.testing.assert_array_equal(again.pixels[~near], img.pixels[~near])
    assert again.pixels[hole][:, 1].mean() > 230  # the edit is there
    with Image.open(out) as o:
        assert o.getexif().get(0x010F) == "Cam"


def test_jpeg_resave_without_changed_mask_reencodes_whole_file(tmp_path: Path) -> None:
    Image.fromarray(photo(64, 64)).save(tmp_path / "s.jpg", quality=80)
    img = load_image(tmp_path / "s.jpg")
    out = save_image(tmp_path / "o.jpg", img)
    # Same tables: close, but a full re-encode is not bit-exact everywhere.
    d = np.abs(load_image(out).pixels.astype(int) - img.pixels.astype(int))
    assert d.mean() < 2


@pytest.mark.parametrize("gray", [False, True])
def test_jpeg_splice_at_image_corner_and_grey(tmp_path: Path, gray: bool) -> None:
    im = Image.fromarray(photo(101, 133, seed=5))  # sizes not multiples of the MCU
    (im.convert("L") if gray else im).save(tmp_path / "s.jpg", quality=90)
    img = load_image(tmp_path / "s.jpg")
    hole = np.zeros(img.pixels.shape[:2], bool)
    hole[90:, 120:] = True  # touches the partial bottom-right MCU
    px = img.pixels.copy()
    px[hole] = 255
    again = load_image(save_image(tmp_path / "o.jpg", img.with_pixels(px), changed=hole))
    assert again.source_mode == img.source_mode
    near = np.zeros_like(hole)
    near[70:, 100:] = True
    np.testing.assert_array_equal(again.pixels[~near], img.pixels[~near])
    assert again.pixels[hole].mean() > 235


def test_decompression_bomb_header_refused_with_default_limit(tmp_path: Path) -> None:
    """A tiny file claiming 30000x30000 pixels is refused from its header alone."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", 30000, 30000, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 1000)
    data = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")
    (tmp_path / "bomb.png").write_bytes(data)
    with pytest.raises(ImageTooLargeError, match="900 MP"):
        load_image(tmp_path / "bomb.png")


def test_saved_files_get_normal_permissions(tmp_path: Path) -> None:
    import os

    umask = os.umask(0o022)
    try:
        out = atomic_write_bytes(tmp_path / "n.bin", b"x") or (tmp_path / "n.bin")
        assert (out.stat().st_mode & 0o777) == 0o644
        os.chmod(out, 0o664)
        atomic_write_bytes(out, b"y", overwrite=True)
        assert (out.stat().st_mode & 0o777) == 0o664
    finally:
        os.umask(umask)
