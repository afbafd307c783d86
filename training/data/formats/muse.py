"""GE MUSE RestingECG XML: base64 little-endian int16 per lead, 8 stored leads, rhythm + median beat.

MUSE stores I, II and V1-V6; III, aVR, aVL and aVF are derived (Einthoven/Goldberger) and listed in
``derived_leads``. The Rhythm waveform is the record; the Median waveform is ``median_beat``. MUSE's
own measurements (``RestingECGMeasurements``) become ``device_measurements``; its diagnosis
statements (``Diagnosis/DiagnosisStatement/StmtText``) become ``statements``. Each lead's CRC-32 is
checked, so corrupted samples are refused rather than drawn.
"""

from __future__ import annotations

import base64
import binascii
import zlib
from datetime import datetime
from pathlib import Path
from xml.etree.ElementTree import Element

import numpy as np

from training.data.formats.common import (Decoded, canonical_leads, check_rate, check_shape, equal_lengths,
                                          mv_per_unit, number, optional_number, parse_xml)
from training.data.formats.registry import register_format
from training.errors import RecordError

NAME = "GE MUSE XML"

#: MUSE element -> measurement key of training.measure's "global" object.
_MEASUREMENTS = {
    "VentricularRate": "hr_bpm", "PRInterval": "pr_ms", "QRSDuration": "qrs_ms", "QTInterval": "qt_ms",
    "QTCorrected": "qtc_ms", "PAxis": "p_axis_deg", "RAxis": "qrs_axis_deg", "TAxis": "t_axis_deg",
}


def sniff(head: bytes) -> bool:
    return b"<RestingECG" in head


@register_format(NAME, (".xml",), sniff)
def decode(path: Path) -> Decoded:
    root = parse_xml(path)
    if root.tag != "RestingECG":
        raise RecordError(path, f"not a GE MUSE RestingECG file (root element <{root.tag}>)")
    waveforms = {(w.findtext("WaveformType") or "").strip(): w for w in root.findall("Waveform")}
    rhythm = waveforms.get("Rhythm")
    if rhythm is None:
        raise RecordError(path, "the MUSE file has no Rhythm waveform")
    fs = check_rate(path, _rate(path, rhythm))
    stored, lengths = _lead_table(path, rhythm)
    n_samples = equal_lengths(path, lengths)
    check_shape(path, len(stored), n_samples)
    median = waveforms.get("Median")
    version = (root.findtext("MuseInfo/MuseVersion") or "").strip()
    acquired_by = (root.findtext("TestDemographics/AcquisitionDevice") or "").strip()
    muse = f"GE MUSE {version}" if version else "GE MUSE"
    device = f"{acquired_by} via {muse}" if acquired_by else muse
    return Decoded(
        path=path, source_format=NAME, fs=fs, n_samples=n_samples, stored_leads=stored,
        samples=lambda: _samples(path, rhythm, stored, n_samples),
        median=lambda: None if median is None else _median(path, median, stored, fs),
        start=_acquired(root), age=_age(root), sex=_sex(root), statements=_statements(root), device=device,
        device_measurements=_measurements(root),
        metadata={"median_samples": _median_length(median)} if median is not None else {})


def _rate(path: Path, waveform: Element) -> float:
    base = number(path, waveform.findtext("SampleBase"), "sampling rate (SampleBase)")
    exponent = optional_number(waveform.findtext("SampleExponent")) or 0.0
    if abs(exponent) > 6:
        raise RecordError(path, f"sampling rate exponent {exponent:g} is not an ECG rate")
    return base * 10.0**exponent


def _lead_table(path: Path, waveform: Element) -> tuple[tuple[str, ...], dict[str, int]]:
    leads = waveform.findall("LeadData")
    check_shape(path, len(leads), 1)
    names = [(lead.findtext("LeadID") or "").strip() for lead in leads]
    stored = canonical_leads(path, names)
    lengths = {name: int(number(path, lead.findtext("LeadSampleCountTotal"), f"sample count of lead {name}"))
               for name, lead in zip(stored, leads)}
    return stored, lengths


def _samples(path: Path, waveform: Element, stored: tuple[str, ...], n_samples: int) -> np.ndarray:
    out = np.empty((len(stored), n_samples), dtype=np.float64)
    for i, (name, lead) in enumerate(zip(stored, waveform.findall("LeadData"))):
        data = _base64(path, name, lead.findtext("WaveFormData") or "")
        raw = np.frombuffer(data, dtype="<i2").astype(np.float64)
        if raw.size != n_samples:
            raise RecordError(path, f"lead {name} holds {raw.size} samples, the file says {n_samples}")
        expected_crc = optional_number(lead.findtext("LeadDataCRC32"))
        if expected_crc is not None and zlib.crc32(data) != int(expected_crc):
            raise RecordError(path, f"lead {name}: the waveform's CRC-32 does not match: the samples are corrupt")
        per_bit = number(path, lead.findtext("LeadAmplitudeUnitsPerBit"), f"amplitude per bit of lead {name}")
        units = (lead.findtext("LeadAmplitudeUnits") or "MICROVOLTS").strip()
        factor = mv_per_unit(units)
        if factor is None:
            raise RecordError(path, f"lead {name} is in unknown units {units!r}")
        out[i] = raw * per_bit * factor
    return out


def _base64(path: Path, name: str, text: str) -> bytes:
    """A lead's bytes (16-bit samples; MUSE's ``LeadDataCRC32`` is the CRC-32 of these bytes)."""
    try:
        data = base64.b64decode("".join(text.split()), validate=True)
    except (binascii.Error, ValueError):
        raise RecordError(path, f"lead {name}: the waveform is not valid base64") from None
    if len(data) % 2:
        raise RecordError(path, f"lead {name}: odd number of waveform bytes ({len(data)}) for 16-bit samples")
    return data


def _median(path: Path, waveform: Element, stored: tuple[str, ...], fs: float) -> np.ndarray | None:
    leads, lengths = _lead_table(path, waveform)
    if leads != stored or abs(_rate(path, waveform) - fs) > 1e-9:
        return None  # a median beat with other leads or rate than the rhythm is not offered
    return _samples(path, waveform, stored, equal_lengths(path, lengths))


def _median_length(waveform: Element) -> int | None:
    counts = {optional_number(lead.findtext("LeadSampleCountTotal")) for lead in waveform.findall("LeadData")}
    return int(counts.pop()) if len(counts) == 1 and None not in counts else None


def _measurements(root: Element) -> dict[str, float]:
    block = root.find("RestingECGMeasurements")
    if block is None:
        return {}
    out = {}
    for tag, key in _MEASUREMENTS.items():
        value = optional_number(block.findtext(tag))
        if value is not None:
            out[key] = value
    if "hr_bpm" in out and out["hr_bpm"] > 0:
        out["rr_ms"] = round(60000.0 / out["hr_bpm"], 1)
    return out


def _statements(root: Element) -> tuple[str, ...]:
    out = []
    for statement in root.findall("Diagnosis/DiagnosisStatement"):
        text = " ".join(t.strip() for t in statement.itertext() if t.strip())
        if text:
            out.append(text)
    return tuple(out)


def _acquired(root: Element) -> datetime | None:
    date = (root.findtext("TestDemographics/AcquisitionDate") or "").strip()
    time = (root.findtext("TestDemographics/AcquisitionTime") or "00:00:00").strip()
    for pattern in ("%m-%d-%Y %H:%M:%S", "%m/%d/%Y %H:%M:%S", "%Y-%m-%d %H:%M:%S"):
        try:
            return datetime.strptime(f"{date} {time}", pattern)
        except ValueError:
            continue
    return None


def _age(root: Element) -> float | None:
    age = optional_number(root.findtext("PatientDemographics/PatientAge"))
    units = (root.findtext("PatientDemographics/AgeUnits") or "YEARS").strip().upper()
    if age is None or units != "YEARS":
        return None
    return age if 0 <= age < 130 else None


def _sex(root: Element) -> str | None:
    text = (root.findtext("PatientDemographics/Gender") or "").strip().upper()
    return {"MALE": "M", "FEMALE": "F", "M": "M", "F": "F"}.get(text)
