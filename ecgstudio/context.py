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

from PySide6.QtCore import QObject, QSettings, QStandardPaths, Signal

from ecgstudio.identity import Identity

if TYPE_CHECKING:  # imported when first used: the model library reads cards through the engine
    from ecgstudio.library.model import LibraryEntry
    from ecgstudio.models.library import ModelLibrary
    from ecgstudio.store.db import Database
    from training.data import Record

#: QSettings key of the library file (annotations, PE forms, job history)
LIBRARY_KEY = "annotations/library"


def app_data_dir() -> Path:
    """The user's data folder for ECG Studio (library file, jobs, own models)."""
    folder = QStandardPaths.writableLocation(QStandardPaths.AppDataLocation)
    return Path(folder) if folder else Path.home() / ".ecgstudio"


def library_path(settings: QSettings) -> Path:
    """Where the library file is: the settings' choice, else ``library.sqlite`` in the user's data folder."""
    return Path(str(settings.value(LIBRARY_KEY, "") or app_data_dir() / "library.sqlite"))


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
        self._models: "ModelLibrary | None" = None

    # ------------------------------------------------------------------ library database
    @property
    def library_path(self) -> Path:
        return library_path(self.settings)

    def use_library(self, path: str | Path) -> None:
        """Use another library file from the next :meth:`database` call on (an explicit path, e.g. in tests)."""
        self.settings.setValue(LIBRARY_KEY, str(Path(path)))
        if self._database is not None and self._database.path != Path(path):
            self._database = None

    def database(self) -> "Database":
        """The library file, opened once and shared by every feature; raises :class:`LibraryError`/``OSError``."""
        if self._database is None:
            from ecgstudio.store.db import Database

            path = self.library_path
            path.parent.mkdir(parents=True, exist_ok=True)
            self._database = Database(path)
            self.settings.setValue(LIBRARY_KEY, str(path))
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
