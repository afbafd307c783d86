"""The clinicians' record-level labels as a training dataset: a manifest of record paths and label codes.

Why a manifest and not a copy of the records: the signals stay where the clinicians opened them, and the
manifest (``training.data.manifest``) is all the engine needs. Each record keeps one patient id (its
record key), so all labels of one record land in one split. Labels from every author are pooled; with
``confirmed_only`` only signed ones count.
"""

from __future__ import annotations

from pathlib import Path

from ecgstudio.store.db import Database
from training.data.manifest import ManifestRow, write_manifest

_LABELS = ("SELECT record_key, label FROM annotations WHERE kind = 'label' AND deleted_at IS NULL {confirmed}"
           " ORDER BY record_key, label")
_PATHS = "SELECT record_key, path FROM ann_record_paths ORDER BY seen_at"


def labelled_records(db: Database, confirmed_only: bool = False) -> list[ManifestRow]:
    """One row per record that has a record-level label and a known, existing header file."""
    if db.version("annotations") == 0:
        return []
    labels: dict[str, set[str]] = {}
    for row in db.query(_LABELS.format(confirmed="AND confirmed_at IS NOT NULL" if confirmed_only else "")):
        labels.setdefault(row["record_key"], set()).add(row["label"])
    path_of = {row["record_key"]: row["path"] for row in db.query(_PATHS)}  # the latest path seen wins
    return [ManifestRow(path_of[key], tuple(sorted(codes)), key) for key, codes in labels.items()
            if path_of.get(key) and Path(path_of[key]).is_file()]


def export_labelled(db: Database, folder: Path, confirmed_only: bool = False) -> Path:
    """Write ``folder/manifest.csv`` of the labelled records; returns the folder (the run's ``data.path``)."""
    write_manifest(folder, labelled_records(db, confirmed_only))
    return folder
