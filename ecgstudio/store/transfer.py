"""Copy a whole library between backends (SQLite file -> PostgreSQL server, and back for export).

Every row of every feature's tables is copied with its id, in the order the schemas list their tables
(parents first), in one transaction on the destination: a copy is complete or absent. Audit rows,
signatures (``confirmed_by``/``confirmed_at``) and timestamps are copied verbatim, so the two libraries
hold the same history; :func:`library_digest` proves it (one SHA-256 per table over its rows in id order).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence

from ecgstudio.store.db import Database, Schema
from ecgstudio.store.errors import LibraryError

_BATCH = 2000
#: tables whose rows a fresh library is seeded with; a copy replaces the seeds with the source's rows
_SEEDED = ("ann_vocabulary",)


def _tables(schemas: Sequence[Schema]) -> list[str]:
    return [table for schema in schemas for table in schema.tables]


def _key(db: Database, table: str) -> str:
    """The column rows are ordered by: ``id`` where the table has one, else its first column."""
    columns = _columns(db, table)
    return "id" if "id" in columns else columns[0]


def _columns(db: Database, table: str) -> list[str]:
    if db.is_server:
        rows = db.query("SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema()"
                        " AND table_name = ? ORDER BY ordinal_position", (table,))
        return [row[0] for row in rows]
    return [row[1] for row in db.query(f"PRAGMA table_info({table})")]


def copy_library(source: Database, destination: Database, schemas: Sequence[Schema],
                 progress=lambda table, done, total: None) -> dict[str, int]:
    """Copy every table of ``schemas`` from ``source`` into an empty ``destination``; rows per table.

    Both libraries are first migrated to this app's versions. A destination that already holds data
    is refused: merging two libraries' histories is not a copy.
    """
    for db in (source, destination):
        for schema in schemas:
            db.ensure(schema)
    tables = _tables(schemas)
    occupied = [t for t in tables if t not in _SEEDED and destination.query(f"SELECT COUNT(*) FROM {t}")[0][0]]
    if occupied:
        raise LibraryError(destination.location, f"is not empty ({', '.join(occupied)} hold rows); copy into a new"
                                                 " library")
    counts: dict[str, int] = {}
    with destination.transaction() as out:
        for table in _SEEDED:
            if table in tables:
                out.execute(f"DELETE FROM {table}")
        for table in tables:
            columns = _columns(source, table)
            rows = source.query(f"SELECT {', '.join(columns)} FROM {table} ORDER BY {_key(source, table)}")
            insert = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
            for start in range(0, len(rows), _BATCH):
                out.executemany(insert, [tuple(row) for row in rows[start:start + _BATCH]])
                progress(table, min(start + _BATCH, len(rows)), len(rows))
            if "id" in columns:
                destination.dialect.after_explicit_ids(out, table)
            counts[table] = len(rows)
    return counts


def library_digest(db: Database, schemas: Sequence[Schema]) -> dict[str, tuple[int, str]]:
    """(row count, SHA-256 of the rows in key order) per table: equal digests mean equal contents.

    A table the library does not have yet (a component never opened there) counts as empty."""
    digests = {}
    for table in _tables(schemas):
        columns = sorted(_columns(db, table))
        digest = hashlib.sha256()
        if not columns:
            digests[table] = (0, digest.hexdigest())
            continue
        rows = db.query(f"SELECT {', '.join(columns)} FROM {table} ORDER BY {_key(db, table)}")
        for row in rows:
            digest.update(json.dumps([_plain(v) for v in row], ensure_ascii=False).encode("utf-8"))
        digests[table] = (len(rows), digest.hexdigest())
    return digests


def _plain(value):
    """One spelling per value on both backends (a float column may come back as int 2 on one of them)."""
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else value
