"""The fill request: one place that checks every field, the same for every front end."""

from __future__ import annotations

import pickle

import pytest
from pydantic import ValidationError

from inpaint_studio.core.errors import InpaintStudioError, RequestError, UnknownMethodError
from inpaint_studio.engine import Device, InpaintOptions


@pytest.mark.parametrize(
    "field, bad",
    [
        ("seed", -1),
        ("seed", 2**31),
        ("context", -0.1),
        ("feather", -1),
        ("dilate", 5000),
        ("batch_size", 0),
        ("working_size", 8),
        ("preview_size", -1),
        ("device", "tpu"),
        ("context", "wide"),
    ],
)
def test_out_of_range_values_are_refused_naming_the_field(field: str, bad: object) -> None:
    with pytest.raises(RequestError, match=field) as err:
        InpaintOptions(**{field: bad})
    assert isinstance(err.value, InpaintStudioError)  # every front end shows it as one line
    assert repr(bad) in str(err.value)


def test_methods_are_checked_against_the_registry() -> None:
    with pytest.raises(UnknownMethodError, match="telea"):  # the message lists what exists
        InpaintOptions(method="deepfill@edgeconnect")
    with pytest.raises(UnknownMethodError):
        InpaintOptions(edge_method="nope")
    assert InpaintOptions(method="telea", edge_method="canny").method == "telea"


def test_unknown_fields_are_refused() -> None:
    with pytest.raises(RequestError, match="detail"):
        InpaintOptions(detail=0.5)  # a removed slider must not be silently ignored


def test_device_is_an_enum_that_reads_as_its_name() -> None:
    opts = InpaintOptions(device="cpu")
    assert opts.device is Device.CPU and opts.device == "cpu" and str(opts.device) == "cpu"


def test_a_request_is_immutable_and_replace_checks_the_change() -> None:
    opts = InpaintOptions(seed=4)
    with pytest.raises(ValidationError, match="frozen"):
        opts.seed = 5  # type: ignore[misc]
    again = opts.replace(preview_size=256)
    assert again.preview_size == 256 and again.seed == 4 and opts.preview_size == 0
    with pytest.raises(RequestError, match="preview_size"):
        opts.replace(preview_size=-3)


def test_a_request_travels_to_worker_processes() -> None:
    opts = InpaintOptions(method="telea", seed=9, device="cpu")
    assert pickle.loads(pickle.dumps(opts)) == opts
