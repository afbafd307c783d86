"""What every hospital-format reader shares: limits, safe XML, and turning decoded leads into a Record.

A format module parses its file into a :class:`Decoded` (header facts plus a function that decodes
the samples on demand); :func:`to_info` and :func:`to_record` turn that into the one contract the
rest of the engine knows, so lead naming, limb-lead derivation, unit checks and the finite-sample
check live here once.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Callable, Mapping
from xml.etree.ElementTree import Element, ParseError

import numpy as np
from defusedxml import DefusedXmlException
from defusedxml import ElementTree as SafeET

from training.data.record import STANDARD_LEADS, Record, RecordInfo, canonical_lead_name
from training.errors import RecordError

#: Largest file any hospital-format reader opens (a 24-hour 12-lead Holter EDF at 1 kHz is ~2 GB;
#: resting-ECG XML is well under 10 MB, so XML gets a tighter limit).
MAX_FILE_BYTES = 4 * 1024**3
MAX_XML_BYTES = 64 * 1024**2
#: Most leads/channels a record may declare, and most samples (all leads together) it may hold:
#: checked from the header before any sample array is allocated (2**28 float32 = 1 GiB).
MAX_LEADS = 64
MAX_TOTAL_SAMPLES = 2**28

#: Millivolts per unit, keyed by the lower-cased unit with "u" for micro (µV, μV, uV, MICROVOLTS).
_MV_PER_UNIT = {"nv": 1e-6, "uv": 1e-3, "mv": 1.0, "v": 1000.0, "microvolts": 1e-3, "millivolts": 1.0}

#: The limb leads computed from I and II when a device stores only those two (Einthoven, Goldberger).
LIMB_DERIVED = ("III", "aVR", "aVL", "aVF")


@dataclass
class Decoded:
    """One file's header facts, and ``samples()`` -> float64 ``[stored leads, n_samples]`` in mV.

    ``median()`` gives the representative beat the same way (or ``None``). ``resolution_mv`` is the
    amplitude of one stored integer step per stored lead where the format says it (WFDB export uses it).
    """

    path: Path
    source_format: str
    fs: float
    n_samples: int
    stored_leads: tuple[str, ...]
    samples: Callable[[], np.ndarray]
    median: Callable[[], np.ndarray | None] = lambda: None
    start: datetime | None = None
    age: float | None = None
    sex: str | None = None
    statements: tuple[str, ...] = ()
    device: str | None = None
    device_measurements: Mapping[str, float] = field(default_factory=dict)
    metadata: dict[str, Any] = field(default_factory=dict)


# ---------------------------------------------------------------------------------------- checks
def check_file(path: Path, max_bytes: int = MAX_FILE_BYTES) -> int:
    """The file's size, refusing a missing, empty or oversized file before anything reads it."""
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise RecordError(path, "file not found") from None
    except OSError as exc:
        raise RecordError(path, f"cannot read the file: {exc.strerror or exc}") from None
    if size == 0:
        raise RecordError(path, "the file is empty")
    if size > max_bytes:
        raise RecordError(path, f"the file is {size / 1024**2:.0f} MB, more than the {max_bytes / 1024**2:.0f} MB "
                                "this format may have; refused")
    return size


def check_shape(path: Path, n_leads: int, n_samples: int) -> None:
    """Refuse impossible or oversized lead/sample counts before allocating an array for them."""
    if n_leads <= 0:
        raise RecordError(path, "the file holds no ECG leads")
    if n_leads > MAX_LEADS:
        raise RecordError(path, f"the file declares {n_leads} leads, more than the {MAX_LEADS} allowed")
    if n_samples <= 0:
        raise RecordError(path, "the ECG has no samples")
    if n_leads * n_samples > MAX_TOTAL_SAMPLES:
        raise RecordError(path, f"{n_leads} leads × {n_samples} samples is larger than ECG Studio reads "
                                f"({MAX_TOTAL_SAMPLES} samples in all)")


def check_rate(path: Path, fs: float | None, what: str = "sampling rate") -> float:
    if fs is None or not math.isfinite(fs) or fs <= 0:
        raise RecordError(path, f"the file gives no usable {what} ({fs!r})")
    if fs > 100_000:
        raise RecordError(path, f"{what} of {fs:g} Hz is not an ECG rate")
    return float(fs)


def number(path: Path, text: str | None, what: str) -> float:
    """A required number from the file, or a RecordError naming what is missing."""
    if text is None or not str(text).strip():
        raise RecordError(path, f"the file gives no {what}")
    try:
        value = float(text)
    except ValueError:
        raise RecordError(path, f"{what} is not a number ({str(text).strip()[:40]!r})") from None
    if not math.isfinite(value):
        raise RecordError(path, f"{what} is not a finite number ({text!r})")
    return value


def optional_number(text: str | None) -> float | None:
    try:
        value = float(text) if text is not None and str(text).strip() else math.nan
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def mv_per_unit(unit: str | None) -> float | None:
    """Millivolts per one ``unit`` (any spelling of µV, mV, V, nV), or ``None`` for a non-voltage unit."""
    key = (unit or "").strip().lower().replace("μ", "u").replace("µ", "u")
    return _MV_PER_UNIT.get(key)


# ---------------------------------------------------------------------------------------- XML
def parse_xml(path: Path) -> Element:
    """Parse untrusted XML: no entity expansion, no external entities or DTD fetches, size-limited.

    defusedxml refuses entity declarations (billion laughs) and external references (XXE); a
    ``<!DOCTYPE ... SYSTEM "x.dtd">`` line alone, as GE MUSE writes it, is not fetched and is allowed.
    """
    check_file(path, MAX_XML_BYTES)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise RecordError(path, f"cannot read the file: {exc.strerror or exc}") from None
    try:
        return SafeET.fromstring(data, forbid_dtd=False, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as exc:
        raise RecordError(path, f"the XML declares entities or external references ({type(exc).__name__}); "
                                "refused as unsafe") from None
    except ParseError as exc:
        line, column = getattr(exc, "position", (0, 0))
        raise RecordError(path, f"the XML is malformed or truncated (line {line}, column {column})") from None
    except (ValueError, UnicodeError) as exc:  # expat on undecodable text (a UTF-16 file cut mid-character)
        raise RecordError(path, f"the XML text cannot be decoded: {exc}") from None


def local(tag: str) -> str:
    """An element's tag without its ``{namespace}``."""
    return tag.rsplit("}", 1)[-1]


# ---------------------------------------------------------------------------------------- leads
def derived_limb_leads(stored: tuple[str, ...]) -> tuple[str, ...]:
    """The limb leads a reader will compute: those missing when I and II are present."""
    if "I" in stored and "II" in stored:
        return tuple(lead for lead in LIMB_DERIVED if lead not in stored)
    return ()


def derive(lead: str, one: np.ndarray, two: np.ndarray) -> np.ndarray:
    """Einthoven's III = II - I and Goldberger's augmented leads from I and II."""
    return {"III": lambda: two - one, "aVR": lambda: -(one + two) / 2,
            "aVL": lambda: one - two / 2, "aVF": lambda: two - one / 2}[lead]()


def output_leads(stored: tuple[str, ...]) -> tuple[str, ...]:
    """Standard leads (stored or derived) in print order, then any other stored channel as stored."""
    available = set(stored) | set(derived_limb_leads(stored))
    return tuple(lead for lead in STANDARD_LEADS if lead in available) + tuple(
        lead for lead in stored if lead not in STANDARD_LEADS)


def canonical_leads(path: Path, names: list[str]) -> tuple[str, ...]:
    leads = tuple(canonical_lead_name(n) for n in names)
    seen: set[str] = set()
    for lead in leads:
        if not lead:
            raise RecordError(path, "a lead has no name")
        if lead in seen:
            raise RecordError(path, f"lead {lead} appears twice")
        seen.add(lead)
    return leads


def _arrange(decoded: Decoded, stored: np.ndarray, what: str) -> np.ndarray:
    """Stored rows -> output lead order, deriving the missing limb leads."""
    path = decoded.path
    if stored.ndim != 2 or stored.shape[0] != len(decoded.stored_leads):
        raise RecordError(path, f"{what}: decoded {stored.shape[0] if stored.ndim else 0} leads, "
                                f"the file lists {len(decoded.stored_leads)}")
    row = {lead: stored[i] for i, lead in enumerate(decoded.stored_leads)}
    for lead in derived_limb_leads(decoded.stored_leads):
        row[lead] = derive(lead, row["I"], row["II"])
    out = np.stack([row[lead] for lead in output_leads(decoded.stored_leads)]).astype(np.float32)
    bad = ~np.isfinite(out)
    if bad.any():
        lead_i, sample_i = np.argwhere(bad)[0]
        raise RecordError(path, f"{what}: {int(bad.sum())} non-finite sample(s); first in lead "
                                f"{output_leads(decoded.stored_leads)[lead_i]} at {sample_i / decoded.fs:.3f} s")
    return np.ascontiguousarray(out)


def to_info(decoded: Decoded) -> RecordInfo:
    check_shape(decoded.path, len(decoded.stored_leads), decoded.n_samples)
    leads = output_leads(decoded.stored_leads)
    comments = tuple(f"Statement: {s}" for s in decoded.statements)
    return RecordInfo(
        path=decoded.path, name=decoded.path.stem, fs=decoded.fs, n_samples=decoded.n_samples,
        leads=leads, units=("mV",) * len(leads), start=decoded.start, age=decoded.age, sex=decoded.sex,
        comments=comments, source_format=decoded.source_format, device=decoded.device,
        statements=decoded.statements, derived_leads=derived_limb_leads(decoded.stored_leads),
        device_measurements=dict(decoded.device_measurements), metadata=dict(decoded.metadata))


def to_record(decoded: Decoded) -> Record:
    info = to_info(decoded)
    signal = _arrange(decoded, np.asarray(decoded.samples(), dtype=np.float64), "rhythm")
    if signal.shape[1] != decoded.n_samples:
        raise RecordError(decoded.path, f"decoded {signal.shape[1]} samples per lead, the file says {decoded.n_samples}")
    median = decoded.median()
    median_beat = None if median is None else _arrange(decoded, np.asarray(median, dtype=np.float64), "median beat")
    fields = {name: getattr(info, name) for name in info.__dataclass_fields__}
    return Record(**fields, signal=signal, median_beat=median_beat)


def equal_lengths(path: Path, lengths: dict[str, int], what: str = "lead") -> int:
    """The common length of all leads, or a RecordError naming the lead that differs."""
    values = list(lengths.values())
    if not values:
        raise RecordError(path, "the file holds no ECG leads")
    common = max(set(values), key=values.count)
    for lead, n in lengths.items():
        if n != common:
            raise RecordError(path, f"{what} {lead} has {n} samples, the other leads {common}")
    return common
