"""The in-memory ECG record every reader returns and every consumer (plot, dataset, model) takes."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Mapping

import numpy as np

#: The standard 12 leads in their conventional print order.
STANDARD_LEADS: tuple[str, ...] = (
    "I", "II", "III", "aVR", "aVL", "aVF", "V1", "V2", "V3", "V4", "V5", "V6",
)

_CANONICAL = {name.lower(): name for name in STANDARD_LEADS}


def canonical_lead_name(name: str) -> str:
    """Return the conventional spelling of a lead name (PTB-XL's ``AVR`` -> ``aVR``, ``v1`` -> ``V1``).

    Names that are not one of the 12 standard leads (``MLII``, ``PLETH``...) are returned stripped
    but otherwise untouched, so non-ECG channels keep the names their device gave them.
    """
    stripped = name.strip()
    return _CANONICAL.get(stripped.lower(), stripped)


@dataclass(frozen=True, eq=False, kw_only=True)
class RecordInfo:
    """What a record's header says, without its samples: enough to list, filter and split records.

    ``units`` are as the samples will be returned: voltage channels in ``"mV"``, others (mmHg, NU...)
    in their own units.

    Hospital exports (:mod:`training.data.formats`) fill the fields after ``comments``: ``start`` is
    the acquisition time, ``statements`` the device's or reader's diagnostic statements as written,
    ``derived_leads`` the leads computed from others (GE MUSE stores 8 of 12), ``device_measurements``
    the electrocardiograph's own global measurements under the key names of ``training.measure``'s
    "global" object (``hr_bpm``, ``pr_ms``, ``qrs_ms``, ``qt_ms``, ``qtc_ms``, ``qrs_axis_deg``...),
    and ``metadata`` whatever else the file carries that a reader may want (JSON-able values).
    """

    path: Path
    name: str
    fs: float
    n_samples: int
    leads: tuple[str, ...]
    units: tuple[str, ...]
    start: datetime | None = None
    age: float | None = None
    sex: str | None = None
    labels: tuple[str, ...] = ()
    comments: tuple[str, ...] = field(default=(), repr=False)
    source_format: str = "WFDB"
    device: str | None = None
    statements: tuple[str, ...] = ()
    derived_leads: tuple[str, ...] = ()
    device_measurements: Mapping[str, float] = field(default_factory=dict, repr=False)
    metadata: Mapping[str, Any] = field(default_factory=dict, repr=False)

    @property
    def n_leads(self) -> int:
        return len(self.leads)

    @property
    def duration(self) -> float:
        """Length in seconds."""
        return self.n_samples / self.fs

    def missing_leads(self, leads: tuple[str, ...] | list[str]) -> list[str]:
        return [lead for lead in leads if lead not in self.leads]


@dataclass(frozen=True, eq=False, kw_only=True)
class Record(RecordInfo):
    """One recording: the header's information plus ``signal``, float32 ``[leads, samples]``.

    Voltage channels are in millivolts; ``units`` states each lead's unit. ``median_beat`` is the
    device's representative beat, ``[leads, samples]`` in mV at ``fs`` in the same lead order, where
    the file carries one (MUSE, aECG, DICOM); the record itself is always the rhythm.
    """

    signal: np.ndarray = field(repr=False)
    median_beat: np.ndarray | None = field(default=None, repr=False)

    def lead(self, name: str) -> np.ndarray:
        """Samples of one lead, by canonical name."""
        try:
            return self.signal[self.leads.index(canonical_lead_name(name))]
        except ValueError:
            raise KeyError(f"{self.name} has no lead {name!r} (it has {', '.join(self.leads)})") from None

    def select(self, leads: tuple[str, ...] | list[str], start: int = 0, stop: int | None = None) -> np.ndarray:
        """``[len(leads), samples]`` in the order asked, samples ``[start, stop)`` (all by default; a span
        of a memory-mapped record reads only that span); raises ``KeyError`` naming absent leads."""
        missing = self.missing_leads(leads)
        if missing:
            raise KeyError(f"{self.name} lacks lead(s) {', '.join(missing)}")
        return self.signal[[self.leads.index(lead) for lead in leads], start:stop]
