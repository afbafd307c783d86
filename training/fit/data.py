"""From a :class:`DataConfig` to the index, the preprocessing pipeline and the three split datasets."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from training.augment import build_augmentations
from training.config import DataConfig, RunConfig
from training.data.dataset import ECGDataset
from training.data.datasets import DatasetIndex, load_cinc, load_dataset, load_ptbxl
from training.errors import DatasetError
from training.signal.pipeline import Pipeline


def load_index(cfg: DataConfig) -> DatasetIndex:
    """The dataset index the config names; PTB-XL reads the release rate nearest the model's rate."""
    root = Path(cfg.path).expanduser()
    record_fs = cfg.record_fs or (100 if cfg.fs <= 100 else 500)
    options = {"label_set": cfg.label_set}
    if cfg.kind == "ptbxl":
        return load_ptbxl(root, fs=record_fs, **options)
    if cfg.kind == "cinc":
        return load_cinc(root, seed=cfg.split_seed, **options)
    if not root.is_dir():
        raise DatasetError(root, "dataset folder not found")
    return load_dataset(root, fs=record_fs, seed=cfg.split_seed, **options)


def build_pipeline(cfg: DataConfig) -> Pipeline:
    normalization = None if cfg.normalization == "none" else cfg.normalization
    band = (float(cfg.band[0]), float(cfg.band[1])) if cfg.band else None
    return Pipeline.default(fs=cfg.fs, leads=tuple(cfg.leads), normalization=normalization, band=band)


@dataclass
class RunData:
    """The full index (for its fingerprint) and one dataset per split."""

    index: DatasetIndex
    pipeline: Pipeline
    train: ECGDataset
    val: ECGDataset
    test: ECGDataset | None


def load_run_data(config: RunConfig) -> RunData:
    """Datasets for a run; training windows are random crops plus the configured augmentations."""
    index = load_index(config.data)
    pipeline = build_pipeline(config.data)
    parts = {}
    for split in ("train", "val", "test"):
        sub = index.subset(split)
        if len(sub) == 0 and split != "test":
            raise DatasetError(index.root, f"the {split} split has no records (label set {config.data.label_set!r})")
        train = split == "train"
        parts[split] = ECGDataset(
            sub, pipeline, config.data.length, train=train, cache=config.data.cache, seed=config.seed,
            transform=build_augmentations(config.augment) if train and config.augment else None,
        ) if len(sub) else None
    return RunData(index, pipeline, parts["train"], parts["val"], parts["test"])
