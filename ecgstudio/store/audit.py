"""The library's append-only audit trail: who changed what, when, from which value to which.

Every feature that edits clinical data appends here inside the same transaction as the change, so a
change and its audit row commit together or not at all. Triggers refuse UPDATE and DELETE (and, on
PostgreSQL, TRUNCATE) on the table: the app, or a script going through the database, cannot rewrite
history. Someone with a SQLite file can still drop the triggers, so a file guards against bugs, not a
determined forger; on PostgreSQL a reader's role owns nothing and may only insert rows in its own
name (:mod:`ecgstudio.store.access`), so there the server enforces it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from ecgstudio.store.db import Connection, Database, Schema, utc_now

AUDIT_SCHEMA = Schema("audit", (
    (
        "CREATE TABLE audit_log ("
        " id INTEGER PRIMARY KEY AUTOINCREMENT,"
        " at TEXT NOT NULL,"
        " actor TEXT NOT NULL CHECK (length(trim(actor)) > 0),"
        " action TEXT NOT NULL,"
        " entity TEXT NOT NULL,"
        " entity_id TEXT NOT NULL,"
        " old_json TEXT,"
        " new_json TEXT)",
        "CREATE INDEX audit_log_entity ON audit_log (entity, entity_id)",
        "CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log"
        " BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END",
        "CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log"
        " BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END",
    ),
), tables=("audit_log",))


@dataclass(frozen=True)
class AuditEntry:
    """One audit row; ``old``/``new`` are the entity's values before and after (None if absent)."""

    id: int
    at: str
    actor: str
    action: str
    entity: str
    entity_id: str
    old: dict[str, Any] | None
    new: dict[str, Any] | None


def append_audit(conn: Connection, actor: str, action: str, entity: str, entity_id: object,
                 old: dict[str, Any] | None, new: dict[str, Any] | None) -> None:
    """Record one change; call inside the transaction that makes the change."""
    conn.execute(
        "INSERT INTO audit_log (at, actor, action, entity, entity_id, old_json, new_json)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)",
        (utc_now(), actor, action, entity, str(entity_id), _to_json(old), _to_json(new)),
    )


def audit_history(db: Database, entity: str, entity_id: object | None = None) -> list[AuditEntry]:
    """An entity's audit rows (or every row of that entity type) in the order they were written."""
    sql = "SELECT * FROM audit_log WHERE entity = ?"
    params: list[object] = [entity]
    if entity_id is not None:
        sql += " AND entity_id = ?"
        params.append(str(entity_id))
    rows = db.query(sql + " ORDER BY id", params)
    return [
        AuditEntry(row["id"], row["at"], row["actor"], row["action"], row["entity"], row["entity_id"],
                   _from_json(row["old_json"]), _from_json(row["new_json"]))
        for row in rows
    ]


def _to_json(value: dict[str, Any] | None) -> str | None:
    return None if value is None else json.dumps(value, ensure_ascii=False, sort_keys=True)


def _from_json(text: str | None) -> dict[str, Any] | None:
    return None if text is None else json.loads(text)
