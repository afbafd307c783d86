"""Training runs: device choice, the loop, checkpoints, and scoring saved models."""

from training.progress import CancelToken, Event, TrainingCancelled
from training.fit.run import FitResult, fit

__all__ = ["CancelToken", "Event", "FitResult", "TrainingCancelled", "fit"]
