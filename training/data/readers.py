"""Read any ECG record the app supports: its header (:func:`read_header`) or all of it (:func:`read_record`).

wfdb parses headers and binary formats; scipy reads the PhysioNet/CinC ``.mat`` files. This module
adds what they leave to the caller: locating the header from any of a record's file names, the
Georgia headers that wfdb refuses, checks that turn silent garbage into a :class:`RecordError`, unit
conversion to millivolts, canonical lead names and the metadata found in header comments.
"""

from __future__ import annotations

import dataclasses
import math
import re
import tempfile
from datetime import datetime
from pathlib import Path

import numpy as np
import scipy.io
import wfdb

from training.data import formats
from training.data.record import Record, RecordInfo, canonical_lead_name
from training.errors import RecordError

#: File suffixes that name a record's header or signal file; any of them may be passed to the readers.
RECORD_SUFFIXES = {".hea", ".dat", ".mat"}

#: Factor converting each voltage unit to millivolts (keys lower-cased).
_TO_MV = {"mv": 1.0, "v": 1000.0, "uv": 1e-3, "µv": 1e-3, "nv": 1e-6}
#: Non-voltage physical units found beside ECG leads in multi-parameter records; kept as they are.
_OTHER_UNITS = {"mmhg", "nu", "%", "bpm", "degc", "l/min", "ml", "ohm", "kohm", "mmol/l"}

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
    return _load_header(header_path_of(path))[1]


def read_record(path: str | Path) -> Record:
    """Read a WFDB (any storage format, multi-segment) or PhysioNet/CinC ``.mat`` record.

    ``path`` may name the header, a signal file or the record without extension. Raises
    :class:`RecordError` naming the file and the reason for anything that is not a readable,
    finite, positive-rate record with at least one lead in known units. Hospital exports go to
    :mod:`training.data.formats`, which returns the same :class:`Record`.
    """
    if formats.handles(path):
        return formats.read_record(path)
    header_path = header_path_of(path)
    header, info = _load_header(header_path)
    raw_units = _names_and_units(header, header_path)[1]
    if _is_mat_record(header):
        signal = _read_mat_signal(header, header_path.parent)
    else:
        signal = _read_wfdb_signal(header, header_path)
    for i, unit in enumerate(info.units):
        if unit == "mV":
            signal[i] *= _TO_MV[_unit_key(raw_units[i])]
    bad = ~np.isfinite(signal)
    if bad.any():
        lead_i, sample_i = np.argwhere(bad)[0]
        raise RecordError(
            header_path,
            f"{int(bad.sum())} non-finite sample(s); first in lead {info.leads[lead_i]} at {sample_i / info.fs:.3f} s",
        )
    fields = {f.name: getattr(info, f.name) for f in dataclasses.fields(info)}
    return Record(**fields, signal=np.ascontiguousarray(signal, dtype=np.float32))


def _load_header(header_path: Path) -> tuple[wfdb.Record | wfdb.MultiRecord, RecordInfo]:
    if not header_path.is_file():
        raise RecordError(header_path, "header file not found")
    try:
        text = header_path.read_text(encoding="ascii", errors="ignore")
    except OSError as exc:
        raise RecordError(header_path, f"cannot read header: {exc.strerror}") from exc
    header = _parse_header(header_path, text)
    if header.fs is None or not math.isfinite(header.fs) or header.fs <= 0:
        raise RecordError(header_path, f"sampling frequency must be > 0 (header says {header.fs})")
    if not header.n_sig:
        raise RecordError(header_path, "record has zero leads")
    if not header.sig_len:
        raise RecordError(header_path, "header gives no signal length (0 samples)")
    names, raw_units = _names_and_units(header, header_path)
    leads = tuple(canonical_lead_name(n) for n in names)
    units = []
    for lead, unit in zip(leads, raw_units):
        key = _unit_key(unit)
        if key in _TO_MV:
            units.append("mV")
        elif key in _OTHER_UNITS:
            units.append(unit.strip())
        else:
            raise RecordError(header_path, f"unknown units {unit!r} for lead {lead}")
    comments = tuple(line[1:].strip() for line in text.splitlines() if line.startswith("#"))
    meta = _comment_fields(comments)
    info = RecordInfo(
        path=header_path,
        name=header_path.stem,
        fs=float(header.fs),
        n_samples=int(header.sig_len),
        leads=leads,
        units=tuple(units),
        start=_start_time(header),
        age=_parse_age(meta.get("age")),
        sex=_parse_sex(meta.get("sex")),
        labels=tuple(code.strip() for code in meta.get("dx", "").split(",") if code.strip()),
        comments=comments,
    )
    return header, info


def _parse_header(header_path: Path, text: str) -> wfdb.Record | wfdb.MultiRecord:
    """Parse with wfdb, repairing a record line that names the record ``X.mat`` (Georgia, G12EC)."""
    try:
        return wfdb.rdheader(str(header_path.with_suffix("")))
    except Exception as exc:  # wfdb raises bare Exceptions/HeaderSyntaxError for malformed headers
        lines = text.splitlines()
        first = next((i for i, line in enumerate(lines) if line.strip() and not line.startswith("#")), None)
        if first is None:
            raise RecordError(header_path, "header is empty") from exc
        tokens = lines[first].split()
        if not tokens[0].lower().endswith(".mat"):
            raise RecordError(header_path, f"malformed header: {exc}") from exc
        tokens[0] = tokens[0][:-4]
        lines[first] = " ".join(tokens)
        with tempfile.TemporaryDirectory() as tmp:
            fixed = Path(tmp) / f"{tokens[0]}.hea"
            fixed.write_text("\n".join(lines) + "\n", encoding="ascii")
            try:
                return wfdb.rdheader(str(fixed.with_suffix("")))
            except Exception as exc2:
                raise RecordError(header_path, f"malformed header: {exc2}") from exc2


def _names_and_units(header: wfdb.Record | wfdb.MultiRecord, header_path: Path) -> tuple[list[str], list[str]]:
    """Lead names and units; a multi-segment header keeps them in its segment headers."""
    if isinstance(header, wfdb.Record):
        return list(header.sig_name or []), list(header.units or [None] * header.n_sig)
    try:
        full = wfdb.rdheader(str(header_path.with_suffix("")), rd_segments=True)
    except Exception as exc:  # a missing or malformed segment header
        raise RecordError(header_path, f"cannot read segment headers: {exc}") from exc
    unit_of: dict[str, str] = {}
    for segment in full.segments:
        if segment is not None:
            for name, unit in zip(segment.sig_name, segment.units):
                unit_of.setdefault(name, unit)
    names = full.get_sig_name()
    return names, [unit_of.get(name) for name in names]


def _unit_key(unit: str | None) -> str:
    """WFDB's default unit is mV; compare units case-insensitively with one spelling of micro."""
    return (unit or "mV").strip().lower().replace("μ", "µ").replace("µ", "u")


def _is_mat_record(header: wfdb.Record | wfdb.MultiRecord) -> bool:
    files = getattr(header, "file_name", None) or []
    return bool(files) and all(str(name).lower().endswith(".mat") for name in files)


def _read_mat_signal(header: wfdb.Record, folder: Path) -> np.ndarray:
    """PhysioNet/CinC ``.mat``: int matrix under key ``val``, scaled by the header's gain and baseline.

    wfdb would read these as raw bytes at a fixed offset, which silently returns garbage when the
    matrix has another name or shape; scipy checks both.
    """
    mat_path = folder / header.file_name[0]
    if not mat_path.is_file():
        raise RecordError(mat_path, "signal file not found")
    try:
        contents = scipy.io.loadmat(str(mat_path))
    except Exception as exc:  # scipy raises ValueError/TypeError/MatReadError for corrupt files
        raise RecordError(mat_path, f"unreadable .mat file: {exc}") from exc
    if "val" not in contents:
        keys = sorted(k for k in contents if not k.startswith("__"))
        raise RecordError(mat_path, f"no 'val' matrix in .mat file (found keys: {', '.join(keys) or 'none'})")
    val = np.asarray(contents["val"])
    if val.ndim != 2 or not np.issubdtype(val.dtype, np.number):
        raise RecordError(mat_path, f"'val' must be a 2-D numeric matrix, got shape {val.shape} {val.dtype}")
    if val.shape[0] != header.n_sig:
        raise RecordError(mat_path, f"'val' has {val.shape[0]} rows but the header lists {header.n_sig} leads")
    if val.shape[1] < header.sig_len:
        raise RecordError(
            mat_path, f"signal truncated: {val.shape[1]} samples per lead, header says {header.sig_len}"
        )
    gain = np.asarray(header.adc_gain, dtype=np.float64)
    if np.any(gain == 0):
        raise RecordError(mat_path, "header gives an ADC gain of 0")
    baseline = np.asarray(header.baseline, dtype=np.float64)
    return (val[:, : header.sig_len].astype(np.float64) - baseline[:, None]) / gain[:, None]


def _read_wfdb_signal(header: wfdb.Record | wfdb.MultiRecord, header_path: Path) -> np.ndarray:
    if isinstance(header, wfdb.Record):
        _check_dat_sizes(header, header_path.parent)
    try:
        rec = wfdb.rdrecord(str(header_path.with_suffix("")), physical=True, m2s=True, smooth_frames=True)
    except FileNotFoundError as exc:
        raise RecordError(Path(exc.filename or header_path), "signal file not found") from exc
    except Exception as exc:  # wfdb raises ValueError/IndexError on inconsistent files
        raise RecordError(header_path, f"cannot read signal: {type(exc).__name__}: {exc}") from exc
    signal = np.asarray(rec.p_signal, dtype=np.float64).T
    if signal.shape != (header.n_sig, header.sig_len):
        raise RecordError(
            header_path, f"read {signal.shape[1]} samples per lead, header says {header.sig_len}"
        )
    return signal


def _check_dat_sizes(header: wfdb.Record, folder: Path) -> None:
    """Refuse a signal file shorter than the header promises, before wfdb pads or misreads it."""
    spf = header.samps_per_frame or [1] * header.n_sig
    offsets = header.byte_offset or [0] * header.n_sig
    files: dict[str, dict] = {}
    for name, fmt, frames, offset in zip(header.file_name, header.fmt, spf, offsets):
        entry = files.setdefault(name, {"fmt": str(fmt), "frame": 0, "offset": offset or 0})
        entry["frame"] += frames or 1
    for name, entry in files.items():
        path = folder / name
        if not path.is_file():
            raise RecordError(path, "signal file not found")
        bps = _BYTES_PER_SAMPLE.get(entry["fmt"])
        if bps is None:  # compressed (FLAC) formats: sizes are not predictable, wfdb checks them
            continue
        needed = entry["offset"] + math.floor(header.sig_len * entry["frame"] * bps)
        actual = path.stat().st_size
        if actual < needed:
            have = max(int((actual - entry["offset"]) / (entry["frame"] * bps)), 0)
            raise RecordError(path, f"signal file truncated: holds {have} samples per lead, header says {header.sig_len}")


_FIELD = re.compile(r"^\s*([A-Za-z]+)\s*:\s*(.*)$")


def _comment_fields(comments: tuple[str, ...]) -> dict[str, str]:
    fields: dict[str, str] = {}
    for line in comments:
        match = _FIELD.match(line)
        if match:
            fields.setdefault(match.group(1).lower(), match.group(2).strip())
    return fields


def _parse_age(text: str | None) -> float | None:
    try:
        age = float(text) if text is not None else math.nan
    except ValueError:
        return None
    return age if math.isfinite(age) and 0 <= age < 130 else None


def _parse_sex(text: str | None) -> str | None:
    first = (text or "").strip().lower()[:1]
    return {"m": "M", "f": "F"}.get(first)


def _start_time(header) -> datetime | None:
    date, time = getattr(header, "base_date", None), getattr(header, "base_time", None)
    if date is None or time is None:
        return None
    return datetime.combine(date, time)
