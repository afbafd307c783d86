"""Annotations of ECG records, kept in the library database (SQLite or PostgreSQL, no Qt).

Rules the store enforces, so every front end (panel, import, scripts) gets the same behaviour:

- Each change is one transaction together with its ``audit_log`` row (old and new values as JSON).
- An annotation belongs to its author: only they may edit, delete or confirm (sign) it. Others add
  their own, which keeps independent readings apart for inter-reader studies.
- Editing a confirmed annotation withdraws the confirmation: a signature never covers content its
  signer has not seen. Deleting is soft (``deleted_at``); the row and its history stay.
- Intervals must lie inside the record and name one of its leads (or None: all leads) when the
  record's header is known to the store (:meth:`AnnotationStore.register_record`).
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ecgstudio.annotations.errors import AnnotationFileError, AnnotationNotFound, InvalidAnnotation, NotAuthorError
from ecgstudio.annotations.model import (CUSTOM_SOURCE, INTERVAL, LABEL, Annotation, Draft, ImportResult, Term,
                                         status_of)
from ecgstudio.annotations.schema import ANNOTATION_SCHEMA
from ecgstudio.store import AUDIT_SCHEMA, AuditEntry, Database, append_audit, audit_history, utc_now
from ecgstudio.store.db import Connection
from ecgstudio.store.errors import LibraryRefused
from training.data.readers import RECORD_SUFFIXES

ENTITY = "annotation"
VOCABULARY_ENTITY = "vocabulary"
MAX_LABEL_CHARS = 120
MAX_NOTE_CHARS = 2000
_UNSET: Any = object()


class AnnotationStore:
    """The annotations of every record in one library file (or in a :class:`Database` shared with others)."""

    def __init__(self, library: Database | str | Path):
        self._owns_db = not isinstance(library, Database)
        self.db = Database(library) if self._owns_db else library
        self.db.ensure(AUDIT_SCHEMA)
        self.db.ensure(ANNOTATION_SCHEMA)

    def close(self) -> None:
        """Close the file if this store opened it (a shared :class:`Database` is closed by its owner)."""
        if self._owns_db:
            self.db.close()

    # -- records -------------------------------------------------------------------------------------

    def register_record(self, record_key: str, info: Any) -> None:
        """Remember a record's header (``RecordInfo``-like: name, fs, n_samples, leads, path).

        Writes only when something is new, so opening records does not churn the file.
        """
        values = (info.name, float(info.fs), int(info.n_samples), json.dumps(list(info.leads)))
        path = _path_id(info.path) if getattr(info, "path", None) else None
        row = self._record_row(record_key)
        record_new = row is None or tuple(row[k] for k in ("name", "fs", "n_samples", "leads")) != values
        path_new = path is not None and not self.db.query(
            "SELECT 1 FROM ann_record_paths WHERE path = ? AND record_key = ?", (path, record_key))
        if not (record_new or path_new):
            return
        with self.db.transaction() as conn:
            if record_new:
                conn.execute("INSERT INTO ann_records VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(record_key) DO UPDATE"
                             " SET name = excluded.name, fs = excluded.fs, n_samples = excluded.n_samples,"
                             " leads = excluded.leads", (record_key, *values, utc_now()))
            if path_new:
                conn.execute("INSERT INTO ann_record_paths VALUES (?, ?, ?) ON CONFLICT(path) DO UPDATE SET"
                             " record_key = excluded.record_key, seen_at = excluded.seen_at",
                             (path, record_key, utc_now()))

    def adopt_earlier_key(self, record_key: str, info: Any, actor: str, earlier_prefix: str) -> int:
        """Move the annotations this record has under the key an earlier version of the app gave it to
        ``record_key``, in one transaction with an audit row (``rekey``) per annotation; returns how many
        live ones moved (0: nothing to move).

        Why: Holter-length records got the full ``ecg1:`` key before the bounded ``ecgs1:`` one existed
        (:mod:`ecgstudio.annotations.keys`); nothing computes their old key any more. It is found as the
        key stored for the same header path, and used only when it starts with ``earlier_prefix``, its
        stored header (name, rate, length, leads) is this record's, and ``record_key`` has no
        annotations yet. Call it before :meth:`register_record`, which points the path at the new key.
        Where the library refuses to move some of them (a team server lets a reader move only their
        own), nothing moves and :class:`InvalidAnnotation` says so: they stay under the old key.
        """
        path = _path_id(info.path) if getattr(info, "path", None) else None
        rows = self.db.query("SELECT record_key FROM ann_record_paths WHERE path = ?", (path,)) if path else []
        if not rows or rows[0][0] == record_key or not str(rows[0][0]).startswith(earlier_prefix):
            return 0
        earlier, header = rows[0][0], (info.name, float(info.fs), int(info.n_samples), tuple(info.leads))
        meta = self.record_meta(earlier)
        if meta is None or (meta["name"], meta["fs"], meta["n_samples"], meta["leads"]) != header:
            return 0
        actor = _clean_actor(actor)
        with self._refusals(), self.db.transaction() as conn:
            if conn.execute("SELECT 1 FROM annotations WHERE record_key = ?", (record_key,)).fetchone():
                return 0  # annotated under its new key already: the two sets are not merged behind anyone's back
            moving = [Annotation(**dict(row)) for row in conn.execute(
                "SELECT * FROM annotations WHERE record_key = ? ORDER BY id", (earlier,)).fetchall()]
            if not moving:
                return 0
            conn.execute("INSERT INTO ann_records VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(record_key) DO NOTHING",
                         (record_key, info.name, header[1], header[2], json.dumps(list(header[3])), utc_now()))
            moved = conn.execute("UPDATE annotations SET record_key = ? WHERE record_key = ?",
                                 (record_key, earlier)).rowcount
            if moved != len(moving):
                raise InvalidAnnotation(f"{len(moving) - moved} of the {len(moving)} annotations under this "
                                        f"record's earlier key {earlier} are not yours to move; they stay there")
            for old in moving:
                append_audit(conn, actor, "rekey", ENTITY, old.id, old.to_dict(), self._fetch(conn, old.id).to_dict())
            conn.execute("UPDATE ann_record_paths SET record_key = ?, seen_at = ? WHERE path = ?",
                         (record_key, utc_now(), path))
        return sum(not a.deleted for a in moving)

    def record_meta(self, record_key: str) -> dict[str, Any] | None:
        """What the store knows of a record: name, fs, n_samples, leads (None where unknown)."""
        row = self._record_row(record_key)
        if row is None:
            return None
        return {"name": row["name"], "fs": row["fs"], "n_samples": row["n_samples"],
                "leads": tuple(json.loads(row["leads"])) if row["leads"] else None}

    def record_keys(self) -> list[str]:
        """Keys of the records that have at least one live annotation."""
        rows = self.db.query("SELECT DISTINCT record_key FROM annotations WHERE deleted_at IS NULL ORDER BY 1")
        return [row[0] for row in rows]

    # -- vocabulary ----------------------------------------------------------------------------------

    def vocabulary(self, include_retired: bool = False) -> list[Term]:
        sql = "SELECT code, display, source FROM ann_vocabulary"
        if not include_retired:
            sql += " WHERE retired_at IS NULL"
        return [Term(*row) for row in self.db.query(sql + " ORDER BY position, code")]

    def add_term(self, code: str, display: str, actor: str, source: str = CUSTOM_SOURCE) -> Term:
        """Offer a new record-level label (or bring back a retired one)."""
        code, display = _clean_label(code), display.strip() or code.strip()
        with self.db.transaction() as conn:
            position = conn.execute("SELECT COALESCE(MAX(position), -1) + 1 FROM ann_vocabulary").fetchone()[0]
            conn.execute("INSERT INTO ann_vocabulary (code, display, source, position) VALUES (?, ?, ?, ?)"
                         " ON CONFLICT(code) DO UPDATE SET display = excluded.display, retired_at = NULL",
                         (code, display, source, position))
            append_audit(conn, _clean_actor(actor), "create", VOCABULARY_ENTITY, code, None,
                         {"code": code, "display": display, "source": source})
        return Term(code, display, source)

    def retire_term(self, code: str, actor: str) -> None:
        """Stop offering a label; annotations that use it keep it."""
        with self.db.transaction() as conn:
            if conn.execute("UPDATE ann_vocabulary SET retired_at = ? WHERE code = ? AND retired_at IS NULL",
                            (utc_now(), code)).rowcount:
                append_audit(conn, _clean_actor(actor), "delete", VOCABULARY_ENTITY, code, {"code": code}, None)

    # -- reading -------------------------------------------------------------------------------------

    def annotations(self, record_key: str, include_deleted: bool = False) -> list[Annotation]:
        """A record's annotations: labels first, then intervals by start time."""
        sql = "SELECT * FROM annotations WHERE record_key = ?"
        if not include_deleted:
            sql += " AND deleted_at IS NULL"
        rows = self.db.query(sql + " ORDER BY kind = 'interval', t0, id", (record_key,))
        return [Annotation(**dict(row)) for row in rows]

    def get(self, annotation_id: int) -> Annotation:
        """A live annotation by id; raises :class:`AnnotationNotFound` for unknown or deleted ones."""
        rows = self.db.query("SELECT * FROM annotations WHERE id = ? AND deleted_at IS NULL", (annotation_id,))
        if not rows:
            raise AnnotationNotFound(f"no annotation with id {annotation_id} (it may have been deleted)")
        return Annotation(**dict(rows[0]))

    def history(self, annotation_id: int | None) -> list[AuditEntry]:
        """Audit rows of one annotation, or of every annotation when ``annotation_id`` is None."""
        return audit_history(self.db, ENTITY, annotation_id)

    def interval_labels(self, author: str | None = None) -> list[str]:
        """Interval labels used anywhere in the library (by ``author`` only, if given: a blinded reader is
        not prompted with the others' labels), most used first (for completion)."""
        mine, params = ("", ()) if author is None else (" AND author = ?", (author.strip(),))
        rows = self.db.query(f"SELECT label FROM annotations WHERE kind = 'interval' AND deleted_at IS NULL{mine}"
                             " GROUP BY label ORDER BY COUNT(*) DESC, label", params)
        return [row[0] for row in rows]

    def status(self, record_key: str, author: str | None = None) -> str:
        """``"none"``, ``"labelled"`` (has annotations, not all confirmed) or ``"confirmed"``; with
        ``author``, of that author's annotations only (a blinded reader's own status)."""
        return self.statuses([record_key], author)[record_key]

    def statuses(self, record_keys: Iterable[str], author: str | None = None) -> dict[str, str]:
        keys = list(dict.fromkeys(record_keys))
        counts = self._counts(keys, author)
        return {key: status_of(*counts.get(key, (0, 0))) for key in keys}

    def statuses_by_path(self, paths: Iterable[str | Path], author: str | None = None) -> dict[str, str]:
        """Status per record path (header, signal file or bare record name), for a library list.

        Keys of the result are the paths as given; records never opened here are ``"none"``. One query
        joins the paths to the counts the triggers keep: one row per record, however many annotations
        it has (the key only where a count is missing). ``author`` and what a team server hides: as
        :meth:`_counts`.
        """
        resolved = _path_ids(paths)
        dialect = self.db.dialect
        if author is None:
            counted, params = "ann_record_counts c ON c.record_key = p.record_key", ()
        else:
            counted, params = "ann_author_counts c ON c.record_key = p.record_key AND c.author = ?", (author.strip(),)
        rows = self.db.query("SELECT p.path, CASE WHEN c.live IS NULL THEN p.record_key END, c.live, c.signed"
                             f" FROM ann_record_paths p LEFT JOIN {counted} WHERE {dialect.member_of('p.path')}",
                             (*params, dialect.list_parameter(sorted(set(resolved.values())))))
        counts = {row[0]: (row[2], row[3]) for row in rows if row[2] is not None}
        if author is None and len(counts) < len(rows):
            key_of = {row[0]: row[1] for row in rows if row[2] is None}
            stand_in = self._author_sums(list(set(key_of.values())))
            counts.update((path, stand_in[key]) for path, key in key_of.items() if key in stand_in)
        return {given: status_of(*counts.get(real, (0, 0))) for given, real in resolved.items()}

    # -- changes -------------------------------------------------------------------------------------

    def add_label(self, record_key: str, label: str, author: str, note: str = "") -> Annotation:
        """Label the whole record with a vocabulary code or free text."""
        label = _clean_label(label)
        self._require_record(record_key)
        if self._live_label(record_key, author, label):
            raise InvalidAnnotation(f"{author.strip()} has already labelled this record {label!r}")
        return self._insert(record_key, LABEL, label, None, None, None, note, author)

    def add_interval(self, record_key: str, lead: str | None, t0: float, t1: float, label: str,
                     author: str, note: str = "") -> Annotation:
        """Mark ``[t0, t1]`` seconds on one lead (or all leads when ``lead`` is None)."""
        self._require_record(record_key)
        t0, t1 = self._check_interval(record_key, lead, t0, t1)
        return self._insert(record_key, INTERVAL, _clean_label(label), lead, t0, t1, note, author)

    def edit(self, annotation_id: int, actor: str, *, label: str = _UNSET, lead: str | None = _UNSET,
             t0: float = _UNSET, t1: float = _UNSET, note: str = _UNSET) -> Annotation:
        """Change an annotation's label, note, or (intervals) lead and times; clears its confirmation."""
        old = self._owned(annotation_id, actor, "edit")
        new = {
            "label": old.label if label is _UNSET else _clean_label(label),
            "note": old.note if note is _UNSET else _clean_note(note),
            "lead": old.lead if lead is _UNSET else lead,
            "t0": old.t0 if t0 is _UNSET else t0,
            "t1": old.t1 if t1 is _UNSET else t1,
        }
        if old.kind == LABEL:
            if (new["lead"], new["t0"], new["t1"]) != (None, None, None):
                raise InvalidAnnotation("a record label has no lead or times; add an interval instead")
            if new["label"] != old.label and self._live_label(old.record_key, old.author, new["label"]):
                raise InvalidAnnotation(f"{old.author} has already labelled this record {new['label']!r}")
        else:
            new["t0"], new["t1"] = self._check_interval(old.record_key, new["lead"], new["t0"], new["t1"])
        if all(getattr(old, field) == value for field, value in new.items()):
            return old
        with self._refusals(), self.db.transaction() as conn:
            conn.execute("UPDATE annotations SET label = :label, note = :note, lead = :lead, t0 = :t0, t1 = :t1,"
                         " updated_at = :now, updated_by = :actor, confirmed_by = NULL, confirmed_at = NULL"
                         " WHERE id = :id", {**new, "now": utc_now(), "actor": old.author, "id": annotation_id})
            return self._audited(conn, "edit", old)

    def delete(self, annotation_id: int, actor: str) -> None:
        """Soft-delete: the annotation disappears from views; its row and history stay."""
        old = self._owned(annotation_id, actor, "delete")
        with self.db.transaction() as conn:
            conn.execute("UPDATE annotations SET deleted_at = ?, deleted_by = ? WHERE id = ?",
                         (utc_now(), old.author, annotation_id))
            self._audited(conn, "delete", old)

    def confirm(self, annotation_id: int, actor: str) -> Annotation:
        """Sign an annotation as final. Only its author may; confirming twice changes nothing."""
        old = self._owned(annotation_id, actor, "confirm")
        if old.confirmed:
            return old
        with self.db.transaction() as conn:
            conn.execute("UPDATE annotations SET confirmed_at = ?, confirmed_by = ? WHERE id = ?",
                         (utc_now(), old.author, annotation_id))
            return self._audited(conn, "confirm", old)

    def import_drafts(self, drafts: list[Draft], actor: str, source_path: str | Path) -> ImportResult:
        """Insert annotations read from a file, all or nothing, skipping ones already here.

        Authorship and confirmation come from the file; the audit row names ``actor`` as importer and
        the row's ``source`` names the file. A draft the store refuses raises
        :class:`AnnotationFileError` with the draft's line, and nothing is imported.
        """
        actor = _clean_actor(actor)
        source = f"import:{Path(source_path).name}"
        added = duplicates = 0
        with self.db.transaction() as conn:
            for draft in drafts:
                try:
                    if self._record_row(draft.record_key) is None:
                        conn.execute("INSERT INTO ann_records (record_key, name, first_seen) VALUES (?, ?, ?)",
                                     (draft.record_key, draft.record_name or draft.record_key, utc_now()))
                    row = self._validated_row(draft)
                except (InvalidAnnotation, LibraryRefused) as exc:
                    raise AnnotationFileError(source_path, str(exc), draft.line) from exc
                if self._is_duplicate(row):
                    duplicates += 1
                    continue
                now = utc_now()
                row.update(created_at=draft.created_at or now, updated_at=now, updated_by=row["author"],
                           confirmed_by=draft.confirmed_by or None,
                           confirmed_at=(draft.confirmed_at or now) if draft.confirmed_by else None, source=source)
                new = self._fetch(conn, conn.insert(f"INSERT INTO annotations ({', '.join(row)}) VALUES"
                                                    f" ({', '.join(':' + k for k in row)})", row))
                append_audit(conn, actor, "create", ENTITY, new.id, None, new.to_dict())
                added += 1
        return ImportResult(added, duplicates)

    # -- internals -----------------------------------------------------------------------------------

    def _insert(self, record_key: str, kind: str, label: str, lead: str | None, t0: float | None,
                t1: float | None, note: str, author: str) -> Annotation:
        author, now = _clean_actor(author), utc_now()
        with self._refusals(), self.db.transaction() as conn:
            new = self._fetch(conn, conn.insert(
                "INSERT INTO annotations (record_key, kind, label, lead, t0, t1, note, author, created_at,"
                " updated_at, updated_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (record_key, kind, label, lead, t0, t1, _clean_note(note), author, now, now, author),
            ))
            append_audit(conn, author, "create", ENTITY, new.id, None, new.to_dict())
        return new

    @staticmethod
    @contextmanager
    def _refusals() -> Iterator[None]:
        """A refusal the checks above could not see -> typed error: another app instance wrote first (a
        constraint), or the server's row-level security refused this reader's role."""
        try:
            yield
        except LibraryRefused as exc:
            raise InvalidAnnotation(f"the library refused the change ({exc.reason}); reopen the record and retry"
                                    ) from exc

    def _audited(self, conn: Connection, action: str, old: Annotation) -> Annotation:
        new = self._fetch(conn, old.id)
        append_audit(conn, old.author, action, ENTITY, old.id, old.to_dict(), new.to_dict())
        return new

    @staticmethod
    def _fetch(conn: Connection, annotation_id: int) -> Annotation:
        return Annotation(**dict(conn.execute("SELECT * FROM annotations WHERE id = ?", (annotation_id,)).fetchone()))

    def _owned(self, annotation_id: int, actor: str, action: str) -> Annotation:
        annotation = self.get(annotation_id)
        if _clean_actor(actor) != annotation.author:
            raise NotAuthorError(action, annotation.author, actor.strip())
        return annotation

    def _record_row(self, record_key: str) -> Any | None:
        rows = self.db.query("SELECT * FROM ann_records WHERE record_key = ?", (record_key,))
        return rows[0] if rows else None

    def _require_record(self, record_key: str) -> None:
        if self._record_row(record_key) is None:
            raise InvalidAnnotation(f"record {record_key} is not in the library; open it first")

    def _live_label(self, record_key: str, author: str, label: str) -> bool:
        return bool(self.db.query(
            "SELECT 1 FROM annotations WHERE record_key = ? AND author = ? AND label = ? AND kind = 'label'"
            " AND deleted_at IS NULL", (record_key, author.strip(), label)))

    def _check_interval(self, record_key: str, lead: str | None, t0: float, t1: float) -> tuple[float, float]:
        try:
            t0, t1 = float(t0), float(t1)
        except (TypeError, ValueError):
            raise InvalidAnnotation(f"interval times must be numbers, got {t0!r} and {t1!r}") from None
        if not (math.isfinite(t0) and math.isfinite(t1)) or t0 < 0 or t1 <= t0:
            raise InvalidAnnotation(f"an interval needs 0 ≤ start < end, got {t0:g} s to {t1:g} s")
        meta = self.record_meta(record_key) or {}
        if meta.get("fs") and meta.get("n_samples"):
            duration = meta["n_samples"] / meta["fs"]
            if t1 > duration + 1.0 / meta["fs"]:
                raise InvalidAnnotation(f"interval end {t1:.3f} s is past the end of the record ({duration:.3f} s)")
        if lead is not None and meta.get("leads") and lead not in meta["leads"]:
            raise InvalidAnnotation(f"the record has no lead {lead!r} (it has {', '.join(meta['leads'])})")
        return t0, t1

    def _validated_row(self, draft: Draft) -> dict[str, Any]:
        row = {"record_key": draft.record_key, "kind": draft.kind, "label": _clean_label(draft.label),
               "lead": None, "t0": None, "t1": None, "note": _clean_note(draft.note),
               "author": _clean_actor(draft.author)}
        if draft.kind == INTERVAL:
            row["lead"] = draft.lead
            row["t0"], row["t1"] = self._check_interval(draft.record_key, draft.lead, draft.t0, draft.t1)
        elif draft.kind != LABEL:
            raise InvalidAnnotation(f"kind must be {LABEL!r} or {INTERVAL!r}, got {draft.kind!r}")
        return row

    def _is_duplicate(self, row: dict[str, Any]) -> bool:
        """Whether the same author already has this label, or this interval on this lead, live.

        Times match within half a sample: what a WFDB round trip can move them by.
        """
        others = self.db.query(
            "SELECT lead, t0, t1 FROM annotations WHERE record_key = ? AND kind = ? AND label = ? AND author = ?"
            " AND deleted_at IS NULL", (row["record_key"], row["kind"], row["label"], row["author"]))
        if row["kind"] == LABEL:
            return bool(others)
        fs = (self.record_meta(row["record_key"]) or {}).get("fs")
        tolerance = 0.5 / fs + 1e-9 if fs else 1e-6
        return any(other["lead"] == row["lead"] and abs(other["t0"] - row["t0"]) <= tolerance
                   and abs(other["t1"] - row["t1"]) <= tolerance for other in others)

    def _counts(self, keys: list[str], author: str | None = None) -> dict[str, tuple[int, int]]:
        """(live, signed) annotation counts per record key, from the counts the triggers keep.

        With ``author``, that author's own (a blinded reader's status). Without, the record's totals;
        a record with no total row was never annotated, or is in a blinded study whose totals a team
        server hides from this reader (row-level security): the per-author rows they may see stand in."""
        if not keys:
            return {}
        dialect = self.db.dialect
        member = dialect.member_of("record_key")
        if author is not None:
            rows = self.db.query(f"SELECT record_key, live, signed FROM ann_author_counts WHERE author = ? AND {member}",
                                 (author.strip(), dialect.list_parameter(keys)))
            return {row[0]: (row[1], row[2]) for row in rows}
        rows = self.db.query(f"SELECT record_key, live, signed FROM ann_record_counts WHERE {member}",
                             (dialect.list_parameter(keys),))
        counts = {row[0]: (row[1], row[2]) for row in rows}
        unseen = [key for key in keys if key not in counts]
        return {**self._author_sums(unseen), **counts} if unseen else counts

    def _author_sums(self, keys: list[str]) -> dict[str, tuple[int, int]]:
        """Per record, the sum of the per-author counts this connection may see."""
        rows = self.db.query("SELECT record_key, SUM(live), SUM(signed) FROM ann_author_counts"
                             f" WHERE {self.db.dialect.member_of('record_key')} GROUP BY record_key",
                             (self.db.dialect.list_parameter(keys),))
        return {row[0]: (row[1], row[2]) for row in rows}


def _path_id(path: str | Path) -> str:
    """One spelling per record file: its absolute header path (links resolved), whichever file was named."""
    return _path_ids([path])[str(path)]


def _path_ids(paths: Iterable[str | Path]) -> dict[str, str]:
    """:func:`_path_id` of many paths (a library lists thousands per folder), in string operations: each
    folder is made absolute and resolved once, and only the header itself is looked at (``lstat``),
    for when it is a symbolic link. This is most of the status column's time outside the query."""
    folders: dict[str, str] = {}
    out: dict[str, str] = {}
    sep = os.sep
    for given in paths:
        text = str(given)
        slash, dot = text.rfind(sep), text.rfind(".")
        if dot > slash + 1 and text[dot:].lower() in RECORD_SUFFIXES:  # header_path_of, as splitext would
            text = text[:dot]
        folder, name = (text[:slash] if slash > 0 else sep if slash == 0 else "."), text[slash + 1:] + ".hea"
        real = folders.get(folder)
        if real is None:
            real = folders[folder] = os.path.realpath(os.path.abspath(folder))
        candidate = (real if real.endswith(sep) else real + sep) + name
        out[str(given)] = os.path.realpath(candidate) if os.path.islink(candidate) else candidate
    return out


def _clean_label(label: str) -> str:
    text = " ".join(str(label).split())
    if not text:
        raise InvalidAnnotation("a label cannot be empty")
    if len(text) > MAX_LABEL_CHARS:
        raise InvalidAnnotation(f"a label is at most {MAX_LABEL_CHARS} characters (got {len(text)}); use the note")
    return text


def _clean_note(note: str) -> str:
    text = str(note).strip()
    if len(text) > MAX_NOTE_CHARS:
        raise InvalidAnnotation(f"a note is at most {MAX_NOTE_CHARS} characters (got {len(text)})")
    return text


def _clean_actor(actor: str) -> str:
    name = str(actor).strip()
    if not name:
        raise InvalidAnnotation("annotating needs an author name; set it in the annotation panel")
    return name
