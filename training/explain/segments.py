"""Lead x time segments an explanation attributes to, and the baselines that replace them.

A segment is one lead over one time interval. Time intervals are fixed windows (e.g. 0.5 s) or beats
(between midpoints of successive R-R intervals), shared by all leads so a clinician reads the result
as a grid over the 12-lead print.
"""

from __future__ import annotations

import numpy as np
from scipy.ndimage import uniform_filter1d

from training.errors import ConfigError

BASELINES = ("zero", "mean", "smooth")


def window_bounds(n_samples: int, fs: float, window_s: float) -> np.ndarray:
    """``[n_segments, 2]`` sample bounds of consecutive windows of ``window_s`` (the last may be shorter)."""
    if window_s <= 0:
        raise ConfigError("explain.window_s", f"must be > 0, got {window_s}")
    width = max(1, int(round(window_s * fs)))
    starts = np.arange(0, n_samples, width)
    return np.stack([starts, np.minimum(starts + width, n_samples)], axis=1)


def beat_bounds(n_samples: int, r_peaks: np.ndarray) -> np.ndarray:
    """One segment per beat: boundaries halfway between successive R peaks, first/last reach the ends."""
    peaks = np.unique(np.asarray(r_peaks, dtype=int))
    peaks = peaks[(peaks >= 0) & (peaks < n_samples)]
    if len(peaks) < 2:
        raise ConfigError("explain.segmentation", "beat segments need at least two detected R peaks")
    cuts = np.concatenate([[0], (peaks[:-1] + peaks[1:]) // 2, [n_samples]])
    return np.stack([cuts[:-1], cuts[1:]], axis=1)


def baseline_signal(x: np.ndarray, fs: float, kind: str) -> np.ndarray:
    """What a switched-off segment is replaced with: zeros, the lead's mean, or a 0.2 s moving average.

    The smoothed version keeps the slow course of the lead but removes the waves' shape, so the model
    is asked "does the morphology here matter" rather than "does a flat line look abnormal".
    """
    if kind == "zero":
        return np.zeros_like(x)
    if kind == "mean":
        return np.broadcast_to(x.mean(axis=-1, keepdims=True), x.shape).copy()
    if kind == "smooth":
        return uniform_filter1d(x, size=max(3, int(0.2 * fs)), axis=-1, mode="nearest")
    raise ConfigError("explain.baseline", f"unknown baseline {kind!r}; known: {', '.join(BASELINES)}")


def apply_masks(x: np.ndarray, baseline: np.ndarray, bounds: np.ndarray, masks: np.ndarray) -> np.ndarray:
    """``[n_masks, leads, samples]``: copies of ``x`` with segments whose mask bit is 0 replaced by baseline.

    ``masks`` is ``[n_masks, leads * n_time]`` in lead-major order (segment id = lead * n_time + t).
    """
    n_leads = x.shape[0]
    n_time = len(bounds)
    keep = masks.reshape(len(masks), n_leads, n_time).astype(bool)
    # expand time-segment bits to samples: [n_masks, leads, samples]
    owner = np.repeat(np.arange(n_time), bounds[:, 1] - bounds[:, 0])
    sample_keep = keep[:, :, owner]
    return np.where(sample_keep, x[None], baseline[None]).astype(np.float32, copy=False)
