"""Batch order: a fresh shuffle per epoch, or class-balanced oversampling (paper 001).

Both are a function of ``(seed, epoch)`` only, so a resumed run draws the same batches as an
uninterrupted one and the same seed reproduces a run exactly.
"""

from __future__ import annotations

from typing import Iterator

import numpy as np
import torch
from torch.utils.data import Sampler


def balanced_weights(targets: np.ndarray) -> np.ndarray:
    """Per-record draw weight: the largest ``records / positives(c)`` over the record's classes.

    A record is drawn as often as its rarest class needs for every class to appear about equally;
    records without any positive class weigh 1.
    """
    targets = np.asarray(targets) > 0.5
    inverse = len(targets) / np.maximum(targets.sum(axis=0), 1)
    weights = np.where(targets, inverse[None, :], 0.0).max(axis=1, initial=0.0)
    return np.where(weights > 0, weights, 1.0)


class EpochSampler(Sampler[int]):
    """``n`` indices per epoch: a permutation, or (with ``weights``) draws with replacement."""

    def __init__(self, n: int, seed: int, weights: np.ndarray | None = None):
        self.n = n
        self.seed = seed
        self.weights = None if weights is None else torch.as_tensor(weights, dtype=torch.float64)
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def __len__(self) -> int:
        return self.n

    def __iter__(self) -> Iterator[int]:
        state = np.random.SeedSequence([self.seed, self.epoch]).generate_state(1, dtype=np.uint64)[0]
        generator = torch.Generator().manual_seed(int(state))
        if self.weights is None:
            order = torch.randperm(self.n, generator=generator)
        else:
            order = torch.multinomial(self.weights, self.n, replacement=True, generator=generator)
        return iter(order.tolist())
