"""Polyphase resampling between sampling rates, keeping the record's duration."""

from __future__ import annotations

from fractions import Fraction

import numpy as np

from training.errors import ConfigError


def resample(x: np.ndarray, fs: float, target_fs: float) -> np.ndarray:
    """Resample along the last axis from ``fs`` to ``target_fs`` with an anti-aliasing polyphase filter."""
    if target_fs <= 0:
        raise ConfigError("resample.fs", f"target rate must be > 0 Hz, got {target_fs}")
    if fs == target_fs:
        return x
    ratio = resample_ratio(fs, target_fs)
    from scipy import signal as sps  # on first use, not when the app starts

    out = sps.resample_poly(x, ratio.numerator, ratio.denominator, axis=-1)
    return out.astype(x.dtype, copy=False)


def resample_ratio(fs: float, target_fs: float) -> Fraction:
    """The up/down factors :func:`resample` uses (``target_fs / fs`` as a fraction, denominator <= 1000)."""
    return Fraction(target_fs / fs).limit_denominator(1000)
