"""Progress events a run emits, and cooperative cancellation.

The trainer knows nothing of terminals or windows: it calls ``emit(Event)``. The CLI turns events into a
tqdm bar or JSON lines (one object per line: ``{"type": ..., ...fields}``), the GUI into widgets.

Types: ``start`` (sizes, device), ``step`` (epoch, step, loss, lr, eta_s), ``epoch`` (train/val loss,
monitored metric, best so far), ``metrics`` (thresholded validation and test scores, once), ``done``
(model file), ``cancelled`` and ``error`` (message).
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass, field
from typing import Any, Callable

from training.errors import ECGError

EVENT_TYPES = ("start", "step", "epoch", "metrics", "done", "cancelled", "error")


@dataclass(frozen=True)
class Event:
    type: str
    fields: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.type not in EVENT_TYPES:
            raise ValueError(f"unknown event type {self.type!r}")

    def to_json(self) -> dict[str, Any]:
        """``{"type": ..., **fields}`` with NaN/inf as null, so any JSON parser accepts it."""
        return {"type": self.type, **_finite(self.fields)}


def _finite(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


Callback = Callable[[Event], None]


def ignore(event: Event) -> None:
    """The default callback: no progress reporting."""


class CancelToken:
    """Set from any thread (a GUI button, a signal handler); the trainer checks it every step."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()


class TrainingCancelled(ECGError):
    """The run stopped because its cancel token was set; the last epoch checkpoint can resume it."""

    def __init__(self, epoch: int, step: int):
        self.epoch = epoch
        self.step = step
        super().__init__(f"training cancelled at epoch {epoch}, step {step}")
