"""The engine's progress protocol: typed events a run emits, and cooperative cancellation.

One torch-free module, imported by the engine that writes events and by the app that reads them, so both
agree on every event's type and fields and ``python -m training --help`` loads no heavy library.

The trainer knows nothing of terminals or windows: it calls ``emit(Event)``. The CLI turns events into a
tqdm bar or JSON lines (``--progress jsonl``: one object per line, ``{"type": ..., ...fields}``); the app
reads those lines back with :func:`parse_line`, which returns only well-formed events.

=============  ==========================================================================================
type           required fields (others may follow)
=============  ==========================================================================================
``start``      ``epochs``, ``steps_per_epoch``, ``first_epoch``, ``train_records``, ``val_records``,
               ``device``
``step``       one training step: ``epoch``, ``step``, ``steps``, ``loss``, ``lr``, ``eta_s``
``epoch``      ``epoch``, ``epochs``, ``train_loss``, ``val_loss``, ``best_epoch`` (+ ``val_<metric>``)
``metrics``    thresholded scores, once: ``val``, ``test`` (or the evaluated split)
``trial``      one finished HPO trial: ``number``, ``state``, ``value`` (null if none), ``params``
``progress``   work that is not training steps (cohort records, explanations): ``done``, ``total``
``done``       the result (``model``, ``best_config``, report files...)
``cancelled``  ``epoch``, ``step``
``error``      ``message``, ``kind``
=============  ==========================================================================================
"""

from __future__ import annotations

import json
import math
import threading
from dataclasses import dataclass, field
from typing import Any, Callable

from training.errors import ECGError

#: every event type and the fields it must carry
REQUIRED_FIELDS: dict[str, tuple[str, ...]] = {
    "start": ("epochs", "steps_per_epoch", "first_epoch", "train_records", "val_records", "device"),
    "step": ("epoch", "step", "steps", "loss", "lr", "eta_s"),
    "epoch": ("epoch", "epochs", "train_loss", "val_loss", "best_epoch"),
    "metrics": (),
    "trial": ("number", "state", "value", "params"),
    "progress": ("done", "total"),
    "done": (),
    "cancelled": ("epoch", "step"),
    "error": ("message", "kind"),
}
EVENT_TYPES = tuple(REQUIRED_FIELDS)


@dataclass(frozen=True)
class Event:
    """One progress event; construction refuses an unknown type or a missing required field."""

    type: str
    fields: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.type not in REQUIRED_FIELDS:
            raise ValueError(f"unknown event type {self.type!r}")
        missing = [name for name in REQUIRED_FIELDS[self.type] if name not in self.fields]
        if missing:
            raise ValueError(f"{self.type} event without {', '.join(missing)}")

    def __getitem__(self, name: str) -> Any:
        return self.fields[name]

    def get(self, name: str, default: Any = None) -> Any:
        return self.fields.get(name, default)

    def to_json(self) -> dict[str, Any]:
        """``{"type": ..., **fields}`` with NaN/inf as null, so any JSON parser accepts it."""
        return {"type": self.type, **_finite(self.fields)}

    def to_line(self) -> str:
        """The event as one JSON line (no newline)."""
        return json.dumps(self.to_json())


def parse_line(line: str) -> Event | None:
    """The event a JSON line carries, or None for any other line (a warning, a traceback, a malformed event)."""
    if not line.startswith("{"):
        return None
    try:
        data = json.loads(line)
    except json.JSONDecodeError:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("type"), str):
        return None
    kind = data.pop("type")
    try:
        return Event(kind, data)
    except ValueError:
        return None


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
