"""Training throughput per architecture, and how much of a step is spent waiting for data (issue 4)."""

from __future__ import annotations

import os
import tempfile
import time

import torch

from benchmarks import Row, benchmark
from benchmarks.shared import SHARED
from training.config import load_config
from training.fit.data import load_run_data
from training.fit.device import seed_everything
from training.fit.run import build_run_model
from training.fit.trainer import Trainer
from training.losses import build_loss
from experiments.results import ARCHITECTURES, CONFIG_DIR


def _one_epoch(arch: str) -> tuple[float, float, int, int]:
    """(samples/s after the first step, data-wait share, batch size, steps) of one cached training epoch."""
    config = load_config(CONFIG_DIR / f"ptbxl_{arch}.toml")
    config.data.path, config.train.epochs, config.device = str(SHARED / "ptbxl"), 1, "cpu"
    seed_everything(config.seed, True)
    data = load_run_data(config)
    model = build_run_model(config, len(data.index.label_set.classes))
    loss_fn = build_loss(config.loss.name, data.train.index.targets, **config.loss.options)
    stamps, shares = [], []

    def emit(event):
        if event.type == "step":
            stamps.append(time.perf_counter())
        elif event.type == "epoch":
            shares.append(event.fields["data_wait_share"])

    trainer = Trainer(model, loss_fn, config, data, torch.device("cpu"), emit=emit)
    trainer.fit()
    batch = config.train.batch_size
    return batch * (len(stamps) - 1) / (stamps[-1] - stamps[0]), shares[0], batch, len(stamps)


@benchmark("training")
def training_speed() -> list[Row]:
    rows = []
    previous = os.environ.get("ECGSTUDIO_CACHE")
    with tempfile.TemporaryDirectory() as cache_dir:
        os.environ["ECGSTUDIO_CACHE"] = cache_dir  # the preprocessed cache is built before timing starts
        try:
            for arch in ARCHITECTURES:
                rate, share, batch, steps = _one_epoch(arch)
                note = (f"configs/ptbxl_{arch}.toml, batch {batch}, {steps} steps, CPU with "
                        f"{torch.get_num_threads()} thread(s), with its augmentations")
                rows.append(Row(f"{arch} training", rate, "samples/s", note=note))
                rows.append(Row(f"{arch} data wait", 100 * share, "% of epoch", goal="<= 10 %"))
        finally:
            if previous is None:
                os.environ.pop("ECGSTUDIO_CACHE", None)
            else:
                os.environ["ECGSTUDIO_CACHE"] = previous
    return rows
