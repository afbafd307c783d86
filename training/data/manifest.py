"""Manifest datasets: a ``manifest.csv`` listing record paths and their label codes.

Why: records labelled by clinicians in the app live wherever the clinicians opened them, with labels
in the app's library rather than in the headers. A manifest names each record by path and carries its
codes, so those labels become training data without copying any signal file.

Columns: ``record`` (a record path, absolute or relative to the manifest's folder; with or without its
``.hea``), ``labels`` (codes separated by ``;``, mapped through the run's label set like ``#Dx`` codes),
and optionally ``patient`` (records of one patient stay in one split) and ``split`` (``train``/``val``/
``test``; when absent every record gets the seeded split CinC folders get: patient-wise where patients
are named, record-wise where none is), and optionally ``unlabelled`` (class ids of the label set,
separated by ``;``, that the record's source cannot label: their targets are ``nan``, masked out of the
loss and the metrics instead of counting as negatives). A row that names unlabelled classes says what
it knows about every other class (a class it does not list is absent), so it is kept even without a
positive class; rows without that column are dropped without a positive class, like CinC records.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

import numpy as np

from training.checkpoint import atomic_write
from training.data.datasets import DatasetIndex
from training.data.labels import get_label_set
from training.data.splits import SPLITS, patient_split
from training.errors import DatasetError

MANIFEST_NAME = "manifest.csv"
LABEL_SEPARATOR = ";"
_RECORD_SUFFIXES = (".hea", ".dat", ".mat")


@dataclass(frozen=True)
class ManifestRow:
    """One record of a manifest: its path, its raw label codes, and optionally patient and split."""

    record: str
    labels: tuple[str, ...]
    patient: str = ""
    split: str = ""
    unlabelled: tuple[str, ...] = ()


def is_manifest_folder(root: str | Path) -> bool:
    return (Path(root) / MANIFEST_NAME).is_file()


def write_manifest(folder: str | Path, rows: Iterable[ManifestRow]) -> Path:
    """Write ``folder/manifest.csv`` atomically (a crash never leaves half a manifest); returns its path."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["record", "labels", "patient", "split", "unlabelled"])
    for row in rows:
        writer.writerow([row.record, LABEL_SEPARATOR.join(row.labels), row.patient, row.split,
                         LABEL_SEPARATOR.join(row.unlabelled)])
    path = Path(folder) / MANIFEST_NAME
    atomic_write({path: out.getvalue().encode("utf-8")})
    return path


def read_manifest(root: str | Path) -> list[ManifestRow]:
    """The rows of ``root/manifest.csv``; a missing column or a bad split names the line."""
    path = Path(root) / MANIFEST_NAME
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise DatasetError(path, f"cannot read the manifest: {exc.strerror or exc}") from None
    reader = csv.DictReader(io.StringIO(text))
    if not {"record", "labels"} <= set(reader.fieldnames or ()):
        raise DatasetError(path, "a manifest needs the columns 'record' and 'labels'")
    rows = []
    for line, raw in enumerate(reader, start=2):
        record = (raw.get("record") or "").strip()
        split = (raw.get("split") or "").strip()
        if not record:
            raise DatasetError(path, f"line {line}: empty record path")
        if split and split not in SPLITS:
            raise DatasetError(path, f"line {line}: split {split!r} is not one of {', '.join(SPLITS)}")
        codes = _codes(raw.get("labels"))
        rows.append(ManifestRow(record, codes, (raw.get("patient") or "").strip(), split, _codes(raw.get("unlabelled"))))
    return rows


def _codes(cell: str | None) -> tuple[str, ...]:
    return tuple(c.strip() for c in (cell or "").split(LABEL_SEPARATOR) if c.strip())


def load_manifest(root: str | Path, label_set: str = "cinc-scored", seed: int = 0,
                  fractions: tuple[float, float, float] = (0.7, 0.15, 0.15), drop_unlabelled: bool = True,
                  **_ignored) -> DatasetIndex:
    """The index of a manifest folder; records whose codes miss the label set are dropped like CinC's."""
    root = Path(root)
    labels = get_label_set(label_set)
    paths, patients, targets, given = [], [], [], []
    named_patients = False
    for row in read_manifest(root):
        record = Path(row.record).expanduser()
        record = record if record.is_absolute() else root / record
        record = record.with_suffix("") if record.suffix in _RECORD_SUFFIXES else record
        if not record.with_suffix(".hea").is_file():
            raise DatasetError(root / MANIFEST_NAME, f"record {row.record}: no header {record.with_suffix('.hea')}")
        target = labels.encode(row.labels).astype(np.float32)
        unknown = set(row.unlabelled) - set(labels.classes)
        if unknown:
            raise DatasetError(root / MANIFEST_NAME, f"record {row.record}: unlabelled classes {sorted(unknown)} are "
                                                     f"not classes of {label_set!r}")
        target[[labels.classes.index(c) for c in row.unlabelled]] = np.nan
        if np.isnan(target).all() or (drop_unlabelled and not row.unlabelled and not target.any()):
            continue
        paths.append(record)
        patients.append(row.patient or str(record))
        named_patients = named_patients or bool(row.patient)
        targets.append(target)
        given.append(row.split)
    if not paths:
        raise DatasetError(root, f"no manifest record has a label of the {label_set!r} set")
    targets_arr = np.asarray(targets, dtype=np.float32)
    split = np.asarray(given, dtype=object)
    if not all(given):
        seeded = patient_split(patients, np.nan_to_num(targets_arr), fractions, seed)
        split = np.where(split == "", seeded, split)
    return DatasetIndex(f"{root.name}:{label_set}", root, labels, tuple(paths), tuple(patients), targets_arr,
                        split.astype(str), "patient" if named_patients else "record")
