"""EDF, EDF+ and BDF (24-bit) through ``edfio``, which opens files that wfdb and pyedflib refuse.

Only ECG channels become leads: a channel is ECG when its label or transducer names ECG/EKG or a
standard lead (``ECG II``, ``EKG V1``, ``I``...) and its physical dimension is a voltage. When ECG
channels come at different rates the most common rate wins. Every other channel is listed, with why
it was left out, in ``metadata["ignored_channels"]``; EDF+ annotations are kept in
``metadata["annotations"]`` (onset and duration in seconds, text).
"""

from __future__ import annotations

import re
import warnings
from collections import Counter
from datetime import datetime
from pathlib import Path

import numpy as np

from training.data.formats.common import (MAX_TOTAL_SAMPLES, Decoded, canonical_leads, check_file, check_rate, check_shape,
                                          mv_per_unit)
from training.data.record import STANDARD_LEADS, canonical_lead_name
from training.data.formats.registry import register_format
from training.errors import RecordError

NAME = "EDF"
#: Most channels (of any kind) an EDF header may declare; real polysomnograms have < 200.
MAX_CHANNELS = 1024
#: At most this many EDF+ annotations are kept as metadata.
MAX_ANNOTATIONS = 10_000

_ECG_WORD = re.compile(r"\b(ECG|EKG)\b", re.IGNORECASE)
_LEAD_PART = re.compile(r"^(?:ECG|EKG)?[\s_\-:]*(.*?)$", re.IGNORECASE)


def sniff(head: bytes) -> bool:
    return len(head) >= 256 and (head[:8] == b"0       " or head[:8] == b"\xffBIOSEMI")


@register_format("EDF/EDF+/BDF", (".edf", ".bdf", ".rec"), sniff)
def decode(path: Path) -> Decoded:
    import edfio

    check_file(path)
    head = path.open("rb").read(256)
    bdf = head[:8] == b"\xffBIOSEMI"
    kind = "BDF" if bdf else "EDF"
    try:
        n_channels = int(head[252:256].decode("ascii").strip())
    except (ValueError, UnicodeDecodeError):
        raise RecordError(path, f"the {kind} header is malformed (number of signals unreadable)") from None
    if not 0 < n_channels <= MAX_CHANNELS:
        raise RecordError(path, f"the {kind} header declares {n_channels} signals")
    try:
        declared = int(head[236:244].decode("ascii").strip())
    except (ValueError, UnicodeDecodeError):
        declared = -1  # "-1" (unknown, while recording) is allowed by the standard
    if bdf:  # edfio reads BDF samples eagerly (no memory map): refuse an oversized file from its header first
        _check_bdf_size(path, n_channels, declared)
    try:
        with warnings.catch_warnings():  # edfio warns, and silently shortens, on a truncated file: checked below
            warnings.simplefilter("ignore")
            edf = edfio.read_bdf(path) if bdf else edfio.read_edf(path, lazy_load_data=True)
    except Exception as exc:  # edfio raises ValueError/EdfError-like errors on malformed headers or data
        raise RecordError(path, f"the {kind} file cannot be read ({type(exc).__name__}: {exc})") from None
    if declared > 0 and edf.num_data_records < declared:
        raise RecordError(path, f"the {kind} file is truncated: it holds {edf.num_data_records} of the "
                                f"{declared} data records its header declares")
    if not bdf and str(edf.reserved).startswith("EDF+D"):
        raise RecordError(path, "discontinuous EDF+D recordings (with gaps) are not supported")
    kind = "EDF+" if str(edf.reserved).startswith("EDF+") else kind
    chosen, ignored = _ecg_channels(edf.signals)
    if not chosen:
        labels = ", ".join(s.label for s in edf.signals) or "none"
        raise RecordError(path, f"the {kind} file has no ECG channel (its channels: {labels})")
    fs = check_rate(path, chosen[0][1].sampling_frequency)
    lengths = {name: int(round(edf.duration * s.sampling_frequency)) for name, s in chosen}
    n_samples = min(lengths.values())
    check_shape(path, len(chosen), n_samples)
    stored = canonical_leads(path, [name for name, _ in chosen])
    signals = [s for _, s in chosen]
    return Decoded(
        path=path, source_format=kind, fs=fs, n_samples=n_samples, stored_leads=stored,
        samples=lambda: _samples(path, signals, n_samples), start=_start(edf), sex=_sex(edf),
        device=_equipment(edf),
        metadata={"ignored_channels": ignored, "annotations": _annotations(edf)})


def _check_bdf_size(path: Path, n_channels: int, declared_records: int) -> None:
    """Total samples from the header (records × samples per record, all channels) within the limit."""
    with path.open("rb") as fh:
        fh.seek(256 + n_channels * 216)
        field = fh.read(8 * n_channels)
    try:
        per_record = sum(int(field[8 * i:8 * i + 8].decode("ascii").strip()) for i in range(n_channels))
    except (ValueError, UnicodeDecodeError):
        raise RecordError(path, "the BDF header is malformed (samples per record unreadable)") from None
    records = declared_records if declared_records > 0 else path.stat().st_size // max(3 * per_record, 1)
    if per_record <= 0 or records * per_record > MAX_TOTAL_SAMPLES:
        raise RecordError(path, f"the BDF file declares {records} × {per_record} samples, more than ECG Studio "
                                f"reads ({MAX_TOTAL_SAMPLES} in all)")


def _lead_name(label: str) -> str:
    """``ECG II`` / ``EKG-V1`` -> ``II`` / ``V1``; other ECG labels stay as they are."""
    rest = _LEAD_PART.match(label.strip()).group(1)
    name = canonical_lead_name(rest)
    return name if name in STANDARD_LEADS else label.strip()


def _ecg_channels(signals) -> tuple[list[tuple[str, object]], list[dict]]:
    candidates, ignored = [], []
    for signal in signals:
        label = signal.label.strip()
        is_ecg = bool(_ECG_WORD.search(label) or _ECG_WORD.search(signal.transducer_type or "")
                      or canonical_lead_name(label) in STANDARD_LEADS)
        if label.endswith("Annotations"):
            continue
        if not is_ecg:
            ignored.append({"label": label, "reason": "not an ECG channel"})
        elif mv_per_unit(signal.physical_dimension) is None:
            ignored.append({"label": label, "reason": f"units {signal.physical_dimension!r} are not a voltage"})
        else:
            candidates.append(signal)
    if not candidates:
        return [], ignored
    rate = Counter(s.sampling_frequency for s in candidates).most_common(1)[0][0]
    chosen = []
    for signal in candidates:
        if signal.sampling_frequency == rate:
            chosen.append((_lead_name(signal.label), signal))
        else:
            ignored.append({"label": signal.label.strip(),
                            "reason": f"ECG at {signal.sampling_frequency:g} Hz, the other leads at {rate:g} Hz"})
    return chosen, ignored


def _samples(path: Path, signals, n_samples: int) -> np.ndarray:
    out = np.empty((len(signals), n_samples), dtype=np.float64)
    for i, signal in enumerate(signals):
        try:
            data = np.asarray(signal.data, dtype=np.float64)
        except Exception as exc:  # a data record shorter than the header says
            raise RecordError(path, f"channel {signal.label}: samples cannot be read ({type(exc).__name__}: {exc})") from None
        if data.size < n_samples:
            raise RecordError(path, f"channel {signal.label} holds {data.size} samples, the header promises {n_samples}")
        out[i] = data[:n_samples] * mv_per_unit(signal.physical_dimension)
    return out


def _start(edf) -> datetime | None:
    try:
        return datetime.combine(edf.startdate, edf.starttime)
    except Exception:  # edfio raises AnonymizedDateError for an 'X' start date
        return None


def _sex(edf) -> str | None:
    try:
        sex = str(edf.patient.sex or "").upper()
    except Exception:  # edfio raises on a patient field that is not EDF+ structured
        return None
    return sex if sex in ("M", "F") else None


def _equipment(edf) -> str | None:
    try:
        code = str(edf.recording.equipment_code or "").strip()
    except Exception:  # not an EDF+ structured recording field
        return None
    return code if code and code != "X" else None


def _annotations(edf) -> list[dict]:
    try:
        annotations = list(edf.annotations)[:MAX_ANNOTATIONS]
    except Exception:  # malformed annotation signal: the ECG is still readable
        return []
    return [{"onset_s": float(a.onset), "duration_s": None if a.duration is None else float(a.duration),
             "text": str(a.text)} for a in annotations]
