from __future__ import annotations

import pytest
import torch

from inpaint_studio.engine import torch_runtime as rt


def test_precision_resolution(monkeypatch: pytest.MonkeyPatch) -> None:
    assert rt.resolve_precision("cuda", "auto") == "bf16"
    assert rt.resolve_precision("cpu", "fp32") == "fp32"
    monkeypatch.setattr(rt, "cpu_supports_bf16", lambda: False)
    monkeypatch.delenv("INPAINT_STUDIO_CPU_PRECISION", raising=False)
    assert rt.resolve_precision("cpu", "auto") == "fp32"
    monkeypatch.setattr(rt, "cpu_supports_bf16", lambda: True)
    assert rt.resolve_precision("cpu", "auto") == "bf16"
    monkeypatch.setenv("INPAINT_STUDIO_CPU_PRECISION", "fp32")
    assert rt.resolve_precision("cpu", "auto") == "fp32"
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
