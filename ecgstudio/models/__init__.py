"""Model files the app can run: the bundled ones and those a person added."""

from ecgstudio.models.library import ModelEntry, ModelLibrary

__all__ = ["ModelEntry", "ModelLibrary"]
