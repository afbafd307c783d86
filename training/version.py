"""The one version of ECG Studio and its engine, read from ``pyproject.toml`` (its only written form).

Where it comes from, in order:

1. a source checkout: the ``pyproject.toml`` beside the packages. An editable install's metadata is
   written once at ``pip install -e`` time and goes stale when the file changes, so the file wins;
2. a PyInstaller bundle: the ``VERSION`` file the spec writes into the bundle from ``pyproject.toml``;
3. an installed wheel or .deb-less venv install: the distribution's metadata (``importlib.metadata``).

Only the standard library is imported here: ``--version`` must stay instant.
"""

from __future__ import annotations

import sys
import tomllib
from importlib import metadata
from pathlib import Path

DISTRIBUTION = "ecgstudio"
#: The bundle's version file, written by packaging/ecgstudio.spec beside the bundled resources.
BUNDLE_VERSION_FILE = "VERSION"
_CHECKOUT = Path(__file__).resolve().parent.parent


def version_from_pyproject(pyproject: Path) -> str | None:
    """``[project].version`` of *pyproject* when it describes this distribution, else None."""
    try:
        project = tomllib.loads(pyproject.read_text(encoding="utf-8")).get("project", {})
    except (OSError, tomllib.TOMLDecodeError):
        return None
    if project.get("name") != DISTRIBUTION or not isinstance(project.get("version"), str):
        return None
    return project["version"]


def _from_bundle() -> str | None:
    bundle = getattr(sys, "_MEIPASS", None)
    if not getattr(sys, "frozen", False) or bundle is None:
        return None
    try:
        return (Path(bundle) / BUNDLE_VERSION_FILE).read_text(encoding="utf-8").strip() or None
    except OSError:
        return None


def _from_metadata() -> str | None:
    try:
        return metadata.version(DISTRIBUTION)
    except metadata.PackageNotFoundError:
        return None


def find_version() -> str:
    """The running copy's version; "0+unknown" (PEP 440) when none of the three sources has one."""
    return version_from_pyproject(_CHECKOUT / "pyproject.toml") or _from_bundle() or _from_metadata() or "0+unknown"


__version__ = find_version()
