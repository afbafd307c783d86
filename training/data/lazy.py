"""Holter-length records without loading them: the signal file memory-mapped, converted per requested span.

A 24-hour 12-lead record at 500 Hz holds 518 M samples: ~1 GiB as int16 on disk, 2 GiB as float32 and
4 GiB as float64. :class:`LazySignal` stands in for ``Record.signal`` (shape ``[leads, samples]``,
float32 millivolts) and reads only the samples an index asks for, ``signal[:, a:b]`` or
``signal[i, a:b]``, converting that span alone. Materialising it whole (``np.asarray``) is allowed only
within the memory budget (:func:`training.data.limits.memory_budget`), with a clear refusal beyond it.

Only uncompressed single-file WFDB formats with one sample per frame and no skew can be mapped (16, 61,
80, 160, 32: PhysioNet's Holter databases and what most devices export); other huge records are read
eagerly when they fit the budget and refused when they do not.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from training.data import limits
from training.errors import RecordError

#: numpy dtype and offset (subtracted) of each mappable WFDB format
_MAPPABLE = {"16": ("<i2", 0), "61": (">i2", 0), "80": ("u1", 128), "160": ("<u2", 32768), "32": ("<i4", 0)}
#: the stored value WFDB uses for "no sample" in each format, before the offset
_MISSING = {"16": -32768, "61": -32768, "80": 0, "160": 0, "32": -2147483648}


def mappable(header) -> bool:
    """Whether a single-segment header's samples can be memory-mapped as one interleaved array."""
    fmts = {str(f) for f in header.fmt}
    return (len(set(header.file_name)) == 1 and len(fmts) == 1 and fmts <= set(_MAPPABLE)
            and all((k or 1) == 1 for k in (header.samps_per_frame or [1]))
            and not any(header.skew or [])
            and len({o or 0 for o in (header.byte_offset or [0])}) == 1)


class LazySignal:
    """``[leads, samples]`` float32 millivolts, read from the mapped signal file only where indexed."""

    def __init__(self, path: Path, header, factor: list[float]):
        fmt = str(header.fmt[0])
        dtype, self._offset = _MAPPABLE[fmt]
        self._missing = _MISSING[fmt]
        self.path = path
        self._raw = np.memmap(path, dtype=np.dtype(dtype), mode="r", offset=int((header.byte_offset or [0])[0] or 0),
                              shape=(int(header.sig_len), int(header.n_sig)))
        self._baseline = np.asarray(header.baseline, dtype=np.float32) + np.float32(self._offset)
        self._gain = np.asarray(header.adc_gain, dtype=np.float32)
        self._factor = np.asarray(factor, dtype=np.float32)  # the lead's unit to millivolts (1 for others)
        self.shape = (int(header.n_sig), int(header.sig_len))
        self.dtype = np.dtype(np.float32)
        self.ndim = 2

    @property
    def size(self) -> int:
        return self.shape[0] * self.shape[1]

    def __len__(self) -> int:
        return self.shape[0]

    def __iter__(self):
        for i in range(self.shape[0]):
            yield self[i]

    def __getitem__(self, key) -> np.ndarray:
        rows, cols = key if isinstance(key, tuple) else (key, slice(None))
        leads = np.arange(self.shape[0])[rows]
        one_lead = leads.ndim == 0
        leads = np.atleast_1d(leads)
        if isinstance(cols, (int, np.integer)):
            return self[rows, int(cols) : int(cols) + 1 or None][..., 0]
        if not isinstance(cols, slice):
            raise TypeError("a record's samples are indexed by a lead selection and a slice of samples")
        start, stop, step = cols.indices(self.shape[1])
        n = max(0, len(range(start, stop, step)))
        needed = n * len(leads) * 4
        if needed > limits.memory_budget():
            raise RecordError(self.path, f"reading {n:,} samples of {len(leads)} lead(s) at once would need "
                                         f"{needed / 2**30:.1f} GiB; read a shorter span")
        raw = self._raw[start:stop:step, leads]
        out = raw.T.astype(np.float32)
        missing = raw.T == self._missing
        out -= self._baseline[leads, None]  # the same float32 steps as an eager read: identical values
        out /= self._gain[leads, None]
        out *= self._factor[leads, None]
        if missing.any():
            out[missing] = np.nan
        return out[0] if one_lead else out

    def __array__(self, dtype=None, copy=None) -> np.ndarray:
        whole = self[:, :]
        return whole if dtype is None else whole.astype(dtype)
