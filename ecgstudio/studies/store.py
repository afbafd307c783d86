"""Reading studies in the library (component ``studies``): records, vocabulary, readers, progress, consensus.

A study does not copy labels: each reader's readings are their ordinary record-label annotations
(author = reader) on the study's records, restricted to the study's vocabulary, so reading in a study
is annotating as usual, audited as usual. What the study adds:

- blinding: :meth:`StudyStore.reader_labels` returns one reader's own labels only (the panel shows
  nothing else while a study is being read), and a reader of a blinded study is refused what carries
  the others' labels: agreement, readings and the consensus;
- progress: a reader marks a record finished (``study_progress``); agreement counts finished records;
- consensus: an adjudicator's decision per (record, label), with who decided, when, and the ids of
  the readings it was decided from; every decision is audited (entity ``study_consensus``).

On PostgreSQL the server enforces the roles (``ecgstudio.store.access``): readers write only their own
progress, only adjudicators write consensus, and a blinded study's consensus is hidden from its readers.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from ecgstudio.annotations.schema import ANNOTATION_SCHEMA
from ecgstudio.store import AUDIT_SCHEMA, Database, Schema, append_audit, utc_now
from ecgstudio.studies.agreement import IntervalAgreement, LabelAgreement, interval_agreement, study_agreement
from training.data.manifest import ManifestRow, write_manifest

STUDY_ENTITY = "study"
CONSENSUS_ENTITY = "study_consensus"

STUDY_SCHEMA = Schema("studies", ((
    "CREATE TABLE studies ("
    " id INTEGER PRIMARY KEY AUTOINCREMENT,"
    " name TEXT NOT NULL UNIQUE CHECK (length(trim(name)) > 0),"
    " vocabulary TEXT NOT NULL,"
    " created_at TEXT NOT NULL,"
    " created_by TEXT NOT NULL)",
    "CREATE TABLE study_records ("
    " study_id INTEGER NOT NULL REFERENCES studies (id),"
    " record_key TEXT NOT NULL REFERENCES ann_records (record_key),"
    " position INTEGER NOT NULL,"
    " PRIMARY KEY (study_id, record_key))",
    "CREATE TABLE study_readers ("
    " study_id INTEGER NOT NULL REFERENCES studies (id),"
    " reader TEXT NOT NULL CHECK (length(trim(reader)) > 0),"
    " PRIMARY KEY (study_id, reader))",
    "CREATE TABLE study_progress ("
    " study_id INTEGER NOT NULL REFERENCES studies (id),"
    " record_key TEXT NOT NULL,"
    " reader TEXT NOT NULL,"
    " finished_at TEXT NOT NULL,"
    " PRIMARY KEY (study_id, record_key, reader))",
    "CREATE TABLE study_consensus ("
    " id INTEGER PRIMARY KEY AUTOINCREMENT,"
    " study_id INTEGER NOT NULL REFERENCES studies (id),"
    " record_key TEXT NOT NULL,"
    " label TEXT NOT NULL,"
    " present INTEGER NOT NULL CHECK (present IN (0, 1)),"
    " decided_by TEXT NOT NULL CHECK (length(trim(decided_by)) > 0),"
    " decided_at TEXT NOT NULL,"
    " from_readings TEXT NOT NULL,"
    " note TEXT NOT NULL DEFAULT '',"
    " UNIQUE (study_id, record_key, label))",
), (
    # v2: a study is read blinded unless an administrator lifts it; on a server row-level security hides
    # the other readers' annotations of a blinded study's records (ecgstudio.store.access), which looks
    # studies up by record.
    "ALTER TABLE studies ADD COLUMN blinded INTEGER NOT NULL DEFAULT 1 CHECK (blinded IN (0, 1))",
    "CREATE INDEX study_records_by_record ON study_records (record_key)",
)), tables=("studies", "study_records", "study_readers", "study_progress", "study_consensus"))


class StudyError(ValueError):
    """A study request the store refuses (unknown study, reader not assigned, empty vocabulary...)."""


@dataclass(frozen=True)
class Study:
    id: int
    name: str
    vocabulary: tuple[str, ...]
    records: tuple[str, ...]
    readers: tuple[str, ...]
    created_by: str
    blinded: bool = True


@dataclass(frozen=True)
class Consensus:
    record_key: str
    label: str
    present: bool
    decided_by: str
    decided_at: str
    from_readings: tuple[int, ...]
    note: str


class StudyStore:
    """Studies of one library (shares the :class:`Database` with the annotation store)."""

    def __init__(self, db: Database):
        self.db = db
        db.ensure(AUDIT_SCHEMA)
        db.ensure(ANNOTATION_SCHEMA)
        db.ensure(STUDY_SCHEMA)

    # -- set-up --------------------------------------------------------------------------------------

    def create(self, name: str, record_keys: Sequence[str], vocabulary: Sequence[str], readers: Sequence[str],
               actor: str, blinded: bool = True) -> Study:
        """A new study; its records must be in the library (opened or imported once). ``blinded``: while
        it is, each reader sees only their own labels of its records (enforced by a team server)."""
        name, readers = name.strip(), list(dict.fromkeys(r.strip() for r in readers if r.strip()))
        vocabulary, keys = list(dict.fromkeys(vocabulary)), list(dict.fromkeys(record_keys))
        if not name or not vocabulary or not keys or len(readers) < 2:
            raise StudyError("a study needs a name, at least one label, one record and two readers")
        known = self._known_records(keys)
        missing = [k for k in keys if k not in known]
        if missing:
            raise StudyError(f"{len(missing)} record(s) are not in the library yet (e.g. {missing[0]}); open them once")
        with self.db.transaction() as conn:
            if conn.execute("SELECT 1 FROM studies WHERE name = ?", (name,)).fetchall():
                raise StudyError(f"a study named {name!r} exists already")
            study_id = conn.insert("INSERT INTO studies (name, vocabulary, created_at, created_by, blinded)"
                                   " VALUES (?, ?, ?, ?, ?)", (name, json.dumps(vocabulary), utc_now(), actor,
                                                               int(blinded)))
            conn.executemany("INSERT INTO study_records VALUES (?, ?, ?)",
                             [(study_id, key, i) for i, key in enumerate(keys)])
            conn.executemany("INSERT INTO study_readers VALUES (?, ?)", [(study_id, r) for r in readers])
            append_audit(conn, actor, "create", STUDY_ENTITY, study_id, None,
                         {"name": name, "vocabulary": vocabulary, "readers": readers, "records": len(keys),
                          "blinded": blinded})
        return self.study(study_id)

    def set_blinded(self, study: Study, blinded: bool, actor: str) -> Study:
        """Lift (or restore) a study's blinding, e.g. once it is adjudicated; audited. On a server only an
        administrator's role may (readers and adjudicators cannot update studies)."""
        with self.db.transaction() as conn:
            conn.execute("UPDATE studies SET blinded = ? WHERE id = ?", (int(blinded), study.id))
            append_audit(conn, actor, "update", STUDY_ENTITY, study.id, {"blinded": study.blinded},
                         {"blinded": blinded})
        return self.study(study.id)

    def studies(self) -> list[Study]:
        return [self.study(row[0]) for row in self.db.query("SELECT id FROM studies ORDER BY id")]

    def study(self, study_id: int) -> Study:
        rows = self.db.query("SELECT * FROM studies WHERE id = ?", (study_id,))
        if not rows:
            raise StudyError(f"no study with id {study_id}")
        row = rows[0]
        records = tuple(r[0] for r in self.db.query(
            "SELECT record_key FROM study_records WHERE study_id = ? ORDER BY position", (study_id,)))
        readers = tuple(r[0] for r in self.db.query(
            "SELECT reader FROM study_readers WHERE study_id = ? ORDER BY reader", (study_id,)))
        return Study(row["id"], row["name"], tuple(json.loads(row["vocabulary"])), records, readers, row["created_by"],
                     bool(row["blinded"]))

    # -- reading -------------------------------------------------------------------------------------

    def reader_labels(self, study: Study, reader: str, record_key: str) -> list[str]:
        """Blinded: the labels of the study's vocabulary ``reader`` gave this record, nobody else's."""
        self._require_reader(study, reader)
        rows = self.db.query("SELECT label FROM annotations WHERE record_key = ? AND author = ? AND kind = 'label'"
                             " AND deleted_at IS NULL ORDER BY label", (record_key, reader))
        return [row[0] for row in rows if row[0] in study.vocabulary]

    def set_finished(self, study: Study, reader: str, record_key: str) -> None:
        self._require_reader(study, reader)
        if record_key not in study.records:
            raise StudyError(f"record {record_key} is not in study {study.name!r}")
        with self.db.transaction() as conn:
            conn.execute("INSERT INTO study_progress VALUES (?, ?, ?, ?) ON CONFLICT (study_id, record_key, reader)"
                         " DO NOTHING", (study.id, record_key, reader, utc_now()))

    def finished(self, study: Study) -> dict[str, set[str]]:
        """Per reader, the record keys they have finished."""
        done: dict[str, set[str]] = {reader: set() for reader in study.readers}
        for row in self.db.query("SELECT reader, record_key FROM study_progress WHERE study_id = ?", (study.id,)):
            done.setdefault(row[0], set()).add(row[1])
        return done

    def progress(self, study: Study) -> dict[str, tuple[int, int]]:
        """(finished, total) records per reader."""
        return {reader: (len(keys), len(study.records)) for reader, keys in self.finished(study).items()
                if reader in study.readers}

    # -- agreement -----------------------------------------------------------------------------------

    def readings(self, study: Study) -> set[tuple[str, str, str]]:
        """(record_key, reader, label) of every present reading in the study (live record labels).

        A reader of a blinded study on a server sees only their own readings, so any agreement they
        computed would be wrong: it is refused, in words."""
        self.require_unblinded(study)
        placeholders = ",".join("?" * len(study.readers))
        rows = self.db.query(
            "SELECT a.record_key, a.author, a.label FROM annotations a JOIN study_records s"
            " ON s.record_key = a.record_key AND s.study_id = ?"
            f" WHERE a.kind = 'label' AND a.deleted_at IS NULL AND a.author IN ({placeholders})",
            (study.id, *study.readers))
        vocabulary = set(study.vocabulary)
        return {(row[0], row[1], row[2]) for row in rows if row[2] in vocabulary}

    def require_unblinded(self, study: Study, viewer: str | None = None) -> None:
        """Refuse a reader of a blinded study what carries the other readers' labels (readings, agreement,
        consensus). Who asks: the server's role, and ``viewer``, the name the app annotates under (all
        there is in a file, which has no users; on a server the app annotates under the role)."""
        who = next((name for name in (self.db.user, viewer) if name in study.readers), None)
        if study.blinded and who is not None:
            raise StudyError(f"study {study.name!r} is blinded: you ({who}) see only your own labels;"
                             " its agreement and consensus are for an adjudicator")

    def agreement(self, study: Study, finished_only: bool = True) -> list[LabelAgreement]:
        """Agreement per label over the records every reader has finished (or all records)."""
        keys = list(study.records)
        if finished_only:
            done = self.finished(study)
            keys = [k for k in keys if all(k in done.get(r, ()) for r in study.readers)]
        return study_agreement(keys, study.readers, study.vocabulary, self.readings(study))

    def interval_agreements(self, study: Study) -> list[IntervalAgreement]:
        """Overlap agreement of every interval label the study's readers marked on its records."""
        rows = self.db.query("SELECT DISTINCT a.label FROM annotations a JOIN study_records s ON s.record_key ="
                             " a.record_key AND s.study_id = ? WHERE a.kind = 'interval' AND a.deleted_at IS NULL"
                             " ORDER BY 1", (study.id,))
        return [interval_agreement(row[0], study.readers, self.interval_marks(study, row[0])) for row in rows]

    def interval_marks(self, study: Study, label: str) -> dict[tuple[str, str], list[tuple[str | None, float, float]]]:
        rows = self.db.query(
            "SELECT a.record_key, a.author, a.lead, a.t0, a.t1 FROM annotations a JOIN study_records s"
            " ON s.record_key = a.record_key AND s.study_id = ? WHERE a.kind = 'interval' AND a.label = ?"
            " AND a.deleted_at IS NULL ORDER BY a.id", (study.id, label))
        marks: dict[tuple[str, str], list] = {}
        for row in rows:
            if row[1] in study.readers:
                marks.setdefault((row[0], row[1]), []).append((row[2], row[3], row[4]))
        return marks

    # -- adjudication --------------------------------------------------------------------------------

    def readings_of(self, study: Study, record_key: str, label: str) -> dict[str, int | None]:
        """Per reader, the id of their live reading of ``label`` on the record (None: they did not mark it)."""
        rows = self.db.query("SELECT author, id FROM annotations WHERE record_key = ? AND label = ?"
                             " AND kind = 'label' AND deleted_at IS NULL", (record_key, label))
        ids = {row[0]: row[1] for row in rows}
        return {reader: ids.get(reader) for reader in study.readers}

    def set_consensus(self, study: Study, record_key: str, label: str, present: bool, actor: str,
                      note: str = "") -> Consensus:
        """Decide one (record, label): stored with the deciding user, the time and the readings it rests on."""
        actor = actor.strip()
        if not actor:
            raise StudyError("adjudicating needs a name on the decision")
        if record_key not in study.records or label not in study.vocabulary:
            raise StudyError(f"{label!r} on {record_key} is not part of study {study.name!r}")
        readings = sorted(i for i in self.readings_of(study, record_key, label).values() if i is not None)
        with self.db.transaction() as conn:
            old = conn.execute("SELECT present, decided_by, from_readings, note FROM study_consensus WHERE study_id = ?"
                               " AND record_key = ? AND label = ?", (study.id, record_key, label)).fetchall()
            values = (study.id, record_key, label, int(present), actor, utc_now(), json.dumps(readings), note.strip())
            conn.execute("INSERT INTO study_consensus (study_id, record_key, label, present, decided_by, decided_at,"
                         " from_readings, note) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
                         " ON CONFLICT (study_id, record_key, label) DO UPDATE SET present = excluded.present,"
                         " decided_by = excluded.decided_by, decided_at = excluded.decided_at,"
                         " from_readings = excluded.from_readings, note = excluded.note", values)
            before = dict(zip(("present", "decided_by", "from_readings", "note"), old[0])) if old else None
            append_audit(conn, actor, "update" if old else "create", CONSENSUS_ENTITY,
                         f"{study.id}:{record_key}:{label}", before,
                         {"present": int(present), "decided_by": actor, "from_readings": json.dumps(readings),
                          "note": note.strip()})
        return self.consensus(study)[(record_key, label)]

    def consensus(self, study: Study, viewer: str | None = None) -> dict[tuple[str, str], Consensus]:
        """The adjudicator's decisions; refused to a reader of the blinded study (:meth:`require_unblinded`)."""
        self.require_unblinded(study, viewer)
        rows = self.db.query("SELECT * FROM study_consensus WHERE study_id = ? ORDER BY id", (study.id,))
        return {(row["record_key"], row["label"]): Consensus(
            row["record_key"], row["label"], bool(row["present"]), row["decided_by"], row["decided_at"],
            tuple(json.loads(row["from_readings"])), row["note"]) for row in rows}

    def consensus_labels(self, study: Study, viewer: str | None = None) -> dict[str, tuple[str, ...]]:
        """The study's final labels per record: unanimous readings, replaced by the adjudicator's decisions.

        Only records every reader finished count; a disagreement not yet adjudicated keeps the record out.
        """
        done = self.finished(study)
        finished = [k for k in study.records if all(k in done.get(r, ()) for r in study.readers)]
        decided = self.consensus(study, viewer)
        readings = self.readings(study)
        disputed = {d.record_key for a in self.agreement(study) for d in a.disagreements
                    if (d.record_key, d.label) not in decided}
        labels: dict[str, tuple[str, ...]] = {}
        for key in finished:
            if key in disputed:
                continue
            present = []
            for label in study.vocabulary:
                if (key, label) in decided:
                    keep = decided[(key, label)].present
                else:
                    keep = all((key, reader, label) in readings for reader in study.readers)
                if keep:
                    present.append(label)
            labels[key] = tuple(present)
        return labels

    def export_consensus(self, study: Study, folder: str | Path, viewer: str | None = None) -> Path:
        """The consensus as a training dataset folder (``manifest.csv`` with each record's header path)."""
        labels = self.consensus_labels(study, viewer)
        paths = {row[0]: row[1] for row in self.db.query("SELECT record_key, path FROM ann_record_paths ORDER BY seen_at")}
        rows = [ManifestRow(paths[key], codes, key) for key, codes in labels.items()
                if codes and key in paths and Path(paths[key]).is_file()]
        if not rows:
            raise StudyError(f"study {study.name!r} has no adjudicated, finished record with a label and a file yet")
        write_manifest(folder, rows)
        return Path(folder)

    # -- internals -----------------------------------------------------------------------------------

    def _known_records(self, keys: Iterable[str]) -> set[str]:
        known: set[str] = set()
        keys = list(keys)
        for start in range(0, len(keys), 500):
            chunk = keys[start:start + 500]
            known |= {row[0] for row in self.db.query(
                f"SELECT record_key FROM ann_records WHERE record_key IN ({','.join('?' * len(chunk))})", chunk)}
        return known

    @staticmethod
    def _require_reader(study: Study, reader: str) -> None:
        if reader not in study.readers:
            raise StudyError(f"{reader} is not a reader of study {study.name!r} (readers: {', '.join(study.readers)})")
