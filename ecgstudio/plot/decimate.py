"""Min/max ("peak") decimation of one lead to the screen's pixel width, in time that grows with
pixels rather than with samples.

Drawing every sample of an hour-long lead per frame is far too slow, and plain subsampling hides
spikes (a pacing artefact, a narrow QRS). Per pixel column, the lowest and highest sample keep every
spike visible. A small pyramid of precomputed minima/maxima (bins of 16, 256, 4096... samples) lets a
zoomed-out frame read a few thousand values instead of millions.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

import numpy as np

_BASE = 16
#: Levels stop once a level has fewer bins than this (coarser ones would never be used).
_MIN_LEVEL_BINS = 256


def level_envelope(size: int, lows: np.ndarray, highs: np.ndarray, i0: int, i1: int,
                   n_bins: int) -> tuple[np.ndarray, np.ndarray]:
    """Per column, the minimum then the maximum of samples ``[i0, i1)`` from one pyramid level (bins of
    ``size`` samples, ``lows``/``highs`` per bin; ``size`` 1 with the samples themselves)."""
    n = i1 - i0
    j0, j1 = i0 // size, -(-i1 // size)
    starts = i0 + np.arange(n_bins) * (n / n_bins)
    edges = np.unique(np.clip((starts // size).astype(np.int64) - j0, 0, j1 - j0 - 1))
    lo = np.minimum.reduceat(lows[j0:j1], edges)
    hi = np.maximum.reduceat(highs[j0:j1], edges)
    x = np.repeat((edges + j0) * size + 0.5 * (n / n_bins), 2).astype(np.float64)
    y = np.empty(2 * edges.size, dtype=lo.dtype)
    y[0::2], y[1::2] = lo, hi
    return x, y


def coarser_levels(size: int, lows: np.ndarray, highs: np.ndarray) -> list[tuple[int, np.ndarray, np.ndarray]]:
    """Levels of bins ``_BASE`` times larger, then larger again, above one of bins of ``size`` samples
    (along the last axis), until a level has fewer than ``_MIN_LEVEL_BINS`` bins."""
    levels = []
    while lows.shape[-1] >= _BASE * _MIN_LEVEL_BINS:
        n = -(-lows.shape[-1] // _BASE) * _BASE
        pad = [(0, 0)] * (lows.ndim - 1) + [(0, n - lows.shape[-1])]
        lows = np.pad(lows, pad, mode="edge").reshape(*lows.shape[:-1], -1, _BASE).min(axis=-1)
        highs = np.pad(highs, pad, mode="edge").reshape(*highs.shape[:-1], -1, _BASE).max(axis=-1)
        size *= _BASE
        levels.append((size, lows, highs))
    return levels


class PeakDecimator:
    """Envelope of ``samples`` (a 1-D view, not copied) over any sample range for ``n_bins`` columns."""

    def __init__(self, samples: np.ndarray) -> None:
        self.samples = samples
        self._levels: list[tuple[int, np.ndarray, np.ndarray]] | None = None

    def envelope(self, i0: int, i1: int, n_bins: int) -> tuple[np.ndarray, np.ndarray]:
        """Sample positions (float) and values to draw samples ``[i0, i1)`` on ``n_bins`` columns.

        With at most two samples per column the samples themselves come back; otherwise each column
        gives its minimum then its maximum.
        """
        i0, i1 = max(0, int(i0)), min(self.samples.size, int(i1))
        n = i1 - i0
        n_bins = max(1, int(n_bins))
        if n <= 0:
            return np.zeros(0), np.zeros(0)
        if n <= 2 * n_bins:
            return np.arange(i0, i1, dtype=np.float64), self.samples[i0:i1]
        return level_envelope(*self._level_for(n / n_bins), i0, i1, n_bins)

    def extremes(self) -> tuple[float, float]:
        """Lowest and highest sample of the whole lead."""
        _, lows, highs = self._levels_built()[-1]
        return float(lows.min()), float(highs.max())

    def _level_for(self, samples_per_bin: float) -> tuple[int, np.ndarray, np.ndarray]:
        """The coarsest level whose bins are at most half a column (so columns stay accurate)."""
        best = (1, self.samples, self.samples)
        for level in self._levels_built():
            if level[0] <= samples_per_bin / 2:
                best = level
        return best

    def _levels_built(self) -> list[tuple[int, np.ndarray, np.ndarray]]:
        if self._levels is None:
            n = -(-self.samples.size // _BASE) * _BASE  # the first level always exists (extremes need it)
            padded = np.pad(self.samples, (0, n - self.samples.size), mode="edge").reshape(-1, _BASE)
            first = (_BASE, padded.min(axis=1), padded.max(axis=1))
            self._levels = [first, *coarser_levels(*first)]
        return self._levels


#: decimators built ahead (on the thread that read the record), by the memory they cover; each entry
#: holds its samples, so the memory cannot be freed and reused while it is listed
_PREBUILT: OrderedDict[tuple, PeakDecimator] = OrderedDict()
_PREBUILT_MAX = 32
_lock = threading.Lock()


def _memory_key(samples: np.ndarray) -> tuple:
    return samples.__array_interface__["data"][0], samples.shape, samples.strides, samples.dtype.str


def prebuild(signal: np.ndarray) -> None:
    """Build the pyramids of every lead of ``signal`` (leads x samples) now — on a worker thread, so the GUI
    thread only looks them up (an hour-long record's pyramids take most of a second)."""
    for lead in signal:
        decimator = PeakDecimator(lead)
        decimator._levels_built()
        with _lock:
            _PREBUILT[_memory_key(lead)] = decimator
            while len(_PREBUILT) > _PREBUILT_MAX:
                _PREBUILT.popitem(last=False)


def decimator_for(samples: np.ndarray) -> PeakDecimator:
    """The decimator of ``samples``: the one built ahead for this memory, else a new one. A lead of a
    memory-mapped record (:class:`~ecgstudio.plot.lazy_display.LazyLead`) is its own decimator."""
    if hasattr(samples, "envelope"):
        return samples
    with _lock:
        built = _PREBUILT.get(_memory_key(samples))
    return built if built is not None else PeakDecimator(samples)
