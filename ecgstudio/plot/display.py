"""Display-only signal processing: the band-pass a clinician toggles and each lead's centre line.

Neither touches the record: the filtered copy lives beside it while the filter is on.
"""

from __future__ import annotations

import numpy as np

from training.signal import butter_bandpass

#: The band shown when display filtering is on: removes baseline wander and mains/EMG noise.
DISPLAY_BAND_HZ = (0.5, 40.0)
#: Above this many samples (all leads), filtering runs in the background.
BACKGROUND_FILTER_SAMPLES = 500_000


def display_filtered(signal: np.ndarray, fs: float) -> np.ndarray:
    """A float32 copy of ``[leads, samples]`` band-passed to ``DISPLAY_BAND_HZ`` (zero phase), one
    lead at a time so an hours-long record needs one lead of float64 scratch, not twelve."""
    low, high = DISPLAY_BAND_HZ
    high = min(high, 0.45 * fs)
    out = np.empty_like(signal, dtype=np.float32)
    for i, lead in enumerate(signal):
        out[i] = butter_bandpass(lead.astype(np.float64), fs, low, high, order=2)
    return out


def spread_samples(samples, limit: int = 100_000) -> np.ndarray:
    """At most ~``limit`` samples per lead spread over the whole of ``samples`` (``[leads, n]`` or ``[n]``):
    every k-th one, or a memory-mapped record's evenly spaced spans (``sampled()``: a stride would
    touch every page of the file)."""
    sampled = getattr(samples, "sampled", None)
    if sampled is not None:
        return sampled()
    step = max(1, samples.shape[-1] // limit)
    return samples[..., ::step]


def lead_centres(signal: np.ndarray) -> np.ndarray:
    """Median of each lead (from at most ~100k samples), so a DC offset does not push a lead off its row."""
    return np.nanmedian(spread_samples(signal), axis=1)


def fitted_gain(samples: np.ndarray, row_mm: float) -> float:
    """mm per unit that makes a non-voltage channel (mmHg, pleth) span 80 % of its row: millivolt
    gains mean nothing for it. Robust to spikes (1st-99th percentile)."""
    low, high = np.nanpercentile(spread_samples(samples), [1, 99])
    return 0.8 * row_mm / max(float(high - low), 1e-9)


def describe_band() -> str:
    return f"{DISPLAY_BAND_HZ[0]:g}–{DISPLAY_BAND_HZ[1]:g} Hz"
