from __future__ import annotations

import pytest
import torch

from inpaint_studio.engine import torch_runtime as rt


def test_precision_resolution(monkeypatch: pytest.MonkeyPatch) -> None:
    assert rt.resolve_precision("cuda", "auto") == "bf16"
    assert rt.resolve_precision("cpu", "fp32") == "fp32"
    monkeypatch.setattr(rt, "cpu_supports_bf16", lambda: False)
    assert rt.resolve_precision("cpu", "auto") == "fp32"
    monkeypatch.setattr(rt, "cpu_supports_bf16", lambda: True)
    assert rt.resolve_precision("cpu", "auto") == "bf16"
    with pytest.raises(ValueError, match="precision"):
        rt.resolve_precision("cpu", "int3")


def test_prepared_model_runs_channels_last_and_bf16_stays_close() -> None:
    torch.manual_seed(0)
    net = torch.nn.Sequential(
        torch.nn.Conv2d(3, 8, 3, padding=2, dilation=2), torch.nn.ELU(), torch.nn.Conv2d(8, 3, 3, padding=1)
    )
    x = torch.rand(1, 3, 32, 32)
    with torch.inference_mode():
        ref = net(x)
        net = rt.prepare_model(net, "cpu")
        xin = rt.to_input(x, "cpu")
        assert xin.is_contiguous(memory_format=torch.channels_last)
        out = net(xin)
        torch.testing.assert_close(out, ref, rtol=1e-4, atol=1e-5)
        with rt.autocast("cpu", "bf16"):
            low = net(xin).float()
        assert (low - ref).abs().max() < 0.05
        with rt.autocast("cpu", "fp32"):
            same = net(xin)
        torch.testing.assert_close(same, ref, rtol=1e-4, atol=1e-5)


def test_deepfill_full_resolution_layers_run_nchw_and_match() -> None:
    """The mixed layout (full-size layers NCHW, the rest channels-last) is the same maths."""
    from inpaint_studio.models.deepfill import DeepFillGenerator

    torch.manual_seed(0)
    net = DeepFillGenerator(8, prefill="harmonic_plain").eval()
    img = torch.rand(1, 3, 64, 64) * 2 - 1
    mask = torch.zeros(1, 1, 64, 64)
    mask[..., 16:40, 20:48] = 1
    edges = torch.zeros(1, 1, 64, 64)
    with torch.inference_mode():
        ref = net(img, mask, edges)[2]
        net = rt.prepare_model(net, "cpu")
        assert net.input_channels_last is False
        nchw = {id(m) for layer in net.full_resolution_layers() for m in layer.modules()}
        for mod in net.modules():
            if isinstance(mod, torch.nn.Conv2d):
                want = torch.contiguous_format if id(mod) in nchw else torch.channels_last
                assert mod.weight.is_contiguous(memory_format=want)
        assert sum(isinstance(m, torch.nn.Conv2d) and id(m) in nchw for m in net.modules()) == 12
        args = [rt.to_input(t, "cpu", net.input_channels_last) for t in (img, mask, edges)]
        assert args[0].is_contiguous()
        out = net(*args)[2]
    torch.testing.assert_close(out, ref, rtol=1e-4, atol=1e-5)


def test_allocator_setting_respects_the_users_choice(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rt, "_allocator_configured", None)
    monkeypatch.setenv("MALLOC_ARENA_MAX", "2")
    assert rt.configure_allocator() is False
    monkeypatch.setattr(rt, "_allocator_configured", None)
    monkeypatch.delenv("MALLOC_ARENA_MAX")
    import platform

    applied = rt.configure_allocator()
    assert applied is (platform.system() == "Linux" and platform.libc_ver()[0] == "glibc")
    assert rt.configure_allocator() is applied  # once per process
