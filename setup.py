"""Package layout that ``pyproject.toml`` cannot state: the data folders at the repo's top.

``weights/`` and ``resources/`` stay at the top of the repository (model cards and
icons are easy to find there) but must be inside an installed package, or a plain
``pip install .`` ships no weights and the app falls back to Telea.  ``package_dir``
maps them to ``inpaint_studio/weights`` and ``inpaint_studio/resources`` in the wheel;
``inpaint_studio.data_path`` looks there first and in the checkout second.
Everything else (name, version, dependencies) is in ``pyproject.toml``.
"""

from setuptools import find_packages, setup

DATA = {
    "inpaint_studio.weights": ("weights", ["*.safetensors", "*.safetensors.sha256", "*.md"]),
    "inpaint_studio.resources": ("resources", ["*.svg", "*.png", "*.ico"]),
}

setup(
    packages=find_packages(include=["inpaint_studio", "inpaint_studio.*"]) + list(DATA),
    package_dir={name: folder for name, (folder, _) in DATA.items()},
    package_data={"inpaint_studio": ["py.typed"], **{name: globs for name, (_, globs) in DATA.items()}},
)
