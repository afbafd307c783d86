"""Automatic ECG measurements: delineation, intervals, QTc, axes, per-lead amplitudes, quality.

``measure(record) -> Measurements``; see :mod:`training.measure.engine`. The names load on first use,
so that the CLI (which imports :mod:`training.measure.cli` to build its parser) stays instant.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from training.measure.engine import GLOBAL_KEYS, Measurements, measure

__all__ = ["GLOBAL_KEYS", "Measurements", "measure"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from training.measure import engine

        return getattr(engine, name)
    raise AttributeError(f"module 'training.measure' has no attribute {name!r}")
