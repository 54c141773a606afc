"""Shapes and maths of the building blocks (tiny widths, CPU, milliseconds)."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from inpaint_studio.models import (
    ContextualAttention,
    DeepFillGenerator,
    EdgeDiscriminator,
    EdgeGenerator,
    GatedConv2d,
    SNPatchGAN,
)

torch.set_num_threads(1)


def test_gated_conv_is_elu_times_sigmoid_gate() -> None:
    torch.manual_seed(0)
    layer = GatedConv2d(3, 4, 3)
    x = torch.randn(2, 3, 8, 8)
    raw = layer.conv(x)
    expected = F.elu(raw[:, :4]) * torch.sigmoid(raw[:, 4:])
    assert layer.conv.out_channels == 8
    assert torch.allclose(layer(x), expected)


def test_gated_conv_strides_and_ungated_output() -> None:
    assert GatedConv2d(3, 5, 3, stride=2)(torch.randn(1, 3, 16, 16)).shape == (1, 5, 8, 8)
    assert GatedConv2d(3, 5, 3, dilation=4)(torch.randn(1, 3, 16, 16)).shape == (1, 5, 16, 16)
    plain = GatedConv2d(4, 3, 3, gated=False)
    x = torch.randn(1, 4, 8, 8)
    assert torch.equal(plain(x), plain.conv(x))


def test_generator_shapes_and_composite() -> None:
    torch.manual_seed(0)
    g = DeepFillGenerator(cnum=8).eval()
    img = torch.rand(2, 3, 32, 48) * 2 - 1
    mask = torch.zeros(2, 1, 32, 48)
    mask[:, :, 8:20, 10:30] = 1
    x1, x2, comp = g(img, mask, torch.zeros_like(mask))
    assert x1.shape == x2.shape == comp.shape == img.shape
    assert x2.abs().max() <= 1.0
    known = mask.expand_as(img) == 0
    assert torch.equal(comp[known], img[known])


def test_generator_width_is_configurable() -> None:
    n8 = sum(p.numel() for p in DeepFillGenerator(8).parameters())
    n16 = sum(p.numel() for p in DeepFillGenerator(16).parameters())
    assert 3.5 < n16 / n8 < 4.1


def test_edge_generator_and_discriminators_shapes() -> None:
    eg = EdgeGenerator(width=8, blocks=2)
    gray, mask = torch.rand(1, 1, 32, 32), torch.zeros(1, 1, 32, 32)
    out = eg(gray, torch.zeros_like(gray), mask)
    assert out.shape == (1, 1, 32, 32) and 0 <= out.min() and out.max() <= 1
    d = SNPatchGAN(4, 8)
    assert d(torch.rand(2, 3, 64, 64), torch.zeros(2, 1, 64, 64)).shape == (2, 32 * 1 * 1)
    ed = EdgeDiscriminator(2, 8)
    logits, feats = ed(torch.rand(1, 2, 64, 64))
    assert len(feats) == 5 and feats[-1] is logits


def test_contextual_attention_copies_known_patch_into_hole() -> None:
    """Hole features equal to a known region's features must be rebuilt from it."""
    torch.manual_seed(0)
    c, h, w = 8, 16, 24
    b = torch.randn(1, c, h, w)
    mask = torch.zeros(1, 1, h, w)
    mask[:, :, 4:12, 12:20] = 1  # hole on the right
    f = b.clone()
    # The hole's query features describe the content at rows 4..12, cols 0..8 (known).
    f[:, :, 4:12, 12:20] = b[:, :, 4:12, 0:8]
    b_known = b * (1 - mask)  # the background branch knows nothing inside the hole
    ca = ContextualAttention(3, 2, softmax_scale=10.0, fuse=False)
    out = ca(f * 10, b_known, mask)
    # Interior of the hole (away from patch borders) = source content.
    got = out[:, :, 6:10, 14:18]
    want = b[:, :, 6:10, 2:6]
    assert torch.allclose(got, want, atol=0.05), (got - want).abs().max()


def test_contextual_attention_ignores_patches_touching_the_hole() -> None:
    ca = ContextualAttention()
    b = torch.randn(1, 4, 16, 16)
    mask = torch.ones(1, 1, 16, 16)  # no known patch anywhere
    assert torch.count_nonzero(ca(b, b, mask)) == 0


def test_contextual_attention_fuse_keeps_shape() -> None:
    ca = ContextualAttention(fuse=True)
    b = torch.randn(2, 4, 16, 24)
    mask = torch.zeros(2, 1, 16, 24)
    mask[:, :, 4:8, 4:8] = 1
    assert ca(b, b, mask).shape == b.shape


def test_attention_fuse_equals_the_identity_kernel_convolution() -> None:
    """The shifted-add fuse must match the paper's 3×3 identity-kernel conv exactly."""
    import torch.nn.functional as F

    from inpaint_studio.models.attention import ContextualAttention

    def reference(s: torch.Tensor, hs: int, ws: int) -> torch.Tensor:
        bsz, n, _ = s.shape
        eye = torch.eye(3).view(1, 1, 3, 3)
        s = F.conv2d(s.reshape(bsz, 1, n, n), eye, padding=1)
        s = s.view(bsz, hs, ws, hs, ws).permute(0, 2, 1, 4, 3).reshape(bsz, 1, n, n)
        s = F.conv2d(s, eye, padding=1)
        return s.view(bsz, ws, hs, ws, hs).permute(0, 2, 1, 4, 3).reshape(bsz, n, n)

    torch.manual_seed(0)
    s = torch.randn(2, 7 * 5, 7 * 5)
    assert torch.allclose(ContextualAttention()._fuse(s, 7, 5), reference(s, 7, 5), atol=1e-5)


def test_attention_rows_path_equals_the_full_path_where_rows_are_needed() -> None:
    """Building only the needed query rows (fuse as nine gathers) changes nothing there."""
    import torch.nn.functional as F

    torch.manual_seed(0)
    for fuse in (False, True):
        ca = ContextualAttention(fuse=fuse).eval()
        f = torch.randn(2, 8, 24, 20)
        mask = torch.zeros(2, 1, 24, 20)
        mask[0, :, 6:14, 4:12] = 1
        mask[1, :, 10:20, 8:18] = 1
        full = ca(f, f, mask)
        everything = torch.ones(2, 1, 12, 10, dtype=torch.bool)
        assert torch.allclose(ca(f, f, mask, everything), full, atol=1e-5)
        need = torch.zeros(2, 1, 12, 10, dtype=torch.bool)
        need[0, :, 2:9, 1:7] = True
        need[1, :, 4:11, 3:10] = True
        part = ca(f, f, mask, need)
        # Feature pixels whose every folded patch comes from a needed row.
        inner = -F.max_pool2d(-F.interpolate(need.float(), scale_factor=2), 5, 1, 2)
        assert inner.sum() > 50
        assert torch.allclose(part * inner, full * inner, atol=1e-5)
        assert torch.count_nonzero(part * (1 - F.interpolate(need.float(), scale_factor=2)) != 0) < part.numel()


def test_generator_hole_output_is_the_same_with_attention_rows_skipped() -> None:
    torch.manual_seed(0)
    g = DeepFillGenerator(8, "harmonic_plain").eval()
    for p in g.parameters():  # trained-like weights: heads not near zero
        p.data.normal_(0, 0.2)
    x = torch.rand(1, 3, 128, 192) * 2 - 1
    mask = torch.zeros(1, 1, 128, 192)
    mask[..., 40:70, 30:90] = 1
    edges = torch.zeros(1, 1, 128, 192)
    with torch.inference_mode():
        g.refine.attention_margin = None
        ref = g(x, mask, edges)[2]
        g.refine.attention_margin = 5
        fast = g(x, mask, edges)[2]
    assert torch.allclose(fast, ref, atol=1e-4), (fast - ref).abs().max()
