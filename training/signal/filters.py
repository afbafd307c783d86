"""Zero-phase Butterworth filtering designed at the record's own sampling rate.

The first paper's public code designed its band-pass for 100 Hz and applied it to 500 Hz data, and
filtered one way (shifting every wave). Here the filter is always designed for the ``fs`` it is given
and run forwards and backwards (``sosfiltfilt``), so waves keep their timing.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from training.errors import ConfigError


def butter_bandpass(x: np.ndarray, fs: float, low: float | None = 1.0, high: float | None = 45.0,
                    order: int = 2) -> np.ndarray:
    """Band-pass (or high/low-pass when one edge is ``None``) along the last axis, zero phase."""
    nyquist = fs / 2.0
    if low is not None and low <= 0:
        raise ConfigError("bandpass.low", f"must be > 0 Hz, got {low}")
    if high is not None and high >= nyquist:
        raise ConfigError("bandpass.high", f"{high} Hz is at or above the Nyquist frequency ({nyquist:g} Hz) of a {fs:g} Hz signal")
    if low is not None and high is not None and low >= high:
        raise ConfigError("bandpass", f"low edge {low} Hz must be below high edge {high} Hz")
    if low is None and high is None:
        return x
    from scipy import signal as sps  # on first use: the app paints before scipy loads

    sos = _design(order, low, high, float(fs))
    # sosfiltfilt needs a few filter lengths of signal; very short records are padded less.
    padlen = min(3 * (2 * len(sos) + 1), x.shape[-1] - 1)
    return sps.sosfiltfilt(sos, x, axis=-1, padlen=max(padlen, 0)).astype(x.dtype, copy=False)


@lru_cache(maxsize=64)
def _design(order: int, low: float | None, high: float | None, fs: float) -> np.ndarray:
    """Second-order sections of the filter, designed once per (order, band, rate): designing costs
    more than filtering a 10-s lead, and callers filter lead by lead."""
    from scipy import signal as sps

    if low is not None and high is not None:
        return sps.butter(order, [low, high], btype="bandpass", fs=fs, output="sos")
    if low is not None:
        return sps.butter(order, low, btype="highpass", fs=fs, output="sos")
    return sps.butter(order, high, btype="lowpass", fs=fs, output="sos")
