"""SCP-ECG (EN 1064 / ISO 11073-91064), version 1.x-2.x, as written without beat subtraction.

Supported: Huffman coding with the standard's default table (section 2 = 19999) or no coding,
original, first- or second-difference data (section 6), simultaneous leads, the reference beat of
section 5 as ``median_beat``, patient age/sex and acquisition time from section 1, and the global
measurements of section 7. Refused with a clear reason, because a decoder we cannot test against
another copy would be guessing: reference-beat subtraction, bimodal compression, custom Huffman
tables. Every section's and the record's CRC-CCITT is checked, so a corrupt file never decodes to
plausible noise. Tested sample for sample against the HL7 aECG and DICOM copies of the same ECG.
"""

from __future__ import annotations

import binascii
import struct
from datetime import datetime
from pathlib import Path

import numpy as np

from training.data.formats.common import Decoded, check_file, check_rate, check_shape, MAX_XML_BYTES
from training.data.formats.registry import register_format
from training.errors import RecordError

NAME = "SCP-ECG"
DEFAULT_HUFFMAN = 19999
#: SCP lead identifiers (section 3) of the 12 standard leads.
LEAD_IDS = {1: "I", 2: "II", 3: "V1", 4: "V2", 5: "V3", 6: "V4", 7: "V5", 8: "V6", 61: "III", 62: "aVR",
            63: "aVL", 64: "aVF"}
#: Section 7's "not computed" marker.
_UNDEFINED = 29999


def sniff(head: bytes) -> bool:
    return len(head) >= 22 and head[16:22] == b"SCPECG"


@register_format(NAME, (".scp",), sniff)
def decode(path: Path) -> Decoded:
    check_file(path, MAX_XML_BYTES)
    data = path.read_bytes()
    sections = _sections(path, data)
    for required in (3, 6):
        if required not in sections:
            raise RecordError(path, f"the SCP-ECG file has no section {required}, so no ECG samples")
    tables = _u16(sections[2], 0) if 2 in sections and len(sections[2]) >= 2 else None
    if tables is not None and tables != DEFAULT_HUFFMAN:
        raise RecordError(path, "SCP-ECG with its own Huffman tables is recognised but not supported "
                                "(only the standard's default table is)")
    leads, starts, ends, flags = _lead_table(path, sections[3])
    if flags & 1:
        raise RecordError(path, "SCP-ECG with reference-beat subtraction is recognised but not supported; "
                                "export the ECG as HL7 aECG or DICOM instead")
    rhythm = sections[6]
    if len(rhythm) < 6:
        raise RecordError(path, "section 6 is truncated")
    avm_nv, interval_us, differences, bimodal = struct.unpack_from("<HHBB", rhythm, 0)
    if bimodal:
        raise RecordError(path, "SCP-ECG with bimodal compression is recognised but not supported")
    if interval_us == 0 or avm_nv == 0:
        raise RecordError(path, f"section 6 gives no usable sampling interval ({interval_us} µs) or "
                                f"amplitude ({avm_nv} nV)")
    fs = check_rate(path, 1e6 / interval_us)
    n_samples = int(max(ends) - min(starts) + 1)
    if len(set(zip(starts, ends))) != 1:
        raise RecordError(path, "SCP-ECG leads recorded at different times are not supported")
    check_shape(path, len(leads), n_samples)
    huffman = tables is not None
    metadata: dict = {}
    median = None
    if 5 in sections and 4 in sections and len(sections[4]) >= 2:
        median_ms = _u16(sections[4], 0)
        median = lambda: _median(path, sections[5], len(leads), median_ms, huffman, fs)  # noqa: E731
    start, age, sex = _patient(sections.get(1, b""))
    return Decoded(
        path=path, source_format=NAME, fs=fs, n_samples=n_samples, stored_leads=leads,
        samples=lambda: _leads(path, rhythm, 6, len(leads), n_samples, differences, huffman) * avm_nv * 1e-6,
        median=median or (lambda: None), start=start, age=age, sex=sex,
        device_measurements=_measurements(sections.get(7, b"")), metadata=metadata)


def _u16(data: bytes, offset: int) -> int:
    return struct.unpack_from("<H", data, offset)[0]


def _crc(data: bytes) -> int:
    return binascii.crc_hqx(data, 0xFFFF)


def _sections(path: Path, data: bytes) -> dict[int, bytes]:
    """Section id -> its data (after the 16-byte section header), every CRC checked."""
    if len(data) < 6 + 16:
        raise RecordError(path, "the SCP-ECG file is truncated (shorter than its headers)")
    crc, size = struct.unpack_from("<HI", data, 0)
    if size != len(data):
        raise RecordError(path, f"the SCP-ECG file is {len(data)} bytes but says {size}: truncated or padded")
    if _crc(data[2:]) != crc:
        raise RecordError(path, "the SCP-ECG file's checksum does not match: the file is corrupt")
    pointers = _section_at(path, data, 7, 0)
    sections: dict[int, bytes] = {}
    for offset in range(0, len(pointers) - 9, 10):
        section_id, length, index = struct.unpack_from("<HII", pointers, offset)
        if length == 0 or section_id == 0:
            continue
        sections[section_id] = _section_at(path, data, index, section_id, length)
    return sections


def _section_at(path: Path, data: bytes, index: int, section_id: int, length: int | None = None) -> bytes:
    start = index - 1
    if start < 0 or start + 16 > len(data):
        raise RecordError(path, f"section {section_id} lies outside the file")
    crc, found_id, found_length = struct.unpack_from("<HHI", data, start)
    if found_id != section_id or (length is not None and found_length != length):
        raise RecordError(path, f"section {section_id}'s header does not match the section table")
    if found_length < 16 or start + found_length > len(data):
        raise RecordError(path, f"section {section_id} is truncated")
    if _crc(data[start + 2:start + found_length]) != crc:
        raise RecordError(path, f"section {section_id}'s checksum does not match: the file is corrupt")
    return data[start + 16:start + found_length]


def _lead_table(path: Path, section: bytes) -> tuple[tuple[str, ...], list[int], list[int], int]:
    if len(section) < 2:
        raise RecordError(path, "section 3 (lead definitions) is truncated")
    n_leads, flags = section[0], section[1]
    if len(section) < 2 + 9 * n_leads:
        raise RecordError(path, "section 3 lists more leads than it holds")
    check_shape(path, n_leads, 1)
    names, starts, ends = [], [], []
    for i in range(n_leads):
        start, end, lead_id = struct.unpack_from("<IIB", section, 2 + 9 * i)
        if end < start:
            raise RecordError(path, f"lead {i + 1} ends (sample {end}) before it starts ({start})")
        names.append(LEAD_IDS.get(lead_id, f"SCP lead {lead_id}"))
        starts.append(start)
        ends.append(end)
    if len(set(names)) != len(names):
        raise RecordError(path, "a lead appears twice in section 3")
    return tuple(names), starts, ends, flags


def _leads(path: Path, section: bytes, section_id: int, n_leads: int, n_samples: int, differences: int,
           huffman: bool) -> np.ndarray:
    """Sections 5 and 6: a 6-byte header, one byte length per lead, then each lead's encoded bytes."""
    table = 6 + 2 * n_leads
    if len(section) < table:
        raise RecordError(path, f"section {section_id} is truncated")
    lengths = struct.unpack_from(f"<{n_leads}H", section, 6)
    if table + sum(lengths) > len(section):
        raise RecordError(path, f"section {section_id} is truncated: its leads need {sum(lengths)} bytes")
    out = np.empty((n_leads, n_samples), dtype=np.float64)
    offset = table
    for i, length in enumerate(lengths):
        chunk = section[offset:offset + length]
        offset += length
        values = _huffman(path, chunk, n_samples, i) if huffman else _raw(path, chunk, n_samples, i)
        out[i] = _undifference(values, differences, path)
    return out


def _raw(path: Path, chunk: bytes, n_samples: int, lead: int) -> np.ndarray:
    if len(chunk) < 2 * n_samples:
        raise RecordError(path, f"lead {lead + 1} holds {len(chunk) // 2} samples, the file says {n_samples}")
    return np.frombuffer(chunk[:2 * n_samples], dtype="<i2").astype(np.int64)


def _huffman(path: Path, chunk: bytes, n_samples: int, lead: int) -> np.ndarray:
    """The default table: value k (1..8) is k ones, a zero and a sign bit; 0 is a single 0; nine ones
    and a zero escape an 8-bit value, ten ones a 16-bit value (both two's complement)."""
    bits = np.unpackbits(np.frombuffer(chunk, dtype=np.uint8)).tobytes()
    total = len(bits)
    out = np.empty(n_samples, dtype=np.int64)
    pos = 0
    for n in range(n_samples):
        zero = bits.find(b"\x00", pos, pos + 10)
        ones = (zero - pos) if zero >= 0 else min(10, total - pos)
        if ones == 0:
            out[n] = 0
            pos += 1
        elif ones <= 8:
            if pos + ones + 2 > total:
                break
            sign = bits[pos + ones + 1]
            out[n] = -ones if sign else ones
            pos += ones + 2
        else:
            width = 8 if ones == 9 else 16
            start = pos + 10
            if start + width > total:
                break
            value = int("".join("1" if b else "0" for b in bits[start:start + width]), 2)
            out[n] = value - (1 << width) if value >= 1 << (width - 1) else value
            pos = start + width
    else:
        return out
    raise RecordError(path, f"lead {lead + 1}: the compressed data end after {n} of {n_samples} samples")


def _undifference(values: np.ndarray, differences: int, path: Path) -> np.ndarray:
    if differences == 0:
        return values.astype(np.float64)
    if differences == 1:
        return np.cumsum(values).astype(np.float64)
    if differences == 2:  # x[0], x[1] as stored; then x[n] - 2 x[n-1] + x[n-2]: two running sums, exact in int64
        if values.size < 3:
            return values.astype(np.float64)
        steps = np.cumsum(np.concatenate(([values[1] - values[0]], values[2:])))
        return np.concatenate(([values[0]], values[0] + np.cumsum(steps))).astype(np.float64)
    raise RecordError(path, f"unknown SCP difference encoding {differences}")


def _median(path: Path, section: bytes, n_leads: int, median_ms: int, huffman: bool, fs: float) -> np.ndarray | None:
    if len(section) < 6 or median_ms == 0:
        return None
    avm_nv, interval_us, differences, _ = struct.unpack_from("<HHBB", section, 0)
    if interval_us == 0 or abs(1e6 / interval_us - fs) > 1e-6:
        return None
    n_samples = int(round(median_ms * 1000 / interval_us))
    return _leads(path, section, 5, n_leads, n_samples, differences, huffman) * avm_nv * 1e-6


def _patient(section: bytes) -> tuple[datetime | None, float | None, str | None]:
    """Section 1 tags: 4 age, 8 sex, 25 acquisition date, 26 acquisition time."""
    tags: dict[int, bytes] = {}
    offset = 0
    while offset + 3 <= len(section):
        tag, length = section[offset], _u16(section, offset + 1)
        if tag == 255:
            break
        tags.setdefault(tag, section[offset + 3:offset + 3 + length])
        offset += 3 + length
    age = None
    if len(tags.get(4, b"")) >= 3 and tags[4][2] == 1:  # unit 1 = years
        age = float(_u16(tags[4], 0)) if 0 < _u16(tags[4], 0) < 130 else None
    sex = {1: "M", 2: "F"}.get(tags[8][0]) if tags.get(8) else None
    start = None
    date, time = tags.get(25, b""), tags.get(26, b"")
    if len(date) >= 4:
        try:
            year, month, day = struct.unpack_from("<HBB", date)
            hour, minute, second = (time[0], time[1], time[2]) if len(time) >= 3 else (0, 0, 0)
            start = datetime(year, month, day, hour, minute, second)
        except ValueError:
            start = None
    return start, age, sex


def _measurements(section: bytes) -> dict[str, float]:
    """Section 7: average RR and the first reference beat's fiducials (ms) and axes (degrees)."""
    if len(section) < 6 + 16:
        return {}
    rr, _pp = struct.unpack_from("<HH", section, 2)
    p_on, p_off, qrs_on, qrs_off, t_off = struct.unpack_from("<5H", section, 6)
    axes = struct.unpack_from("<3h", section, 16)
    out: dict[str, float] = {}
    if 0 < rr < _UNDEFINED:
        out["rr_ms"] = float(rr)
        out["hr_bpm"] = round(60000.0 / rr, 1)
    if _UNDEFINED not in (p_on, qrs_on) and qrs_on > p_on:
        out["pr_ms"] = float(qrs_on - p_on)
    if _UNDEFINED not in (p_on, p_off) and p_off > p_on:
        out["p_ms"] = float(p_off - p_on)
    if _UNDEFINED not in (qrs_on, qrs_off) and qrs_off > qrs_on:
        out["qrs_ms"] = float(qrs_off - qrs_on)
    if _UNDEFINED not in (qrs_on, t_off) and t_off > qrs_on:
        out["qt_ms"] = float(t_off - qrs_on)
    for key, value in zip(("p_axis_deg", "qrs_axis_deg", "t_axis_deg"), axes):
        if abs(value) < _UNDEFINED:
            out[key] = float(value)
    return out
