"""Read any ECG record the app supports: its header (:func:`read_header`) or all of it (:func:`read_record`).

wfdb decodes the binary formats; scipy reads the PhysioNet/CinC ``.mat`` files; the header is read and
checked by :mod:`training.data.wfdb_header`. This module adds what they leave to the caller: locating
the header from any of a record's file names, reads of regular files only (a FIFO or a device never
hangs the reader, see :mod:`training.data.limits`), the memory budget, signal files against their
header's size, per-signal checksums, unit conversion to millivolts and non-finite samples refused;
Holter-length records come back mapped (:mod:`training.data.lazy`).
"""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path

import numpy as np
import scipy.io
import wfdb
from wfdb.io import _signal as wfdb_signal

from training.data import formats, lazy, limits
from training.data.record import Record, RecordInfo
from training.data.wfdb_header import FORMAT_BITS, TO_MV, lead_names, load_header, names_and_units, unit_key
from training.errors import RecordError
from training.safe_files import check_regular_file

#: File suffixes that name a record's header or signal file; any of them may be passed to the readers.
RECORD_SUFFIXES = {".hea", ".dat", ".mat"}

#: Bytes per sample of each uncompressed WFDB storage format (212/310/311 pack several per word).
_BYTES_PER_SAMPLE = {
    "8": 1.0, "16": 2.0, "61": 2.0, "80": 1.0, "160": 2.0,
    "212": 1.5, "310": 4 / 3, "311": 4 / 3, "24": 3.0, "32": 4.0,
}

def header_path_of(path: str | Path) -> Path:
    """The ``.hea`` file of a record named by its header, a signal file, or no extension."""
    path = Path(path)
    base = path.with_suffix("") if path.suffix.lower() in RECORD_SUFFIXES else path
    return base.with_name(base.name + ".hea")


def read_header(path: str | Path) -> RecordInfo:
    """Read and check a record's header only (fast: for listing, filtering and splitting).

    Hospital exports (GE MUSE, Philips, HL7 aECG, DICOM, EDF, SCP-ECG) go to :mod:`training.data.formats`.
    """
    if formats.handles(path):
        return formats.read_header(path)
    return load_header(header_path_of(path))[1]


def read_record(path: str | Path) -> Record:
    """Read a WFDB (any storage format, multi-segment) or PhysioNet/CinC ``.mat`` record.

    ``path`` may name the header, a signal file or the record without extension. Raises
    :class:`RecordError` naming the file and the reason for anything that is not a readable,
    finite, positive-rate record with at least one lead in known units. Hospital exports go to
    :mod:`training.data.formats`, which returns the same :class:`Record`.

    A Holter-length record (float32 samples above :func:`training.data.limits.lazy_threshold`) in a
    mappable format comes back with a :class:`training.data.lazy.LazySignal`: nothing is read until a
    span is indexed (missing samples are NaN in the spans read). Its checksums are verified by
    ``signal.verify_checksums()`` (one chunked pass over the file), which ``check_signal`` runs.
    Any other record whose samples would not fit the memory budget is refused before allocating.
    """
    if formats.handles(path):
        return formats.read_record(path)
    header_path = header_path_of(path)
    header, info = load_header(header_path)
    fields = {f.name: getattr(info, f.name) for f in dataclasses.fields(info)}
    if (isinstance(header, wfdb.Record) and not _is_mat_record(header) and lazy.mappable(header)
            and info.n_leads * info.n_samples * 4 > limits.lazy_threshold()):
        _check_dat_sizes(header, header_path.parent)
        raw_units = names_and_units(header)[1]
        factor = [TO_MV[unit_key(raw_units[i])] if unit == "mV" else 1.0 for i, unit in enumerate(info.units)]
        return Record(**fields, signal=lazy.LazySignal(header_path.parent / header.file_name[0], header, factor,
                                                       info.leads))
    _check_memory(header_path, info)
    if _is_mat_record(header):
        signal = _read_mat_signal(header, header_path.parent)
    elif isinstance(header, wfdb.MultiRecord):
        signal = _read_multisegment_signal(header, header_path)
    else:
        signal = _read_wfdb_signal(header, header_path)
    raw_units = names_and_units(header)[1]
    for i, unit in enumerate(info.units):
        if unit == "mV":
            signal[i] *= TO_MV[unit_key(raw_units[i])]
    bad = ~np.isfinite(signal)
    if bad.any():
        lead_i, sample_i = np.argwhere(bad)[0]
        raise RecordError(
            header_path,
            f"{int(bad.sum())} missing or non-finite sample(s); first in lead {info.leads[lead_i]} "
            f"at {sample_i / info.fs:.3f} s",
        )
    return Record(**fields, signal=np.ascontiguousarray(signal, dtype=np.float32))


def _check_memory(header_path: Path, info: RecordInfo) -> None:
    """Refuse, before allocating, a record whose samples would not fit in the memory budget."""
    needed = info.n_leads * info.n_samples * 4 * 2  # float32 result + the digital samples it is made from
    budget = limits.memory_budget()
    if needed > budget:
        raise RecordError(header_path, f"reading all {info.n_leads} leads of {info.duration / 3600:.1f} h would need "
                                       f"{needed / 2**30:.1f} GiB of memory; {budget / 2**30:.1f} GiB is available "
                                       "for one record")


# ---------------------------------------------------------------------------------------------- signals
def _is_mat_record(header: wfdb.Record | wfdb.MultiRecord) -> bool:
    files = getattr(header, "file_name", None) or []
    return bool(files) and all(str(name).lower().endswith(".mat") for name in files)


def _read_mat_signal(header: wfdb.Record, folder: Path) -> np.ndarray:
    """PhysioNet/CinC ``.mat``: int matrix under key ``val``, scaled by the header's gain and baseline.

    wfdb would read these as raw bytes at a fixed offset, which silently returns garbage when the
    matrix has another name or shape; scipy checks both.
    """
    mat_path = folder / header.file_name[0]
    check_regular_file(mat_path, RecordError, "signal file", limits.MAX_MAT_BYTES)
    try:
        contents = scipy.io.loadmat(str(mat_path))
    except Exception as exc:  # scipy raises ValueError/TypeError/MatReadError for corrupt files
        raise RecordError(mat_path, "the .mat file is damaged or truncated: it cannot be read as a "
                                    "MATLAB matrix file") from exc
    if "val" not in contents:
        keys = sorted(k for k in contents if not k.startswith("__"))
        raise RecordError(mat_path, f"no 'val' matrix in .mat file (found keys: {', '.join(keys) or 'none'})")
    val = np.asarray(contents["val"])
    if np.iscomplexobj(val):
        raise RecordError(mat_path, "'val' holds complex numbers; an ECG's samples are real")
    if val.ndim != 2 or not (np.issubdtype(val.dtype, np.integer) or np.issubdtype(val.dtype, np.floating)):
        raise RecordError(mat_path, f"'val' must be a 2-D numeric matrix, got shape {val.shape} {val.dtype}")
    if val.shape[0] != header.n_sig:
        raise RecordError(mat_path, f"'val' has {val.shape[0]} rows but the header lists {header.n_sig} leads")
    if val.shape[1] < header.sig_len:
        raise RecordError(
            mat_path, f"signal truncated: {val.shape[1]} samples per lead, header says {header.sig_len}"
        )
    digital = val[:, : header.sig_len]
    if np.issubdtype(digital.dtype, np.integer):
        _verify_checksums(header, mat_path, [digital[i] for i in range(header.n_sig)])
    return _to_physical(header, [digital[i] for i in range(header.n_sig)], nan_values=None)


def _read_wfdb_signal(header: wfdb.Record, header_path: Path) -> np.ndarray:
    """A single-segment record's samples in the header's units, float32 ``[leads, samples]``."""
    _check_dat_sizes(header, header_path.parent)
    digital = read_digital(header, header_path, 0, header.sig_len)
    _verify_checksums(header, header_path, digital)
    nan_values = wfdb_signal._digi_nan([str(f) for f in header.fmt])
    spf = header.samps_per_frame or [1] * header.n_sig
    frames = [d if (k or 1) == 1 else d.reshape(-1, k).mean(axis=1) for d, k in zip(digital, spf)]
    return _to_physical(header, frames, nan_values)


def read_digital(header: wfdb.Record, header_path: Path, start: int, stop: int) -> list[np.ndarray]:
    """Stored integer samples ``[start, stop)`` of each signal (frames expanded), read from disk only there."""
    try:
        return wfdb_signal._rd_segment(
            file_name=header.file_name, dir_name=str(header_path.parent), pn_dir=None, fmt=header.fmt,
            n_sig=header.n_sig, sig_len=header.sig_len, byte_offset=header.byte_offset,
            samps_per_frame=header.samps_per_frame or [1] * header.n_sig, skew=header.skew or [None] * header.n_sig,
            init_value=header.init_value, sampfrom=start, sampto=stop, channels=list(range(header.n_sig)),
            ignore_skew=False, return_res=32 if any(FORMAT_BITS.get(str(f), 32) > 16 for f in header.fmt) else 16,
        )
    except FileNotFoundError as exc:
        raise RecordError(Path(exc.filename or header_path), "signal file not found") from exc
    except Exception as exc:  # wfdb raises ValueError/IndexError on files inconsistent with their header
        raise RecordError(header_path, "the signal file does not hold what its header describes "
                                       "(wrong format, offset or length)") from exc


def _to_physical(header: wfdb.Record, digital: list[np.ndarray], nan_values: list[int] | None) -> np.ndarray:
    """``(digital - baseline) / gain`` lead by lead into one float32 array (never a float64 copy of it all)."""
    out = np.empty((header.n_sig, header.sig_len), dtype=np.float32)
    for i, d in enumerate(digital):
        row = out[i]
        np.subtract(d[: header.sig_len], header.baseline[i], out=row, casting="unsafe")
        row /= np.float32(header.adc_gain[i])
        if nan_values is not None and not np.issubdtype(d.dtype, np.floating):
            row[d[: header.sig_len] == nan_values[i]] = np.nan
    return out


def _verify_checksums(header: wfdb.Record, path: Path, digital: list[np.ndarray]) -> None:
    """WFDB headers may carry each signal's 16-bit sum of samples; a mismatch means damaged data."""
    checksums = header.checksum or [None] * header.n_sig
    names = lead_names(list(header.sig_name or [None] * header.n_sig))
    bad = [names[i] for i, (expected, d) in enumerate(zip(checksums, digital))
           if expected is not None and (int(d.astype(np.int64).sum()) - expected) % 65536 != 0]
    if bad:
        raise lazy.checksum_error(path, bad)


def _read_multisegment_signal(header: wfdb.MultiRecord, header_path: Path) -> np.ndarray:
    """A multi-segment record, after checking each segment against the length the master header gives it."""
    for n, (name, length, segment) in enumerate(zip(header.seg_name, header.seg_len, header.segments), 1):
        if segment is None or length == 0:
            continue
        seg_path = header_path.parent / f"{name}.hea"
        if segment.sig_len < length:
            raise RecordError(seg_path, f"segment {n} of {header_path.stem} is shorter than its header says "
                                        f"({segment.sig_len} samples, {length} listed)")
        _check_dat_sizes(segment, header_path.parent, f"segment {n} of {header_path.stem}")
    try:
        rec = wfdb.rdrecord(str(header_path.with_suffix("")), physical=True, m2s=True, smooth_frames=True)
    except Exception as exc:  # wfdb raises ValueError/IndexError on inconsistent segments
        raise RecordError(header_path, "the segments do not fit together as their headers describe") from exc
    signal = np.asarray(rec.p_signal, dtype=np.float32).T
    if signal.shape != (header.n_sig, header.sig_len):
        raise RecordError(header_path, f"read {signal.shape[1]} samples per lead, header says {header.sig_len}")
    return np.array(signal)


def _check_dat_sizes(header: wfdb.Record, folder: Path, what: str = "") -> None:
    """Refuse a signal file shorter than the header promises, before wfdb pads or misreads it."""
    spf = header.samps_per_frame or [1] * header.n_sig
    offsets = header.byte_offset or [0] * header.n_sig
    files: dict[str, dict] = {}
    for name, fmt, frames, offset in zip(header.file_name, header.fmt, spf, offsets):
        entry = files.setdefault(name, {"fmt": str(fmt), "frame": 0, "offset": offset or 0})
        entry["frame"] += frames or 1
    for name, entry in files.items():
        path = folder / name
        actual = check_regular_file(path, RecordError, "signal file")
        bps = _BYTES_PER_SAMPLE.get(entry["fmt"])
        if bps is None:  # compressed (FLAC) formats: sizes are not predictable, wfdb checks them
            continue
        needed = entry["offset"] + math.floor(header.sig_len * entry["frame"] * bps)
        if actual < needed:
            have = max(int((actual - entry["offset"]) / (entry["frame"] * bps)), 0)
            prefix = f"{what}: " if what else ""
            raise RecordError(path, f"{prefix}signal file truncated: holds {have} samples per lead, "
                                    f"header says {header.sig_len}")
