"""Reference annotations that come with PhysioNet records: beat labels and rhythm changes (MIT-BIH
``.atr``, ``.qrs``, ``.ecg``) and the per-lead P/QRS/T onsets and offsets of LUDB (one file per lead,
named by the lead: ``1.i``, ``1.ii``, … ``1.v6``). Read-only facts about the record, kept apart
from the readers' own annotations. No Qt: read in whatever thread opens the record.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

#: Annotation files of a whole record, most authoritative first.
RECORD_EXTENSIONS = ("atr", "qrs", "ecg")
#: WFDB beat annotation codes (ecgpuwave and MIT-BIH conventions).
BEAT_SYMBOLS = frozenset("NLRBAaJSVrFejnE/fQ?")
#: Beats a reader normally skims over; the others are drawn in colour.
NORMAL_BEATS = frozenset("NLRBe")
RHYTHMS = {
    "(N": "normal sinus rhythm", "(AFIB": "atrial fibrillation", "(AFL": "atrial flutter",
    "(AB": "atrial bigeminy", "(B": "ventricular bigeminy", "(BII": "2° heart block", "(IVR": "idioventricular rhythm",
    "(NOD": "nodal rhythm", "(P": "paced rhythm", "(PREX": "pre-excitation (WPW)", "(SBR": "sinus bradycardia",
    "(SVTA": "supraventricular tachyarrhythmia", "(T": "ventricular trigeminy", "(VFL": "ventricular flutter",
    "(VT": "ventricular tachycardia",
}
#: LUDB wave symbols between "(" and ")".
WAVES = {"p": "P wave", "N": "QRS", "t": "T wave"}


@dataclass(frozen=True)
class Beat:
    t: float
    symbol: str


@dataclass(frozen=True)
class Episode:
    """A stretch of the record: a rhythm (all leads) or a wave on one lead."""

    t0: float
    t1: float
    label: str
    lead: str | None = None


@dataclass
class ReferenceAnnotations:
    sources: list[str] = field(default_factory=list)
    beats: list[Beat] = field(default_factory=list)
    rhythms: list[Episode] = field(default_factory=list)
    waves: list[Episode] = field(default_factory=list)
    #: files that were there but could not be read, with the reason
    problems: list[str] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.beats or self.rhythms or self.waves)

    def summary(self) -> str:
        parts = []
        if self.beats:
            parts.append(f"{len(self.beats):,} reference beats")
        if self.rhythms:
            parts.append(f"{len(self.rhythms)} rhythm episodes")
        if self.waves:
            parts.append(f"{len(self.waves):,} P/QRS/T waves")
        return ", ".join(parts) + (f" ({', '.join(self.sources)})" if self.sources else "")


def reference_files(header: Path, leads: tuple[str, ...] | list[str]) -> list[tuple[Path, str | None]]:
    """(file, lead or None) of the reference annotation files beside a record's header."""
    found: list[tuple[Path, str | None]] = []
    for extension in RECORD_EXTENSIONS:
        path = header.with_suffix(f".{extension}")
        if path.is_file():
            found.append((path, None))
            break  # one beat reference is enough; .qrs/.ecg are machine detections when .atr exists
    for lead in leads:
        path = header.with_suffix(f".{lead.lower()}")
        if lead.lower() not in ("dat", "hea", "mat") and path.is_file():
            found.append((path, lead))
    return found


def load_reference(header: str | Path, fs: float, duration: float,
                   leads: tuple[str, ...] | list[str]) -> ReferenceAnnotations:
    """Every reference annotation beside the record at ``header`` (an empty result if none)."""
    result = ReferenceAnnotations()
    for path, lead in reference_files(Path(header), leads):
        add_reference_file(result, path, fs, duration, lead)
    return result


def add_reference_file(result: ReferenceAnnotations, path: str | Path, fs: float, duration: float,
                       lead: str | None = None) -> ReferenceAnnotations:
    """Add one annotation file's beats and rhythms (or, with ``lead``, its waves) to ``result``; a
    file that cannot be read is noted in ``result.problems``, never raised."""
    path = Path(path)
    try:
        samples, symbols, notes = _read(path)
    except Exception as exc:  # a broken annotation file must not stop the record from opening
        result.problems.append(f"{path.name}: {type(exc).__name__}: {exc}")
        return result
    result.sources.append(path.name)
    times = np.asarray(samples, dtype=np.float64) / fs
    if lead is None:
        _beats_and_rhythms(result, times, symbols, notes, duration)
    else:
        _waves(result, times, symbols, lead)
    return result


def _read(path: Path) -> tuple[np.ndarray, list[str], list[str]]:
    import wfdb  # imported on first use: the app starts without it

    annotation = wfdb.rdann(str(path.with_suffix("")), path.suffix.lstrip("."))
    notes = [(note or "").replace("\x00", "").strip() for note in (annotation.aux_note or [""] * len(annotation.sample))]
    return np.asarray(annotation.sample), list(annotation.symbol), notes


def _beats_and_rhythms(result: ReferenceAnnotations, times: np.ndarray, symbols: list[str], notes: list[str],
                       duration: float) -> None:
    changes: list[tuple[float, str]] = []
    for t, symbol, note in zip(times, symbols, notes):
        if symbol in BEAT_SYMBOLS:
            result.beats.append(Beat(float(t), symbol))
        elif symbol == "+" and note.startswith("("):
            changes.append((float(t), RHYTHMS.get(note, note.lstrip("("))))
    for (t0, label), (t1, _next) in zip(changes, changes[1:] + [(duration, "")]):
        if t1 > t0:
            result.rhythms.append(Episode(t0, t1, label))


def _waves(result: ReferenceAnnotations, times: np.ndarray, symbols: list[str], lead: str) -> None:
    for i in range(1, len(symbols) - 1):
        if symbols[i] in WAVES and symbols[i - 1] == "(" and symbols[i + 1] == ")" and times[i + 1] > times[i - 1]:
            result.waves.append(Episode(float(times[i - 1]), float(times[i + 1]), WAVES[symbols[i]], lead))
