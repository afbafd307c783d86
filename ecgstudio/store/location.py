"""Which library the app and the command line open: ``--library``, else ``$ECGSTUDIO_LIBRARY``, else the setting.

A location is a file path (a SQLite library) or a ``postgresql://`` URL (a team's server). The
environment variable lets an administrator point every workstation at the server once, e.g. in
``/etc/environment``, while a user can still open another library with ``--library``.
"""

from __future__ import annotations

import os

ENV_VAR = "ECGSTUDIO_LIBRARY"


def resolve_location(option: str | None = None, setting: str | None = None, default: str | None = None) -> str | None:
    """The first of the command-line option, the environment variable, the saved setting, the default."""
    for candidate in (option, os.environ.get(ENV_VAR), setting, default):
        if candidate and str(candidate).strip():
            return str(candidate).strip()
    return None
