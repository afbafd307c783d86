"""ECG Studio: the Qt desktop app. Thin views and controllers over the headless ``training`` engine."""

from ecgstudio.qt_fixes import protect_singletons_from_pyside_leaks

__version__ = "0.1.0"

protect_singletons_from_pyside_leaks()
