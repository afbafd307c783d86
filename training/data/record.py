"""The in-memory ECG record every reader returns and every consumer (plot, dataset, model) takes."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

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

    Voltage channels are in millivolts; ``units`` states each lead's unit.
    """

    signal: np.ndarray = field(repr=False)

    def lead(self, name: str) -> np.ndarray:
        """Samples of one lead, by canonical name."""
        try:
            return self.signal[self.leads.index(canonical_lead_name(name))]
        except ValueError:
            raise KeyError(f"{self.name} has no lead {name!r} (it has {', '.join(self.leads)})") from None

    def select(self, leads: tuple[str, ...] | list[str]) -> np.ndarray:
        """``[len(leads), samples]`` in the order asked; raises ``KeyError`` naming absent leads."""
        missing = self.missing_leads(leads)
        if missing:
            raise KeyError(f"{self.name} lacks lead(s) {', '.join(missing)}")
        return self.signal[[self.leads.index(lead) for lead in leads]]
