"""The one validated fill request every front end builds: the editor, ``batch``, ``eval``.

Ranges and names are checked here and nowhere else, so a bad value is refused with the
same message whether it came from a spin box, a command-line flag or a script, and the
defaults are the same everywhere.  A request is immutable: a front end that wants a
variant (a preview size, another seed) asks for a copy with :meth:`InpaintOptions.replace`,
which validates the changed fields too.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from ..core.errors import RequestError


class Device(StrEnum):
    """Where a neural method runs; ``auto`` is CUDA when a GPU is usable, else the CPU."""

    AUTO = "auto"
    CPU = "cpu"
    CUDA = "cuda"


#: The name that lets the registry pick: the best available fill, or edge predictor.
AUTO = "auto"

#: Longest side a crop may be scaled to; a network beyond this would not fit a GPU.
MAX_WORKING_SIZE = 4096


class InpaintOptions(BaseModel):
    """What the user chose; every field has a default, and a value out of range is refused.

    Attributes:
        method: registered fill name, or ``"auto"`` for the best one available.
        device: where a neural method runs.
        working_size: longest side a crop is scaled to; ``None`` = the method's own.
        context: margin around each hole, as a fraction of the hole size.
        feather: seam width in photo pixels inside the hole, blending the fill with the
            photo's own hole pixels.  Off by default: those pixels are the object being
            removed, and blending them back leaves a faint halo of it.
        use_edges: pass edge guidance to methods that take it.
        dilate: grow the mask by this many pixels first (covers halos of objects).
        edge_method: registered edge predictor, or ``"auto"``.
        auto_edges: predict the hole's edges with ``edge_method`` first and fill guided
            by them (what the editor does in two steps, overlay in between; batch does
            it in one).  Used only when no edges are passed.
        preview_size: longest side of the quick first pass delivered to ``on_preview``
            (0 = no preview).
        batch_size: regions filled per call of a method declared with ``batching``.
        seed: which of the plausible fills a method that makes its choices at random
            gives; the same seed gives the same pixels, another seed another fill.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", validate_default=True)

    method: str = AUTO
    device: Device = Device.AUTO
    working_size: int | None = Field(default=None, ge=32, le=MAX_WORKING_SIZE)
    context: float = Field(default=0.5, ge=0.0, le=8.0)
    feather: int = Field(default=0, ge=0, le=512)
    use_edges: bool = True
    dilate: int = Field(default=0, ge=0, le=1024)
    edge_method: str = AUTO
    auto_edges: bool = False
    preview_size: int = Field(default=0, ge=0, le=MAX_WORKING_SIZE)
    batch_size: int = Field(default=8, ge=1, le=256)
    seed: int = Field(default=0, ge=0, le=2**31 - 1)

    def __init__(self, **fields: Any) -> None:
        try:
            super().__init__(**fields)
        except ValidationError as exc:
            raise RequestError(_readable(exc)) from None

    @field_validator("method")
    @classmethod
    def _known_fill(cls, name: str) -> str:
        from .registry import fill_info

        if name != AUTO:
            fill_info(name)  # UnknownMethodError names the registered ones
        return name

    @field_validator("edge_method")
    @classmethod
    def _known_edges(cls, name: str) -> str:
        from .registry import edge_info

        if name != AUTO:
            edge_info(name)
        return name

    def replace(self, **changes: Any) -> InpaintOptions:
        """A copy with ``changes`` applied and checked like a new request."""
        return type(self)(**{**self.model_dump(), **changes})


def _readable(exc: ValidationError) -> str:
    """Pydantic's report as one line a user can act on: ``seed: must be >= 0 (got -1)``."""
    parts = []
    for err in exc.errors():
        where = ".".join(str(p) for p in err["loc"]) or "request"
        parts.append(f"{where}: {err['msg']} (got {err.get('input')!r})")
    return "invalid fill request: " + "; ".join(parts)
