"""A tiny but real training configuration shared by the engine's training, model-file and CLI tests."""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path

import torch

from training.config import RunConfig


def tiny_config(ptbxl_root: Path, output: Path, **sections) -> RunConfig:
    """ResNet1d-18 of width 4 on 2.5 s PTB-XL windows at 100 Hz: about a second per epoch on 2 cores."""
    data = {"path": str(ptbxl_root), "kind": "ptbxl", "seconds": 2.5}
    data.update(sections.pop("data", {}))
    config = {
        "name": "tiny", "output": str(output), "seed": 7, "device": "cpu",
        "data": data,
        "model": {"name": "resnet1d18", "options": {"width": 4}},
        "loss": {"name": "focal"},
        "optim": {"name": "adamw", "lr": 3e-3, "weight_decay": 0.0},
        "train": {"epochs": 1, "batch_size": 64, "patience": 0},
    }
    config.update(sections)
    return RunConfig.from_dict(config)


@contextmanager
def one_thread():
    """Tiny models train faster on one thread, and two threads thrash when other jobs share the cores."""
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(previous)
