"""The whole window as ``ecgstudio`` builds it (every feature's panel attached), on throw-away
settings whose library files live in a temporary folder."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings

from ecgstudio.main_window import MainWindow


def isolated_settings(folder: Path, source: Path | None = None) -> QSettings:
    """INI settings in ``folder`` (a copy of ``source`` when given) with the annotation library there."""
    path = folder / "settings.ini"
    if source is not None:
        path.write_bytes(source.read_bytes())
    settings = QSettings(str(path), QSettings.IniFormat)
    settings.setValue("annotations/library", str(folder / "library.sqlite"))
    settings.setValue("models/user_dir", str(folder / "models"))
    return settings


def full_window(settings: QSettings) -> MainWindow:
    """The main window with every feature's panel, as the ``ecgstudio`` command builds it."""
    from ecgstudio.__main__ import build_window

    return build_window(settings)


def shown_app(qtbot, folder: Path, size: tuple[int, int] = (1600, 1000)) -> MainWindow:
    """The whole window on fresh settings in ``folder``, shown at ``size`` (not maximised)."""
    window = full_window(isolated_settings(folder))
    qtbot.addWidget(window)
    window.show()
    window.showNormal()
    window.resize(*size)
    qtbot.waitExposed(window)
    return window
