"""Typed errors raised at the engine's edges.

Each error says *what* failed and *where* (a file, a dataset folder, a config key), so the CLI and
the GUI can show it to a person without a traceback.
"""

from __future__ import annotations

from pathlib import Path


class ECGError(Exception):
    """Base class of every error the engine raises on purpose."""


class RecordError(ECGError):
    """A record cannot be read or is not a usable ECG (bad header, truncated samples, NaNs...)."""

    def __init__(self, path: str | Path, reason: str):
        self.path = Path(path)
        self.reason = reason
        super().__init__(f"{self.path}: {reason}")


class DatasetError(ECGError):
    """A dataset folder lacks its index files or its labels cannot be mapped."""

    def __init__(self, path: str | Path, reason: str):
        self.path = Path(path)
        self.reason = reason
        super().__init__(f"{self.path}: {reason}")


class ModelFileError(ECGError):
    """A model or checkpoint file is missing, is not safetensors, or does not match its card."""

    def __init__(self, path: str | Path, reason: str):
        self.path = Path(path)
        self.reason = reason
        super().__init__(f"{self.path}: {reason}")


class ConfigError(ECGError):
    """A configuration value is out of range or of the wrong type."""

    def __init__(self, key: str, reason: str):
        self.key = key
        self.reason = reason
        super().__init__(f"config '{key}': {reason}")
