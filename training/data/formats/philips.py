"""Philips PageWriter/Sierra ECG XML 1.03-1.04.02 (UTF-16, XLI-compressed base64 samples).

The samples are decoded by the ``sierraecg`` package (MIT; it parses with defusedxml too), which
also rebuilds III/aVR/aVL/aVF from the residuals Philips stores. Everything else (rate, resolution,
acquisition time, device, statements, measurements) is read here from our own safe parse.

Philips appends a 1 mV calibration pulse (with zero padding around it) after ~10.6 s of ECG, drawn
on every lead at once. It is not ECG: the reader **trims** it. The trimmed tail is the longest final
stretch where all leads hold the same value at every sample (no ECG does that); its length and the
pulse amplitude are kept in ``metadata["calibration_trimmed"]``.
"""

from __future__ import annotations

import binascii
import functools
from datetime import datetime
from pathlib import Path
from xml.etree.ElementTree import Element

import numpy as np

from training.data.formats.common import (Decoded, canonical_leads, check_file, check_rate, check_shape,
                                          number, optional_number, parse_xml, MAX_XML_BYTES)
from training.data.formats.registry import register_format
from training.errors import RecordError

NAME = "Philips Sierra XML"
#: A shorter identical-on-every-lead tail is left alone (it would be a coincidence, not a pulse).
MIN_CALIBRATION_SAMPLES = 10

_MEASUREMENTS = {
    "heartrate": "hr_bpm", "rrint": "rr_ms", "pdur": "p_ms", "print": "pr_ms", "qrsdur": "qrs_ms",
    "qtint": "qt_ms", "qtcb": "qtc_bazett_ms", "pfrontaxis": "p_axis_deg", "qrsfrontaxis": "qrs_axis_deg",
    "tfrontaxis": "t_axis_deg",
}


def sniff(head: bytes) -> bool:
    for encoding in ("utf-16", "utf-8"):
        try:
            text = head.decode(encoding, errors="ignore")
        except UnicodeError:
            continue
        if "<restingecgdata" in text:
            return True
    return False


@register_format(NAME, (".xml",), sniff)
def decode(path: Path) -> Decoded:
    root = parse_xml(path)
    if _local(root.tag) != "restingecgdata":
        raise RecordError(path, f"not a Philips ECG file (root element <{_local(root.tag)}>)")
    version = (_text(root, "documentinfo/documentversion") or "?").strip()
    waves = root.find(".//{*}parsedwaveforms")
    if waves is None:
        raise RecordError(path, "the Philips file has no parsedwaveforms element (no ECG samples)")
    fs = check_rate(path, optional_number(waves.get("samplespersecond"))
                    or optional_number(_text(root, "dataacquisition/signalcharacteristics/samplingrate")))
    resolution_uv = optional_number(waves.get("resolution")) or number(
        path, _text(root, "dataacquisition/signalcharacteristics/resolution"), "signal resolution")
    labels = (waves.get("leadlabels") or "").split()
    n_leads = int(number(path, waves.get("numberofleads") or str(len(labels)), "number of leads"))
    duration_ms = number(path, waves.get("durationperchannel"), "duration per channel")
    check_shape(path, n_leads, int(duration_ms * fs / 1000))
    signal, trimmed = _decoded_samples(path, path.stat().st_mtime_ns, path.stat().st_size)
    stored = canonical_leads(path, labels or [f"lead {i + 1}" for i in range(signal.shape[0])])
    if len(stored) != signal.shape[0]:
        raise RecordError(path, f"the file lists {len(stored)} leads but holds {signal.shape[0]}")
    acquisition = root.find("{*}dataacquisition")
    start = _when(acquisition)
    machine = root.find("{*}dataacquisition/{*}machine")
    device = " ".join(t for t in ("Philips", (machine.text or "").strip() if machine is not None else "") if t)
    metadata: dict = {"document_version": version, "resolution_uV": resolution_uv}
    if trimmed:
        metadata["calibration_trimmed"] = {"samples": trimmed["samples"], "seconds": trimmed["samples"] / fs,
                                           "pulse_mV": trimmed["pulse_counts"] * resolution_uv / 1000.0}
    mv = resolution_uv / 1000.0
    return Decoded(
        path=path, source_format=f"{NAME} {version}", fs=fs, n_samples=signal.shape[1], stored_leads=stored,
        samples=lambda: signal * mv, start=start, age=_age(root, start), sex=_sex(root),
        statements=_statements(root), device=device, device_measurements=_measurements(root), metadata=metadata)


@functools.lru_cache(maxsize=4)
def _decoded_samples(path: Path, _mtime_ns: int, _size: int) -> tuple[np.ndarray, dict | None]:
    """Integer samples ``[leads, n]`` without the calibration tail; cached so that a header read and
    the record read that follows decode the file once (the key includes mtime and size)."""
    import sierraecg

    check_file(path, MAX_XML_BYTES)
    try:
        ecg = sierraecg.read_file(str(path))
    except sierraecg.lib.UnsupportedXmlFileError as exc:
        raise RecordError(path, f"unsupported Philips XML: {exc} (1.03, 1.04, 1.04.01 and 1.04.02 are read)") from None
    except binascii.Error:
        raise RecordError(path, "the Philips waveform data cannot be decoded: not valid base64") from None
    except Exception as exc:  # sierraecg raises RuntimeError/ValueError/IndexError on bad data
        raise RecordError(path, f"the Philips waveform data cannot be decoded ({type(exc).__name__}: {exc})") from None
    lengths = {lead.label: len(lead.samples) for lead in ecg.leads}
    if not lengths or len(set(lengths.values())) != 1:
        raise RecordError(path, f"Philips leads have different lengths: {lengths}")
    signal = np.stack([np.asarray(lead.samples, dtype=np.float64) for lead in ecg.leads])
    keep = _ecg_length(signal)
    trimmed = None
    if signal.shape[1] - keep >= MIN_CALIBRATION_SAMPLES:
        tail = signal[0, keep:]
        trimmed = {"samples": int(signal.shape[1] - keep), "pulse_counts": float(tail[np.argmax(np.abs(tail))])}
        signal = signal[:, :keep]
    if signal.shape[1] == 0:
        raise RecordError(path, "the Philips file holds only a calibration pulse, no ECG")
    return signal, trimmed


def _ecg_length(signal: np.ndarray) -> int:
    """Samples before the final stretch in which every lead holds the same value."""
    same = np.all(signal == signal[0], axis=0)
    differing = np.flatnonzero(~same)
    return int(differing[-1]) + 1 if differing.size else 0


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _text(root: Element, path: str) -> str | None:
    return root.findtext("/".join(f"{{*}}{part}" for part in path.split("/")))


def _when(element: Element | None) -> datetime | None:
    if element is None:
        return None
    try:
        return datetime.strptime(f"{element.get('date')} {element.get('time')}", "%Y-%m-%d %H:%M:%S")
    except (TypeError, ValueError):
        return None


def _interpretation(root: Element) -> Element | None:
    return root.find(".//{*}interpretations/{*}interpretation")


def _measurements(root: Element) -> dict[str, float]:
    interpretation = _interpretation(root)
    block = interpretation.find("{*}globalmeasurements") if interpretation is not None else None
    if block is None:
        return {}
    out = {}
    for tag, key in _MEASUREMENTS.items():
        value = optional_number(block.findtext(f"{{*}}{tag}"))
        if value is not None:
            out[key] = value
    return out


def _statements(root: Element) -> tuple[str, ...]:
    interpretation = _interpretation(root)
    if interpretation is None:
        return ()
    out = [(s.findtext("{*}leftstatement") or "").strip() for s in interpretation.findall("{*}statement")]
    severity = (interpretation.findtext("{*}severity") or "").strip(" -")
    return tuple(s for s in (*out, severity) if s)


def _age(root: Element, acquired: datetime | None) -> float | None:
    years = optional_number(_text(root, "patient/generalpatientdata/age/years"))
    if years is not None:
        return years if 0 <= years < 130 else None
    birth = (_text(root, "patient/generalpatientdata/age/dateofbirth") or "").strip()
    if not birth or acquired is None:
        return None
    try:
        born = datetime.strptime(birth, "%Y-%m-%d")
    except ValueError:
        return None
    age = acquired.year - born.year - ((acquired.month, acquired.day) < (born.month, born.day))
    return float(age) if 0 <= age < 130 else None


def _sex(root: Element) -> str | None:
    text = (_text(root, "patient/generalpatientdata/sex") or "").strip().lower()
    return {"male": "M", "female": "F"}.get(text)
