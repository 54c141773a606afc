"""Typed errors, so every front end (CLI, GUI, batch) can show one readable line.

Each error's ``str()`` is written for the user, not the developer: it names the file
and says what to do.
"""

from __future__ import annotations


class InpaintStudioError(Exception):
    """Base of every error this package raises on purpose."""


class ImageLoadError(InpaintStudioError):
    """A file could not be read as an image (missing, empty, truncated, corrupt)."""


class ImageTooLargeError(ImageLoadError):
    """The image exceeds the configured pixel limit (or looks like a decompression bomb)."""


class UnsupportedImageError(ImageLoadError):
    """The file is an image, but in a mode we cannot edit faithfully."""


class MaskError(InpaintStudioError):
    """A mask is unusable (unreadable, empty where it must not be, wrong shape)."""


class OutputExistsError(InpaintStudioError):
    """Saving would overwrite an existing file and overwriting was not asked for."""


class ImageSaveError(InpaintStudioError):
    """Writing an image failed; the destination is left as it was."""


class WeightsError(InpaintStudioError):
    """Model weights are missing, damaged or do not match the architecture."""


class UnknownMethodError(InpaintStudioError):
    """A fill method name that is not registered."""


class CancelledError(InpaintStudioError):
    """The user cancelled the running job; partial results are discarded."""


class RequestError(InpaintStudioError):
    """A fill request with a value out of range or of the wrong kind (names the field)."""
