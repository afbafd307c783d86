"""ECG Studio: the Qt desktop app. Thin views and controllers over the headless ``training`` engine."""

from ecgstudio.qt_fixes import protect_singletons_from_pyside_leaks
from training.version import __version__  # one version for the app and its engine (pyproject.toml)

protect_singletons_from_pyside_leaks()
