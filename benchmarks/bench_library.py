"""A team-sized library on both backends (issue 20): 100,000 records, 10 readers, 1,000,000 annotations.

Rows are generated, on real record keys: the keys of the PTB-XL slice's records (``record_key`` of
each, the app's own function), extended to 100,000 by hashing each real key with a copy number in the
same ``ecg1:`` format, so key lengths, index pages and joins look like a real library's. Each record
gets ten annotations (one per reader: 80 % record labels from the PTB-XL superclasses, 20 % interval
marks). Rows are bulk-loaded (SQLite ``executemany``, PostgreSQL ``COPY``) into a library of the schema before
the per-record counts (annotations version 3), then the app opens it and its migration counts them: the
path of a team upgrading its library, and counts tables as compact as months of single edits leave
them (one bulk transaction through the triggers would leave ten dead versions per row). After the load
and after the migration the tables are ``ANALYZE``d (PostgreSQL: ``VACUUM ANALYZE``), as autovacuum
leaves a live library. The measured calls are the app's own:

- ``AnnotationStore.annotations(key)``: what opening a record reads (median of 300 random records);
- ``AnnotationStore.statuses_by_path(paths)``: the record list's status column for 10,000 records
  (read from the per-record counts the triggers keep), and the same for one reader reading blinded
  (``author=``: their own counts);
- ``StudyStore.agreement(study)``: a 1,000-record study read by all 10 readers, every record finished
  (query + Cohen's kappa for 45 pairs x 5 labels + Fleiss' kappa with a 1,000-replicate bootstrap).
- PostgreSQL only, connected as a reader's own login role (``ecgstudio.store.access``), as a team's
  workstation is: the owner above bypasses row-level security, a reader pays for it. The study is
  blinded, so every annotation and count row the reader reads is checked against it: opening a
  record's annotations (300 random records, and 300 of the study's, where 9 of 10 are hidden) and
  the status column (their own counts while reading blinded, and the totals they may see).

The PostgreSQL server is a throwaway cluster (tools/pgcluster.py) on this machine, fsync off (it
affects loading only, not these reads).
"""

from __future__ import annotations

import hashlib
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

from benchmarks import Row, benchmark
from benchmarks.shared import SHARED, best_of

N_RECORDS = 100_000
READERS = tuple(f"reader{i:02d}" for i in range(10))
LABELS = ("NORM", "MI", "STTC", "CD", "HYP")
STUDY_RECORDS = 1_000
STATUS_RECORDS = 10_000


def _real_keys() -> list[str]:
    from ecgstudio.annotations.keys import record_key
    from training.data import read_record

    headers = sorted((SHARED / "ptbxl" / "records500").rglob("*_hr.hea"))
    return list(dict.fromkeys(record_key(read_record(h)) for h in headers))  # identical recordings share a key


def _keys(real: list[str]) -> list[str]:
    keys = list(real)
    copy = 0
    while len(keys) < N_RECORDS:
        copy += 1
        keys += ["ecg1:" + hashlib.sha256(f"{k}#{copy}".encode()).hexdigest()[:40] for k in real]
    return keys[:N_RECORDS]


def _rows(keys: list[str]):
    """(records, paths, annotations) rows in the tables' column order."""
    now = "2026-12-01T00:00:00.000+00:00"
    leads = '["I", "II", "III", "aVR", "aVL", "aVF", "V1", "V2", "V3", "V4", "V5", "V6"]'
    records = [(k, f"rec{i:06d}", 500.0, 5000, leads, now) for i, k in enumerate(keys)]
    paths = [(f"/data/library/{i // 1000:03d}/rec{i:06d}.hea", k, now) for i, k in enumerate(keys)]
    annotations = []
    next_id = 1
    for i, key in enumerate(keys):
        for j, reader in enumerate(READERS):
            if (i + j) % 5:
                row = (next_id, key, "label", LABELS[(i * 7 + j * (i % 3)) % 5], None, None, None)
            else:
                t0 = (i + j) % 9 + 0.25
                row = (next_id, key, "interval", "PVC", "II", t0, t0 + 0.12)
            confirmed = (reader, now) if (i + j) % 3 == 0 else (None, None)
            annotations.append((*row, "", reader, now, now, reader, *confirmed, None, None, "bench"))
            next_id += 1
    return records, paths, annotations


_ANNOTATION_COLUMNS = ("id, record_key, kind, label, lead, t0, t1, note, author, created_at, updated_at, updated_by,"
                       " confirmed_by, confirmed_at, deleted_by, deleted_at, source")


def _load(db, records, paths, annotations) -> float:
    start = time.perf_counter()
    if db.is_server:
        raw = db._conn.raw
        with raw.transaction():
            with raw.cursor() as cursor:
                for table, columns, rows in (("ann_records", None, records), ("ann_record_paths", None, paths),
                                             ("annotations", _ANNOTATION_COLUMNS, annotations)):
                    with cursor.copy(f"COPY {table}{f' ({columns})' if columns else ''} FROM STDIN") as copy:
                        for row in rows:
                            copy.write_row(row)
        raw.execute("SELECT setval(pg_get_serial_sequence('annotations', 'id'), (SELECT MAX(id) FROM annotations))")
        _analyze(db)
    else:
        with db.transaction() as conn:
            conn.executemany("INSERT INTO ann_records VALUES (?, ?, ?, ?, ?, ?)", records)
            conn.executemany("INSERT INTO ann_record_paths VALUES (?, ?, ?)", paths)
            conn.executemany(f"INSERT INTO annotations ({_ANNOTATION_COLUMNS}) VALUES ({', '.join('?' * 17)})",
                             annotations)
        _analyze(db)
    return time.perf_counter() - start


def _wall_and_cpu(call, repeats: int = 3) -> tuple[float, float]:
    """Fastest wall and fastest CPU seconds of this process over ``repeats`` calls: on a machine shared
    with other work the wall time is what a user waits, the CPU time what the call costs."""
    walls, cpus = [], []
    for _ in range(repeats):
        wall, cpu = time.perf_counter(), time.process_time()
        call()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return min(walls), min(cpus)


def _analyze(db) -> None:
    """What autovacuum does on a live server after bulk inserts (SQLite: fresh planner statistics)."""
    if db.is_server:
        db._conn.raw.execute("VACUUM ANALYZE")
    else:
        db.query("ANALYZE")


def _measure(location: str, backend: str) -> list[Row]:
    from ecgstudio.annotations.schema import ANNOTATION_SCHEMA
    from ecgstudio.annotations.store import AnnotationStore
    from ecgstudio.store import AUDIT_SCHEMA, Database, Schema
    from ecgstudio.studies.store import StudyStore

    print(f"  {backend}: reading real record keys, generating rows…", file=sys.stderr, flush=True)
    keys = _keys(_real_keys())
    records, paths, annotations = _rows(keys)
    db = Database(location)
    db.ensure(AUDIT_SCHEMA)
    db.ensure(Schema(ANNOTATION_SCHEMA.component, ANNOTATION_SCHEMA.migrations[:3]))  # before the counts
    load_s = _load(db, records, paths, annotations)
    print(f"  {backend}: loaded {len(annotations):,} annotations in {load_s:.0f} s", file=sys.stderr, flush=True)
    start = time.perf_counter()
    store = AnnotationStore(db)  # the app opens the library: migration 4 counts the annotations there
    upgrade_s = time.perf_counter() - start
    _analyze(db)  # as autovacuum would after the migration's inserts
    studies = StudyStore(db)
    rng = random.Random(20)

    sample = rng.sample(keys, 300)
    times = []
    for key in sample:
        start = time.perf_counter()
        got = store.annotations(key)
        times.append(time.perf_counter() - start)
        assert len(got) == len(READERS)
    open_ms = statistics.median(times) * 1000
    p95_ms = sorted(times)[int(0.95 * len(times))] * 1000

    listed = [p[0] for p in rng.sample(paths, STATUS_RECORDS)]
    status_s, status_cpu_s = _wall_and_cpu(lambda: store.statuses_by_path(listed))
    assert set(store.statuses_by_path(listed[:50]).values()) <= {"labelled", "confirmed"}
    own_status_s, own_cpu_s = _wall_and_cpu(lambda: store.statuses_by_path(listed, author=READERS[3]))
    assert set(store.statuses_by_path(listed[:50], author=READERS[3]).values()) <= {"labelled", "confirmed"}

    study_keys = rng.sample(keys, STUDY_RECORDS)
    study = studies.create("bench", study_keys, list(LABELS), list(READERS), "admin")
    with db.transaction() as conn:
        conn.executemany("INSERT INTO study_progress VALUES (?, ?, ?, ?)",
                         [(study.id, k, r, "2026-12-01T00:00:00.000+00:00") for k in study_keys for r in READERS])
    result = []
    agreement_s = best_of(lambda: result.append(studies.agreement(study)))
    assert result[-1][0].n_records == STUDY_RECORDS
    as_reader = _as_reader(db, keys, study_keys, listed, backend) if db.is_server else []
    db.close()
    n = f"{N_RECORDS:,} records, {len(READERS)} readers, {len(annotations):,} annotations"
    return [
        Row(f"{backend}: bulk load (setup, not a goal)", load_s, "s", "", n),
        Row(f"{backend}: upgrade to per-record counts (migration 4)", upgrade_s, "s", "",
            "counts 1,000,000 annotations once, then triggers keep them"),
        Row(f"{backend}: open a record's annotations, median", open_ms, "ms", "<= 20 ms", "300 random records"),
        Row(f"{backend}: open a record's annotations, p95", p95_ms, "ms", "", ""),
        Row(f"{backend}: status column, 10,000 records", status_s * 1000, "ms", "<= 200 ms",
            "statuses_by_path, best of 3"),
        Row(f"{backend}: status column, 10,000 records, CPU time of the app", status_cpu_s * 1000, "ms", "",
            "best of 3; " + ("the query itself: all in this process" if not db.is_server else
                             "the server's share not included")),
        Row(f"{backend}: status column, 10,000 records, one reader's own (blinded)", own_status_s * 1000, "ms",
            "<= 200 ms", "statuses_by_path(author=...), best of 3"),
        Row(f"{backend}: status column, one reader's own, CPU time of the app", own_cpu_s * 1000, "ms", "",
            f"best of 3; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"),
        Row(f"{backend}: agreement, 1,000-record study", agreement_s, "s", "<= 2 s",
            "10 readers, 5 labels: 45 Cohen pairs + Fleiss with bootstrap, best of 3"),
        *as_reader,
    ]


def _open_median_ms(store, keys: list[str], expected: int) -> tuple[float, float]:
    """Median and p95 ms of ``store.annotations(key)`` over ``keys``, each returning ``expected`` rows."""
    times = []
    for key in keys:
        start = time.perf_counter()
        got = store.annotations(key)
        times.append(time.perf_counter() - start)
        assert len(got) == expected, (key, len(got), expected)
    return statistics.median(times) * 1000, sorted(times)[int(0.95 * len(times))] * 1000


def _as_reader(db, keys: list[str], study_keys: list[str], listed: list[str], backend: str) -> list[Row]:
    """The reads of a reader of the blinded study, on their own connection (row-level security on)."""
    from ecgstudio.annotations.store import AnnotationStore
    from ecgstudio.store.access import add_user, setup_access

    setup_access(db)
    reader = READERS[3]
    add_user(db, reader, "reader")
    store = AnnotationStore(db.location.replace("postgres@", f"{reader}@", 1))
    assert store.db.user == reader
    rng = random.Random(21)
    in_study = set(study_keys)
    outside = [k for k in rng.sample(keys, 400) if k not in in_study][:300]
    open_ms, open_p95 = _open_median_ms(store, outside, len(READERS))
    study_ms, study_p95 = _open_median_ms(store, rng.sample(study_keys, 300), 1)  # only their own reading
    own_s, own_cpu_s = _wall_and_cpu(lambda: store.statuses_by_path(listed, author=reader))
    assert set(store.statuses_by_path(listed[:50], author=reader).values()) <= {"labelled", "confirmed"}
    totals_s, _ = _wall_and_cpu(lambda: store.statuses_by_path(listed))
    store.close()
    as_reader = f"{backend} as a reader of the blinded study"
    load = f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"
    return [
        Row(f"{as_reader}: open a record's annotations, median", open_ms, "ms", "<= 20 ms",
            f"300 random records outside the study (10 annotations each); p95 {open_p95:.2f} ms"),
        Row(f"{as_reader}: open one of the study's records, median", study_ms, "ms", "<= 20 ms",
            f"300 of its records (own reading only); p95 {study_p95:.2f} ms"),
        Row(f"{as_reader}: status column, 10,000 records, their own (blinded)", own_s * 1000, "ms", "<= 200 ms",
            f"statuses_by_path(author=...), best of 3; app CPU {own_cpu_s * 1000:.0f} ms"),
        Row(f"{as_reader}: status column, 10,000 records, totals", totals_s * 1000, "ms", "<= 200 ms",
            f"statuses_by_path, best of 3; {load}"),
    ]


@benchmark("library_scale_sqlite")
def library_scale_sqlite() -> list[Row]:
    with tempfile.TemporaryDirectory() as tmp:
        return _measure(str(Path(tmp) / "library.sqlite"), "SQLite")


@benchmark("library_scale_postgresql")
def library_scale_postgresql() -> list[Row]:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tools"))
    import pgcluster

    reason = pgcluster.missing_reason()
    if reason:
        return [Row("PostgreSQL: skipped", 0, "", "", reason)]
    cluster = pgcluster.Cluster()
    try:
        return _measure(cluster.create_database("bench"), "PostgreSQL")
    finally:
        cluster.destroy()
