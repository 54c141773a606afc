"""Texture: a hole re-made from the photo's own patches, guided by the fill's colours."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from inpaint_studio.engine import CancelToken, Engine, InpaintOptions
from inpaint_studio.engine.cancel import CancelledError
from inpaint_studio.engine.texture import synthesize
from tests.helpers import box_mask, fine_band


def _texture(h: int, w: int, colour: tuple[float, float, float], seed: int) -> np.ndarray:
    """Blobs a few px across on a flat colour (grass or gravel at a small scale)."""
    rng = np.random.default_rng(seed)
    blobs = cv2.GaussianBlur(rng.normal(0.0, 1.0, (h, w)).astype(np.float32), (0, 0), 1.2)
    blobs /= blobs.std()
    return np.clip(np.asarray(colour, np.float32) + 0.12 * blobs[..., None], 0.0, 1.0)


def _energy(x: np.ndarray) -> float:
    return float((fine_band(x) ** 2).mean())


def test_texture_puts_the_photos_texture_into_a_smooth_fill_and_copies_only_known_pixels() -> None:
    photo = _texture(96, 128, (0.35, 0.5, 0.25), seed=0)
    hole = box_mask(96, 128, 28, 68, 40, 90)
    photo[hole] = (1.0, 0.0, 1.0)  # the object being removed: must never be copied
    smooth = photo.copy()
    smooth[hole] = photo[~hole].mean(0)  # what a fill leaves: the right colour, no texture
    out = synthesize(photo, hole, smooth)
    np.testing.assert_array_equal(out[~hole], photo[~hole])
    inner = hole & (cv2.erode(hole.astype(np.uint8), np.ones((9, 9), np.uint8)) > 0)
    known = ~(cv2.dilate(hole.astype(np.uint8), np.ones((9, 9), np.uint8)) > 0)
    e_known = float((fine_band(photo)[known] ** 2).mean())
    e_out = float((fine_band(out)[inner] ** 2).mean())
    e_smooth = float((fine_band(smooth)[inner] ** 2).mean())
    assert e_smooth < 0.05 * e_known
    # The vote averages overlapping patches, so a random texture like this one comes out
    # at about a fifth of the photo's fine-band energy (0.22 measured); a smooth fill has
    # none of it.
    assert e_out > 0.1 * e_known
    assert np.abs(out[hole] - np.array([1.0, 0.0, 1.0])).sum(-1).min() > 0.5  # nothing magenta
    np.testing.assert_array_equal(out, synthesize(photo, hole, smooth))  # deterministic


def test_texture_goes_where_the_guide_puts_its_colour() -> None:
    # Green texture left, red texture right; the hole straddles the border, and the
    # guide (a fill that got the colours right) says where each belongs.
    photo = np.concatenate([_texture(96, 64, (0.2, 0.6, 0.2), 1), _texture(96, 64, (0.6, 0.2, 0.2), 2)], axis=1)
    hole = box_mask(96, 128, 24, 72, 34, 94)
    guide = cv2.GaussianBlur(photo, (0, 0), 4.0)
    blank = photo.copy()
    blank[hole] = 0.0
    out = synthesize(blank, hole, np.where(hole[..., None], guide, photo))
    left = out[24:72, 36:58]
    right = out[24:72, 70:92]
    assert (left[..., 1] > left[..., 0]).mean() > 0.9
    assert (right[..., 0] > right[..., 1]).mean() > 0.9
    assert _energy(out[28:68, 38:58]) > 0.4 * _energy(photo[:, :30])


def test_texture_respects_unknown_pixels() -> None:
    photo = _texture(80, 120, (0.5, 0.5, 0.5), seed=3)
    hole = box_mask(80, 120, 20, 60, 20, 60)
    other = box_mask(80, 120, 10, 70, 80, 110)  # another hole, not filled yet
    photo[other] = (1.0, 0.0, 0.0)
    out = synthesize(photo, hole, np.where(hole[..., None], 0.5, photo), unknown=other)
    assert np.abs(out[hole] - np.array([1.0, 0.0, 0.0])).sum(-1).min() > 0.5
    np.testing.assert_array_equal(out[other], photo[other])


def test_engine_texture_option_blends_the_texture_and_leaves_known_pixels_alone() -> None:
    img = np.rint(_texture(96, 128, (0.4, 0.45, 0.3), seed=4) * 255).astype(np.uint8)
    mask = box_mask(96, 128, 30, 70, 40, 90)
    engine = Engine()
    energies = []
    for amount in (0.0, 0.5, 1.0):
        res = engine.inpaint(img, mask, options=InpaintOptions(method="telea", texture=amount))
        assert res.texture == amount
        np.testing.assert_array_equal(res.pixels[~mask], img[~mask])
        energies.append(_energy(res.pixels[36:64, 46:84].astype(np.float32)))
    assert energies[0] < energies[1] < energies[2]
    assert energies[2] > 0.1 * _energy(img[:, :30].astype(np.float32))
    clamped = engine.inpaint(img, mask, options=InpaintOptions(method="telea", texture=3.0))
    assert clamped.texture == 1.0


def test_engine_texture_is_cancellable() -> None:
    img = np.rint(_texture(96, 128, (0.4, 0.45, 0.3), seed=5) * 255).astype(np.uint8)
    mask = box_mask(96, 128, 30, 70, 40, 90)
    token = CancelToken()
    calls = []

    def progress(f: float, msg: str) -> None:
        calls.append(msg)
        if msg.startswith("texture"):
            token.cancel()  # the user presses Cancel while the texture is being made

    with pytest.raises(CancelledError):
        Engine().inpaint(img, mask, options=InpaintOptions(method="telea", texture=1.0), progress=progress,
                         cancel=token)
    assert any(m.startswith("texture") for m in calls)


def test_batch_texture_option(tmp_path) -> None:  # noqa: ANN001
    from PIL import Image

    from inpaint_studio.cli import main

    (tmp_path / "in").mkdir()
    img = np.rint(_texture(80, 100, (0.4, 0.45, 0.3), seed=6) * 255).astype(np.uint8)
    Image.fromarray(img).save(tmp_path / "in" / "a.png")
    Image.fromarray((box_mask(80, 100, 20, 60, 30, 70) * 255).astype(np.uint8)).save(tmp_path / "m.png")
    outs = []
    for t in ("0", "1"):
        out = tmp_path / f"o{t}"
        assert main(["batch", str(tmp_path / "in"), "--masks", str(tmp_path / "m.png"), "--out", str(out),
                     "--model", "telea", "--texture", t, "-q"]) == 0
        outs.append(np.asarray(Image.open(out / "a.png")).astype(np.float32))
    np.testing.assert_array_equal(outs[0][:20], img[:20])
    np.testing.assert_array_equal(outs[1][:20], img[:20])
    assert _energy(outs[1][26:54, 36:64]) > 3 * _energy(outs[0][26:54, 36:64])
    for bad in ("-0.1", "1.5"):
        assert main(["batch", str(tmp_path / "in"), "--masks", str(tmp_path / "m.png"), "--out",
                     str(tmp_path / "x"), "--texture", bad]) == 2


def test_engine_makes_the_texture_of_a_large_crop_at_texture_size(monkeypatch: pytest.MonkeyPatch) -> None:
    import inpaint_studio.engine.engine as eng

    made_at: list[tuple[int, int]] = []
    real = eng.synthesize_texture

    def spy(photo, hole, guide, **kw):  # noqa: ANN001, ANN003, ANN202
        made_at.append(hole.shape)
        return real(photo, hole, guide, **kw)

    monkeypatch.setattr(eng, "TEXTURE_SIZE", 64)
    monkeypatch.setattr(eng, "synthesize_texture", spy)
    img = np.rint(_texture(96, 128, (0.4, 0.45, 0.3), seed=7) * 255).astype(np.uint8)
    mask = box_mask(96, 128, 30, 70, 40, 90)
    plain = Engine().inpaint(img, mask, options=InpaintOptions(method="telea", texture=0.0))
    res = Engine().inpaint(img, mask, options=InpaintOptions(method="telea", texture=1.0))
    assert made_at and max(made_at[0]) <= 64
    np.testing.assert_array_equal(res.pixels[~mask], img[~mask])
    inner = (slice(36, 64), slice(46, 84))
    assert _energy(res.pixels[inner].astype(np.float32)) > 3 * _energy(plain.pixels[inner].astype(np.float32))


def test_texture_with_nothing_to_copy_from_keeps_the_guide() -> None:
    # A hole over all but a 2 px frame: no 7x7 patch of known pixels exists.  The hole
    # still holds the object (the engine passes crops unblanked); it must not come back.
    photo = _texture(40, 50, (0.4, 0.4, 0.4), seed=8)
    hole = np.ones((40, 50), bool)
    hole[:2] = hole[-2:] = False
    hole[:, :2] = hole[:, -2:] = False
    photo[hole] = (1.0, 0.0, 1.0)
    guide = photo.copy()
    guide[hole] = 0.4
    out = synthesize(photo, hole, guide)
    np.testing.assert_array_equal(out[hole], guide[hole])
    np.testing.assert_array_equal(out[~hole], photo[~hole])
