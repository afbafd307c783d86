"""Dataset indexes: which records, whose, labelled how, in which split.

An index is cheap metadata (paths, patients, multi-hot targets, split names). Samples are read and
preprocessed elsewhere (:mod:`training.data.cache`), once.

* PTB-XL folders use the official ``strat_fold`` (1-8 train, 9 validation, 10 test).
* CinC/CPSC folders of ``.hea`` headers have no folds and no patient ids: they get a seeded record-wise
  split, patient-wise only where a ``patients.csv`` names the patients.
"""

from __future__ import annotations

import ast
import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from training.data.labels import LabelSet, get_label_set
from training.data.readers import read_header
from training.data.splits import SPLITS, patient_split
from training.errors import DatasetError, RecordError

PTBXL_SPLIT_OF_FOLD = {**{f: "train" for f in range(1, 9)}, 9: "val", 10: "test"}


@dataclass(frozen=True)
class DatasetIndex:
    """Records of a dataset with their targets; ``split`` says train/val/test per record."""

    name: str
    root: Path
    label_set: LabelSet
    paths: tuple[Path, ...]
    patients: tuple[str, ...]
    targets: np.ndarray
    split: np.ndarray
    #: what the split keeps together: "patient" (the dataset's patient ids) or "record" (it has none, so
    #: each record is its own group: a patient with two records may sit in two splits)
    split_unit: str = "patient"

    def __len__(self) -> int:
        return len(self.paths)

    def subset(self, split: str) -> "DatasetIndex":
        """Only the records of one split (``train``, ``val`` or ``test``)."""
        if split not in SPLITS:
            raise ValueError(f"split must be one of {SPLITS}, got {split!r}")
        keep = np.flatnonzero(self.split == split)
        return DatasetIndex(self.name, self.root, self.label_set, tuple(self.paths[i] for i in keep),
                            tuple(self.patients[i] for i in keep), self.targets[keep], self.split[keep],
                            self.split_unit)

    def fingerprint(self) -> str:
        """SHA-256 over every record's header and signal bytes, in order, plus its target.

        Recorded with each model (which data trained it) and used as the cache key, so a changed file
        invalidates what was derived from it.
        """
        digest = hashlib.sha256()
        for path, target in zip(self.paths, self.targets):
            digest.update(str(path.relative_to(self.root) if path.is_relative_to(self.root) else path).encode())
            for suffix in (".hea", ".dat", ".mat"):
                part = path.with_suffix(suffix)
                if part.is_file():
                    digest.update(part.read_bytes())
            digest.update(target.tobytes())
        return digest.hexdigest()

    def counts(self) -> dict[str, dict[str, int]]:
        """Positives per class in each split (and ``all``); unlabelled (``nan``) targets count as neither."""
        out = {"all": dict(zip(self.label_set.classes, np.nansum(self.targets, 0).astype(int).tolist()))}
        for s in SPLITS:
            mask = self.split == s
            out[s] = dict(zip(self.label_set.classes, np.nansum(self.targets[mask], 0).astype(int).tolist()))
        return out


def load_dataset(root: str | Path, **options) -> DatasetIndex:
    """Detect the folder's kind (PTB-XL, a ``manifest.csv`` of labelled records, or CinC-style) and load it."""
    from training.data.manifest import is_manifest_folder, load_manifest  # manifest builds on this module

    root = Path(root)
    if (root / "ptbxl_database.csv").is_file():
        return load_ptbxl(root, **options)
    if is_manifest_folder(root):
        return load_manifest(root, **options)
    return load_cinc(root, **options)


def load_ptbxl(root: str | Path, fs: int = 100, label_set: str = "ptbxl-superclass",
               min_likelihood: float = 0.0, drop_unlabelled: bool = True, **_ignored) -> DatasetIndex:
    """PTB-XL with diagnostic superclass targets and the official folds.

    A record gets a class when one of its diagnostic scp statements belongs to it with likelihood >=
    ``min_likelihood``. PTB-XL's benchmark counts every diagnostic statement (likelihood 0 included),
    which is the default; records with no diagnostic statement are dropped unless told otherwise.
    """
    root = Path(root)
    if fs not in (100, 500):
        raise DatasetError(root, f"PTB-XL comes at 100 or 500 Hz, not {fs}")
    db_path = root / "ptbxl_database.csv"
    if not db_path.is_file():
        raise DatasetError(root, "not a PTB-XL folder: ptbxl_database.csv is missing")
    db = pd.read_csv(db_path, index_col="ecg_id")
    column = "filename_lr" if fs == 100 else "filename_hr"
    labels = get_label_set(label_set)
    paths, patients, targets, split = [], [], [], []
    for ecg_id, row in db.iterrows():
        try:
            codes = ast.literal_eval(row["scp_codes"])
        except (ValueError, SyntaxError) as exc:
            raise DatasetError(db_path, f"ecg_id {ecg_id}: unreadable scp_codes {row['scp_codes']!r}") from exc
        target = labels.encode([c for c, likelihood in codes.items() if likelihood >= min_likelihood])
        if drop_unlabelled and not target.any():
            continue
        fold = int(row["strat_fold"])
        if fold not in PTBXL_SPLIT_OF_FOLD:
            raise DatasetError(db_path, f"ecg_id {ecg_id}: strat_fold {fold} is not 1-10")
        paths.append(root / row[column])
        patients.append(str(int(row["patient_id"])) if pd.notna(row["patient_id"]) else f"ecg{ecg_id}")
        targets.append(target)
        split.append(PTBXL_SPLIT_OF_FOLD[fold])
    return DatasetIndex(f"ptbxl{fs}", root, labels, tuple(paths), tuple(patients),
                        np.asarray(targets, dtype=np.float32).reshape(-1, len(labels.classes)), np.asarray(split))


def load_cinc(root: str | Path, label_set: str = "cinc-scored", seed: int = 0,
              fractions: tuple[float, float, float] = (0.7, 0.15, 0.15), drop_unlabelled: bool = True,
              **_ignored) -> DatasetIndex:
    """Every ``.hea`` below ``root`` with ``#Dx`` codes mapped to ``label_set``; seeded, stratified split.

    CinC headers carry no patient id, so the split is **record-wise** (``split_unit = "record"``): each
    record is its own group. A folder with a ``patients.csv`` (columns ``record,patient``) gets a
    patient-wise split instead.
    """
    root = Path(root)
    headers = sorted(root.rglob("*.hea"))
    if not headers:
        raise DatasetError(root, "no .hea header files found")
    labels = get_label_set(label_set)
    patient_of = _patient_table(root)
    paths, patients, targets = [], [], []
    for header in headers:
        try:
            info = read_header(header)
        except RecordError:
            continue  # unreadable records are reported by the app's library, not trained on
        if not info.labels and drop_unlabelled:
            continue
        target = labels.encode(info.labels)
        if drop_unlabelled and not target.any():
            continue
        paths.append(header.with_suffix(""))
        patients.append(patient_of.get(info.name, info.name))
        targets.append(target)
    if not paths:
        raise DatasetError(root, f"no record has a label of the {label_set!r} set")
    targets_arr = np.asarray(targets, dtype=np.float32)
    split = patient_split(patients, targets_arr, fractions, seed)
    return DatasetIndex(f"{root.name}:{label_set}", root, labels, tuple(paths), tuple(patients), targets_arr, split,
                        "patient" if patient_of else "record")


def _patient_table(root: Path) -> dict[str, str]:
    table = root / "patients.csv"
    if not table.is_file():
        return {}
    df = pd.read_csv(table, dtype=str)
    if not {"record", "patient"} <= set(df.columns):
        raise DatasetError(table, "patients.csv needs columns 'record' and 'patient'")
    return dict(zip(df["record"], df["patient"]))
