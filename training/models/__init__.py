"""Classifier architectures from the papers, behind a registry."""

from training.models.base import ECGModel
from training.models.registry import build_model, model_names, register_model

__all__ = ["ECGModel", "build_model", "model_names", "register_model"]
