"""Holter-length records without loading them: the signal file memory-mapped, converted per requested span.

A 24-hour 12-lead record at 500 Hz holds 518 M samples: ~1 GiB as int16 on disk, 2 GiB as float32 and
4 GiB as float64. :class:`LazySignal` stands in for ``Record.signal`` (shape ``[leads, samples]``,
float32 millivolts) and reads only the samples an index asks for, ``signal[:, a:b]`` or
``signal[i, a:b]``, converting that span alone. Materialising it whole (``np.asarray``) is allowed only
within the memory budget (:func:`training.data.limits.memory_budget`), with a clear refusal beyond it.

Only uncompressed single-file WFDB formats with one sample per frame and no skew can be mapped (16, 61,
80, 160, 32: PhysioNet's Holter databases and what most devices export); other huge records are read
eagerly when they fit the budget and refused when they do not.

Contiguous spans are read with ordinary file reads into fresh arrays, not through the mapping, so the
pages of a span are not kept resident after it is converted (a mapping's touched pages count in the
process's resident memory until the kernel needs them back). The mapping serves strided reads only.

The header's per-signal checksums cover the whole file, so they cannot be verified when the record is
opened without reading all of it: :meth:`LazySignal.verify_checksums` reads the file once in chunks of
:data:`CHECKSUM_CHUNK_FRAMES` frames (integer sums, never a float copy) and remembers the answer.
``check_signal`` calls it before any model, measurement or explanation uses the record, and the
window calls it in the background after the first paint.
"""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np

from training.data import limits
from training.errors import RecordError

#: numpy dtype and offset (subtracted) of each mappable WFDB format
_MAPPABLE = {"16": ("<i2", 0), "61": (">i2", 0), "80": ("u1", 128), "160": ("<u2", 32768), "32": ("<i4", 0)}
#: the stored value WFDB uses for "no sample" in each format, before the offset
_MISSING = {"16": -32768, "61": -32768, "80": 0, "160": 0, "32": -2147483648}
#: Frames summed at a time when verifying checksums: 1 M frames of 12 int16 leads is 24 MiB.
CHECKSUM_CHUNK_FRAMES = 1 << 20
#: Reads smaller than this (bytes) skip the memory-budget check (it reads /proc/meminfo: ~0.15 ms a call,
#: which adds up over the hundreds of screen-sized reads a window makes).
_ALWAYS_AFFORDABLE = 16 << 20


def checksum_sums(digital: np.ndarray) -> np.ndarray:
    """Per-signal sums of stored integers ``[frames, signals]``, exact modulo 2**16 (all a WFDB checksum
    needs): added in the integers' own width, which wraps without losing anything modulo 2**16, over
    rows of 64 frames at a time (contiguous, so the adds are vectorised)."""
    n_sig = digital.shape[1]
    whole = digital.shape[0] // 64 * 64
    sums = digital[:whole].reshape(-1, 64 * n_sig).sum(axis=0, dtype=digital.dtype)
    return sums.reshape(64, n_sig).sum(axis=0, dtype=np.int64) + digital[whole:].sum(axis=0, dtype=np.int64)


def checksum_error(path: Path, leads: list[str]) -> RecordError:
    """The refusal of a record whose samples do not add up to its header's checksums."""
    return RecordError(path, f"the samples of lead(s) {', '.join(leads)} do not match the checksum in the "
                             "header: the signal file is damaged or was altered")


def mappable(header) -> bool:
    """Whether a single-segment header's samples can be memory-mapped as one interleaved array."""
    fmts = {str(f) for f in header.fmt}
    return (len(set(header.file_name)) == 1 and len(fmts) == 1 and fmts <= set(_MAPPABLE)
            and all((k or 1) == 1 for k in (header.samps_per_frame or [1]))
            and not any(header.skew or [])
            and len({o or 0 for o in (header.byte_offset or [0])}) == 1)


class LeadsArray:
    """What a ``[leads, samples]`` array-like needs beyond ``shape`` and ``__getitem__`` for code written for
    numpy arrays (``len``, iteration over leads, ``size``): shared by the mapped signal and the window's
    display view of it."""

    shape: tuple[int, int]

    def __getitem__(self, key):  # pragma: no cover - defined by each subclass
        raise NotImplementedError

    @property
    def size(self) -> int:
        return self.shape[0] * self.shape[1]

    def __len__(self) -> int:
        return self.shape[0]

    def __iter__(self):
        return (self[i] for i in range(self.shape[0]))


class LazySignal(LeadsArray):
    """``[leads, samples]`` float32 millivolts, read from the mapped signal file only where indexed."""

    def __init__(self, path: Path, header, factor: list[float], leads: tuple[str, ...] | None = None):
        fmt = str(header.fmt[0])
        dtype, self._offset = _MAPPABLE[fmt]
        self._missing = _MISSING[fmt]
        self.path = path
        self._dtype = np.dtype(dtype)
        self._byte_offset = int((header.byte_offset or [0])[0] or 0)
        self._raw = np.memmap(path, dtype=self._dtype, mode="r", offset=self._byte_offset,
                              shape=(int(header.sig_len), int(header.n_sig)))
        #: the header's per-signal checksums (None where it gives none), verified by ``verify_checksums``
        self.checksums = tuple(header.checksum or [None] * int(header.n_sig))
        self.leads = tuple(leads) if leads is not None else tuple(f"signal {i + 1}" for i in range(int(header.n_sig)))
        self._verified: RecordError | bool = False
        self._verify_lock = threading.Lock()
        self._baseline = np.asarray(header.baseline, dtype=np.float32) + np.float32(self._offset)
        self._gain = np.asarray(header.adc_gain, dtype=np.float32)
        self._factor = np.asarray(factor, dtype=np.float32)  # the lead's unit to millivolts (1 for others)
        self.shape = (int(header.n_sig), int(header.sig_len))
        self.dtype = np.dtype(np.float32)
        self.ndim = 2


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
        if needed > _ALWAYS_AFFORDABLE and needed > limits.memory_budget():
            raise RecordError(self.path, f"reading {n:,} samples of {len(leads)} lead(s) at once would need "
                                         f"{needed / 2**30:.1f} GiB; read a shorter span")
        raw = self._frames(start, stop)[:, leads] if step == 1 else self._raw[start:stop:step, leads]
        out = raw.T.astype(np.float32)
        missing = raw.T == self._missing
        out -= self._baseline[leads, None]  # the same float32 steps as an eager read: identical values
        out /= self._gain[leads, None]
        out *= self._factor[leads, None]
        if missing.any():
            out[missing] = np.nan
        return out[0] if one_lead else out

    def _frames(self, start: int, stop: int) -> np.ndarray:
        """Stored frames ``[start, stop)`` as ``[frames, leads]``, read from the file (not the mapping)."""
        n_sig = self.shape[0]
        count = max(0, stop - start) * n_sig
        if count == 0:
            return np.zeros((0, n_sig), dtype=self._dtype)
        raw = np.fromfile(self.path, dtype=self._dtype, count=count,
                          offset=self._byte_offset + start * n_sig * self._dtype.itemsize)
        if raw.size != count:
            raise RecordError(self.path, "the signal file is shorter than its header says (it changed while open?)")
        return raw.reshape(-1, n_sig)

    def digital_frames(self, start: int, stop: int) -> np.ndarray:
        """Stored integers of frames ``[start, stop)``, ``[frames, leads]``, the format's offset removed
        (int32): what WFDB's checksums and the min/max overview are computed on."""
        raw = self._frames(start, stop)
        return raw.astype(np.int32) - self._offset if self._offset else raw

    def to_millivolts(self, digital: np.ndarray, leads: np.ndarray | slice = slice(None)) -> np.ndarray:
        """Float32 values of stored integers ``[..., leads]`` (offset already removed), by the same steps as a read."""
        out = np.asarray(digital, dtype=np.float32) - (self._baseline[leads] - np.float32(self._offset))
        out /= self._gain[leads]
        out *= self._factor[leads]
        return out

    @property
    def missing_value(self) -> int:
        """The stored integer (offset removed) that WFDB writes for "no sample"."""
        return self._missing - self._offset

    def verify_checksums(self, sums: np.ndarray | None = None) -> None:
        """Raise ``RecordError`` unless every signal sums to its header checksum (mod 2**16). The file is read
        once in chunks, unless ``sums`` (per-signal int64 sums of every stored integer, from a caller's
        own pass over the file, exact modulo 2**16) are given; the first answer is remembered, so later calls cost nothing."""
        with self._verify_lock:
            if self._verified is False:
                self._verified = self._checksum_problem(self._sums() if sums is None else sums) or True
            if isinstance(self._verified, RecordError):
                raise self._verified

    def _sums(self) -> np.ndarray:
        sums = np.zeros(self.shape[0], dtype=np.int64)
        if any(c is not None for c in self.checksums):
            for start in range(0, self.shape[1], CHECKSUM_CHUNK_FRAMES):
                stop = min(start + CHECKSUM_CHUNK_FRAMES, self.shape[1])
                sums += checksum_sums(self.digital_frames(start, stop))
        return sums

    def _checksum_problem(self, sums: np.ndarray) -> RecordError | None:
        bad = [self.leads[i] for i, c in enumerate(self.checksums)
               if c is not None and (int(sums[i]) - int(c)) % 65536 != 0]
        return checksum_error(self.path, bad) if bad else None

    def __array__(self, dtype=None, copy=None) -> np.ndarray:
        whole = self[:, :]
        return whole if dtype is None else whole.astype(dtype)
