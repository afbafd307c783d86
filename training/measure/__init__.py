"""Automatic ECG measurements: delineation, intervals, QTc, axes, per-lead amplitudes, quality.

``measure(record) -> Measurements``; see :mod:`training.measure.engine`.
"""

from training.measure.engine import GLOBAL_KEYS, Measurements, measure

__all__ = ["GLOBAL_KEYS", "Measurements", "measure"]
