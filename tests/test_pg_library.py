"""The team library on a real PostgreSQL server the tests start: roles and row-level security refuse what a
reader may not do (hand-written SQL included), triggers keep the audit append-only, a library copies
SQLite -> PostgreSQL -> SQLite losing nothing, the CLI, and a server stopped mid-session.

The behaviour shared with SQLite is in test_annotation_store.py, which runs on both backends.
"""

from __future__ import annotations

import io
import multiprocessing
import os
from types import SimpleNamespace

import psycopg
import pytest

from ecgstudio.annotations.errors import InvalidAnnotation, NotAuthorError
from ecgstudio.annotations.store import AnnotationStore
from ecgstudio.library_schemas import library_schemas
from ecgstudio.pe.form import PEForm
from ecgstudio.pe.store import PEFormStore
from ecgstudio.store import Database, audit_history
from ecgstudio.store.access import add_user, setup_access
from ecgstudio.store.cli import main as cli_main
from ecgstudio.store.errors import LibraryRefused, LibraryUnavailable
from ecgstudio.studies.store import StudyError, StudyStore
from ecgstudio.store.transfer import copy_library, library_digest

INFO = SimpleNamespace(name="rec", fs=500.0, n_samples=5000, leads=("I", "II", "V1"), path=None)


@pytest.fixture
def team(pg_cluster, request):
    """A set-up team library: tables, roles, and readers alice and bob, adjudicator carol, admin dana."""
    url = pg_cluster.create_database(f"team{abs(hash(request.node.nodeid)) % 10**8}")
    db = Database(url)
    for schema in library_schemas():
        db.ensure(schema)
    setup_access(db)
    for name, kind in (("alice", "reader"), ("bob", "reader"), ("carol", "adjudicator"), ("dana", "admin")):
        add_user(db, name, kind)
    owner = AnnotationStore(db)
    owner.register_record("k", INFO)
    database = url.rsplit("/", 1)[1]
    yield SimpleNamespace(url=lambda user: pg_cluster.url(user, database), owner=owner)
    db.close()


def test_a_reader_changes_only_their_own_annotations_even_with_hand_written_sql(team):
    alice, bob = AnnotationStore(team.url("alice")), AnnotationStore(team.url("bob"))
    assert (alice.db.user, bob.db.user) == ("alice", "bob")
    mine = alice.add_interval("k", "II", 1.0, 1.4, "PVC", "alice")
    alice.confirm(mine.id, "alice")
    theirs = bob.add_label("k", "NORM", "bob")
    with pytest.raises(NotAuthorError):  # the app's check
        alice.edit(theirs.id, "alice", label="MI")
    with pytest.raises(InvalidAnnotation, match="row-level security"):  # the server's, past a lying client
        alice.add_label("k", "MI", "bob")
    raw = psycopg.connect(team.url("alice"), autocommit=True)
    assert raw.execute("UPDATE annotations SET label = 'MI' WHERE id = %s", (theirs.id,)).rowcount == 0
    assert raw.execute("UPDATE annotations SET deleted_at = 'now' WHERE author = 'bob'").rowcount == 0
    with pytest.raises(psycopg.errors.InsufficientPrivilege, match="row-level security"):
        raw.execute("UPDATE annotations SET author = 'bob' WHERE id = %s", (mine.id,))
    with pytest.raises(psycopg.errors.InsufficientPrivilege, match="row-level security"):  # sign in another's name
        raw.execute("UPDATE annotations SET confirmed_by = 'bob' WHERE id = %s", (mine.id,))
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        raw.execute("DELETE FROM annotations WHERE id = %s", (theirs.id,))
    assert bob.get(theirs.id).label == "NORM" and alice.get(mine.id).confirmed_by == "alice"
    raw.close()
    alice.close(), bob.close()


def test_a_blinded_study_hides_the_other_readers_annotations_even_from_hand_written_sql(team):
    owner = team.owner
    for key in ("free", "k2"):
        owner.register_record(key, INFO)
    add_user(owner.db, "erin", "reader")
    studies = StudyStore(owner.db)
    study = studies.create("blind", ["k"], ["NORM", "MI"], ["alice", "bob"], "dana")
    studies.create("carol reads", ["k2"], ["NORM"], ["carol", "bob"], "dana")
    alice, bob, carol = (AnnotationStore(team.url(name)) for name in ("alice", "bob", "carol"))
    alice.add_label("k", "NORM", "alice")
    theirs = bob.add_label("k", "MI", "bob")
    bob.add_label("free", "NORM", "bob")  # a record in no study: everyone sees it
    bob.add_label("k2", "MI", "bob")
    raw = psycopg.connect(team.url("alice"), autocommit=True)

    def seen(sql: str, params=()) -> list[tuple]:
        return [tuple(row) for row in raw.execute(sql, params).fetchall()]

    assert seen("SELECT record_key, author, label FROM annotations ORDER BY id") == [
        ("k", "alice", "NORM"), ("free", "bob", "NORM")]  # k2 is in a blinded study alice is not adjudicating
    assert seen("SELECT COUNT(*) FROM annotations WHERE id = %s", (theirs.id,)) == [(0,)]
    audit = seen("SELECT entity_id, new_json FROM audit_log WHERE entity = 'annotation'")
    assert str(theirs.id) not in {row[0] for row in audit} and not any('"MI"' in row[1] for row in audit)
    assert seen("SELECT record_key, live FROM ann_record_counts ORDER BY 1") == [("free", 1)]
    assert seen("SELECT record_key, author FROM ann_author_counts ORDER BY 1, 2") == [("free", "bob"), ("k", "alice")]
    raw.close()
    assert alice.db.query("SHOW jit")[0][0] == "off"  # compiling the policies' subplans cost more than the query
    assert [a.author for a in alice.annotations("k")] == ["alice"] and alice.status("k") == "labelled"
    with pytest.raises(StudyError, match="blinded"):  # alice's agreement would count bob's labels as absent
        StudyStore(alice.db).agreement(study)
    erin = AnnotationStore(team.url("erin"))  # a reader outside the study could pass the labels on
    assert erin.annotations("k") == [] and erin.status("k") == "none"
    assert sorted(a.author for a in carol.annotations("k")) == ["alice", "bob"]  # the adjudicator sees all
    assert StudyStore(carol.db).readings(study) == {("k", "alice", "NORM"), ("k", "bob", "MI")}
    assert [a.author for a in carol.annotations("k2")] == []  # ... but is blinded in the study she reads
    with pytest.raises(LibraryRefused):
        StudyStore(alice.db).set_blinded(study, False, "alice")
    assert cli_main(["blinding", team.url("alice"), "blind", "off"]) == 2  # a reader may not lift it
    assert cli_main(["blinding", team.url("dana"), "blind", "off"]) == 0  # an administrator may
    assert sorted(a.author for a in alice.annotations("k")) == ["alice", "bob"]
    assert [e.actor for e in audit_history(alice.db, "study", study.id)] == ["dana", "dana"]
    for store in (alice, bob, carol, erin):
        store.close()


def test_a_blinded_studys_consensus_and_its_audit_are_hidden_from_readers_even_from_hand_written_sql(team):
    owner = team.owner
    owner.register_record("k2", INFO)
    add_user(owner.db, "erin", "reader")
    studies = StudyStore(owner.db)
    blind = studies.create("blind", ["k"], ["NORM", "MI"], ["alice", "bob"], "dana")
    carols = studies.create("carol reads", ["k2"], ["NORM"], ["carol", "bob"], "dana")
    old = studies.create("old", ["k", "k2"], ["NORM"], ["erin", "bob"], "dana", blinded=False)
    bob = AnnotationStore(team.url("bob"))
    bob.add_label("k", "MI", "bob")
    carol = StudyStore(Database(team.url("carol")))
    carol.set_consensus(blind, "k", "MI", True, "carol", note="bob is right")
    studies.set_consensus(carols, "k2", "NORM", True, "dana")  # the owner's hand: carol reads this one
    studies.set_consensus(old, "k2", "NORM", False, "dana")  # an open study, but k2 is blinded to carol
    assert studies.consensus(blind)[("k", "MI")].from_readings == (bob.annotations("k")[0].id,)

    def seen(user: str) -> tuple[list[tuple], list[str]]:
        """What ``user``'s own connection reads of the consensus and its audit rows, with hand-written SQL."""
        with psycopg.connect(team.url(user), autocommit=True) as raw:
            rows = [tuple(r) for r in raw.execute("SELECT study_id, record_key, label, present, from_readings"
                                                  " FROM study_consensus ORDER BY id").fetchall()]
            audit = [r[0] for r in raw.execute("SELECT entity_id FROM audit_log WHERE entity = 'study_consensus'"
                                               " ORDER BY id").fetchall()]
        return rows, audit

    everything = seen("postgres")
    assert [r[:3] for r in everything[0]] == [(blind.id, "k", "MI"), (carols.id, "k2", "NORM"), (old.id, "k2", "NORM")]
    assert everything[1] == [f"{blind.id}:k:MI", f"{carols.id}:k2:NORM", f"{old.id}:k2:NORM"]
    for reader in ("alice", "bob", "erin"):  # its readers, and a reader outside who could pass it on
        assert seen(reader) == ([], []), reader
    assert seen("carol") == ([everything[0][0]], [everything[1][0]])  # not the study she reads, nor k2's
    assert seen("dana") == everything  # an administrator
    with pytest.raises(StudyError, match="blinded"):  # the app says why instead of showing nothing
        StudyStore(Database(team.url("alice"))).consensus(blind)
    assert cli_main(["blinding", team.url("dana"), "blind", "off"]) == 0
    assert seen("alice") == ([everything[0][0]], [everything[1][0]])  # unblinded: its consensus is open
    bob.close(), carol.db.close()


def test_an_audit_row_with_a_made_up_id_breaks_nobodys_reading_of_the_audit_trail(team):
    alice, bob = AnnotationStore(team.url("alice")), AnnotationStore(team.url("bob"))
    bob.add_label("k", "NORM", "bob")
    with psycopg.connect(team.url("alice"), autocommit=True) as raw:  # readers may append in their own name
        for entity, entity_id in (("annotation", "not a number"), ("study_consensus", "x:k:NORM"),
                                  ("annotation", "99999999999999999999")):
            raw.execute("INSERT INTO audit_log (at, actor, action, entity, entity_id) VALUES ('now', 'alice',"
                        " 'create', %s, %s)", (entity, entity_id))
    assert [(e.actor, e.entity) for e in bob.history(None)] == [("bob", "annotation")]  # read, made-up rows hidden
    with psycopg.connect(team.url("bob"), autocommit=True) as raw:  # the whole trail, as hand-written SQL reads it
        assert raw.execute("SELECT actor FROM audit_log WHERE entity IN ('annotation', 'study_consensus')"
                           ).fetchall() == [("bob",)]
    assert len(team.owner.history(None)) == 3  # the owner sees every row
    alice.close(), bob.close()


def test_nobody_alters_the_audit_trail_not_even_the_owner(team):
    alice = AnnotationStore(team.url("alice"))
    alice.add_label("k", "NORM", "alice")
    raw = psycopg.connect(team.url("alice"), autocommit=True)
    for sql in ("UPDATE audit_log SET actor = 'mallory'", "DELETE FROM audit_log", "TRUNCATE audit_log",
                "ALTER TABLE audit_log DISABLE TRIGGER ALL", "DROP TABLE audit_log"):
        with pytest.raises((psycopg.errors.InsufficientPrivilege,)):
            raw.execute(sql)
    with pytest.raises(psycopg.errors.InsufficientPrivilege, match="row-level security"):
        raw.execute("INSERT INTO audit_log (at, actor, action, entity, entity_id) VALUES ('now', 'bob', 'x', 'y', '1')")
    raw.close()
    owner = psycopg.connect(team.url("postgres"), autocommit=True)  # the tables' owner: triggers still refuse
    for sql in ("UPDATE audit_log SET actor = 'mallory'", "DELETE FROM audit_log", "TRUNCATE audit_log"):
        with pytest.raises(psycopg.errors.RestrictViolation, match="append-only"):
            owner.execute(sql)
    with pytest.raises(psycopg.errors.RestrictViolation, match="never deleted"):
        owner.execute("DELETE FROM annotations")
    owner.close()
    assert [e.actor for e in alice.history(None)] == ["alice"]
    alice.close()


def test_only_admins_manage_readers(team):
    dana = Database(team.url("dana"))
    add_user(dana, "erin", "reader")  # the admin role creates readers
    erin = AnnotationStore(team.url("erin"))
    assert erin.add_label("k", "MI", "erin").author == "erin"
    with pytest.raises(Exception, match="permission denied"):
        add_user(Database(team.url("alice")), "mallory", "admin")
    erin.close(), dana.close()


def test_copy_sqlite_to_postgresql_and_back_loses_nothing(tmp_path, pg_cluster, ptbxl_root):
    from ecgstudio.jobs.history import JobHistory

    source = tmp_path / "workstation.ecglib"
    store = AnnotationStore(source)
    store.register_record("k", INFO)
    for i in range(40):
        mark = store.add_interval("k", ("I", "II", "V1")[i % 3], i * 0.1, i * 0.1 + 0.05 + i / 7e3, f"m{i}", "alice")
        if i % 4 == 0:
            store.confirm(mark.id, "alice")
        if i % 5 == 0:
            store.edit(mark.id, "alice", note=f"re-read ✓ {i}")
        if i % 9 == 0:
            store.delete(mark.id, "alice")
    store.add_label("k", "NORM", "bob", note="per report")
    store.add_term("WPW", "Wolff-Parkinson-White", "admin")
    PEFormStore(store.db).save("k", PEForm.from_dict({"heart_rate": 104.0}), "alice")
    JobHistory(store.db).add("fit", "a job", "{}")
    schemas = library_schemas()
    before = library_digest(store.db, schemas)
    server = Database(pg_cluster.create_database("copy_target"))
    counts = copy_library(store.db, server, schemas)
    assert counts["annotations"] == 41 and counts["audit_log"] == len(store.history(None)) + 2
    assert (counts["pe_forms"], counts["jobs"], counts["ann_vocabulary"]) == (1, 1, 32)
    assert library_digest(server, schemas) == before  # every row of every table, ids, signatures, audit chain
    on_server = AnnotationStore(server)
    assert on_server.add_label("k", "MI", "alice").id == 42  # ids continue after the copied ones
    back = Database(tmp_path / "export.ecglib")
    copy_library(server, back, schemas)
    assert library_digest(back, schemas) == library_digest(server, schemas)
    assert back.integrity_check() == "ok"
    with pytest.raises(Exception, match="not empty"):
        copy_library(store.db, server, schemas)


def test_the_command_line_sets_up_a_server_adds_readers_and_copies(tmp_path, pg_cluster, capsys, monkeypatch):
    """In-process (the same ``main`` as ``python -m ecgstudio.store``): a subprocess would re-import Qt and torch."""
    url = pg_cluster.create_database("cli_team")
    assert cli_main(["setup", url]) == 0 and "row-level security" in capsys.readouterr().out
    monkeypatch.setattr("sys.stdin", io.StringIO("s3cret?%\n"))
    assert cli_main(["add-user", url, "frank", "--kind", "reader", "--password-stdin"]) == 0
    monkeypatch.setenv("ECGSTUDIO_LIBRARY", url.replace("postgres@", "frank@"))
    assert cli_main(["check"]) == 0 and "connected as frank" in capsys.readouterr().out
    mine = AnnotationStore(tmp_path / "mine.ecglib")
    mine.register_record("k", INFO)
    mine.add_label("k", "NORM", "frank")
    assert cli_main(["copy", str(tmp_path / "mine.ecglib"), url]) == 0
    assert "annotations 1" in capsys.readouterr().out
    assert cli_main(["copy", str(tmp_path / "mine.ecglib"), url]) == 2
    refused = capsys.readouterr().err
    assert refused.startswith("error:") and "not empty" in refused
    frank = AnnotationStore(url.replace("postgres@", "frank@"))
    assert [(a.label, a.author) for a in frank.annotations("k")] == [("NORM", "frank")]
    frank.close(), mine.close()


def _open(url: str, go) -> None:
    go.wait()
    db = Database(url)
    AnnotationStore(db), PEFormStore(db)
    os._exit(0)


def test_processes_creating_a_new_server_library_at_once_all_succeed(pg_cluster):
    url = pg_cluster.create_database("race")
    fork = multiprocessing.get_context("fork")
    go = fork.Event()
    processes = [fork.Process(target=_open, args=(url, go)) for _ in range(6)]
    for process in processes:
        process.start()
    go.set()
    for process in processes:
        process.join(60)
    assert [p.exitcode for p in processes] == [0] * 6
    assert Database(url).query("SELECT COUNT(*) FROM ann_vocabulary")[0][0] == 31


def test_server_stopped_mid_session_refuses_edits_then_reconnects_with_nothing_lost(pg_cluster):
    url = pg_cluster.create_database("outage")
    store = AnnotationStore(url)
    store.register_record("k", INFO)
    kept = store.add_label("k", "NORM", "alice")
    pg_cluster.stop()
    try:
        with pytest.raises(LibraryUnavailable, match="cannot be reached.*Nothing was saved"):
            store.add_label("k", "MI", "alice")
        with pytest.raises(LibraryUnavailable):
            store.annotations("k")
        assert not store.db.reconnect()
    finally:
        pg_cluster.start()
    assert store.db.reconnect()
    assert [a.label for a in store.annotations("k")] == ["NORM"] and store.get(kept.id).author == "alice"
    store.add_label("k", "MI", "alice")
    assert [e.action for e in store.history(None)] == ["create", "create"]  # the refused edit left no trace
    store.close()


def test_a_reader_cannot_move_another_readers_annotations_to_a_holter_records_new_key(team, tmp_path):
    """A reader opening a Holter record annotated under its earlier key moves nothing if some of its
    annotations are another reader's (the server refuses those rows): none is left behind half-moved."""
    info = SimpleNamespace(**{**vars(INFO), "name": "holter", "path": tmp_path / "holter.hea"})
    alice, bob = AnnotationStore(team.url("alice")), AnnotationStore(team.url("bob"))
    alice.register_record("ecg1:old", info)
    alice.add_label("ecg1:old", "NORM", "alice")
    bob.add_label("ecg1:old", "MI", "bob")
    with pytest.raises(InvalidAnnotation, match="1 of the 2 annotations .* are not yours to move"):
        alice.adopt_earlier_key("ecgs1:new", info, "alice", "ecg1:")
    assert sorted(a.author for a in team.owner.annotations("ecg1:old")) == ["alice", "bob"]
    assert team.owner.annotations("ecgs1:new") == []
    alice.close(), bob.close()
