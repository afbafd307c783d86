"""ECG Studio: the Qt desktop app. Thin views and controllers over the headless ``training`` engine."""

__version__ = "0.1.0"
