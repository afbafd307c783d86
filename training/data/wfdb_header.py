"""A WFDB header read and checked before any sample is: :func:`load_header`.

wfdb parses the lines; this adds what it leaves to the caller. The text is read bounded (bytes, lines,
line length) and refused when it is binary. Georgia headers that wfdb refuses are parsed anyway.
Signal counts, durations, rates, units, ADC baselines, gains and resolutions are checked, so that
silent garbage becomes a :class:`RecordError` naming the line. Lead names are made canonical, and the
metadata in the comments (age, sex, Dx codes, start time) is read. The samples are
:mod:`training.data.readers`' business.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from datetime import datetime
from pathlib import Path

import wfdb
from wfdb.io import _header as wfdb_header_lines
from wfdb.io import header as wfdb_header

from training.data import limits
from training.data.record import RecordInfo, canonical_lead_name
from training.errors import RecordError
from training.safe_files import read_bounded

#: Factor converting each voltage unit to millivolts (keys lower-cased).
TO_MV = {"mv": 1.0, "v": 1000.0, "uv": 1e-3, "µv": 1e-3, "nv": 1e-6}
#: Non-voltage physical units found beside ECG leads in multi-parameter records; kept as they are.
_OTHER_UNITS = {"mmhg", "nu", "%", "bpm", "degc", "l/min", "ml", "ohm", "kohm", "mmol/l"}

#: Resolution in bits of each format (the range an ADC baseline must lie in).
FORMAT_BITS = {"8": 8, "16": 16, "61": 16, "80": 8, "160": 16, "212": 12, "310": 10, "311": 10,
               "24": 24, "32": 32, "508": 8, "516": 16, "524": 24}
#: The coarsest usable resolution of a voltage lead: one ADC step above 1 mV cannot show a P wave.
_MAX_MV_PER_STEP = 1.0


def load_header(header_path: Path) -> tuple[wfdb.Record | wfdb.MultiRecord, RecordInfo]:
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
    names, raw_units = names_and_units(header)
    leads = lead_names(names)
    units = []
    for lead, unit in zip(leads, raw_units):
        key = unit_key(unit)
        if key in TO_MV:
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


def lead_names(names: list[str | None]) -> tuple[str, ...]:
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


def names_and_units(header: wfdb.Record | wfdb.MultiRecord) -> tuple[list, list]:
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


def unit_key(unit: str | None) -> str:
    """WFDB's default unit is mV; compare units case-insensitively with one spelling of micro."""
    return (unit or "mV").strip().lower().replace("μ", "µ").replace("µ", "u")


def _check_adc(header: wfdb.Record, header_path: Path, leads: tuple[str, ...], units: list[str]) -> None:
    """Refuse ADC gains and baselines that make every sample meaningless (checked before reading any)."""
    raw_units = list(header.units or [None] * header.n_sig)
    for i, lead in enumerate(leads):
        gain, baseline = header.adc_gain[i], header.baseline[i]
        if gain is None or not math.isfinite(gain) or gain == 0:
            raise RecordError(header_path, f"lead {lead}: ADC gain {gain} is not a usable number of steps per unit")
        bits = FORMAT_BITS.get(str(header.fmt[i]), 32)
        if baseline is None or abs(baseline) > 2 ** bits:
            raise RecordError(header_path, f"lead {lead}: ADC baseline {baseline} lies outside the "
                                           f"{bits}-bit range of its storage format")
        if units[i] == "mV":
            mv_per_step = TO_MV[unit_key(raw_units[i])] / abs(gain)
            if mv_per_step > _MAX_MV_PER_STEP:
                raise RecordError(header_path, f"lead {lead}: ADC gain {gain:g} per {raw_units[i] or 'mV'} makes one "
                                               f"step {mv_per_step:g} mV; an ECG needs steps of at most "
                                               f"{_MAX_MV_PER_STEP:g} mV")


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
