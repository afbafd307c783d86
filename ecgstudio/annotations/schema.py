"""The annotation tables (component ``annotations`` of the library database) and their migrations.

- ``ann_records``: one row per record key, with what the header said (name, rate, length, leads) so
  intervals can be checked and exported without the record at hand.
- ``ann_record_paths``: every header path a record was opened from, so a library view can show a
  status per file without re-reading it.
- ``ann_vocabulary``: the record-level labels offered; seeded with the PTB-XL superclasses and the
  CinC 2021 scored classes; ``retired_at`` hides a term without breaking labels that use it.
- ``ann_record_counts`` / ``ann_author_counts``: live and signed annotations per record (and per
  record and author), kept by triggers (:mod:`ecgstudio.store.tally`), for the library's status column.
- ``annotations``: labels and intervals. Rows are never deleted (a trigger refuses it): deleting sets
  ``deleted_at``; every change is also in ``audit_log`` with the old and new values.

Add a migration by appending a step to ``ANNOTATION_SCHEMA``; never edit a released one.
"""

from __future__ import annotations

from ecgstudio.annotations.model import CINC_SOURCE, PTBXL_SOURCE
from ecgstudio.store import Schema
from ecgstudio.store.db import Connection
from ecgstudio.store.tally import Tally
from training.data.labels import get_label_set


def _seed_vocabulary(conn: Connection) -> None:
    terms = []
    for label_set, source in (("ptbxl-superclass", PTBXL_SOURCE), ("cinc-scored", CINC_SOURCE)):
        labels = get_label_set(label_set)
        terms += [(code, display, source) for code, display in zip(labels.classes, labels.display)]
    conn.executemany(
        "INSERT INTO ann_vocabulary (code, display, source, position) VALUES (?, ?, ?, ?)",
        [(code, display, source, i) for i, (code, display, source) in enumerate(terms)],
    )


_V1 = (
    "CREATE TABLE ann_records ("
    " record_key TEXT PRIMARY KEY,"
    " name TEXT NOT NULL,"
    " fs REAL,"
    " n_samples INTEGER,"
    " leads TEXT,"
    " first_seen TEXT NOT NULL)",
    "CREATE TABLE ann_record_paths ("
    " path TEXT PRIMARY KEY,"
    " record_key TEXT NOT NULL REFERENCES ann_records (record_key),"
    " seen_at TEXT NOT NULL)",
    "CREATE TABLE ann_vocabulary ("
    " code TEXT PRIMARY KEY,"
    " display TEXT NOT NULL,"
    " source TEXT NOT NULL,"
    " position INTEGER NOT NULL,"
    " retired_at TEXT)",
    "CREATE TABLE annotations ("
    " id INTEGER PRIMARY KEY AUTOINCREMENT,"
    " record_key TEXT NOT NULL REFERENCES ann_records (record_key),"
    " kind TEXT NOT NULL CHECK (kind IN ('label', 'interval')),"
    " label TEXT NOT NULL CHECK (length(trim(label)) > 0),"
    " lead TEXT,"
    " t0 REAL,"
    " t1 REAL,"
    " note TEXT NOT NULL DEFAULT '',"
    " author TEXT NOT NULL CHECK (length(trim(author)) > 0),"
    " created_at TEXT NOT NULL,"
    " updated_at TEXT NOT NULL,"
    " updated_by TEXT NOT NULL,"
    " confirmed_by TEXT,"
    " confirmed_at TEXT,"
    " deleted_by TEXT,"
    " deleted_at TEXT,"
    " source TEXT NOT NULL DEFAULT 'app',"
    " CHECK ((kind = 'label' AND lead IS NULL AND t0 IS NULL AND t1 IS NULL)"
    "     OR (kind = 'interval' AND t0 >= 0 AND t1 > t0)))",
    "CREATE INDEX annotations_by_record ON annotations (record_key, deleted_at)",
    "CREATE UNIQUE INDEX annotations_one_label_per_author ON annotations (record_key, author, label)"
    " WHERE kind = 'label' AND deleted_at IS NULL",
    "CREATE TRIGGER annotations_soft_delete_only BEFORE DELETE ON annotations"
    " BEGIN SELECT RAISE(ABORT, 'annotations are never deleted: set deleted_at'); END",
)

#: v3: the library list's status column counts live and signed annotations per record from the index alone
#: (a 1,000,000-annotation library: 10,000 statuses in well under 200 ms instead of seconds).
_V3 = (
    "CREATE INDEX annotations_status ON annotations (record_key, deleted_at, confirmed_at)",
    "DROP INDEX annotations_by_record",
)

_LIVE, _SIGNED = "{row}.deleted_at IS NULL", "{row}.deleted_at IS NULL AND {row}.confirmed_at IS NOT NULL"
#: live and signed annotations per record, and per record and author (a blinded reader's own status)
RECORD_COUNTS = Tally("ann_record_counts", "annotations", ("record_key",), (("live", _LIVE), ("signed", _SIGNED)))
AUTHOR_COUNTS = Tally("ann_author_counts", "annotations", ("record_key", "author"),
                      (("live", _LIVE), ("signed", _SIGNED)))


def _v4_counts(conn: Connection) -> None:
    """v4: the status column reads counts kept by triggers (10,000 rows for 10,000 records) instead of
    aggregating every annotation of those records on each refresh; existing libraries are counted here."""
    conn.add_tally(RECORD_COUNTS)
    conn.add_tally(AUTHOR_COUNTS)
    conn.ddl("CREATE INDEX ann_record_paths_to_key ON ann_record_paths (path, record_key)")  # path -> key, index only
    # one reader's own counts in one range of an index (a blinded list), not a probe per record
    conn.ddl("CREATE INDEX ann_author_counts_by_author ON ann_author_counts (author, record_key, live, signed)")


ANNOTATION_SCHEMA = Schema("annotations", (_V1, _seed_vocabulary, _V3, _v4_counts),
                           tables=("ann_records", "ann_record_paths", "ann_vocabulary", "annotations"))
