"""Data-parallel training under ``torchrun``: the same run, split over processes (DistributedDataParallel).

A plain ``python -m training fit`` is one process and nothing here changes it. Launched by ``torchrun``
(``WORLD_SIZE`` > 1), every process joins one process group (``nccl`` on CUDA, ``gloo`` on the CPU),
trains its share of each epoch's batches, and averages gradients with the others, so the weights stay
identical on every rank. Batch order stays a function of ``(seed, epoch)``: the epoch's global order from
:class:`EpochSampler` is dealt round-robin to the ranks. Validation and test records are also split and
the predictions gathered, so every rank computes the same metrics and makes the same early-stopping
choice; only rank 0 reports progress and writes checkpoints and the model file.
"""

from __future__ import annotations

import atexit
import math
import os
from dataclasses import dataclass
from typing import Iterator

import numpy as np
import torch
import torch.distributed as dist
from torch import nn
from torch.nn.parallel import DistributedDataParallel

from training.fit.sampling import EpochSampler


@dataclass(frozen=True)
class World:
    """This process's place in the run: ``rank`` of ``size`` processes, ``local_rank`` on its machine."""

    rank: int = 0
    size: int = 1
    local_rank: int = 0

    @property
    def main(self) -> bool:
        """Rank 0 alone reports and writes files."""
        return self.rank == 0


def world() -> World:
    if dist.is_available() and dist.is_initialized():
        return World(dist.get_rank(), dist.get_world_size(), int(os.environ.get("LOCAL_RANK", "0")))
    return World()


def init_distributed(device: torch.device) -> tuple[World, torch.device]:
    """Join the process group when launched with ``WORLD_SIZE`` > 1; returns the world and this rank's device.

    On CUDA each process takes the GPU ``LOCAL_RANK`` of its machine. Idempotent, so several runs in one
    process (a study) share the group, which is closed when the process exits.
    """
    if int(os.environ.get("WORLD_SIZE", "1")) <= 1:
        return World(), device
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    if device.type == "cuda":
        device = torch.device("cuda", local_rank)
        torch.cuda.set_device(device)
    if not dist.is_initialized():
        dist.init_process_group("nccl" if device.type == "cuda" else "gloo")
        atexit.register(_close)
    return world(), device


def _close() -> None:
    if dist.is_initialized():
        dist.destroy_process_group()


class ShardedEpochSampler(EpochSampler):
    """This rank's share of :class:`EpochSampler`'s order: positions ``rank, rank + size, ...``.

    The order is padded by repeating its start to a multiple of ``size`` so every rank takes the same
    number of steps (a rank with fewer would wait forever for the others' gradients).
    """

    def __init__(self, n: int, seed: int, weights: np.ndarray | None, shard: World):
        super().__init__(n, seed, weights)
        self.shard = shard

    def __len__(self) -> int:
        return math.ceil(self.n / self.shard.size)

    def __iter__(self) -> Iterator[int]:
        order = list(super().__iter__())
        total = len(self) * self.shard.size
        order += order[:total - len(order)]
        return iter(order[self.shard.rank:total:self.shard.size])


def epoch_sampler(n: int, seed: int, weights: np.ndarray | None = None) -> EpochSampler:
    """The training sampler: the whole epoch alone, this rank's share in a distributed run."""
    shard = world()
    return ShardedEpochSampler(n, seed, weights, shard) if shard.size > 1 else EpochSampler(n, seed, weights)


def wrap(model: nn.Module, device: torch.device) -> nn.Module:
    """The module the training step calls: ``model`` itself, or a DDP wrapper that averages gradients."""
    if world().size <= 1:
        return model
    return DistributedDataParallel(model, device_ids=[device.index] if device.type == "cuda" else None)


def shard_indices(n: int) -> list[int] | None:
    """This rank's records of an ``n``-record evaluation set (``None`` outside a distributed run)."""
    shard = world()
    return list(range(shard.rank, n, shard.size)) if shard.size > 1 else None


def gather_rows(indices: list[int], n: int, *arrays: np.ndarray) -> list[np.ndarray]:
    """Every rank's rows of ``arrays`` (row ``i`` belongs to record ``indices[i]``), in record order."""
    parts: list = [None] * world().size
    dist.all_gather_object(parts, (indices, arrays))
    out = [np.empty((n, *a.shape[1:]), dtype=a.dtype) for a in arrays]
    for part_indices, part_arrays in parts:
        for whole, rows in zip(out, part_arrays):
            whole[part_indices] = rows
    return out


def barrier() -> None:
    """Wait for every rank (a no-op alone): e.g. until rank 0 has written the model file."""
    if world().size > 1:
        dist.barrier()
