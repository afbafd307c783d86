"""Typed errors of the library database, so the GUI can say what went wrong without a traceback."""

from __future__ import annotations

from pathlib import Path

from training.errors import ECGError


class LibraryError(ECGError):
    """The library database cannot be opened or upgraded (not a database, unreadable, too new...)."""

    def __init__(self, path: str | Path, reason: str):
        self.path = Path(path)
        self.reason = reason
        super().__init__(f"annotation library {self.path}: {reason}")
