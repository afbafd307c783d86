"""The values annotating deals in: annotations, vocabulary terms, plot marks and record status."""

from __future__ import annotations

import zlib
from dataclasses import asdict, dataclass
from typing import Any

LABEL = "label"
INTERVAL = "interval"

STATUS_NONE = "none"
STATUS_LABELLED = "labelled"
STATUS_CONFIRMED = "confirmed"

#: where a vocabulary term comes from (the store seeds the first two; users add custom ones)
PTBXL_SOURCE = "PTB-XL superclass"
CINC_SOURCE = "CinC 2021 scored"
CUSTOM_SOURCE = "custom"

#: Mark colours: the Okabe-Ito colour-blind-safe set without its black, yellow (too faint) and vermillion
#: (too close to the red ECG grid), plus a brown; they stand apart on pink paper with black traces.
MARK_PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#8C6D1F")


@dataclass(frozen=True)
class Annotation:
    """One record-level label (``kind == "label"``, no lead/times) or one time interval.

    ``lead`` None means the interval covers all leads. ``label`` is a vocabulary code or free text.
    """

    id: int
    record_key: str
    kind: str
    label: str
    lead: str | None
    t0: float | None
    t1: float | None
    note: str
    author: str
    created_at: str
    updated_at: str
    updated_by: str
    confirmed_by: str | None
    confirmed_at: str | None
    deleted_by: str | None
    deleted_at: str | None
    source: str

    @property
    def confirmed(self) -> bool:
        return self.confirmed_at is not None

    @property
    def deleted(self) -> bool:
        return self.deleted_at is not None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Term:
    """A label the vocabulary offers: its stored ``code`` and what a clinician reads."""

    code: str
    display: str
    source: str


@dataclass(frozen=True)
class Mark:
    """What the plot draws for one interval annotation (duck-typed by the plot's ``set_marks``)."""

    lead: str | None
    t0: float
    t1: float
    label: str
    colour: str
    annotation_id: int
    confirmed: bool


@dataclass(frozen=True)
class Draft:
    """An annotation read from a file, before the store validates and inserts it; ``line`` for errors."""

    line: int
    record_key: str
    kind: str
    label: str
    author: str
    lead: str | None = None
    t0: float | None = None
    t1: float | None = None
    note: str = ""
    record_name: str = ""
    created_at: str | None = None
    confirmed_by: str | None = None
    confirmed_at: str | None = None


@dataclass(frozen=True)
class ImportResult:
    added: int
    duplicates: int
    skipped: int = 0


def label_colours(annotations: list[Annotation]) -> dict[str, str]:
    """A colour per interval label of one record: distinct labels get distinct colours.

    Each label prefers a colour hashed from its text (so "PVC" usually looks the same on every record);
    when an older label of the record already has that colour, it takes the next free one. Labels are
    served oldest first, so marking something new never recolours what is already on screen.
    """
    colours: dict[str, str] = {}
    for a in sorted(annotations, key=lambda a: a.id):
        if a.kind != INTERVAL or a.deleted or a.label in colours:
            continue
        preferred = zlib.crc32(a.label.casefold().encode("utf-8")) % len(MARK_PALETTE)
        candidates = [MARK_PALETTE[(preferred + step) % len(MARK_PALETTE)] for step in range(len(MARK_PALETTE))]
        colours[a.label] = next((c for c in candidates if c not in colours.values()), candidates[0])
    return colours


def marks_of(annotations: list[Annotation]) -> list[Mark]:
    """Plot marks of the live interval annotations, in time order."""
    colours = label_colours(annotations)
    intervals = [a for a in annotations if a.kind == INTERVAL and not a.deleted]
    return [
        Mark(a.lead, a.t0, a.t1, a.label, colours[a.label], a.id, a.confirmed)
        for a in sorted(intervals, key=lambda a: (a.t0, a.id))
    ]


def status_of(live: int, confirmed: int) -> str:
    """Library status from counts of live and confirmed annotations of one record."""
    if live == 0:
        return STATUS_NONE
    return STATUS_CONFIRMED if confirmed == live else STATUS_LABELLED
