"""Clinicians' labels as training data: the annotation library exported to a manifest the engine reads."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from ecgstudio.annotations.store import AnnotationStore
from ecgstudio.jobs.annotated import export_labelled, labelled_records
from ecgstudio.store.db import Database
from training.data.datasets import load_dataset
from training.data.manifest import ManifestRow, write_manifest
from training.data.readers import read_header
from training.errors import DatasetError


@pytest.fixture
def cpsc(shared_data, tmp_path) -> list[Path]:
    """30 real CPSC2018 records copied to a folder of their own (the clinicians' working folder)."""
    folder = tmp_path / "records"
    folder.mkdir()
    for header in sorted((shared_data / "cpsc2018").glob("*.hea"))[:30]:
        shutil.copy(header, folder)
        shutil.copy(header.with_suffix(".mat"), folder)
    return sorted(folder.glob("*.hea"))


def test_labels_from_the_annotation_library_become_an_engine_dataset(cpsc, tmp_path):
    db = Database(tmp_path / "library.sqlite")
    store = AnnotationStore(db)
    for i, header in enumerate(cpsc):
        info = read_header(header)
        store.register_record(f"key{i}", info)
        if i < 24:  # six records stay unlabelled and must not be exported
            note = store.add_label(f"key{i}", info.labels[0], "dr.a")
            if i % 2:
                store.confirm(note.id, "dr.a")
    assert len(labelled_records(db)) == 24 and len(labelled_records(db, confirmed_only=True)) == 12

    folder = export_labelled(db, tmp_path / "job" / "data")
    index = load_dataset(folder, label_set="cpsc2018", seed=0)
    assert len(index) == 24
    assert set(index.split) == {"train", "val", "test"}
    expected = {str(h.with_suffix("")): read_header(h).labels[0] for h in cpsc[:24]}
    for path, target in zip(index.paths, index.targets):
        assert index.label_set.classes_of([expected[str(path)]]) == [
            c for c, hit in zip(index.label_set.classes, target) if hit]


def test_a_manifest_keeps_given_splits_and_names_bad_lines(cpsc, tmp_path):
    rows = [ManifestRow(str(h), tuple(read_header(h).labels), f"p{i // 2}", ("train", "val", "test")[i % 3])
            for i, h in enumerate(cpsc)]
    write_manifest(tmp_path, rows)
    index = load_dataset(tmp_path, label_set="cpsc2018")
    assert list(index.split) == [r.split for r in rows]

    (tmp_path / "manifest.csv").write_text("record,labels,split\nA0001,AF,holdout\n")
    with pytest.raises(DatasetError, match="line 2: split 'holdout'"):
        load_dataset(tmp_path, label_set="cpsc2018")
    (tmp_path / "manifest.csv").write_text("record,labels\nmissing,AF\n")
    with pytest.raises(DatasetError, match="record missing: no header"):
        load_dataset(tmp_path, label_set="cpsc2018")
