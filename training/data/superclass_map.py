"""Other sources' statements as PTB-XL superclasses, with what each source cannot say left unlabelled.

The table is data: ``label_maps/superclass_map.csv`` has one row per (source, statement) and, per class
NORM/MI/STTC/CD/HYP, ``1`` (the statement means the class is present), ``0`` (absent), ``?`` (the
statement makes the class uncertain) or nothing (says nothing about it), with the reason in ``why``.
``exclude = 1`` leaves the record out (a paced ECG). Documented in docs/RESULTS.md.

A record's class is the combination of its statements' values, in this order of precedence:

* NORM: ``0`` > ``?`` > ``1`` - any abnormal statement makes the ECG not normal, an uncertain rhythm
  makes "normal" unknown, and only then does a normal statement count;
* the others: ``1`` > ``?`` > ``0`` - a positive statement wins, an uncertain one blocks a negative.

Anything else is unlabelled (``nan``) and left out of that class's metrics, never guessed. Statements
the table does not know make NORM uncertain and are listed, so a new source cannot slip through.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

from training.data.labels import PTBXL_SUPERCLASSES
from training.data.readers import read_header
from training.errors import DatasetError, RecordError

SOURCES = ("cpsc2018", "ludb", "cinc")
#: the statement every Challenge-format record of PTB-XL or Georgia origin carries (its list is complete)
CINC_COMPLETE = "(statements listed in full)"
_LUDB_COLUMNS = ("Rhythms", "Electric axis of the heart", "Conduction abnormalities", "Extrasystolies",
                 "Hypertrophies", "Cardiac pacing", "Ischemia", "Non-specific repolarization abnormalities",
                 "Other states")
#: LUDB annotates these columns for every record, so an empty one is a statement of absence
_LUDB_COMPLETE = ("Conduction abnormalities", "Hypertrophies", "Ischemia", "Non-specific repolarization abnormalities",
                  "Extrasystolies", "Cardiac pacing")


@dataclass(frozen=True)
class MapRow:
    values: dict[str, str]
    exclude: bool
    why: str


@cache
def superclass_table() -> dict[str, dict[str, MapRow]]:
    """source -> statement -> its row of ``superclass_map.csv``."""
    path = resources.files("training.data") / "label_maps" / "superclass_map.csv"
    table: dict[str, dict[str, MapRow]] = {}
    with path.open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            values = {c: row[c].strip() for c in PTBXL_SUPERCLASSES}
            bad = {v for v in values.values()} - {"", "0", "1", "?"}
            if bad:
                raise ValueError(f"superclass_map.csv: {row['statement']!r} has values {bad}")
            table.setdefault(row["source"], {})[row["statement"]] = MapRow(values, row["exclude"] == "1", row["why"])
    return table


def combine(values: list[str], cls: str) -> float:
    """A class's target from its statements' values (see the module docstring); ``nan`` = unlabelled."""
    order = ("0", "?", "1") if cls == "NORM" else ("1", "?", "0")
    for v in order:
        if v in values:
            return {"1": 1.0, "0": 0.0, "?": math.nan}[v]
    return math.nan


@dataclass(frozen=True)
class MappedRecord:
    path: Path
    statements: tuple[str, ...]
    target: np.ndarray  # [5] float: 1, 0 or nan


@dataclass
class MappedSource:
    """A source's records with superclass targets (``nan`` = unlabelled) and what was left out."""

    name: str
    records: list[MappedRecord]
    excluded: list[str] = field(default_factory=list)
    unknown_statements: set[str] = field(default_factory=set)

    @property
    def paths(self) -> list[Path]:
        return [r.path for r in self.records]

    @property
    def targets(self) -> np.ndarray:
        return np.array([r.target for r in self.records], float).reshape(-1, len(PTBXL_SUPERCLASSES))


def _lookup(source: str, statement: str) -> MapRow | None:
    rows = superclass_table()[source]
    if statement in rows:
        return rows[statement]
    prefixes = [s for s in rows if statement.startswith(s)]
    return rows[max(prefixes, key=len)] if prefixes else None


def map_statements(source: str, statements: list[str]) -> tuple[np.ndarray | None, set[str]]:
    """The record's target (``None`` when a statement excludes it) and the statements the table lacks."""
    per_class: dict[str, list[str]] = {c: [] for c in PTBXL_SUPERCLASSES}
    unknown = set()
    for statement in statements:
        row = _lookup(source, statement)
        if row is None:
            unknown.add(statement)
            per_class["NORM"].append("?")
            continue
        if row.exclude:
            return None, unknown
        for c, v in row.values.items():
            if v:
                per_class[c].append(v)
    return np.array([combine(per_class[c], c) for c in PTBXL_SUPERCLASSES]), unknown


def load_mapped(source: str, root: str | Path) -> MappedSource:
    """Records of ``source`` (one of :data:`SOURCES`) under ``root`` with their mapped superclass targets."""
    if source not in SOURCES:
        raise DatasetError(Path(root), f"no superclass map for {source!r}; known: {', '.join(SOURCES)}")
    root = Path(root)
    readers = {"cpsc2018": _cpsc_statements, "ludb": _ludb_statements, "cinc": _cinc_statements}
    out = MappedSource(source, [])
    for item in readers[source](root):
        path, statements, table = item if len(item) == 3 else (*item, source)
        target, unknown = map_statements(table, statements)
        out.unknown_statements |= unknown
        if target is None:
            out.excluded.append(path.name)
        else:
            out.records.append(MappedRecord(path, tuple(statements), target))
    return out


def _cpsc_statements(root: Path) -> list[tuple[Path, list[str]]]:
    items = []
    for header in sorted(root.glob("*.hea")):
        try:
            info = read_header(header)
        except RecordError:
            continue
        items.append((header.with_suffix(""), [code.strip() for code in info.labels]))
    if not items:
        raise DatasetError(root, "no CPSC2018 headers (.hea) found")
    return items


def _cinc_statements(root: Path) -> list[tuple[Path, list[str], str]]:
    """Challenge-format records (SNOMED-CT codes): CPSC-origin ones (``A*``) through the cpsc2018 rows.

    A CPSC-origin record's codes become CPSC's abbreviations (the cpsc2018 label set's aliases), so it
    says no more than a CPSC2018 record; PTB-XL- and Georgia-origin records get :data:`CINC_COMPLETE`.
    """
    from training.data.labels import get_label_set

    cpsc = get_label_set("cpsc2018").aliases
    items = []
    for header in sorted(root.rglob("*.hea")):
        try:
            info = read_header(header)
        except RecordError:
            continue
        codes = [code.strip() for code in info.labels if code.strip()]
        if not codes:
            continue
        if info.name.startswith("A"):
            items.append((header.with_suffix(""), [cpsc.get(c, c) for c in codes], "cpsc2018"))
        else:
            items.append((header.with_suffix(""), [CINC_COMPLETE, *codes], "cinc"))
    if not items:
        raise DatasetError(root, "no Challenge-format headers (.hea with #Dx) found")
    return items


def _ludb_statements(root: Path) -> list[tuple[Path, list[str]]]:
    table = root / "ludb.csv"
    if not table.is_file():
        raise DatasetError(root, "not a LUDB folder: ludb.csv is missing")
    df = pd.read_csv(table, dtype=str)
    items = []
    for _, row in df.iterrows():
        statements = []
        for column in _LUDB_COLUMNS:
            entries = [e.strip() for e in str(row.get(column) or "").split("\n")
                       if e.strip() and e.strip().lower() != "nan"]
            if column == "Cardiac pacing" and entries:
                entries = ["Cardiac pacing"]
            if not entries and column in _LUDB_COMPLETE:
                entries = [f"no {column.lower()}"]
            statements.extend(entries)
        path = root / "data" / str(int(row["ID"]))
        if path.with_suffix(".hea").is_file():
            items.append((path, statements))
    return items
