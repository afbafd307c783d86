"""The PyTorch dataset: fixed-length windows of preprocessed records with their multi-hot targets.

Training windows are random crops whose randomness is a function of (seed, epoch, record), so the same
seed gives the same batches on CPU and worker processes need no shared state. Evaluation windows are
centre crops: deterministic, unlike the first paper's code.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

import numpy as np
import torch
from torch.utils.data import Dataset

from training.data.cache import PreprocessedCache
from training.data.datasets import DatasetIndex
from training.data.readers import read_record
from training.signal.pipeline import Pipeline
from training.signal.windows import fit_length, random_crop

Transform = Callable[[np.ndarray, np.random.Generator], np.ndarray]


class ECGDataset(Dataset):
    """``(x [leads, length] float32, y [classes] float32)`` pairs from a :class:`DatasetIndex`.

    ``cache=True`` preprocesses every record once into a memory-mapped file; ``cache=False`` re-reads
    and re-preprocesses each record on every access (kept for comparison and for one-off use).
    """

    def __init__(self, index: DatasetIndex, pipeline: Pipeline, length: int, train: bool = False,
                 cache: bool = True, cache_dir: Path | None = None, transform: Transform | None = None,
                 seed: int = 0):
        self.index = index
        self.pipeline = pipeline
        self.length = int(length)
        self.train = train
        self.transform = transform
        self.seed = seed
        self.epoch = 0
        self.cache = PreprocessedCache(index, pipeline, cache_dir) if cache else None

    def set_epoch(self, epoch: int) -> None:
        """Change the random crops and augmentations for a new epoch."""
        self.epoch = epoch

    def __len__(self) -> int:
        return len(self.index)

    def signal(self, i: int) -> np.ndarray:
        """The whole preprocessed record ``i``."""
        if self.cache is not None:
            return self.cache[i]
        return self.pipeline.apply(read_record(self.index.paths[i]))

    def __getitem__(self, i: int) -> tuple[torch.Tensor, torch.Tensor]:
        x = self.signal(i)
        if self.train:
            rng = np.random.default_rng((self.seed, self.epoch, i))
            x = random_crop(x, self.length, rng)
            if self.transform is not None:
                x = self.transform(np.array(x, dtype=np.float32), rng)
        else:
            x = fit_length(x, self.length)
        return torch.from_numpy(np.array(x, dtype=np.float32)), torch.from_numpy(self.index.targets[i])
