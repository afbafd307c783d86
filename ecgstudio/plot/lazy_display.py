"""A Holter-length record on screen without reading it whole: spans on demand, an overview pyramid.

A memory-mapped record (:class:`training.data.lazy.LazySignal`, e.g. 24 h of 12 leads at 500 Hz: 518 M
samples, ~1 GiB on disk, 2 GiB as float32) is never converted, filtered or scanned whole on the GUI
thread. Instead:

* **The span on screen** is read (all leads at once, one file read) with a margin of half its width
  on each side, so small pans reuse it; the display filter runs on that block alone, with
  :data:`FILTER_MARGIN_S` more on each side so its edges carry no filter transient. Screens up to
  :data:`RAW_SPAN_LIMIT` samples are drawn from such blocks.
* **Wider views and the overview strip** are drawn from a min/max pyramid (bins of
  :data:`PYRAMID_BASE` samples, then 16x coarser levels) built once in the background, in chunks of
  :data:`PYRAMID_CHUNK_FRAMES` frames of stored integers, so building it never holds more than one
  chunk; the same pass sums the samples for the header's checksums. The pyramid is of the unfiltered
  samples: with the filter on, views wider than :data:`RAW_SPAN_LIMIT` show the unfiltered envelope
  (the 0.5 Hz high-pass only moves the baseline, invisible at that scale), and the status bar says so.
  Until the pyramid is ready such views are blank.
* **Lead centres and fitted gains** come from :data:`SAMPLE_SPANS` evenly spaced spans per lead.

Qt-free, so the engine-side code it wraps stays testable without a window.
"""

from __future__ import annotations

import threading
import warnings
from typing import Callable

import numpy as np

from ecgstudio.plot.decimate import PeakDecimator, coarser_levels, level_envelope
from training.data.lazy import LazySignal, LeadsArray, checksum_sums

#: Samples per lead a screen may span and still be drawn from spans read for it (17.5 min at 500 Hz).
RAW_SPAN_LIMIT = 1 << 19
#: Seconds read beyond each side of a filtered block and dropped after filtering (the 0.5 Hz
#: second-order high-pass settles within ~2 s).
FILTER_MARGIN_S = 5.0
#: Samples per bin of the pyramid's finest level (a 24-h 12-lead record's pyramid then takes ~70 MB).
PYRAMID_BASE = 64
#: Frames read per step while building the pyramid (6 MiB of 12 int16 leads).
PYRAMID_CHUNK_FRAMES = 1 << 18
#: Evenly spaced spans (of ``SAMPLE_SPAN`` samples) a lead's centre and range are estimated from.
SAMPLE_SPANS, SAMPLE_SPAN = 64, 2000


class Pyramid:
    """Min/max of every lead of a mapped record over bins of ``PYRAMID_BASE`` samples and coarser."""

    def __init__(self, levels: list[tuple[int, np.ndarray, np.ndarray]]) -> None:
        self.levels = levels  # (samples per bin, lows [leads, bins], highs [leads, bins]), finest first

    @classmethod
    def build(cls, signal: LazySignal, cancelled: Callable[[], bool] = lambda: False) -> Pyramid | None:
        """Read ``signal`` once in chunks (``None`` if ``cancelled()`` turns true meanwhile), verifying its
        checksums from the same pass: raises the reader's ``RecordError`` if they do not match."""
        n_leads, n = signal.shape
        bins = -(-n // PYRAMID_BASE)
        lows = np.empty((n_leads, bins), dtype=np.float32)
        highs = np.empty((n_leads, bins), dtype=np.float32)
        sums = np.zeros(n_leads, dtype=np.int64)
        missing = signal.missing_value
        for start in range(0, n, PYRAMID_CHUNK_FRAMES):
            if cancelled():
                return None
            digital = signal.digital_frames(start, min(start + PYRAMID_CHUNK_FRAMES, n))
            sums += checksum_sums(digital)
            b0 = start // PYRAMID_BASE
            lo, hi = _chunk_extremes(signal, digital, missing)
            lows[:, b0:b0 + lo.shape[1]], highs[:, b0:b0 + hi.shape[1]] = lo, hi
        signal.verify_checksums(sums)
        first = (PYRAMID_BASE, lows, highs)
        return cls([first, *coarser_levels(*first)])

    def level_for(self, samples_per_bin: float) -> tuple[int, np.ndarray, np.ndarray] | None:
        """The coarsest level whose bins are at most half a column, or ``None`` when even the finest is coarser."""
        best = None
        for level in self.levels:
            if level[0] <= samples_per_bin / 2:
                best = level
        return best


def _chunk_extremes(signal: LazySignal, digital: np.ndarray, missing: int) -> tuple[np.ndarray, np.ndarray]:
    """``(lows, highs)`` [leads, bins] in mV of one chunk of stored integers ``[frames, leads]``."""
    n = -(-digital.shape[0] // PYRAMID_BASE) * PYRAMID_BASE
    if (digital == missing).any():  # rare: gaps are NaN, left out of each bin's extremes
        values = signal.to_millivolts(digital)
        values[digital == missing] = np.nan
        values = np.pad(values, ((0, n - values.shape[0]), (0, 0)), mode="edge").reshape(-1, PYRAMID_BASE,
                                                                                         values.shape[1])
        with warnings.catch_warnings():  # an all-gap bin stays NaN: nothing is drawn there
            warnings.simplefilter("ignore", RuntimeWarning)
            return np.nanmin(values, axis=1).T, np.nanmax(values, axis=1).T
    padded = np.pad(digital, ((0, n - digital.shape[0]), (0, 0)), mode="edge").reshape(-1, PYRAMID_BASE,
                                                                                      digital.shape[1])
    a, b = signal.to_millivolts(padded.min(axis=1)), signal.to_millivolts(padded.max(axis=1))
    return np.minimum(a, b).T, np.maximum(a, b).T  # a negative gain swaps them


class LazyDisplay(LeadsArray):
    """``[leads, samples]`` float32 as drawn from a mapped record: its samples or their display-filtered
    version, computed per requested span. Indexing ``[:, a:b]`` (or ``[i, a:b]``) gives that span;
    ``[i]`` gives a :class:`LazyLead` for the traces."""

    ndim = 2
    dtype = np.dtype(np.float32)

    def __init__(self, signal: LazySignal, fs: float, filtered: bool = False, pyramid: Pyramid | None = None) -> None:
        self.signal, self.fs, self.filtered, self.pyramid = signal, fs, filtered, pyramid
        self.shape = signal.shape
        self._block: tuple[int, int, np.ndarray, list] | None = None  # start, stop, samples, lead decimators
        self._lock = threading.Lock()
        self._sampled: np.ndarray | None = None


    def with_pyramid(self, pyramid: Pyramid) -> LazyDisplay:
        """The same display, drawing wide views from ``pyramid`` (a new object, so views notice the change)."""
        return LazyDisplay(self.signal, self.fs, self.filtered, pyramid)

    def __getitem__(self, key):
        rows, cols = key if isinstance(key, tuple) else (key, None)
        if cols is None:
            if isinstance(rows, (int, np.integer)):
                return LazyLead(self, int(rows) % self.shape[0])
            cols = slice(None)
        if not isinstance(cols, slice) or cols.step not in (None, 1):
            raise TypeError("a displayed Holter record is read by contiguous spans of samples")
        start, stop, _ = cols.indices(self.shape[1])
        return self.span(start, max(start, stop))[rows]

    def span(self, start: int, stop: int) -> np.ndarray:
        """``[leads, stop - start]`` float32 as drawn."""
        block_start, _, block, _ = self._block_for(start, stop)
        return block[:, start - block_start:stop - block_start]

    def sampled(self) -> np.ndarray:
        """``[leads, SAMPLE_SPANS * SAMPLE_SPAN]``: evenly spaced spans of every lead as drawn (for centres
        and ranges), read once."""
        if self._sampled is None:
            n = self.shape[1]
            width = min(SAMPLE_SPAN, n)
            starts = np.linspace(0, n - width, SAMPLE_SPANS).astype(np.int64)
            self._sampled = np.concatenate([self._read(int(s), int(s) + width) for s in starts], axis=1)
        return self._sampled

    def lead_decimator(self, lead: int, start: int, stop: int) -> tuple[int, PeakDecimator]:
        """(first sample, decimator) of ``lead`` over a block covering ``[start, stop)``."""
        block_start, _, _, decimators = self._block_for(start, stop)
        return block_start, decimators[lead]

    def _block_for(self, start: int, stop: int) -> tuple[int, int, np.ndarray, list]:
        with self._lock:
            block = self._block
            if block is None or not (block[0] <= start and stop <= block[1]):
                margin = (stop - start) // 2
                a, b = max(0, start - margin), min(self.shape[1], stop + margin)
                samples = self._read(a, b)
                block = self._block = (a, b, samples, [PeakDecimator(row) for row in samples])
            return block

    def _read(self, start: int, stop: int) -> np.ndarray:
        if not self.filtered:
            return self.signal[:, start:stop]
        from ecgstudio.plot.display import display_filtered

        pad = int(FILTER_MARGIN_S * self.fs)
        a, b = max(0, start - pad), min(self.shape[1], stop + pad)
        samples = self.signal[:, a:b]
        return display_filtered(np.where(np.isfinite(samples), samples, 0.0), self.fs)[:, start - a:stop - a]


class LazyLead:
    """One lead of a :class:`LazyDisplay`, for a trace: it draws itself (``envelope``), like a decimator."""

    ndim = 1

    def __init__(self, display: LazyDisplay, lead: int) -> None:
        self.display, self.lead = display, lead
        self.size = display.shape[1]
        self.shape = (self.size,)

    @property
    def samples(self) -> LazyLead:
        return self

    def __getitem__(self, key):
        if not isinstance(key, slice):
            raise TypeError("a displayed Holter lead is read by contiguous spans of samples")
        return self.display[self.lead, key]

    def sampled(self) -> np.ndarray:
        return self.display.sampled()[self.lead]

    def envelope(self, i0: int, i1: int, n_bins: int) -> tuple[np.ndarray, np.ndarray]:
        """What :meth:`PeakDecimator.envelope` gives, from a block read for the span or from the pyramid;
        nothing (empty arrays) for a view wider than ``RAW_SPAN_LIMIT`` until the pyramid is ready."""
        i0, i1 = max(0, int(i0)), min(self.size, int(i1))
        n, n_bins = i1 - i0, max(1, int(n_bins))
        if n <= 0:
            return np.zeros(0), np.zeros(0)
        pyramid = self.display.pyramid
        level = pyramid.level_for(n / n_bins) if pyramid is not None else None
        if level is not None:
            size, lows, highs = level
            return level_envelope(size, lows[self.lead], highs[self.lead], i0, i1, n_bins)
        if n > RAW_SPAN_LIMIT:
            return np.zeros(0), np.zeros(0)
        offset, decimator = self.display.lead_decimator(self.lead, i0, i1)
        x, y = decimator.envelope(i0 - offset, i1 - offset, n_bins)
        return x + offset, y

    def extremes(self) -> tuple[float, float]:
        """Lowest and highest value: from the pyramid when built, else from the sampled spans."""
        pyramid = self.display.pyramid
        if pyramid is not None and not self.display.filtered:
            _, lows, highs = pyramid.levels[-1]
            values = np.concatenate([lows[self.lead], highs[self.lead]])
        else:
            values = self.sampled()
        values = values[np.isfinite(values)]
        return (float(values.min()), float(values.max())) if values.size else (-1.0, 1.0)
