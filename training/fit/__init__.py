"""Training runs: device choice, the loop, checkpoints, and scoring saved models."""

from training.fit.evaluate import evaluate_model
from training.fit.events import CancelToken, Event, TrainingCancelled
from training.fit.run import FitResult, fit

__all__ = ["CancelToken", "Event", "FitResult", "TrainingCancelled", "evaluate_model", "fit"]
