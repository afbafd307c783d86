"""Where the app finds its bundled resources (source checkout or PyInstaller bundle) and its user folders.

The per-user folders themselves are decided once, without Qt, in :mod:`training.user_dirs`.
"""

from __future__ import annotations

import sys
from pathlib import Path

from training.user_dirs import config_root, route_torch_caches


def resources_dir() -> Path:
    """``resources/`` inside the frozen bundle, beside the packages (source), or a wheel's data files."""
    frozen_root = getattr(sys, "_MEIPASS", None)
    if frozen_root:
        return Path(frozen_root) / "resources"
    checkout = Path(__file__).resolve().parent.parent / "resources"
    installed = Path(sys.prefix) / "share" / "ecgstudio" / "resources"  # pyproject's data-files
    return checkout if checkout.is_dir() or not installed.is_dir() else installed


def samples_dir() -> Path:
    return resources_dir() / "samples"


def use_user_dirs() -> None:
    """Before the window: Qt's settings file and torch's compiler cache go where :mod:`training.user_dirs` says."""
    from PySide6.QtCore import QSettings

    for settings_format in (QSettings.NativeFormat, QSettings.IniFormat):
        QSettings.setPath(settings_format, QSettings.UserScope, str(config_root()))
    route_torch_caches()
