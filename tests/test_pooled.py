"""Pooled sources: the Challenge-format label map, manifests with unlabelled classes, the pooled split
builder and the leave-one-source-out section, on the real records of ../shared/data."""

from __future__ import annotations

import math

import numpy as np
import pytest

from training.data.labels import PTBXL_SUPERCLASSES
from training.data.manifest import ManifestRow, load_manifest, write_manifest
from training.errors import DatasetError

NAN = math.nan


def _target(mapped, name):
    return next(r.target for r in mapped.records if r.path.name == name)


def test_challenge_format_records_map_to_superclasses_and_cpsc_origin_ones_say_no_more_than_cpsc(shared_data):
    from training.data.superclass_map import load_mapped

    cinc = load_mapped("cinc", shared_data / "cinc")
    assert cinc.excluded == ["HR12083"]  # pacing rhythm
    assert not cinc.unknown_statements
    # HR00599: myocardial infarction, prolonged PR, sinus rhythm; the header lists every statement
    np.testing.assert_array_equal(_target(cinc, "HR00599"), [0, 1, 0, 1, 0])
    # A1041 (CPSC origin): AF + LBBB; CPSC's classes say nothing about MI or HYP
    np.testing.assert_array_equal(_target(cinc, "A1041"), [0, NAN, NAN, 1, NAN])
    # E07500 (Georgia): left atrial enlargement + sinus bradycardia
    np.testing.assert_array_equal(_target(cinc, "E07500"), [0, 0, 0, 0, 1])
    # HR03961: sinus rhythm alone is a normal ECG
    np.testing.assert_array_equal(_target(cinc, "HR03961"), [1, 0, 0, 0, 0])


def test_manifest_rows_can_leave_classes_unlabelled(shared_data, tmp_path):
    records = sorted((shared_data / "ludb" / "data").glob("*.hea"))[:3]
    write_manifest(tmp_path, [
        ManifestRow(str(records[0].with_suffix("")), ("CD",), split="train", unlabelled=("MI", "HYP")),
        ManifestRow(str(records[1].with_suffix("")), (), split="val", unlabelled=("NORM",)),  # known negatives
        ManifestRow(str(records[2].with_suffix("")), (), split="test"),  # nothing positive, nothing marked
    ])
    index = load_manifest(tmp_path, label_set="ptbxl-superclass")
    assert len(index) == 2  # the third says nothing and is dropped, like an unlabelled CinC record
    np.testing.assert_array_equal(index.targets[0], [0, NAN, 0, 1, NAN])
    np.testing.assert_array_equal(index.targets[1], [NAN, 0, 0, 0, 0])
    assert index.counts()["all"] == {"NORM": 0, "MI": 0, "STTC": 0, "CD": 1, "HYP": 0}
    write_manifest(tmp_path, [ManifestRow(str(records[0].with_suffix("")), ("CD",), unlabelled=("QT",))])
    with pytest.raises(DatasetError, match="QT"):
        load_manifest(tmp_path, label_set="ptbxl-superclass")


@pytest.mark.slow
def test_pooled_split_keeps_ptbxl_folds_and_splits_the_others_record_wise(shared_data, tmp_path):
    from experiments.pooled import pooled_split, targets_of, write_pool_manifest

    splits = pooled_split(shared_data)
    ptbxl = splits["ptbxl"]
    assert [len(ptbxl.of(s)) for s in ("train", "val", "test")] == [352, 72, 64]  # folds 1-8, 9, 10
    assert ptbxl.unit.startswith("patient")
    for name in ("cpsc2018", "cinc", "ludb"):
        source = splits[name]
        assert source.unit.startswith("record")
        n = [len(source.of(s)) for s in ("train", "val", "test")]
        assert sum(n) == len(source.records) and all(n) and n[0] > n[1]
        assert len({r.path for r in source.records}) == len(source.records)  # no record in two splits
    ludb = splits["ludb"]
    assert ludb.left_out == {"paced (excluded by the map)": 10}
    for split in ("train", "val", "test"):  # stratified: every split of LUDB has positives of each class
        assert (np.nansum(targets_of(ludb.of(split)), 0) > 0).all()
    cpsc = targets_of(splits["cpsc2018"].records)
    assert np.isnan(cpsc[:, [1, 4]]).all()  # CPSC2018 never labels MI or HYP
    again = pooled_split(shared_data, ("ludb",))["ludb"]
    assert [r.split for r in again.records] == [r.split for r in ludb.records]  # seeded, reproducible

    from training.data.manifest import load_manifest
    write_pool_manifest(tmp_path, [splits["cpsc2018"], splits["cinc"]])
    index = load_manifest(tmp_path, label_set="ptbxl-superclass")
    assert len(index) == len(splits["cpsc2018"].records) + len(splits["cinc"].records)  # nothing dropped
    expected = np.vstack([targets_of(splits["cpsc2018"].records), targets_of(splits["cinc"].records)])
    np.testing.assert_array_equal(index.targets, expected.astype(np.float32))
    assert list(index.split) == [r.split for s in ("cpsc2018", "cinc") for r in splits[s].records]


def test_macro_scores_skip_unknown_targets_and_a_paired_difference_of_a_model_with_itself_is_zero():
    from experiments.pooled import evaluate, labelled_classes, paired
    from training.intervals import bootstrap_indices, rank_auc

    rng = np.random.default_rng(0)
    y = (rng.random((60, 5)) < 0.4).astype(float)
    p = np.clip(0.3 * y + 0.7 * rng.random((60, 5)), 0, 1)
    y[:30, 1] = NAN
    y[:, 4] = NAN
    classes = labelled_classes(y)
    assert classes == [0, 1, 2, 3]
    boots = bootstrap_indices(60, 200)
    result = evaluate(y, p, boots, classes)
    expected = np.mean([rank_auc(y[30:, 1], p[30:, 1])] + [rank_auc(y[:, c], p[:, c]) for c in (0, 2, 3)])
    assert result["auroc"].value == pytest.approx(expected)
    assert result["auroc"].low <= result["auroc"].value <= result["auroc"].high
    same = paired(y, p, p, boots, classes)
    assert (same.value, same.low, same.high) == (0.0, 0.0, 0.0)


@pytest.mark.slow
def test_tiny_leave_one_source_out_run_writes_its_section(shared_data, tmp_path):
    """Two sources, a few records, one epoch of a narrow network: the whole path, not the numbers."""
    from experiments.pooled import run_pooled

    out = tmp_path / "RESULTS.md"
    out.write_text("# Results\n\n<!-- section:augment (generated; replaced on rerun) -->\nkept\n"
                   "<!-- /section:augment -->\n", encoding="utf-8")
    ev = run_pooled(out, shared_data, tmp_path / "runs", sources=("cinc", "cpsc2018"), seeds=1, epochs=1,
                    limit=8, model_options={"width": 8}, command="python -m experiments pooled --tiny")
    text = out.read_text(encoding="utf-8")
    assert "kept" in text and "<!-- section:pooled" in text
    assert set(ev.held_out) == {"cinc", "cpsc2018"} and set(ev.pooled_test) <= {"cinc", "cpsc2018"}
    assert "`python -m experiments pooled --tiny`" in text and "1 PyTorch thread" in text
    assert "| CPSC2018 (all records) | 24 | NORM, STTC, CD |" in text  # 8 per split; MI, HYP unlabelled
    assert "1 seed only" in text and "Goals (issue 18)" in text
    held = ev.held_out["cpsc2018"][4]
    assert held.diff is not None and held.diff.low <= held.diff.value <= held.diff.high
    # the leave-one-out model never saw the held-out source: its manifest has none of its records
    manifest = (tmp_path / "runs" / "data" / "without_cpsc2018" / "manifest.csv").read_text(encoding="utf-8")
    assert "cpsc2018/A0" not in manifest and "cinc" in manifest
    assert all(c in PTBXL_SUPERCLASSES for c in ("NORM", "CD"))
