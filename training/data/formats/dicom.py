"""DICOM waveforms (12-lead ECG, General ECG, Ambulatory ECG storage) through pydicom.

The RHYTHM multiplex group is the record (the first group when none is labelled so); a MEDIAN BEAT
group at the same rate and leads is ``median_beat``. pydicom's ``waveform_array`` applies each
channel's sensitivity, correction factor and baseline; the channel's sensitivity units (µV, mV)
convert to mV here. Leads are named from the channel source code meaning ("Lead I (Einthoven)" ->
``I``). Waveform annotations give the device's measurements and its text statements.
"""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path

import numpy as np

from training.data.formats.common import (Decoded, canonical_leads, check_file, check_rate, check_shape, mv_per_unit,
                                          optional_number)
from training.data.formats.registry import register_format
from training.errors import RecordError

NAME = "DICOM ECG"

_MEASUREMENTS = {
    "rr interval": "rr_ms", "pr interval": "pr_ms", "qrs duration": "qrs_ms", "qt interval": "qt_ms",
    "qtc interval": "qtc_ms", "p axis": "p_axis_deg", "qrs axis": "qrs_axis_deg", "t axis": "t_axis_deg",
    "ventricular heart rate": "hr_bpm", "heart rate": "hr_bpm", "p duration": "p_ms",
}
_LEAD = re.compile(r"^lead\s+(\S+)", re.IGNORECASE)


def sniff(head: bytes) -> bool:
    return len(head) >= 132 and head[128:132] == b"DICM"


@register_format(NAME, (".dcm", ".dicom", ""), sniff)
def decode(path: Path) -> Decoded:
    import pydicom
    from pydicom.errors import InvalidDicomError

    check_file(path)
    try:
        ds = pydicom.dcmread(str(path))
    except InvalidDicomError as exc:
        raise RecordError(path, f"not a DICOM file ({exc})") from None
    except Exception as exc:  # pydicom raises many kinds on truncated or corrupt data sets
        raise RecordError(path, f"the DICOM file cannot be read ({type(exc).__name__}: {exc})") from None
    groups = list(ds.get("WaveformSequence") or [])
    if not groups:
        modality = ds.get("Modality", "?")
        raise RecordError(path, f"the DICOM file holds no waveform (modality {modality}): not an ECG export, "
                                "or cut short")
    labels = [str(g.get("MultiplexGroupLabel", "")).strip().upper() for g in groups]
    rhythm_i = next((i for i, label in enumerate(labels) if "RHYTHM" in label), 0)
    median_i = next((i for i, label in enumerate(labels) if "MEDIAN" in label), None)
    group = groups[rhythm_i]
    fs = check_rate(path, optional_number(group.get("SamplingFrequency")))
    n_channels = int(group.get("NumberOfWaveformChannels") or 0)
    n_samples = int(group.get("NumberOfWaveformSamples") or 0)
    check_shape(path, n_channels, n_samples)
    _check_data_length(path, group, n_channels, n_samples)
    stored, factors = _channels(path, group)
    if len(stored) != n_channels:
        raise RecordError(path, f"the waveform lists {len(stored)} channel definitions for {n_channels} channels")
    median_ok = median_i is not None and abs((optional_number(groups[median_i].get("SamplingFrequency")) or 0) - fs) < 1e-9
    statements, measurements = _annotations(ds)
    return Decoded(
        path=path, source_format=NAME, fs=fs, n_samples=n_samples, stored_leads=stored,
        samples=lambda: _array(path, ds, rhythm_i, factors, n_samples),
        median=lambda: _median(path, ds, groups, median_i, stored) if median_ok else None,
        start=_acquired(ds), age=_age(ds), sex={"M": "M", "F": "F"}.get(str(ds.get("PatientSex", "")).upper()),
        statements=statements, device=_device(ds), device_measurements=measurements,
        metadata={"multiplex_groups": labels})


def _check_data_length(path: Path, group, n_channels: int, n_samples: int) -> None:
    """A header-time check that the multiplexed samples are all there (a cut file fails to list)."""
    data = group.get("WaveformData")
    if data is None:
        raise RecordError(path, "the DICOM waveform has no sample data")
    needed = n_channels * n_samples * max(int(group.get("WaveformBitsAllocated") or 16) // 8, 1)
    if len(data) < needed:
        raise RecordError(path, f"the DICOM waveform data is cut short: {len(data)} of {needed} bytes")


def _channels(path: Path, group) -> tuple[tuple[str, ...], np.ndarray]:
    names, factors = [], []
    for i, channel in enumerate(group.get("ChannelDefinitionSequence") or []):
        source = (channel.get("ChannelSourceSequence") or [None])[0]
        meaning = str(source.get("CodeMeaning", "")) if source is not None else ""
        match = _LEAD.match(meaning.strip())
        names.append(match.group(1) if match else (meaning.strip() or f"channel {i + 1}"))
        units = channel.get("ChannelSensitivityUnitsSequence")
        unit = str(units[0].get("CodeValue", "uV")) if units else "uV"
        factor = mv_per_unit(unit)
        if factor is None:
            raise RecordError(path, f"channel {names[-1]} is in units {unit!r}, not a voltage")
        factors.append(factor)
    return canonical_leads(path, names), np.asarray(factors)


def _array(path: Path, ds, index: int, factors: np.ndarray, n_samples: int) -> np.ndarray:
    try:
        values = np.asarray(ds.waveform_array(index), dtype=np.float64)
    except Exception as exc:  # pydicom raises ValueError/KeyError/AttributeError on inconsistent waveform data
        raise RecordError(path, f"the DICOM waveform data cannot be decoded ({type(exc).__name__}: {exc})") from None
    if values.shape != (n_samples, factors.size):
        raise RecordError(path, f"the waveform holds {values.shape} samples × channels, its header says "
                                f"({n_samples}, {factors.size})")
    return values.T * factors[:, None]


def _median(path: Path, ds, groups, index: int, stored: tuple[str, ...]) -> np.ndarray | None:
    group = groups[index]
    leads, factors = _channels(path, group)
    if leads != stored:
        return None
    return _array(path, ds, index, factors, int(group.get("NumberOfWaveformSamples") or 0))


def _annotations(ds) -> tuple[tuple[str, ...], dict[str, float]]:
    statements: list[str] = []
    measurements: dict[str, float] = {}
    for annotation in ds.get("WaveformAnnotationSequence") or []:
        text = str(annotation.get("UnformattedTextValue", "") or "").strip()
        if text and text not in statements:
            statements.append(text)
        concept = annotation.get("ConceptNameCodeSequence")
        meaning = str(concept[0].get("CodeMeaning", "")).strip().lower() if concept else ""
        key = _MEASUREMENTS.get(meaning)
        value = optional_number(annotation.get("NumericValue"))
        if key and value is not None and key not in measurements:
            measurements[key] = value
    return tuple(statements), measurements


def _acquired(ds) -> datetime | None:
    stamp = str(ds.get("AcquisitionDateTime", "") or "").strip()
    if not stamp:
        stamp = f"{ds.get('ContentDate', '') or ''}{ds.get('ContentTime', '') or ''}".strip()
    main = stamp.split(".")[0].split("+")[0]
    for pattern in ("%Y%m%d%H%M%S", "%Y%m%d%H%M", "%Y%m%d"):
        try:
            return datetime.strptime(main, pattern)
        except ValueError:
            continue
    return None


def _age(ds) -> float | None:
    """DICOM ages are ``nnnY`` (or D/W/M); only years are an age in years."""
    text = str(ds.get("PatientAge", "") or "").strip().upper()
    if len(text) == 4 and text[:3].isdigit() and text[3] == "Y":
        return float(int(text[:3]))
    return None


def _device(ds) -> str | None:
    parts = [str(ds.get(tag, "") or "").strip() for tag in ("Manufacturer", "ManufacturerModelName")]
    text = " ".join(p for p in parts if p and p.lower() != "unknown")
    return text or None
