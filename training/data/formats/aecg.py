"""HL7 v3 annotated ECG (aECG, ``urn:hl7-org:v3`` AnnotatedECG), the FDA's format for trials.

The RHYTHM series is the record; its REPRESENTATIVE_BEAT derived series is ``median_beat``. Each
lead is a ``sequence`` whose ``digits`` are scaled by ``scale`` and offset by ``origin`` (physical
units, µV or mV), named by MDC code (``MDC_ECG_LEAD_I``...). The rate comes from the time sequence's
``increment``. The device's annotations are kept: its global measurements (PR, QRS, QT, QTc, axes)
as ``device_measurements``, its rhythm/diagnosis statements, and every P/QRS/T wave's on/offset
(seconds from the start) under ``metadata["waves"]``.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from xml.etree.ElementTree import Element

import numpy as np

from training.data.formats.common import (Decoded, canonical_leads, check_rate, check_shape, equal_lengths,
                                          mv_per_unit, number, optional_number, parse_xml)
from training.data.formats.registry import register_format
from training.errors import RecordError

NAME = "HL7 aECG"
H = "{urn:hl7-org:v3}"
XSI_TYPE = "{http://www.w3.org/2001/XMLSchema-instance}type"

_TIME_TO_S = {"s": 1.0, "ms": 1e-3}
_MEASUREMENTS = {
    "MDC_ECG_HEART_RATE": "hr_bpm", "MDC_ECG_TIME_PD_RR": "rr_ms", "MDC_ECG_TIME_PD_P": "p_ms",
    "MDC_ECG_TIME_PD_PR": "pr_ms", "MDC_ECG_TIME_PD_QRS": "qrs_ms", "MDC_ECG_TIME_PD_QT": "qt_ms",
    "MDC_ECG_TIME_PD_QTc": "qtc_ms", "MDC_ECG_ANGLE_P_FRONT": "p_axis_deg",
    "MDC_ECG_ANGLE_QRS_FRONT": "qrs_axis_deg", "MDC_ECG_ANGLE_T_FRONT": "t_axis_deg",
}
_WAVES = {"MDC_ECG_WAVC_PWAVE": "P", "MDC_ECG_WAVC_QRSWAVE": "QRS", "MDC_ECG_WAVC_TWAVE": "T"}


def sniff(head: bytes) -> bool:
    return b"AnnotatedECG" in head and b"urn:hl7-org:v3" in head


@register_format(NAME, (".xml",), sniff)
def decode(path: Path) -> Decoded:
    root = parse_xml(path)
    if root.tag != f"{H}AnnotatedECG":
        raise RecordError(path, f"not an HL7 aECG file (root element <{root.tag}>)")
    rhythm = next((s for s in root.iter(f"{H}series") if _code(s) == "RHYTHM"), None)
    if rhythm is None:
        rhythm = next(root.iter(f"{H}series"), None)
    if rhythm is None:
        raise RecordError(path, "the aECG has no waveform series")
    fs, stored, lengths = _series_table(path, rhythm)
    n_samples = equal_lengths(path, lengths)
    check_shape(path, len(stored), n_samples)
    median = next((d for d in rhythm.iter(f"{H}derivedSeries") if _code(d) == "REPRESENTATIVE_BEAT"), None)
    start = _timestamp(_first_attr(rhythm, f"{H}effectiveTime/{H}low", "value")) or _timestamp(
        _first_attr(root, f"{H}effectiveTime/{H}center", "value"))
    sets = list(rhythm.iter(f"{H}annotationSet"))
    return Decoded(
        path=path, source_format=NAME, fs=fs, n_samples=n_samples, stored_leads=stored,
        samples=lambda: _samples(path, rhythm, n_samples),
        median=lambda: None if median is None else _median(path, median, stored, fs),
        start=start, age=_age(root), sex=_sex(root), statements=_statements(sets), device=_device(rhythm),
        device_measurements=_measurements(root, rhythm, median), metadata={"waves": _waves(sets, start)})


def _code(element: Element) -> str:
    code = element.find(f"{H}code")
    return (code.get("code") or "") if code is not None else ""


def _first_attr(element: Element, path: str, attr: str) -> str | None:
    found = element.find(path)
    return found.get(attr) if found is not None else None


def _sequences(series: Element) -> tuple[Element | None, list[Element]]:
    """The series' time sequence and its lead sequences (of its own sequence sets only)."""
    time, leads = None, []
    for sequence_set in series.findall(f"{H}component/{H}sequenceSet"):
        for sequence in sequence_set.findall(f"{H}component/{H}sequence"):
            code = _code(sequence)
            if code.startswith("TIME_"):
                time = time if time is not None else sequence
            elif code.startswith("MDC_ECG_LEAD_"):
                leads.append(sequence)
    return time, leads


def _series_table(path: Path, series: Element) -> tuple[float, tuple[str, ...], dict[str, int]]:
    time, leads = _sequences(series)
    if time is None:
        raise RecordError(path, "the aECG series has no time sequence, so no sampling rate")
    increment = time.find(f"{H}value/{H}increment")
    if increment is None:
        raise RecordError(path, "the aECG time sequence has no increment, so no sampling rate")
    step = number(path, increment.get("value"), "time increment")
    unit = (increment.get("unit") or "s").lower()
    if unit not in _TIME_TO_S:
        raise RecordError(path, f"time increment in unknown units {unit!r}")
    fs = check_rate(path, 1.0 / (step * _TIME_TO_S[unit]) if step > 0 else None)
    check_shape(path, len(leads), 1)
    stored = canonical_leads(path, [_lead_name(_code(s)) for s in leads])
    lengths = {name: len((s.findtext(f"{H}value/{H}digits") or "").split()) for name, s in zip(stored, leads)}
    return round(fs, 6), stored, lengths


def _lead_name(code: str) -> str:
    """``MDC_ECG_LEAD_AVR`` -> ``AVR`` (canonicalised to ``aVR`` by the caller)."""
    return code.removeprefix("MDC_ECG_LEAD_")


def _samples(path: Path, series: Element, n_samples: int) -> np.ndarray:
    _, leads = _sequences(series)
    out = np.empty((len(leads), n_samples), dtype=np.float64)
    for i, sequence in enumerate(leads):
        name = _lead_name(_code(sequence))
        value = sequence.find(f"{H}value")
        digits = (value.findtext(f"{H}digits") if value is not None else None) or ""
        try:
            raw = np.array(digits.split(), dtype=np.float64)
        except ValueError:
            raise RecordError(path, f"lead {name}: the digits are not all numbers") from None
        if raw.size != n_samples:
            raise RecordError(path, f"lead {name} holds {raw.size} samples, the others {n_samples}")
        scale = value.find(f"{H}scale")
        origin = value.find(f"{H}origin")
        if scale is None:
            raise RecordError(path, f"lead {name} has no scale")
        factor = number(path, scale.get("value"), f"scale of lead {name}") * _to_mv(path, scale.get("unit"), name)
        offset = 0.0 if origin is None else number(path, origin.get("value"), f"origin of lead {name}") * _to_mv(
            path, origin.get("unit"), name)
        out[i] = raw * factor + offset
    return out


def _to_mv(path: Path, unit: str | None, lead: str) -> float:
    factor = mv_per_unit(unit or "uV")
    if factor is None:
        raise RecordError(path, f"lead {lead} is in unknown units {unit!r}")
    return factor


def _median(path: Path, series: Element, stored: tuple[str, ...], fs: float) -> np.ndarray | None:
    median_fs, leads, lengths = _series_table(path, series)
    if leads != stored or abs(median_fs - fs) > 1e-6:
        return None
    return _samples(path, series, equal_lengths(path, lengths))


def _device(series: Element) -> str | None:
    device = series.find(f"{H}author/{H}seriesAuthor")
    if device is None:
        return None
    parts = [device.findtext(f"{H}manufacturerOrganization/{H}name"),
             device.findtext(f"{H}manufacturedSeriesDevice/{H}manufacturerModelName")]
    software = device.findtext(f"{H}manufacturedSeriesDevice/{H}softwareName")
    text = " ".join(p.strip() for p in parts if p and p.strip())
    return (f"{text} (software {software.strip()})" if software and software.strip() else text) or None


def _measurements(root: Element, rhythm: Element, median: Element | None) -> dict[str, float]:
    """Global values: the representative beat's annotation set if there is one, else the first found."""
    out: dict[str, float] = {}
    for scope in (median, rhythm):
        if scope is None:
            continue
        for annotation in scope.iter(f"{H}annotation"):
            key = _MEASUREMENTS.get(_code(annotation))
            value = annotation.find(f"{H}value")
            if key and key not in out and value is not None:
                number_ = optional_number(value.get("value"))
                if number_ is not None:
                    out[key] = number_
    return out


def _statements(sets: list[Element]) -> tuple[str, ...]:
    out: list[str] = []
    for annotation_set in sets:
        for annotation in annotation_set.iter(f"{H}annotation"):
            if _code(annotation) in ("MDC_ECG_RHY", "MDC_ECG_INTERPRETATION", "MDC_ECG_INTERPRETATION_STATEMENT"):
                value = annotation.find(f"{H}value")
                text = value.get("displayName") or value.text or value.get("code") if value is not None else None
                if text and text.strip() and text.strip() not in out:
                    out.append(text.strip())
    return tuple(out)


def _waves(sets: list[Element], start: datetime | None) -> list[dict]:
    """Global P/QRS/T wave boundaries (seconds from the start; ``None`` where the file gives only one
    side, as for T waves, whose offset alone is usual) of the series' annotation sets."""
    out = []
    for annotation_set in sets:
        for annotation in annotation_set.iter(f"{H}annotation"):
            value = annotation.find(f"{H}value")
            wave = _WAVES.get(value.get("code", "")) if value is not None else None
            if wave is None:
                continue
            for boundary in annotation.iter(f"{H}boundary"):
                low, high = boundary.find(f"{H}value/{H}low"), boundary.find(f"{H}value/{H}high")
                onset = _seconds(low.get("value") if low is not None else None, start)
                offset = _seconds(high.get("value") if high is not None else None, start)
                if onset is not None or offset is not None:
                    out.append({"wave": wave, "onset_s": onset, "offset_s": offset})
    return out


def _timestamp(text: str | None) -> datetime | None:
    """HL7 TS ``YYYYMMDDHHMMSS[.fff]`` (shorter forms allowed)."""
    if not text:
        return None
    text = text.strip().split("+")[0].split("-")[0]
    main, _, fraction = text.partition(".")
    for pattern in ("%Y%m%d%H%M%S", "%Y%m%d%H%M", "%Y%m%d"):
        try:
            stamp = datetime.strptime(main, pattern)
        except ValueError:
            continue
        return stamp.replace(microsecond=int(round(float(f"0.{fraction}") * 1e6))) if fraction.isdigit() else stamp
    return None


def _seconds(text: str | None, start: datetime | None) -> float | None:
    stamp = _timestamp(text)
    if stamp is None or start is None:
        return None
    return round((stamp - start).total_seconds(), 6)


def _age(root: Element) -> float | None:
    for observation in root.iter(f"{H}relatedObservation"):
        if _code(observation) == "21612-7":  # LOINC "Reported Age"
            value = observation.find(f"{H}value")
            age = optional_number(value.get("value")) if value is not None else None
            unit = (value.get("unit") or "a") if value is not None else "a"
            if age is not None and unit == "a" and 0 <= age < 130:
                return age
    return None


def _sex(root: Element) -> str | None:
    gender = next(root.iter(f"{H}administrativeGenderCode"), None)
    return {"M": "M", "F": "F"}.get((gender.get("code") or "").upper()) if gender is not None else None
