"""What a file holds besides RGB pixels survives an edit, or the loader says it cannot.

Animations, palettes, PNG text and XMP, masks of another shape, unwritable folders and
the pixel limit: each once went wrong without a word.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image, PngImagePlugin

from inpaint_studio.core.errors import ImageSaveError, ImageTooLargeError, MaskError, UnsupportedImageError
from inpaint_studio.core.image_encode import gray_from_rgb
from inpaint_studio.core.image_io import load_image, save_image
from inpaint_studio.core.image_probe import frame_count, sniff_format
from inpaint_studio.core.masks import aspect_warning, load_mask, mask_size
from tests.helpers import photo


def _frames(n: int, size: tuple[int, int] = (24, 16)) -> list[Image.Image]:
    return [Image.new("RGB", size, (40 * i, 200 - 30 * i, 90)) for i in range(n)]


@pytest.mark.parametrize(("suffix", "extra"), [(".gif", {}), (".png", {}), (".webp", {"lossless": True}), (".tif", {})])
def test_animations_and_multipage_files_are_refused_not_flattened(tmp_path: Path, suffix: str, extra: dict) -> None:
    first, *rest = _frames(3)
    path = tmp_path / f"anim{suffix}"
    first.save(path, save_all=True, append_images=rest, **extra)
    assert frame_count(path) == 3
    with pytest.raises(UnsupportedImageError, match="3 (frames|pages)") as info:
        load_image(path)
    assert "anim" in str(info.value) and "only still images" in str(info.value)


def test_still_gif_round_trips_on_its_palette(tmp_path: Path) -> None:
    src = Image.fromarray(photo(30, 40)).quantize(16)
    src.save(tmp_path / "s.gif")
    img = load_image(tmp_path / "s.gif")
    assert img.source_mode == "P" and img.format == "GIF"
    out = save_image(tmp_path / "o.gif", img)
    with Image.open(out) as o, Image.open(tmp_path / "s.gif") as s:
        assert o.mode == "P"
        np.testing.assert_array_equal(np.asarray(o.convert("RGB")), np.asarray(s.convert("RGB")))


def test_palette_png_comes_back_as_palette_with_the_fill_on_its_colours(tmp_path: Path) -> None:
    src = Image.fromarray(photo(40, 56)).quantize(12)
    alpha = bytes([255] * 11 + [0])  # one transparent entry (tRNS)
    src.save(tmp_path / "p.png", transparency=alpha)
    img = load_image(tmp_path / "p.png")
    assert img.source_mode == "P" and img.has_alpha
    px = img.pixels.copy()
    px[10:20, 10:30, :3] = (3, 250, 7)  # a colour the palette lacks: the fill's
    out = save_image(tmp_path / "o.png", img.with_pixels(px))
    with Image.open(out) as o, Image.open(tmp_path / "p.png") as s:
        assert o.mode == "P"
        assert o.getpalette() == s.getpalette()
        assert o.info.get("transparency") == s.info.get("transparency")
        a, b = np.asarray(o), np.asarray(s)
        keep = np.ones(a.shape, bool)
        keep[10:20, 10:30] = False
        np.testing.assert_array_equal(a[keep], b[keep])  # untouched pixels: same indices
        # Each edited pixel got the palette entry nearest to its new colour (at its alpha).
        pal = np.concatenate(
            [
                np.asarray(s.getpalette(), np.int32).reshape(-1, 3),
                np.frombuffer(alpha, np.uint8).astype(np.int32)[:, None],
            ],
            axis=1,
        )
        want = px[10:20, 10:30].reshape(-1, 4).astype(np.int32)
        nearest = ((want[:, None] - pal[None]) ** 2).sum(2).argmin(1)
        np.testing.assert_array_equal(pal[a[10:20, 10:30].ravel()], pal[nearest])


def test_png_text_and_xmp_chunks_are_kept(tmp_path: Path) -> None:
    xmp = '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF/></x:xmpmeta>'
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "taken on the hill")
    info.add_text("Author", "Zoë", zip=True)
    info.add_itxt("XML:com.adobe.xmp", xmp)
    Image.fromarray(photo(20, 24)).save(tmp_path / "t.png", pnginfo=info)
    import cv2

    deep = photo(20, 24, dtype=np.uint16)
    cv2.imwrite(str(tmp_path / "d16.png"), deep[..., ::-1])
    # Add the same chunks to the 16-bit file by re-saving its text through our writer.
    img16 = load_image(tmp_path / "d16.png")
    img16.save_params["png_text"] = dict(Image.open(tmp_path / "t.png").text)
    for name, img in (("t.png", load_image(tmp_path / "t.png")), ("d16.png", img16)):
        out = save_image(tmp_path / f"o_{name}", img)
        with Image.open(out) as o:
            assert o.text.get("Comment") == "taken on the hill", name
            assert o.text.get("Author") == "Zoë", name
            assert o.text.get("XML:com.adobe.xmp") == xmp, name


def test_heic_name_with_jpeg_inside_is_sniffed_by_content(tmp_path: Path) -> None:
    Image.fromarray(photo(20, 30)).save(tmp_path / "x.heic", format="JPEG")
    assert sniff_format(tmp_path / "x.heic") == "JPEG"
    assert load_image(tmp_path / "x.heic").format == "JPEG"
    (tmp_path / "notes.txt").write_text("hello")
    assert sniff_format(tmp_path / "notes.txt") is None


def test_grey_from_rgb_is_exact_on_grey_and_bounded() -> None:
    g = np.arange(65536, dtype=np.uint16).reshape(256, 256)
    rgb = np.repeat(g[..., None], 3, axis=2)
    np.testing.assert_array_equal(gray_from_rgb(rgb), g)
    c = np.zeros((1, 1, 3), np.uint8)
    c[0, 0] = (255, 0, 0)
    assert int(gray_from_rgb(c)[0, 0]) == 76  # 0.299 * 255, rounded


def test_mask_of_another_aspect_ratio_is_named_or_refused(tmp_path: Path) -> None:
    g = np.zeros((50, 100), np.uint8)
    g[10:20, 10:40] = 255
    Image.fromarray(g).save(tmp_path / "m.png")
    assert mask_size(tmp_path / "m.png") == (100, 50)
    assert aspect_warning((100, 50), (200, 100)) is None  # 2x: fine
    assert aspect_warning((100, 50), (201, 100)) is None  # rounding of a scaled mask
    why = aspect_warning((100, 50), (60, 80), tmp_path / "m.png")
    assert why and "100x50 (2.00:1)" in why and "60x80 (0.75:1)" in why and "stretched" in why
    assert load_mask(tmp_path / "m.png", size=(200, 100), stretch=False).shape == (100, 200)
    with pytest.raises(MaskError, match=r"100x50 \(2.00:1\).*60x80 \(0.75:1\).*refusing to stretch"):
        load_mask(tmp_path / "m.png", size=(60, 80), stretch=False)


def test_save_into_an_unwritable_folder_is_an_image_save_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    img = load_image(_png(tmp_path))
    with pytest.raises(ImageSaveError, match="could not write"):
        save_image(blocker / "sub" / "o.png", img)


def test_pixel_limit_names_a_real_setting(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    p = _png(tmp_path)
    monkeypatch.setenv("INPAINT_STUDIO_MAX_MEGAPIXELS", "0.0001")
    with pytest.raises(ImageTooLargeError) as info:
        load_image(p)
    assert "--max-megapixels" in str(info.value) and "INPAINT_STUDIO_MAX_MEGAPIXELS" in str(info.value)
    assert "settings" not in str(info.value)
    monkeypatch.setenv("INPAINT_STUDIO_MAX_MEGAPIXELS", "1")
    assert load_image(p).width == 24


def _png(tmp_path: Path) -> Path:
    p = tmp_path / "small.png"
    Image.fromarray(photo(16, 24)).save(p)
    return p


def test_grey_photos_save_without_a_float_copy_of_the_frame(tmp_path: Path) -> None:
    """Saving a grey photo allocates nothing near 8 bytes per pixel per channel."""
    import tracemalloc

    g = (np.arange(1200 * 1600) % 251).astype(np.uint8).reshape(1200, 1600)
    Image.fromarray(g).save(tmp_path / "g.png")
    img = load_image(tmp_path / "g.png")
    tracemalloc.start()
    save_image(tmp_path / "o.png", img)
    _cur, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < 3 * img.pixels.nbytes, peak  # the float64 copy alone was 8x
    np.testing.assert_array_equal(np.asarray(Image.open(tmp_path / "o.png")), g)
