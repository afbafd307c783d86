"""Reading studies (no Qt): kappas and intervals against independent computations, blinding, progress,
adjudication with its audit, the consensus as a training manifest, reports; on both backends, and the
server refusing consensus from a plain reader."""

from __future__ import annotations

import csv
import itertools
import math

import numpy as np
import pytest
from sklearn.metrics import cohen_kappa_score

from ecgstudio.annotations.keys import record_key
from ecgstudio.annotations.store import AnnotationStore
from ecgstudio.store import audit_history
from ecgstudio.studies.agreement import cohen_kappa, fleiss_kappa, interval_agreement, matched_marks
from ecgstudio.studies.report import write_csv, write_html
from ecgstudio.studies.store import CONSENSUS_ENTITY, StudyError, StudyStore
from training.data import read_record
from training.data.manifest import read_manifest


def test_cohen_kappa_matches_sklearn_and_its_interval_covers_like_a_bootstrap():
    rng = np.random.default_rng(3)
    a = rng.random(300) < 0.25
    b = np.where(rng.random(300) < 0.85, a, rng.random(300) < 0.25)
    k = cohen_kappa(a, b)
    assert k.value == pytest.approx(cohen_kappa_score(a, b), abs=1e-12)
    boot = [cohen_kappa(a[i], b[i]).value for i in rng.integers(0, 300, size=(1500, 300))]
    low, high = np.percentile(boot, [2.5, 97.5])
    assert k.low == pytest.approx(low, abs=0.03) and k.high == pytest.approx(high, abs=0.03)
    assert math.isnan(cohen_kappa(np.ones(20), np.ones(20)).value)  # no variation: undefined, not perfect


def test_fleiss_kappa_of_two_readers_is_scotts_pi_and_its_bootstrap_is_reproducible():
    rng = np.random.default_rng(5)
    a = rng.random(200) < 0.4
    b = np.where(rng.random(200) < 0.7, a, rng.random(200) < 0.4)
    p = (a.mean() + b.mean()) / 2
    pe = p ** 2 + (1 - p) ** 2
    scott = ((a == b).mean() - pe) / (1 - pe)
    k = fleiss_kappa(np.stack([a, b], axis=1))
    assert k.value == pytest.approx(scott, abs=1e-12) and k.low < k.value < k.high
    assert fleiss_kappa(np.stack([a, b], axis=1)) == k


def test_interval_overlap_pairs_marks_one_to_one():
    a = [("II", 1.0, 2.0), (None, 5.0, 6.0), ("V1", 8.0, 8.2)]
    b = [("II", 1.1, 2.1), ("V3", 5.2, 6.0), ("V1", 9.0, 9.5), ("II", 1.0, 2.0)]
    assert matched_marks(a, b) == 2  # the all-leads mark matches V3; II matches once only
    result = interval_agreement("PVC", ["x", "y"], {("r", "x"): a, ("r", "y"): b})
    assert result.pairs[("x", "y")] == pytest.approx(2 * 2 / 7) and result.marks == {"x": 3, "y": 4}


READERS = ("ann", "ben", "cat")


@pytest.fixture
def study_setup(library, ptbxl_root):
    """Three readers label six real PTB-XL records with known overlaps."""
    store = AnnotationStore(library)
    keys = []
    for path in sorted((ptbxl_root / "records500" / "00000").glob("*_hr.hea"))[:6]:
        record = read_record(path)
        keys.append(record_key(record))
        store.register_record(keys[-1], record)
    readings = {  # record index -> reader -> labels
        0: {"ann": {"NORM"}, "ben": {"NORM"}, "cat": {"NORM"}},
        1: {"ann": {"MI"}, "ben": {"MI"}, "cat": {"MI", "STTC"}},
        2: {"ann": {"NORM"}, "ben": {"MI"}, "cat": {"NORM"}},
        3: {"ann": {"STTC"}, "ben": {"STTC"}, "cat": {"STTC"}},
        4: {"ann": {"NORM"}, "ben": {"NORM"}, "cat": {"NORM"}},
        5: {"ann": {"MI", "STTC"}, "ben": {"MI", "STTC"}, "cat": {"MI"}},
    }
    for i, by_reader in readings.items():
        for reader, labels in by_reader.items():
            for label in labels:
                store.add_label(keys[i], label, reader)
    store.add_label(keys[0], "CD", "ann")  # outside the study's vocabulary: not a reading
    studies = StudyStore(store.db)
    study = studies.create("PTB-XL triage", keys, ["NORM", "MI", "STTC"], list(READERS), "admin")
    yield store, studies, study, keys, readings
    store.close()


def test_blinded_readings_progress_and_agreement_per_label(study_setup):
    store, studies, study, keys, readings = study_setup
    assert studies.reader_labels(study, "ann", keys[0]) == ["NORM"]  # blinded: not ben's, not CD
    with pytest.raises(StudyError, match="not a reader"):
        studies.reader_labels(study, "zoe", keys[0])
    for reader in READERS:
        for key in keys[:5]:
            studies.set_finished(study, reader, key)
    studies.set_finished(study, "ann", keys[5])
    assert studies.progress(study) == {"ann": (6, 6), "ben": (5, 6), "cat": (5, 6)}
    by_label = {a.label: a for a in studies.agreement(study)}
    assert by_label["NORM"].n_records == 5  # only records every reader finished
    every = {a.label: a for a in studies.agreement(study, finished_only=False)}
    for label, result in every.items():
        matrix = np.array([[label in readings[i][r] for r in READERS] for i in range(6)])
        for (x, y), kappa in result.pairs.items():
            expected = cohen_kappa_score(matrix[:, READERS.index(x)], matrix[:, READERS.index(y)])
            assert kappa.value == pytest.approx(expected, abs=1e-12)
        assert result.prevalence == pytest.approx(matrix.mean())
        assert {(d.record_key, d.label) for d in result.disagreements} == \
            {(keys[i], label) for i in range(6) if len(set(matrix[i])) > 1}
    assert [d.readings for d in every["MI"].disagreements] == [{"ann": False, "ben": True, "cat": False}]


def test_adjudication_sets_consensus_with_provenance_audit_and_a_training_manifest(study_setup, tmp_path):
    store, studies, study, keys, _readings = study_setup
    for reader, key in itertools.product(READERS, keys):
        studies.set_finished(study, reader, key)
    disputes = [(d.record_key, d.label) for a in studies.agreement(study) for d in a.disagreements]
    assert sorted(disputes) == sorted([(keys[2], "NORM"), (keys[2], "MI"), (keys[1], "STTC"), (keys[5], "STTC")])
    assert keys[2] not in studies.consensus_labels(study)  # open disputes keep a record out of the training set
    ben_mi = studies.readings_of(study, keys[2], "MI")["ben"]
    decided = studies.set_consensus(study, keys[2], "MI", False, "dr.adj", note="inferior Q waves absent")
    assert (decided.decided_by, decided.present, decided.from_readings) == ("dr.adj", False, (ben_mi,))
    for key, label, present in ((keys[2], "NORM", True), (keys[1], "STTC", False), (keys[5], "STTC", True)):
        studies.set_consensus(study, key, label, present, "dr.adj")
    studies.set_consensus(study, keys[5], "STTC", False, "dr.adj", note="second look")  # a change is audited too
    history = audit_history(store.db, CONSENSUS_ENTITY, f"{study.id}:{keys[5]}:STTC")
    assert [(e.action, e.old and e.old["present"], e.new["present"]) for e in history] == [("create", None, 1),
                                                                                          ("update", 1, 0)]
    for reader in READERS:  # the study is blinded: no reader gets the consensus, which carries the others' labels
        with pytest.raises(StudyError, match="blinded"):
            studies.consensus(study, viewer=reader)
        with pytest.raises(StudyError, match="blinded"):
            studies.export_consensus(study, tmp_path / reader, viewer=reader)
    assert len(studies.consensus(study, viewer="dr.adj")) == 4 and not (tmp_path / "ann").exists()
    final = studies.consensus_labels(study)
    assert final[keys[2]] == ("NORM",) and final[keys[1]] == ("MI",) and final[keys[5]] == ("MI",)
    folder = studies.export_consensus(study, tmp_path / "consensus")
    rows = {row.patient: row.labels for row in read_manifest(folder)}
    assert rows[keys[2]] == ("NORM",) and rows[keys[3]] == ("STTC",) and len(rows) == 6


def test_agreement_reports_as_csv_and_escaped_html(study_setup, tmp_path):
    _store, studies, study, _keys, _readings = study_setup
    agreement = studies.agreement(study, finished_only=False)
    with open(write_csv(tmp_path / "a.csv", study.name, agreement), newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert {r["statistic"] for r in rows} == {"fleiss_kappa", "cohen_kappa", "disagreements"}
    assert len([r for r in rows if r["statistic"] == "cohen_kappa"]) == 3 * 3  # 3 labels x 3 pairs
    html = write_html(tmp_path / "a.html", "<b>study</b>", agreement).read_text()
    assert "&lt;b&gt;study&lt;/b&gt;" in html and "<b>study</b>" not in html and "Fleiss" in html


def test_only_an_adjudicator_may_write_consensus_on_the_server(pg_cluster):
    from ecgstudio.library_schemas import library_schemas
    from ecgstudio.store import Database
    from ecgstudio.store.access import add_user, setup_access
    from ecgstudio.store.errors import LibraryRefused

    url = pg_cluster.create_database("study_roles")
    owner = Database(url)
    for schema in library_schemas():
        owner.ensure(schema)
    setup_access(owner)
    for name, kind in (("ann", "reader"), ("ben", "reader"), ("dr.adj", "adjudicator")):
        add_user(owner, name, kind)
    from types import SimpleNamespace
    AnnotationStore(owner).register_record("k", SimpleNamespace(name="r", fs=500.0, n_samples=5000, leads=("I",),
                                                                path=None))
    study = StudyStore(owner).create("s", ["k"], ["NORM"], ["ann", "ben"], "postgres")
    as_reader = StudyStore(Database(pg_cluster.url("ann", "study_roles")))
    with pytest.raises(LibraryRefused, match="row-level security|permission denied"):
        as_reader.set_consensus(study, "k", "NORM", True, "ann")
    as_reader.set_finished(study, "ann", "k")  # a reader records their own progress
    with pytest.raises(LibraryRefused):
        as_reader.set_finished(study, "ben", "k")  # ... and nobody else's
    adjudicator = StudyStore(Database(pg_cluster.url("dr.adj", "study_roles")))
    assert adjudicator.set_consensus(study, "k", "NORM", True, "dr.adj").decided_by == "dr.adj"
