"""PE forms in the library database (component ``pe_forms``), one per record content key, audited.

The form lives next to the record's annotations in the shared library file, keyed like them by
:func:`ecgstudio.annotations.keys.record_key`, so it follows the recording when its files move. Each
save is one transaction together with its ``audit_log`` row holding the old and new form. Values are
stored as one JSON object (the same one the audit shows) so a criterion added later needs no migration.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from ecgstudio.pe.form import PEForm
from ecgstudio.store import (AUDIT_SCHEMA, AuditEntry, Database, LibraryError, Schema, append_audit, audit_history,
                             utc_now)

ENTITY = "pe_form"

PE_SCHEMA = Schema("pe_forms", ((
    "CREATE TABLE pe_forms ("
    " record_key TEXT PRIMARY KEY,"
    " form_json TEXT NOT NULL,"
    " created_at TEXT NOT NULL,"
    " created_by TEXT NOT NULL CHECK (length(trim(created_by)) > 0),"
    " updated_at TEXT NOT NULL,"
    " updated_by TEXT NOT NULL CHECK (length(trim(updated_by)) > 0))",
),), tables=("pe_forms",))


class MissingAuthorError(ValueError):
    """A save without a name to put on the audit row."""


@dataclass(frozen=True)
class StoredForm:
    form: PEForm
    updated_at: str
    updated_by: str


class PEFormStore:
    """Every record's PE form in one library file (or a :class:`Database` shared with other features)."""

    def __init__(self, library: Database | str | Path):
        self._owns_db = not isinstance(library, Database)
        self.db = Database(library) if self._owns_db else library
        self.db.ensure(AUDIT_SCHEMA)
        self.db.ensure(PE_SCHEMA)

    def close(self) -> None:
        if self._owns_db:
            self.db.close()

    def load(self, record_key: str) -> StoredForm | None:
        rows = self.db.query("SELECT form_json, updated_at, updated_by FROM pe_forms WHERE record_key = ?",
                             (record_key,))
        if not rows:
            return None
        row = rows[0]
        return StoredForm(PEForm.from_dict(json.loads(row["form_json"])), row["updated_at"], row["updated_by"])

    def save(self, record_key: str, form: PEForm, actor: str) -> bool:
        """Store ``form`` for the record; False (and nothing written) when it equals the stored one."""
        actor = actor.strip()
        if not actor:
            raise MissingAuthorError("enter your name before saving: every change is signed in the audit trail")
        new = form.to_dict()
        text = json.dumps(new, ensure_ascii=False, sort_keys=True)
        try:
            with self.db.transaction() as conn:
                row = conn.execute("SELECT form_json FROM pe_forms WHERE record_key = ?", (record_key,)).fetchone()
                old = json.loads(row[0]) if row else None
                if old == new:
                    return False
                now = utc_now()
                conn.execute("INSERT INTO pe_forms VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(record_key) DO UPDATE SET"
                             " form_json = excluded.form_json, updated_at = excluded.updated_at,"
                             " updated_by = excluded.updated_by", (record_key, text, now, actor, now, actor))
                append_audit(conn, actor, "update" if old else "create", ENTITY, record_key, old, new)
        except sqlite3.Error as exc:  # locked, read-only, disk full: the view shows the reason, not sqlite's type
            raise LibraryError(self.db.location, f"the PE form was not saved: {exc}") from None
        return True

    def history(self, record_key: str) -> list[AuditEntry]:
        return audit_history(self.db, ENTITY, record_key)
