"""Training runs: device choice, the loop, checkpoints, and scoring saved models."""

from training.fit.evaluate import evaluate_model
from training.progress import CancelToken, Event, TrainingCancelled
from training.fit.run import FitResult, fit

__all__ = ["CancelToken", "Event", "FitResult", "TrainingCancelled", "evaluate_model", "fit"]
