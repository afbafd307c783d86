"""Who is using the app: one name for the whole application, chosen once, shown in the status bar.

Every annotation, signature, PE form and audit row carries this name. It is asked before the first
change rather than defaulting to the login name (shared lab machines), and kept in the settings. All
features read the same :class:`Identity`, so a name given in one panel is the name everywhere at once.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, QSettings, Signal

IDENTITY_KEY = "identity/name"
#: where versions before the shared identity kept the annotating author's name (read once, then moved)
LEGACY_AUTHOR_KEY = "annotations/author"


class Identity(QObject):
    """The user's name (``""`` while unknown); :attr:`changed` fires with the new name."""

    changed = Signal(str)

    def __init__(self, settings: QSettings, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._settings = settings
        name = str(settings.value(IDENTITY_KEY, "") or "").strip()
        legacy = str(settings.value(LEGACY_AUTHOR_KEY, "") or "").strip()
        if not name and legacy:
            settings.setValue(IDENTITY_KEY, legacy)
            settings.remove(LEGACY_AUTHOR_KEY)
            name = legacy
        self._name = name
        self._locked = False

    @property
    def name(self) -> str:
        return self._name

    def set_name(self, name: str) -> None:
        """Use ``name`` from now on (empty: ask again). Existing records keep the name they were made under."""
        name = name.strip()
        if name == self._name or self._locked:
            return
        self._name = name
        self._settings.setValue(IDENTITY_KEY, name)
        self._settings.sync()
        self.changed.emit(name)

    @property
    def locked(self) -> bool:
        return self._locked

    def lock(self, name: str) -> None:
        """Be ``name`` for this session and refuse other names: on a team server the database user is who
        signs, and the server checks it on every change. Not saved, so a local library keeps its name."""
        self._locked = True
        if name != self._name:
            self._name = name
            self.changed.emit(name)
