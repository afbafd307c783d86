"""The whole window as ``ecgstudio`` builds it (every feature's panel attached), on throw-away
settings whose library files live in a temporary folder."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings

from ecgstudio.library import record_key
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


def open_library(window, qtbot, path: Path, select: str | None = None) -> None:
    """Open a folder or record as File ▸ Open does, and wait for the library scan to finish."""
    with qtbot.waitSignal(window.library.scanFinished, timeout=20000):
        window.open_path(path, select_key=select)


def select(window, qtbot, path: Path) -> None:
    """Choose a listed record and wait until it is open (read in the background) with its beats, or refused."""
    assert window.library.select_key(record_key(path))
    qtbot.waitUntil(lambda: not window.loading and (window.peaks is not None or window.record is None), timeout=10000)
