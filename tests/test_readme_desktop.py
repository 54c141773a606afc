"""The README tells a new user what their desktop needs and what batch does with odd files."""

from __future__ import annotations

from pathlib import Path

README = (Path(__file__).resolve().parents[1] / "README.md").read_text()


def test_readme_lists_the_system_packages_of_qts_xcb_plugin() -> None:
    for pkg in ("libxcb-cursor0", "libxcb-icccm4", "libxcb-keysyms1", "libxkbcommon-x11-0", "libegl1"):
        assert pkg in README, pkg


def test_readme_documents_the_batch_guards() -> None:
    for words in ("photo_mask", "--max-hole", "--invert-masks", "--max-megapixels", "--write-sha256", "animated GIF"):
        assert words in README, words
