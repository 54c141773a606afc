"""Where the shipped data folders (``weights/``, ``resources/``) are, however it was installed.

A wheel carries them inside the package (``setup.py`` maps the repo's top-level
folders to ``inpaint_studio/weights`` and ``inpaint_studio/resources``), and so does
the PyInstaller bundle (``inpaint_studio.spec``); a source checkout or an editable
install has them at the top of the repository, beside the package.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

#: The data folders the package ships.
DATA_FOLDERS = ("weights", "resources")


def data_dir(name: str) -> Path:
    """The folder ``name`` (one of :data:`DATA_FOLDERS`), even when it is missing.

    Missing is the caller's to report (``inpaint-studio models`` says which weights
    are), so this never raises for an absent folder.
    """
    if name not in DATA_FOLDERS:
        raise ValueError(f"unknown data folder {name!r}; expected one of {', '.join(DATA_FOLDERS)}")
    package = resources.files("inpaint_studio")
    packaged = package / name
    if isinstance(packaged, Path) and packaged.is_dir():
        return packaged
    # A checkout: the package's parent is the repository.
    return Path(str(package)).resolve().parent / name
