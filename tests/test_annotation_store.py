"""The annotation store: persistence, audit trail, crash safety, authorship, and CSV/WFDB round trips."""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import wfdb

from ecgstudio.annotations.csv_io import export_csv, import_csv
from ecgstudio.annotations.errors import AnnotationFileError, InvalidAnnotation, NotAuthorError
from ecgstudio.annotations.keys import record_key
from ecgstudio.annotations.schema import ANNOTATION_SCHEMA
from ecgstudio.annotations.store import AnnotationStore
from ecgstudio.annotations.wfdb_io import export_wfdb, import_wfdb
from ecgstudio.store import AUDIT_SCHEMA, Database, LibraryError, Schema, audit_history
from training.data import read_record

REPO = Path(__file__).resolve().parent.parent
FAKE_INFO = SimpleNamespace(name="rec", fs=500.0, n_samples=5000, leads=("I", "II", "V1"), path=None)


@pytest.fixture(scope="module")
def record(ptbxl_root):
    return read_record(ptbxl_root / "records500/00000/00001_hr")


@pytest.fixture
def store(library, record):
    store = AnnotationStore(library)
    store.register_record(record_key(record), record)
    yield store
    store.close()


def _content(annotations) -> list[tuple]:
    return [(a.kind, a.label, a.lead, a.t0, a.t1, a.note, a.author, a.confirmed_by) for a in annotations]


def test_changes_persist_across_restart_with_old_and_new_values_audited(library, store, record):
    key = record_key(record)
    label = store.add_label(key, "NORM", "alice")
    mark = store.add_interval(key, "II", 1.2, 1.6, "PVC", "alice", note="wide QRS")
    gone = store.add_interval(key, None, 4.0, 5.0, "noise", "alice")
    store.edit(mark.id, "alice", label="PAC", t1=1.7)
    store.delete(gone.id, "alice")
    store.close()

    reopened = AnnotationStore(library)  # a new connection: the app restarted
    assert _content(reopened.annotations(key)) == [
        ("label", "NORM", None, None, None, "", "alice", None),
        ("interval", "PAC", "II", 1.2, 1.7, "wide QRS", "alice", None),
    ]
    deleted = [a for a in reopened.annotations(key, include_deleted=True) if a.deleted]
    assert [(a.id, a.deleted_by) for a in deleted] == [(gone.id, "alice")]
    edit = reopened.history(mark.id)
    assert [(e.action, e.actor) for e in edit] == [("create", "alice"), ("edit", "alice")]
    assert (edit[1].old["label"], edit[1].old["t1"]) == ("PVC", 1.6)
    assert (edit[1].new["label"], edit[1].new["t1"]) == ("PAC", 1.7)
    removal = reopened.history(gone.id)[-1]
    assert removal.action == "delete" and removal.old["deleted_at"] is None and removal.new["deleted_at"]
    assert reopened.history(label.id)[0].new["label"] == "NORM"
    reopened.close()


def test_audit_log_and_annotation_rows_cannot_be_rewritten(tmp_path, record):
    store = AnnotationStore(tmp_path / "library.ecglib")
    store.register_record(record_key(record), record)
    store.add_label(record_key(record), "MI", "alice")
    raw = sqlite3.connect(tmp_path / "library.ecglib")
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        raw.execute("UPDATE audit_log SET actor = 'mallory'")
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        raw.execute("DELETE FROM audit_log")
    with pytest.raises(sqlite3.DatabaseError, match="never deleted"):
        raw.execute("DELETE FROM annotations")
    raw.close()


_CHILD = textwrap.dedent("""
    import os, sys
    from types import SimpleNamespace
    import ecgstudio.annotations.store as store_module
    store = store_module.AnnotationStore(sys.argv[1])
    info = SimpleNamespace(name="rec", fs=500.0, n_samples=5000, leads=("I", "II"), path=None)
    store.register_record("k", info)
    mode, n = sys.argv[2], int(sys.argv[3])
    for i in range(n if mode == "exit" else 10**6):
        store.add_interval("k", "II", i * 0.001, i * 0.001 + 0.5, f"mark {i}", "alice")
        print(i, flush=True)
    # Die inside the next write: its row is inserted, the process ends before the commit.
    store_module.append_audit = lambda *args, **kwargs: os._exit(9)
    store.add_interval("k", "II", 8.0, 9.0, "never committed", "alice")
""")


def _child(library: Path, mode: str, n: int) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.Popen([sys.executable, "-c", _CHILD, str(library), mode, str(n)], stdout=subprocess.PIPE,
                            text=True, env=env, cwd=REPO)


def _check_committed(library: Path, expected: set[str]) -> None:
    store = AnnotationStore(library)
    assert {a.label for a in store.annotations("k")} == expected
    assert len(store.history(None)) == len(expected)  # every committed change has exactly its audit row
    assert store.db.integrity_check() == "ok"
    store.close()


def test_process_exiting_mid_write_keeps_exactly_the_committed_annotations(tmp_path):
    library = tmp_path / "crash.ecglib"
    child = _child(library, "exit", 12)
    out, _ = child.communicate(timeout=60)
    assert child.returncode == 9 and out.split() == [str(i) for i in range(12)]
    _check_committed(library, {f"mark {i}" for i in range(12)})


def test_sigkill_during_writes_loses_nothing_committed(tmp_path):
    library = tmp_path / "killed.ecglib"
    child = _child(library, "loop", 0)
    for _ in range(25):
        child.stdout.readline()
    child.send_signal(signal.SIGKILL)
    reported = 25 + len(child.stdout.read().split())
    child.wait(timeout=10)
    store = AnnotationStore(library)
    committed = len(store.annotations("k"))
    store.close()
    assert reported <= committed <= reported + 1  # the last one may commit before its line is printed
    _check_committed(library, {f"mark {i}" for i in range(committed)})


def test_only_the_author_can_change_or_confirm_and_edits_withdraw_confirmation(store, record):
    key = record_key(record)
    mark = store.add_interval(key, "V1", 2.0, 2.4, "ST elevation", "alice")
    assert store.status(key) == "labelled"
    with pytest.raises(NotAuthorError, match="only alice can confirm"):
        store.confirm(mark.id, "bob")
    with pytest.raises(NotAuthorError):
        store.edit(mark.id, "bob", label="artefact")
    with pytest.raises(NotAuthorError):
        store.delete(mark.id, "bob")
    signed = store.confirm(mark.id, "alice")
    assert signed.confirmed_by == "alice" and store.status(key) == "confirmed"
    edited = store.edit(mark.id, "alice", note="re-read")
    assert not edited.confirmed and store.status(key) == "labelled"
    assert [e.action for e in store.history(mark.id)] == ["create", "confirm", "edit"]


def test_intervals_must_lie_inside_the_record_on_one_of_its_leads(store, record):
    key = record_key(record)
    with pytest.raises(InvalidAnnotation, match="past the end"):
        store.add_interval(key, "II", 9.0, 11.0, "x", "alice")
    with pytest.raises(InvalidAnnotation, match="no lead 'V7'"):
        store.add_interval(key, "V7", 1.0, 2.0, "x", "alice")
    with pytest.raises(InvalidAnnotation, match="start < end"):
        store.add_interval(key, "II", 2.0, 2.0, "x", "alice")
    with pytest.raises(InvalidAnnotation, match="empty"):
        store.add_label(key, "  ", "alice")
    store.add_label(key, "NORM", "alice")
    with pytest.raises(InvalidAnnotation, match="already labelled"):
        store.add_label(key, "NORM", "alice")
    assert store.add_label(key, "NORM", "bob").author == "bob"


def test_the_label_vocabulary_is_seeded_and_configurable(store, record):
    codes = [term.code for term in store.vocabulary()]
    assert codes[:5] == ["NORM", "MI", "STTC", "CD", "HYP"] and "164889003" in codes and len(codes) == 31
    store.add_term("WPW", "Wolff-Parkinson-White pattern", "alice")
    store.add_label(record_key(record), "WPW", "alice")
    store.retire_term("WPW", "alice")
    assert "WPW" not in [term.code for term in store.vocabulary()]
    assert store.annotations(record_key(record))[0].label == "WPW"  # labels keep a retired term
    assert [e.action for e in audit_history(store.db, "vocabulary", "WPW")] == ["create", "delete"]


def _fill(store: AnnotationStore, key: str) -> None:
    store.add_label(key, "NORM", "alice")
    store.add_label(key, "164889003", "bob", note="per holter report")
    store.add_label(key, 'free text, "quoted" ↑', "alice", note="multi\nline; é")
    signed = store.add_interval(key, "II", 0.0, 0.7351, "PVC", "alice")
    store.confirm(signed.id, "alice")
    store.add_interval(key, None, 3.3333, 4.25, "baseline wander", "bob", note="n" * 700)
    store.add_interval(key, "V6", 3.5, 10.0, "ST depression", "alice")


def test_csv_round_trip_on_a_real_record(tmp_path, new_library, store, record):
    key = record_key(record)
    _fill(store, key)
    assert export_csv(store, tmp_path / "out.csv") == 6
    fresh = AnnotationStore(new_library())
    result = import_csv(fresh, tmp_path / "out.csv", "carol")
    assert (result.added, result.duplicates) == (6, 0)
    assert _content(fresh.annotations(key)) == _content(store.annotations(key))
    assert fresh.record_meta(key)["name"] == "00001_hr"
    assert fresh.history(fresh.annotations(key)[0].id)[0].actor == "carol"
    assert import_csv(fresh, tmp_path / "out.csv", "carol").duplicates == 6
    fresh.close()


def test_wfdb_round_trip_on_a_real_record(tmp_path, new_library, store, record):
    key = record_key(record)
    _fill(store, key)
    path = export_wfdb(store, key, tmp_path)
    assert path == tmp_path / "00001_hr.ecgs"
    plain = wfdb.rdann(str(tmp_path / "00001_hr"), "ecgs")  # any WFDB tool sees onsets/offsets per lead
    assert plain.fs == 500 and plain.symbol.count("(") == 3 and plain.symbol.count(")") == 3
    assert list(plain.chan[[s == "(" for s in plain.symbol]]) == [1, 0, 11]
    fresh = AnnotationStore(new_library())
    fresh.register_record(key, record)
    result = import_wfdb(fresh, path, key, "carol")
    assert (result.added, result.skipped) == (6, 0)
    for got, want in zip(fresh.annotations(key), store.annotations(key), strict=True):
        assert (got.kind, got.label, got.lead, got.note, got.author, got.confirmed_by) == \
               (want.kind, want.label, want.lead, want.note, want.author, want.confirmed_by)
        if want.t0 is not None:
            assert abs(got.t0 - want.t0) <= 0.5 / record.fs and abs(got.t1 - want.t1) <= 0.5 / record.fs
    assert import_wfdb(store, path, key, "carol").duplicates == 6  # back into the source: nothing doubled
    fresh.close()


@pytest.mark.parametrize(("text", "line", "reason"), [
    ("", 1, "empty"),
    ("record_key,kind,label\nk,label,NORM\n", 1, "author"),
    ("record_key,kind,label,author,t0,t1\nk,label,NORM,al,,\nk,interval,PVC,al,1.0,abc\n", 3, "'abc' is not a number"),
    ("record_key,kind,label,author\nk,label,NORM,al\n\nk,comment,x,al\n", 4, "kind must be"),
    ("record_key,kind,label,author,note\nk,label,NORM,al,\"two\nlines\"\nk,label,MI,al,x,extra\n", 4, "6 fields"),
    ("record_key,kind,label,author\nk,label,\"NORM,al\n", 2, "malformed CSV"),
    ("record_key,kind,label,author\nk,label,,al\n", 2, "label is empty"),
    ("record_key,kind,label,author,t0,t1\nk,interval,PVC,al,2.0,1.0\n", 2, "start < end"),
])
def test_malformed_csv_is_refused_naming_the_line_and_imports_nothing(tmp_path, library, text, line, reason):
    path = tmp_path / "bad.csv"
    path.write_text(text, encoding="utf-8")
    store = AnnotationStore(library)
    with pytest.raises(AnnotationFileError, match=reason) as caught:
        import_csv(store, path, "alice")
    assert caught.value.line == line and f"bad.csv, line {line}" in str(caught.value)
    assert store.record_keys() == []
    store.close()


def test_malformed_wfdb_annotation_files_are_refused(tmp_path, store, record, shared_data):
    key = record_key(record)
    wfdb.wrann("unpaired", "ecgs", np.array([10, 20]), symbol=["N", "("], aux_note=["", '{"id": 1, "label": "x"}'],
               fs=500, write_dir=str(tmp_path))
    with pytest.raises(AnnotationFileError, match="annotation 2: .*no matching end"):
        import_wfdb(store, tmp_path / "unpaired.ecgs", key, "alice")
    (tmp_path / "junk.ecgs").write_bytes(b"this is not an annotation file")
    with pytest.raises(AnnotationFileError, match="junk.ecgs"):
        import_wfdb(store, tmp_path / "junk.ecgs", key, "alice")
    with pytest.raises(AnnotationFileError, match="no ECG Studio annotations"):  # MIT-BIH beat labels
        import_wfdb(store, shared_data / "formats/100.atr", key, "alice")
    with pytest.raises(AnnotationFileError, match="nothing to export"):
        export_wfdb(store, key, tmp_path)


def test_record_key_follows_the_samples_not_the_folder_name_or_header_comments(tmp_path, ptbxl_root, record):
    copy = tmp_path / "elsewhere"
    copy.mkdir()
    shutil.copy(ptbxl_root / "records500/00000/00001_hr.dat", copy / "renamed.dat")
    header = (ptbxl_root / "records500/00000/00001_hr.hea").read_text().replace("00001_hr", "renamed")
    (copy / "renamed.hea").write_text(header + "#Dx: 164889003\n")
    assert record_key(read_record(copy / "renamed")) == record_key(record)
    # Swap two samples of lead I (format 16, 12 leads: 24 bytes a frame): other samples, same checksum,
    # so the reader accepts the record and only the key can tell the difference.
    data = bytearray((copy / "renamed.dat").read_bytes())
    a, b = slice(24 * 10, 24 * 10 + 2), slice(24 * 2000, 24 * 2000 + 2)
    assert data[a] != data[b]
    data[a], data[b] = data[b], data[a]
    (copy / "renamed.dat").write_bytes(bytes(data))
    assert record_key(read_record(copy / "renamed")) != record_key(record)


def test_statuses_by_path_for_the_library_view(store, record, ptbxl_root):
    other = ptbxl_root / "records500/00000/00002_hr.hea"
    assert store.statuses_by_path([record.path, other]) == {str(record.path): "none", str(other): "none"}
    store.add_label(record_key(record), "NORM", "alice")
    bare = record.path.with_suffix("")  # any of the record's names finds it
    assert store.statuses_by_path([record.path, bare]) == {str(record.path): "labelled", str(bare): "labelled"}
    assert store.statuses_by_path([record.path], author="bob") == {str(record.path): "none"}  # bob's own: none
    assert store.statuses_by_path([record.path], author="alice") == {str(record.path): "labelled"}


def _counted(db: Database) -> tuple[dict, dict]:
    """What the triggers kept, and what aggregating every annotation says it must be."""
    kept = ({row[0]: (row[1], row[2]) for row in db.query("SELECT * FROM ann_record_counts") if row[1]},
            {(row[0], row[1]): (row[2], row[3]) for row in db.query("SELECT * FROM ann_author_counts") if row[2]})
    live = "SUM(CASE WHEN deleted_at IS NULL THEN 1 ELSE 0 END)"
    signed = "SUM(CASE WHEN deleted_at IS NULL AND confirmed_at IS NOT NULL THEN 1 ELSE 0 END)"
    truth = ({row[0]: (row[1], row[2]) for row in db.query(
                 f"SELECT record_key, {live}, {signed} FROM annotations GROUP BY record_key") if row[1]},
             {(row[0], row[1]): (row[2], row[3]) for row in db.query(
                 f"SELECT record_key, author, {live}, {signed} FROM annotations GROUP BY record_key, author") if row[2]})
    return kept, truth


def test_per_record_counts_follow_every_change_and_give_the_status_column(store, record, tmp_path):
    key = record_key(record)
    store.register_record("other", FAKE_INFO)
    mine = store.add_label(key, "NORM", "alice")
    theirs = store.add_interval(key, "II", 1.0, 1.2, "PVC", "bob")
    store.add_label("other", "MI", "bob")
    assert store.statuses([key, "other", "never"]) == {key: "labelled", "other": "labelled", "never": "none"}
    store.confirm(mine.id, "alice")
    assert store.status(key, author="alice") == "confirmed" and store.status(key, author="bob") == "labelled"
    assert store.status(key) == "labelled" and store.status(key, author="carol") == "none"
    store.confirm(theirs.id, "bob")
    assert store.status(key) == "confirmed"
    store.edit(mine.id, "alice", note="on review")  # an edit withdraws the signature
    assert store.status(key) == "labelled" and store.status(key, author="alice") == "labelled"
    store.delete(mine.id, "alice")
    assert store.status(key) == "confirmed" and store.status(key, author="alice") == "none"
    (tmp_path / "in.csv").write_text("record_key,kind,label,author\nother,label,STTC,carol\n")
    import_csv(store, tmp_path / "in.csv", "importer")
    with store.db.transaction() as conn:  # a change made past the app is counted too
        conn.execute("UPDATE annotations SET record_key = ?, confirmed_at = 'x', confirmed_by = author"
                     " WHERE id = ?", ("other", theirs.id))
    kept, truth = _counted(store.db)
    assert kept == truth and truth[0] == {"other": (3, 1)}
    assert store.statuses_by_path([record.path]) == {str(record.path): "none"}


def test_statuses_of_many_keys_with_any_characters_in_one_query(store):
    odd = ['k"1', "a\\b", "x,y}", "{z", "n\nl", "NULL", "", "é ✓"]
    for key in odd[:5]:
        store.register_record(key, FAKE_INFO)
        store.add_label(key, "NORM", "alice")
    many = odd + [f"absent{i}" for i in range(3000)]
    assert store.statuses(many) == {key: "labelled" if key in odd[:5] else "none" for key in many}


def test_upgrading_a_library_counts_the_annotations_it_already_holds(library):
    before_counts = Schema(ANNOTATION_SCHEMA.component, ANNOTATION_SCHEMA.migrations[:3])
    db = Database(library)
    db.ensure(AUDIT_SCHEMA)
    db.ensure(before_counts)
    with db.transaction() as conn:
        conn.execute("INSERT INTO ann_records (record_key, name, first_seen) VALUES ('a', 'a', 'now'), ('b', 'b', 'now')")
        for i, (key, author, deleted, signed) in enumerate([("a", "alice", None, "t"), ("a", "bob", None, None),
                                                            ("a", "bob", "t", None), ("b", "alice", None, None)]):
            conn.execute("INSERT INTO annotations (record_key, kind, label, author, created_at, updated_at, updated_by,"
                         " deleted_at, confirmed_at) VALUES (?, 'label', ?, ?, 'now', 'now', ?, ?, ?)",
                         (key, f"L{i}", author, author, deleted, signed))
    db.close()
    store = AnnotationStore(library)  # the app opens the old library: migration 4 counts what is there
    kept, truth = _counted(store.db)
    assert kept == truth == ({"a": (2, 1), "b": (1, 0)},
                             {("a", "alice"): (1, 1), ("a", "bob"): (1, 0), ("b", "alice"): (1, 0)})
    assert store.statuses(["a", "b"]) == {"a": "labelled", "b": "labelled"}
    assert store.status("a", author="alice") == "confirmed"
    store.close()


def test_features_share_one_library_and_migrate_independently(tmp_path, library, store):
    db = Database(library)
    v1 = Schema("pe_scores", (("CREATE TABLE pe_scores (id INTEGER PRIMARY KEY, patient TEXT)",),))
    db.ensure(v1)
    db.ensure(Schema("pe_scores", v1.migrations + (("ALTER TABLE pe_scores ADD COLUMN wells REAL",),)))
    assert (db.version("pe_scores"), db.version("annotations"), db.version("audit")) == (2, ANNOTATION_SCHEMA.version, 1)
    assert db.journal_mode == ("server" if db.is_server else "wal")
    shared = AnnotationStore(db)
    shared.register_record("k", FAKE_INFO)
    shared.add_interval("k", "V1", 0.5, 1.0, "PVC", "alice")
    shared.close()  # a store on a shared Database leaves it open for the other features
    assert db.query("SELECT COUNT(*) FROM annotations")[0][0] == 1
    with db.transaction() as conn:
        conn.execute("UPDATE schema_versions SET version = 99 WHERE component = 'annotations'")
    db.close()
    with pytest.raises(LibraryError, match="newer than this ECG Studio"):
        AnnotationStore(library)
    (tmp_path / "junk.ecglib").write_bytes(b"definitely not sqlite" * 100)
    with pytest.raises(LibraryError, match="not a usable library"):
        AnnotationStore(tmp_path / "junk.ecglib")


def test_a_holter_records_annotations_under_its_earlier_full_key_move_to_its_bounded_key(library, tmp_path):
    """Holter-length records had the full ``ecg1:`` key before the bounded ``ecgs1:`` one; their annotations
    move (all of them, deleted ones too, each audited) when the new key has none and the path's stored
    header is the record's; anything else moves nothing. Same SQL on SQLite and PostgreSQL."""
    leads = ("I", "II", "III", "aVR", "aVL", "aVF", "V1", "V2", "V3", "V4", "V5", "V6")
    info = SimpleNamespace(name="holter", fs=500.0, n_samples=7_200_000, leads=leads, path=tmp_path / "holter.hea")
    store = AnnotationStore(library)
    store.register_record("ecg1:old", info)
    label = store.add_label("ecg1:old", "NORM", "dr.a")
    mark = store.add_interval("ecg1:old", "V5", 3600.0, 3604.5, "ST depression", "dr.a")
    store.confirm(mark.id, "dr.a")
    store.delete(store.add_interval("ecg1:old", None, 10.0, 11.0, "noise", "dr.a").id, "dr.a")
    before = _content(store.annotations("ecg1:old", include_deleted=True))

    other = SimpleNamespace(**{**vars(info), "n_samples": 7_199_999})  # another recording now at that path
    assert store.adopt_earlier_key("ecgs1:other", other, "dr.b", "ecg1:") == 0
    assert store.adopt_earlier_key("ecgs1:new", info, "dr.b", "ecgs1:") == 0  # only the prefix asked for
    assert store.adopt_earlier_key("ecgs1:new", info, "dr.b", "ecg1:") == 2  # the two live ones
    assert store.annotations("ecg1:old", include_deleted=True) == []
    assert _content(store.annotations("ecgs1:new", include_deleted=True)) == before
    assert store.statuses_by_path([str(info.path)]) == {str(info.path): "labelled"}  # the library list follows
    entry = store.history(label.id)[-1]
    assert (entry.action, entry.actor, entry.old["record_key"], entry.new["record_key"]) == \
        ("rekey", "dr.b", "ecg1:old", "ecgs1:new")
    assert store.annotations("ecgs1:new")[1].confirmed_by == "dr.a"  # the signature stays
    assert store.adopt_earlier_key("ecgs1:new", info, "dr.b", "ecg1:") == 0  # once

    store.register_record("ecg1:again", info)  # annotated anew under both keys: never merged unasked
    store.add_label("ecg1:again", "MI", "dr.a")
    assert store.adopt_earlier_key("ecgs1:new", info, "dr.b", "ecg1:") == 0
    assert [a.label for a in store.annotations("ecg1:again")] == ["MI"]
    store.close()
