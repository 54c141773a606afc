"""Preferences in QSettings: window geometry, folders, brush, model, device, export.

A thin typed wrapper so call sites never repeat key strings or type conversions
(QSettings returns strings from INI files and native types from the registry).
Tests isolate it with ``QSettings.setPath`` in ``tests/ui/conftest.py``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from PySide6.QtCore import QByteArray, QSettings, QStandardPaths

ORG = "InpaintStudio"
APP = "Inpaint Studio"
MAX_RECENT = 10


class AppSettings:
    """Typed access to the app's QSettings keys."""

    def __init__(self) -> None:
        # INI everywhere (not the registry): one code path, and tests redirect it with
        # QSettings.setPath(IniFormat, UserScope, tmp).
        self.qs = QSettings(QSettings.Format.IniFormat, QSettings.Scope.UserScope, ORG, APP)

    def _get(self, key: str, default: Any, kind: type) -> Any:
        v = self.qs.value(key, default)
        try:
            if kind is bool:
                return v if isinstance(v, bool) else str(v).lower() in ("1", "true", "yes")
            return kind(v)
        except (TypeError, ValueError):
            return default

    def _set(self, key: str, value: Any) -> None:
        self.qs.setValue(key, value)

    # brush ---------------------------------------------------------------------------
    @property
    def brush_size(self) -> int:
        return max(1, self._get("brush/size", 40, int))

    @brush_size.setter
    def brush_size(self, v: int) -> None:
        self._set("brush/size", int(v))

    @property
    def brush_fraction(self) -> float:
        """The mask brush as a share of the photo's short side (see ui/brush_limits.py)."""
        from .brush_limits import DEFAULT_FRACTION

        return max(1e-4, min(2.0, self._get("brush/fraction", DEFAULT_FRACTION, float)))

    @brush_fraction.setter
    def brush_fraction(self, v: float) -> None:
        self._set("brush/fraction", float(v))

    @property
    def sketch_size(self) -> int:
        return max(1, min(50, self._get("brush/sketch_size", 3, int)))

    @sketch_size.setter
    def sketch_size(self, v: int) -> None:
        self._set("brush/sketch_size", int(v))

    # model ---------------------------------------------------------------------------
    @property
    def fill_method(self) -> str:
        return self._get("model/fill", "auto", str)

    @fill_method.setter
    def fill_method(self, v: str) -> None:
        self._set("model/fill", v)

    @property
    def edge_method(self) -> str:
        return self._get("model/edges", "auto", str)

    @edge_method.setter
    def edge_method(self, v: str) -> None:
        self._set("model/edges", v)

    @property
    def device(self) -> str:
        return self._get("model/device", "auto", str)

    @device.setter
    def device(self, v: str) -> None:
        self._set("model/device", v)

    # export --------------------------------------------------------------------------
    @property
    def export_format(self) -> str:
        return self._get("export/format", "keep", str)

    @export_format.setter
    def export_format(self, v: str) -> None:
        self._set("export/format", v)

    @property
    def export_quality(self) -> int:
        return max(1, min(100, self._get("export/quality", 92, int)))

    @export_quality.setter
    def export_quality(self, v: int) -> None:
        self._set("export/quality", int(v))

    # folders and files -----------------------------------------------------------------
    def last_dir(self, kind: str) -> str:
        return self._get(f"dirs/{kind}", str(Path.home()), str)

    def set_last_dir(self, kind: str, path: str | os.PathLike[str]) -> None:
        p = Path(path)
        self._set(f"dirs/{kind}", str(p if p.is_dir() else p.parent))

    def remembered_dir(self, kind: str) -> str:
        """The exact path stored for ``kind`` (see :meth:`remember_path`), or "" if none."""
        return self._get(f"paths/{kind}", "", str)

    def remember_path(self, kind: str, path: str) -> None:
        """Store a path as typed: a template mask file, an output folder not made yet."""
        self._set(f"paths/{kind}", str(path))

    def recent_files(self) -> list[str]:
        v = self.qs.value("files/recent", [])
        if isinstance(v, str):
            return [v] if v else []
        return [str(x) for x in v] if isinstance(v, (list, tuple)) else []

    def add_recent(self, path: str | os.PathLike[str]) -> list[str]:
        p = str(Path(path).resolve())
        items = [p] + [x for x in self.recent_files() if x != p]
        items = items[:MAX_RECENT]
        self._set("files/recent", items)
        return items

    def clear_recent(self) -> None:
        self._set("files/recent", [])

    # window --------------------------------------------------------------------------
    def geometry(self) -> QByteArray | None:
        v = self.qs.value("window/geometry")
        return v if isinstance(v, QByteArray) else None

    def window_state(self) -> QByteArray | None:
        v = self.qs.value("window/state")
        return v if isinstance(v, QByteArray) else None

    def save_window(self, geometry: QByteArray, state: QByteArray) -> None:
        self._set("window/geometry", geometry)
        self._set("window/state", state)

    def sync(self) -> None:
        self.qs.sync()


def data_dir() -> Path:
    """Where autosaves live; ``INPAINT_STUDIO_DATA_DIR`` overrides (tests, portable use)."""
    env = os.environ.get("INPAINT_STUDIO_DATA_DIR")
    if env:
        d = Path(env)
    else:
        loc = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.AppDataLocation)
        d = Path(loc) if loc else Path.home() / ".inpaint-studio"
    d.mkdir(parents=True, exist_ok=True)
    return d
