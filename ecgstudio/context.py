"""The application context: what every feature shares — settings, identity, the library database, the
model library and the open record — made once per window and handed to each feature.

Why one object: features used to find these in each other (the library file's location in the
annotation feature, the model library in the inference feature), so one could not be attached, moved or
replaced without the others. Here each lives in one place and is created when first needed, so the
window paints before the database is opened or the engine (torch) is imported.

Plugging in (see also :mod:`ecgstudio.host`)::

    def attach_feature(host):
        ctx = host.context
        ctx.recordChanged.connect(...)       # OpenRecord | None: the record shown, with its content key
        db = ctx.database()                  # the shared library file (raises LibraryError)
        ctx.identity.name                    # who is working; ctx.identity.changed(str)
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QSettings, Signal

from ecgstudio.identity import Identity
from training.user_dirs import data_dir

if TYPE_CHECKING:  # imported when first used: the model library reads cards through the engine
    from ecgstudio.library.model import LibraryEntry
    from ecgstudio.models.library import ModelLibrary
    from ecgstudio.store.db import Database
    from training.data import Record

#: QSettings key of the library file (annotations, PE forms, job history)
LIBRARY_KEY = "annotations/library"


def app_data_dir() -> Path:
    """The user's data folder for ECG Studio (library file, jobs, own models): :func:`training.user_dirs.data_dir`."""
    return data_dir()


def library_path(settings: QSettings) -> str:
    """Where the library is: ``$ECGSTUDIO_LIBRARY``, else the settings' choice, else ``library.sqlite`` in the
    user's data folder. A file path (SQLite) or a team server's ``postgresql://`` URL."""
    from ecgstudio.store.location import resolve_location

    return resolve_location(None, str(settings.value(LIBRARY_KEY, "") or ""), str(app_data_dir() / "library.sqlite"))


@dataclass(frozen=True)
class OpenRecord:
    """The record the window shows. ``key`` is the record list's key (its header path); ``content_key`` the
    fingerprint of its samples that annotations and PE forms are stored under, computed once when it opened."""

    key: str
    content_key: str
    record: "Record"
    entry: "LibraryEntry | None" = None


class AppContext(QObject):
    """Shared state of one window (see the module docstring for how features use it)."""

    #: the record now shown (OpenRecord), or None when none is (nothing opened, or it failed to open)
    recordChanged = Signal(object)

    def __init__(self, settings: QSettings | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.settings = settings if settings is not None else QSettings()
        self.identity = Identity(self.settings, self)
        self.record: OpenRecord | None = None
        self._database: "Database | None" = None
        self._explicit_library: str | None = None
        self._models: "ModelLibrary | None" = None

    # ------------------------------------------------------------------ library database
    @property
    def library_path(self) -> str:
        """The library location (a file path or a ``postgresql://`` URL); ``use_library`` wins over the rest."""
        return self._explicit_library or library_path(self.settings)

    def use_library(self, location: str | Path) -> None:
        """Use another library (a file or a server URL) from the next :meth:`database` call on: the
        ``--library`` option, or tests. A file is remembered in the settings; a URL given here is not."""
        location = str(location)
        if "://" not in location:
            self.settings.setValue(LIBRARY_KEY, location)
        self._explicit_library = location
        if self._database is not None and self._database.location != location:
            self._database = None

    def database(self) -> "Database":
        """The library file, opened once and shared by every feature; raises :class:`LibraryError`/``OSError``."""
        if self._database is None:
            from ecgstudio.store.db import Database

            location = self.library_path
            self._database = Database(location)  # a file's folder is created by the database itself
            if self._database.user:  # a team server: the database user is who signs
                self.identity.lock(self._database.user)
            if not self.settings.value(LIBRARY_KEY, "") and not self._database.is_server:
                self.settings.setValue(LIBRARY_KEY, location)
        return self._database

    # ------------------------------------------------------------------ models
    @property
    def models(self) -> "ModelLibrary":
        """The bundled and user models (cards only; weights load when a model first runs)."""
        if self._models is None:
            from ecgstudio.models.library import ModelLibrary

            self._models = ModelLibrary(self.settings, parent=self)
        return self._models

    def use_models(self, library: "ModelLibrary") -> None:
        """Share an existing model library (tests, or a window that made its own)."""
        self._models = library

    # ------------------------------------------------------------------ the open record
    def set_record(self, record: OpenRecord | None) -> None:
        self.record = record
        self.recordChanged.emit(record)
