"""Dataset indexes, label maps, splits and the preprocessed cache, on the real shared records."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

from training.data.cache import PreprocessedCache
from training.data.dataset import ECGDataset
from training.data.datasets import load_cinc, load_dataset, load_ptbxl
from training.data.labels import describe_code, get_label_set
from training.data.splits import patient_split
from training.errors import ConfigError, DatasetError
from training.signal import Pipeline


def _index(shared_data: Path, prefix: str) -> list[dict]:
    with open(shared_data / "records_index.csv", newline="") as fh:
        return [row for row in csv.DictReader(fh) if row["path"].startswith(prefix)]


def test_ptbxl_superclass_counts_and_folds_agree_with_the_index(shared_data, ptbxl_root):
    rows = _index(shared_data, "ptbxl/records100/")
    index = load_ptbxl(ptbxl_root, fs=100, drop_unlabelled=False)
    assert len(index) == len(rows) == 500
    expected_counts = {c: 0 for c in ("NORM", "MI", "STTC", "CD", "HYP")}
    by_name = {}
    for row in rows:
        for c in filter(None, row["superclass"].split(";")):
            expected_counts[c] += 1
        by_name[Path(row["path"]).name] = row
    assert index.counts()["all"] == expected_counts
    for path, target, split in zip(index.paths, index.targets, index.split):
        row = by_name[path.name]
        assert set(np.array(index.label_set.classes)[target > 0]) == set(filter(None, row["superclass"].split(";")))
        assert row["split"].startswith(f"{split} (fold")
    assert {s: int((index.split == s).sum()) for s in ("train", "val", "test")} == {"train": 353, "val": 81, "test": 66}


def test_ptbxl_drops_unlabelled_by_default_and_reads_500hz_paths(ptbxl_root):
    index = load_ptbxl(ptbxl_root, fs=500)
    assert len(index) == 488 and index.targets.sum(1).min() >= 1
    assert all(p.name.endswith("_hr") for p in index.paths)
    assert index.subset("test").split.tolist() == ["test"] * 64


def test_ptbxl_rejects_wrong_folder_and_rate(tmp_path, ptbxl_root):
    with pytest.raises(DatasetError):
        load_ptbxl(tmp_path)
    with pytest.raises(DatasetError, match="100 or 500"):
        load_ptbxl(ptbxl_root, fs=250)


def test_cinc_labels_map_to_scored_classes_with_equivalents_merged(shared_data):
    index = load_cinc(shared_data / "cinc", label_set="cinc-scored")
    scored = get_label_set("cinc-scored")
    assert len(scored.classes) == 26
    rows = {Path(r["path"]).name: r for r in _index(shared_data, "cinc/")}
    for path, target in zip(index.paths, index.targets):
        codes = rows[path.name]["labels"].split(";")
        expected = {scored.aliases[c] for c in codes if c in scored.aliases}
        assert set(np.array(scored.classes)[target > 0]) == expected
    # A5215 says 59118001 (RBBB) and 284470004 (PAC): both merged classes
    a5215 = index.targets[[p.name for p in index.paths].index("A5215")]
    assert set(np.array(scored.classes)[a5215 > 0]) == {"713427006|59118001", "284470004|63593006"}


def test_cpsc2018_abbreviations_and_snomed_copies_share_nine_classes(shared_data):
    early = load_dataset(shared_data / "cpsc2018", label_set="cpsc2018")
    assert len(early) == 150 and early.label_set.classes[:2] == ("Normal", "AF")
    assert early.counts()["all"]["RBBB"] == 32 and early.counts()["all"]["AF"] == 24
    challenge = load_cinc(shared_data / "cinc/cpsc2018", label_set="cpsc2018")
    af = challenge.targets[:, challenge.label_set.classes.index("AF")]
    assert af.sum() == 3  # A0689, A1041 and A2712 carry 164889003


def test_describe_code_gives_human_names():
    assert describe_code("426783006") == "sinus rhythm (NSR)"
    assert "myocardial infarction" in describe_code("IMI")
    assert describe_code("not-a-code") == "not-a-code"
    with pytest.raises(ConfigError):
        get_label_set("nope")


def test_patient_split_keeps_patients_together_and_stratifies(ptbxl_root):
    index = load_ptbxl(ptbxl_root)
    split = patient_split(index.patients, index.targets, (0.7, 0.15, 0.15), seed=3)
    for s1, s2 in (("train", "val"), ("train", "test"), ("val", "test")):
        p1 = {p for p, s in zip(index.patients, split) if s == s1}
        p2 = {p for p, s in zip(index.patients, split) if s == s2}
        assert not p1 & p2
    shares = {s: (split == s).mean() for s in ("train", "val", "test")}
    assert abs(shares["train"] - 0.7) < 0.05 and abs(shares["test"] - 0.15) < 0.05
    hyp = index.targets[:, index.label_set.classes.index("HYP")]
    assert 3 <= hyp[split == "test"].sum() <= 9  # 40 HYP records -> ~6 in test
    assert (split == patient_split(index.patients, index.targets, (0.7, 0.15, 0.15), seed=3)).all()
    assert not (split == patient_split(index.patients, index.targets, (0.7, 0.15, 0.15), seed=4)).all()


def test_cache_is_built_once_and_invalidated_when_inputs_change(ptbxl_root, tmp_path):
    index = load_ptbxl(ptbxl_root).subset("test")
    pipeline = Pipeline.default(fs=100)
    first = PreprocessedCache(index, pipeline, tmp_path)
    built = first.data_path.stat().st_mtime_ns
    again = PreprocessedCache(index, pipeline, tmp_path)
    assert again.key == first.key and again.data_path.stat().st_mtime_ns == built
    np.testing.assert_array_equal(again[5], pipeline.apply(__import__("training.data", fromlist=["read_record"]).read_record(index.paths[5])))
    other = PreprocessedCache(index, Pipeline.default(fs=100, normalization="minmax"), tmp_path)
    assert other.key != first.key
    # changing a record's bytes changes the key
    copy_root = tmp_path / "copy"
    copy_root.mkdir()
    changed = index.paths[0]
    assert index.fingerprint() == index.fingerprint()
    (copy_root / (changed.name + ".hea")).write_text(changed.with_suffix(".hea").read_text())
    (copy_root / (changed.name + ".dat")).write_bytes(changed.with_suffix(".dat").read_bytes()[:-2] + b"\x01\x02")
    moved = type(index)(index.name, index.root, index.label_set, (copy_root / changed.name,) + index.paths[1:],
                        index.patients, index.targets, index.split)
    assert moved.fingerprint() != index.fingerprint()


def test_dataset_windows_are_deterministic_per_seed_and_epoch(ptbxl_root, tmp_path):
    index = load_ptbxl(ptbxl_root).subset("val")
    ds = ECGDataset(index, Pipeline.default(fs=100), length=250, train=True, cache_dir=tmp_path, seed=7)
    x1, y1 = ds[0]
    assert x1.shape == (12, 250) and y1.shape == (5,)
    assert np.array_equal(x1, ds[0][0])
    ds.set_epoch(1)
    assert not np.array_equal(x1, ds[0][0])
    evaluation = ECGDataset(index, Pipeline.default(fs=100), length=250, train=False, cache_dir=tmp_path)
    assert np.array_equal(evaluation[0][0], evaluation[0][0])
    uncached = ECGDataset(index, Pipeline.default(fs=100), length=250, train=False, cache=False)
    np.testing.assert_allclose(uncached[3][0], evaluation[3][0], atol=1e-6)
