"""The per-user folders of ECG Studio, in one place: settings, data (annotation library, models), cache.

Resolved through platformdirs at each call, so the XDG variables (``XDG_CONFIG_HOME``,
``XDG_DATA_HOME``, ``XDG_CACHE_HOME``) and their Windows/macOS counterparts are honoured as the
environment says now. The layout keeps the folders earlier releases wrote through Qt (organisation and
application both "ECG Studio"), so an upgrade finds the user's settings, library and models where they
were:

* settings: ``$XDG_CONFIG_HOME/ECG Studio/ECG Studio.conf`` (Qt writes the file; :func:`config_root` is
  the base Qt is pointed at);
* data: ``$XDG_DATA_HOME/ECG Studio/ECG Studio/`` (``library.sqlite``, ``models/``);
* cache: ``$ECGSTUDIO_CACHE`` if set, else ``$XDG_CACHE_HOME/ecgstudio/`` (preprocessed signals, and
  torch's compiler cache, which torch would otherwise create in the shared temporary folder).

Importable without Qt or torch: the engine, the app and the packaging checks share it.
"""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP_NAME = "ECG Studio"
#: Overrides the cache folder (takes precedence over XDG_CACHE_HOME).
CACHE_ENV = "ECGSTUDIO_CACHE"
_CACHE_NAME = "ecgstudio"
_TORCH_CACHE_ENV = "TORCHINDUCTOR_CACHE_DIR"


def config_root() -> Path:
    """The base of the settings folders (``$XDG_CONFIG_HOME``); Qt adds ``ECG Studio/ECG Studio.conf``."""
    return platformdirs.user_config_path()


def settings_dir() -> Path:
    """The folder holding the settings file."""
    return config_root() / APP_NAME


def data_dir() -> Path:
    """The user's data folder: the default annotation library and trained models live here."""
    return platformdirs.user_data_path(APP_NAME, appauthor=False) / APP_NAME


def cache_dir() -> Path:
    """``$ECGSTUDIO_CACHE``, else the user's cache folder for ECG Studio."""
    override = os.environ.get(CACHE_ENV)
    return Path(override) if override else platformdirs.user_cache_path(_CACHE_NAME, appauthor=False)


def route_torch_caches() -> None:
    """Point torch's compiler cache into :func:`cache_dir` unless the user chose one.

    torch creates ``<tmp>/torchinductor_<user>`` when ``torch._dynamo`` is first imported (an optimizer
    step does), and leaves it behind, in a folder every user of the machine shares. Must run before
    that import; the entry points (app, engine, smoke) call it first. Child processes inherit it.
    """
    os.environ.setdefault(_TORCH_CACHE_ENV, str(cache_dir() / "torchinductor"))
