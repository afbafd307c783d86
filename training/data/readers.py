"""Read any ECG record the app supports: its header (:func:`read_header`) or all of it (:func:`read_record`).

wfdb parses header lines and decodes binary formats; scipy reads the PhysioNet/CinC ``.mat`` files. This
module adds what they leave to the caller: locating the header from any of a record's file names, the
Georgia headers that wfdb refuses, bounded reads of regular files only (a FIFO, a device or a huge
junk header never hangs or exhausts the reader, see :mod:`training.data.limits`), checks that turn
silent garbage into a :class:`RecordError` (rates, ADC baseline and gain, signal counts, per-signal
checksums), unit conversion to millivolts, canonical lead names and the metadata in header comments.
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections import Counter
from datetime import datetime
from pathlib import Path

import numpy as np
import scipy.io
import wfdb
from wfdb.io import _header as wfdb_header_lines
from wfdb.io import _signal as wfdb_signal
from wfdb.io import header as wfdb_header

from training.data import formats, lazy, limits
from training.data.record import Record, RecordInfo, canonical_lead_name
from training.errors import RecordError
from training.safe_files import check_regular_file, read_bounded

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
#: Resolution in bits of each format (the range an ADC baseline must lie in).
_FORMAT_BITS = {"8": 8, "16": 16, "61": 16, "80": 8, "160": 16, "212": 12, "310": 10, "311": 10,
                "24": 24, "32": 32, "508": 8, "516": 16, "524": 24}
#: The coarsest usable resolution of a voltage lead: one ADC step above 1 mV cannot show a P wave.
_MAX_MV_PER_STEP = 1.0


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

    A Holter-length record (float32 samples above :func:`training.data.limits.lazy_threshold`) in a
    mappable format comes back with a :class:`training.data.lazy.LazySignal`: nothing is read until a
    span is indexed (missing samples are NaN in the spans read). Its checksums are verified by
    ``signal.verify_checksums()`` (one chunked pass over the file), which ``check_signal`` runs.
    Any other record whose samples would not fit the memory budget is refused before allocating.
    """
    if formats.handles(path):
        return formats.read_record(path)
    header_path = header_path_of(path)
    header, info = _load_header(header_path)
    fields = {f.name: getattr(info, f.name) for f in dataclasses.fields(info)}
    if (isinstance(header, wfdb.Record) and not _is_mat_record(header) and lazy.mappable(header)
            and info.n_leads * info.n_samples * 4 > limits.lazy_threshold()):
        _check_dat_sizes(header, header_path.parent)
        raw_units = _names_and_units(header)[1]
        factor = [_TO_MV[_unit_key(raw_units[i])] if unit == "mV" else 1.0 for i, unit in enumerate(info.units)]
        return Record(**fields, signal=lazy.LazySignal(header_path.parent / header.file_name[0], header, factor,
                                                       info.leads))
    _check_memory(header_path, info)
    if _is_mat_record(header):
        signal = _read_mat_signal(header, header_path.parent)
    elif isinstance(header, wfdb.MultiRecord):
        signal = _read_multisegment_signal(header, header_path)
    else:
        signal = _read_wfdb_signal(header, header_path)
    raw_units = _names_and_units(header)[1]
    for i, unit in enumerate(info.units):
        if unit == "mV":
            signal[i] *= _TO_MV[_unit_key(raw_units[i])]
    bad = ~np.isfinite(signal)
    if bad.any():
        lead_i, sample_i = np.argwhere(bad)[0]
        raise RecordError(
            header_path,
            f"{int(bad.sum())} missing or non-finite sample(s); first in lead {info.leads[lead_i]} "
            f"at {sample_i / info.fs:.3f} s",
        )
    return Record(**fields, signal=np.ascontiguousarray(signal, dtype=np.float32))


# ---------------------------------------------------------------------------------------------- header
def _load_header(header_path: Path) -> tuple[wfdb.Record | wfdb.MultiRecord, RecordInfo]:
    text = _header_text(header_path)
    header = _parse_header(header_path, text)
    if isinstance(header, wfdb.MultiRecord):
        header.segments = [None if name == "~" else _parse_header(header_path.parent / f"{name}.hea",
                                                                  _header_text(header_path.parent / f"{name}.hea"))
                           for name in header.seg_name]
    if not header.n_sig:
        raise RecordError(header_path, "record has zero leads")
    if header.n_sig > limits.MAX_LEADS:
        raise RecordError(header_path, f"header declares {header.n_sig} signals; at most {limits.MAX_LEADS} "
                                       "are accepted (a corrupt signal count?)")
    if not header.sig_len:
        raise RecordError(header_path, "header gives no signal length (0 samples)")
    if header.sig_len / header.fs > limits.MAX_DURATION_S:
        raise RecordError(header_path, f"header says the record lasts {header.sig_len / header.fs / 86400:.1f} days; "
                                       f"at most {limits.MAX_DURATION_S / 86400:g} days are accepted")
    names, raw_units = _names_and_units(header)
    leads = _lead_names(names)
    units = []
    for lead, unit in zip(leads, raw_units):
        key = _unit_key(unit)
        if key in _TO_MV:
            units.append("mV")
        elif key in _OTHER_UNITS:
            units.append(unit.strip())
        else:
            raise RecordError(header_path, f"unknown units {unit!r} for lead {lead}")
    if isinstance(header, wfdb.Record):
        _check_adc(header, header_path, leads, units)
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


def _header_text(header_path: Path) -> str:
    """The header's text, bounded in bytes, lines and line length before any parsing."""
    data = read_bounded(header_path, limits.MAX_HEADER_BYTES, RecordError, "header file")
    if b"\x00" in data or sum(b < 9 or 13 < b < 32 for b in data[:4096]) > 4:
        raise RecordError(header_path, "is not a WFDB header: it holds binary data, not text")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = data.decode("latin-1")  # file names written by a non-UTF-8 system
    lines = text.splitlines()
    if len(lines) > limits.MAX_HEADER_LINES:
        raise RecordError(header_path, f"header has {len(lines):,} lines; at most {limits.MAX_HEADER_LINES:,} "
                                       "are accepted")
    for n, line in enumerate(lines, 1):
        if len(line) > limits.MAX_HEADER_LINE:
            raise RecordError(header_path, f"line {n} of the header is {len(line):,} characters long; "
                                           f"a header line has at most {limits.MAX_HEADER_LINE:,}")
    return text


def _parse_header(header_path: Path, text: str) -> wfdb.Record | wfdb.MultiRecord:
    """Parse header text with wfdb's line parsers, after checking what they let through silently.

    A record line naming the record ``X.mat`` (Georgia, G12EC) is repaired; the sampling rate is checked
    on the line itself because wfdb replaces an unparsable one by its default of 250 Hz.
    """
    header_lines, _ = wfdb_header.parse_header_content(text)
    if not header_lines:
        raise RecordError(header_path, "header is empty (no record line)")
    tokens = header_lines[0].split()
    if tokens[0].lower().endswith(".mat"):
        tokens[0] = tokens[0][:-4]
    _check_rate_token(header_path, tokens)
    try:
        fields = wfdb_header_lines._parse_record_line(" ".join(tokens))
    except ValueError as exc:
        raise RecordError(header_path, _record_line_problem(tokens, exc)) from None
    except Exception as exc:  # wfdb raises HeaderSyntaxError (a bare Exception) for a malformed line
        raise RecordError(header_path, f"the record line {header_lines[0]!r} is not valid WFDB") from exc
    if fields["n_seg"] is not None:
        return _multisegment_header(header_path, fields, header_lines[1:])
    record = wfdb.Record()
    described = header_lines[1:]
    n_sig = fields["n_sig"] or 0
    if n_sig != len(described):
        raise RecordError(header_path, f"header declares {n_sig} signal(s) but describes {len(described)}")
    if described:
        try:
            signal_fields = wfdb_header_lines._parse_signal_lines(described)
        except Exception as exc:
            raise RecordError(header_path, f"a signal line is not valid WFDB ({_first_bad_line(described)!r})") from exc
        for key, value in signal_fields.items():
            setattr(record, key, value)
    for key, value in fields.items():
        if key != "n_seg":
            setattr(record, key, value)
    record.comments = []
    return record


def _multisegment_header(header_path: Path, fields: dict, segment_lines: list[str]) -> wfdb.MultiRecord:
    if fields["n_seg"] != len(segment_lines):
        raise RecordError(header_path, f"header declares {fields['n_seg']} segment(s) but lists {len(segment_lines)}")
    try:
        segment_fields = wfdb_header_lines._read_segment_lines(segment_lines)
    except Exception as exc:
        raise RecordError(header_path, "a segment line is not valid WFDB") from exc
    record = wfdb.MultiRecord()
    for key, value in {**segment_fields, **fields}.items():
        setattr(record, key, value)
    for name in record.seg_name:
        if name != "~" and ("/" in name or "\\" in name or name.startswith(".")):
            raise RecordError(header_path, f"segment name {name!r} points outside the record's folder")
    record.layout = "variable" if record.seg_len[0] == 0 else "fixed"
    record.comments = []
    return record


def _check_rate_token(header_path: Path, tokens: list[str]) -> None:
    if len(tokens) > 1 and not re.fullmatch(r"\d+", tokens[1]):
        raise RecordError(header_path, f"the record line {' '.join(tokens)[:120]!r} is not valid WFDB "
                                       f"(its signal count {tokens[1][:20]!r} is not a whole number)")
    if len(tokens) < 3:
        return  # WFDB's default rate (250 Hz) applies to a header that gives none
    text = re.split(r"[/(]", tokens[2], maxsplit=1)[0]
    try:
        fs = float(text)
    except ValueError:
        raise RecordError(header_path, f"sampling frequency {text!r} is not a number") from None
    if not math.isfinite(fs) or fs <= 0:
        raise RecordError(header_path, f"sampling frequency must be a positive number of Hz (header says {text})")
    if not limits.MIN_FS <= fs <= limits.MAX_FS:
        raise RecordError(header_path, f"sampling frequency {fs:g} Hz is outside the range of ECG recorders "
                                       f"({limits.MIN_FS:g} to {limits.MAX_FS:g} Hz)")


def _record_line_problem(tokens: list[str], exc: ValueError) -> str:
    message = str(exc)
    if "time data" in message or "unconverted data" in message or "does not match format" in message:
        when = " ".join(tokens[4:6])
        return f"the start time/date {when!r} on the record line is not a valid time of day and date"
    return f"the record line {' '.join(tokens)!r} is not valid WFDB"


def _first_bad_line(lines: list[str]) -> str:
    for line in lines:
        try:
            wfdb_header_lines._parse_signal_lines([line])
        except Exception:
            return line[:120]
    return lines[0][:120]


def _lead_names(names: list[str | None]) -> tuple[str, ...]:
    """Canonical names; a missing name becomes ``signal N``, and every copy of a repeated name gets its index.

    Numbering every copy (``II #2``, ``II #5``) rather than keeping the first means no consumer silently
    takes one of two different signals as "lead II".
    """
    canonical = [canonical_lead_name(n) if n and n.strip() else "" for n in names]
    counts = Counter(canonical)
    return tuple(
        f"signal {i + 1}" if not name else (f"{name} #{i + 1}" if counts[name] > 1 else name)
        for i, name in enumerate(canonical)
    )


def _names_and_units(header: wfdb.Record | wfdb.MultiRecord) -> tuple[list, list]:
    """Lead names and units; a multi-segment header keeps them in its segment headers (the first one
    that is not a gap names the leads; units are taken wherever a name first appears)."""
    if isinstance(header, wfdb.Record):
        return list(header.sig_name or [None] * header.n_sig), list(header.units or [None] * header.n_sig)
    segments = [segment for segment in header.segments if segment is not None]
    unit_of: dict[str, str] = {}
    for segment in segments:
        for name, unit in zip(segment.sig_name or [], segment.units or []):
            if name is not None:
                unit_of.setdefault(name, unit)
    names = list(segments[0].sig_name or []) if segments else []
    return names, [unit_of.get(name) for name in names]


def _unit_key(unit: str | None) -> str:
    """WFDB's default unit is mV; compare units case-insensitively with one spelling of micro."""
    return (unit or "mV").strip().lower().replace("μ", "µ").replace("µ", "u")


def _check_adc(header: wfdb.Record, header_path: Path, leads: tuple[str, ...], units: list[str]) -> None:
    """Refuse ADC gains and baselines that make every sample meaningless (checked before reading any)."""
    raw_units = list(header.units or [None] * header.n_sig)
    for i, lead in enumerate(leads):
        gain, baseline = header.adc_gain[i], header.baseline[i]
        if gain is None or not math.isfinite(gain) or gain == 0:
            raise RecordError(header_path, f"lead {lead}: ADC gain {gain} is not a usable number of steps per unit")
        bits = _FORMAT_BITS.get(str(header.fmt[i]), 32)
        if baseline is None or abs(baseline) > 2 ** bits:
            raise RecordError(header_path, f"lead {lead}: ADC baseline {baseline} lies outside the "
                                           f"{bits}-bit range of its storage format")
        if units[i] == "mV":
            mv_per_step = _TO_MV[_unit_key(raw_units[i])] / abs(gain)
            if mv_per_step > _MAX_MV_PER_STEP:
                raise RecordError(header_path, f"lead {lead}: ADC gain {gain:g} per {raw_units[i] or 'mV'} makes one "
                                               f"step {mv_per_step:g} mV; an ECG needs steps of at most "
                                               f"{_MAX_MV_PER_STEP:g} mV")


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
            ignore_skew=False, return_res=32 if any(_FORMAT_BITS.get(str(f), 32) > 16 for f in header.fmt) else 16,
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
    names = _lead_names(list(header.sig_name or [None] * header.n_sig))
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


# ---------------------------------------------------------------------------------------------- metadata
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
