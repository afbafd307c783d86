"""A clinician's caliper corrections of the automatic intervals, kept as annotations.

A correction is an all-leads interval annotation whose label names the interval and whose start and
end are the fiducials the clinician placed (P onset–offset, P onset–QRS onset, QRS onset–offset,
QRS onset–T end). Being annotations, they carry an author and the store's audit trail, travel with the
annotation CSV/WFDB export, and can be edited or deleted in the annotation panel. The latest live
correction of an interval replaces the automatic value; a corrected QT also corrects the QTc.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

from training.measure.intervals import qtc

#: Interval key (as in the measurement JSON) -> annotation label of its correction.
CORRECTION_LABELS: dict[str, str] = {"p_ms": "P duration (caliper)", "pr_ms": "PR interval (caliper)",
                                     "qrs_ms": "QRS duration (caliper)", "qt_ms": "QT interval (caliper)"}
_KEY_OF = {label: key for key, label in CORRECTION_LABELS.items()}


@dataclass(frozen=True)
class Correction:
    key: str
    t0: float
    t1: float
    author: str
    annotation_id: int

    @property
    def value_ms(self) -> float:
        return (self.t1 - self.t0) * 1000.0


def corrections_from(annotations: Iterable) -> dict[str, Correction]:
    """The latest live correction of each interval among a record's annotations."""
    latest: dict[str, tuple[str, int, Correction]] = {}
    for a in annotations:
        key = _KEY_OF.get(a.label)
        if key is None or a.kind != "interval" or a.deleted_at or a.t0 is None or a.t1 is None:
            continue
        order = (a.updated_at, a.id)
        if key not in latest or order > latest[key][:2]:
            latest[key] = (*order, Correction(key, float(a.t0), float(a.t1), a.updated_by or a.author, a.id))
    return {key: value[2] for key, value in latest.items()}


def corrected_global(automatic: dict[str, float | None], corrections: dict[str, Correction]) -> dict[str, float | None]:
    """The automatic global measurements with each corrected interval (and the QTc of a corrected QT)
    replaced."""
    values = dict(automatic)
    for key, correction in corrections.items():
        values[key] = correction.value_ms
    if "qt_ms" in corrections:
        values.update(qtc(values["qt_ms"], values.get("rr_ms")))
    return values
