"""Typed errors of the library database, so the GUI can say what went wrong without a traceback.

Each backend's own exceptions (``sqlite3.OperationalError``, ``psycopg.OperationalError``...) are turned
into these at the :class:`ecgstudio.store.db.Database` boundary, so no view ever has to know which
database it talks to.
"""

from __future__ import annotations

from pathlib import Path

from training.errors import ECGError


def display_location(location: str | Path) -> str:
    """A library location fit to show: a file path as is, a server URL without its password."""
    text = str(location)
    if "://" not in text:
        return text
    scheme, rest = text.split("://", 1)
    if "@" in rest.split("/", 1)[0]:
        credentials, host = rest.split("@", 1)
        rest = f"{credentials.split(':', 1)[0]}@{host}"
    return f"{scheme}://{rest}"


class LibraryError(ECGError):
    """The library database cannot be opened or upgraded (not a database, unreadable, too new...)."""

    def __init__(self, location: str | Path, reason: str):
        self.location = display_location(location)
        self.path = Path(location) if "://" not in str(location) else None
        self.reason = reason
        super().__init__(f"annotation library {self.location}: {reason}")


class LibraryBusy(LibraryError):
    """Another process held the library's write lock longer than the busy timeout; nothing was written."""


class LibraryUnavailable(LibraryError):
    """The library server cannot be reached (stopped, network down); nothing was written."""


class LibraryRefused(LibraryError):
    """The database refused the change: a constraint, or the connected role may not do it."""
