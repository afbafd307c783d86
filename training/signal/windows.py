"""Fixed-length windows: random crop for training, centre crop or sliding windows for evaluation.

Paper 000 crops at a random start s ~ U(0, m - l) and zero-pads shorter signals; its public code also
cropped randomly at evaluation, which makes test scores depend on luck. Evaluation here is
deterministic: a centre crop, or every window of a sliding grid.
"""

from __future__ import annotations

import numpy as np


def fit_length(x: np.ndarray, length: int, start: int | None = None) -> np.ndarray:
    """Crop ``[leads, samples]`` to ``length`` at ``start`` (default: centred), or zero-pad at the end."""
    n = x.shape[-1]
    if n < length:
        out = np.zeros(x.shape[:-1] + (length,), dtype=x.dtype)
        out[..., :n] = x
        return out
    if start is None:
        start = (n - length) // 2
    if not 0 <= start <= n - length:
        raise ValueError(f"crop start {start} outside 0..{n - length}")
    return x[..., start:start + length]


def random_crop(x: np.ndarray, length: int, rng: np.random.Generator) -> np.ndarray:
    """Crop at s ~ U(0, m - l) (paper 000, eq. 1); zero-pad signals shorter than ``length``."""
    n = x.shape[-1]
    start = int(rng.integers(0, n - length + 1)) if n > length else 0
    return fit_length(x, length, start)


def window_starts(n: int, length: int, stride: int) -> list[int]:
    """Starts of windows covering ``n`` samples; the last window ends at the signal's end."""
    if n <= length:
        return [0]
    starts = list(range(0, n - length + 1, stride))
    if starts[-1] != n - length:
        starts.append(n - length)
    return starts


def sliding_windows(x: np.ndarray, length: int, stride: int) -> np.ndarray:
    """``[windows, leads, length]`` covering the whole signal (zero-padded when shorter than one window)."""
    return np.stack([fit_length(x, length, s) for s in window_starts(x.shape[-1], length, stride)])
