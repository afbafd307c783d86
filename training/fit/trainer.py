"""The training loop: epochs of optimiser steps, validation after each, early stopping, checkpoints.

The loop reports through ``emit`` and checks its :class:`CancelToken` before every step. After each
epoch it scores the validation split (thresholds at 0.5: only the monitored metric is used here, and
the default monitor, macro AUROC, needs no threshold), keeps the best weights on the monitored metric,
and saves a resumable checkpoint. The test split is never touched here.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset, Subset

from training.config import RunConfig
from training.errors import ConfigError, ECGError
from training.fit.data import RunData
from training.fit.device import Precision
from training.fit.distributed import epoch_sampler, gather_rows, shard_indices, world, wrap
from training.progress import Callback, CancelToken, Event, TrainingCancelled, ignore
from training.fit.finetune import run_optimizer, train_mode
from training.fit.optim import Schedule
from training.fit.sampling import balanced_weights
from training.fit.state import Progress, checkpoint_paths, load_checkpoint, save_checkpoint
from training.metrics import score


@dataclass
class Predictions:
    probs: np.ndarray
    targets: np.ndarray
    loss: float


def predict_dataset(model: nn.Module, dataset: Dataset, device: torch.device, batch_size: int = 64,
                    single_label: bool = False, loss_fn: nn.Module | None = None) -> Predictions:
    """Probabilities (sigmoid, or softmax when ``single_label``) for every record, in order."""
    precision = Precision(device)
    loader = DataLoader(dataset, batch_size=batch_size, shuffle=False)
    probs, targets, losses = [], [], []
    model.eval()
    with torch.no_grad():
        for x, y in loader:
            x, y = x.to(device), y.to(device)
            with precision.autocast():
                logits = model(x).float()
            if loss_fn is not None:
                losses.append(float(loss_fn(logits, y)) * len(x))
            probs.append((logits.softmax(dim=1) if single_label else logits.sigmoid()).cpu().double().numpy())
            targets.append(y.cpu().numpy())
    loss = sum(losses) / len(dataset) if losses else math.nan
    return Predictions(np.concatenate(probs), np.concatenate(targets), loss)


def predict_all(model: nn.Module, dataset: Dataset, device: torch.device, batch_size: int = 64,
                single_label: bool = False, loss_fn: nn.Module | None = None) -> Predictions:
    """:func:`predict_dataset`, split over the processes of a distributed run and gathered on every rank."""
    shard = shard_indices(len(dataset))
    if shard is None:
        return predict_dataset(model, dataset, device, batch_size, single_label, loss_fn)
    part = predict_dataset(model, Subset(dataset, shard), device, batch_size, single_label, loss_fn)
    probs, targets, losses = gather_rows(shard, len(dataset), part.probs, part.targets, np.full(len(shard), part.loss))
    return Predictions(probs, targets, float(losses.mean()))


def clone_state(model: nn.Module) -> dict[str, torch.Tensor]:
    return {k: v.detach().cpu().clone() for k, v in model.state_dict().items()}


class Trainer:
    """Trains ``model`` on ``data.train``, selecting the epoch with the best validation ``train.monitor``."""

    def __init__(self, model: nn.Module, loss_fn: nn.Module, config: RunConfig, data: RunData,
                 device: torch.device, run_dir: Path | None = None, emit: Callback = ignore,
                 cancel: CancelToken | None = None, single_label: bool = False):
        self.model = model.to(device)
        self.loss_fn = loss_fn.to(device)
        self.config = config
        self.data = data
        self.device = device
        self.run_dir = run_dir
        self.emit = emit
        self.cancel = cancel or CancelToken()
        self.single_label = single_label
        self.maximize = config.train.monitor != "loss"
        self.precision = Precision(device)
        self.optimizer = run_optimizer(self.model, config)
        self.net = wrap(self.model, device)  # what the training step calls (DDP in a distributed run)
        train = config.train
        weights = balanced_weights(data.train.index.targets) if train.oversample else None
        self.sampler = epoch_sampler(len(data.train), config.seed, weights)
        self.loader = DataLoader(data.train, batch_size=train.batch_size, sampler=self.sampler,
                                 num_workers=train.workers, pin_memory=device.type == "cuda",
                                 drop_last=len(self.sampler) > train.batch_size)  # no 1-record BatchNorm batch
        self.schedule = Schedule(self.optimizer, config.schedule, train.epochs, len(self.loader), self.maximize)
        self._clock = (time.perf_counter(), 0)  # (start time, step count then): the ETA's reference

    def fit(self, resume: bool = False) -> tuple[dict[str, torch.Tensor], Progress]:
        """Run the remaining epochs; returns the best weights and the run's progress record."""
        config_dict = self.config.to_dict()
        best, progress = clone_state(self.model), Progress()
        if resume and self.run_dir is not None and checkpoint_paths(self.run_dir)[1].is_file():
            best, progress = load_checkpoint(self.run_dir, self.model, self.optimizer, self.schedule,
                                             self.precision, config_dict)
        epochs, steps = self.config.train.epochs, len(self.loader)
        self.emit(Event("start", {"epochs": epochs, "steps_per_epoch": steps, "first_epoch": progress.epoch + 1,
                                  "train_records": len(self.data.train), "val_records": len(self.data.val),
                                  "device": str(self.device), "monitor": self.config.train.monitor}))
        self._clock = (time.perf_counter(), progress.step)
        for epoch in range(progress.epoch, epochs):
            if self._stopped_early(progress):
                break
            train_loss, wait_share = self._train_epoch(epoch, progress)
            self._end_epoch(epoch, train_loss, wait_share, progress, best)
        return best, progress

    def _stopped_early(self, progress: Progress) -> bool:
        patience = self.config.train.patience
        return patience > 0 and progress.bad_epochs >= patience

    def _train_epoch(self, epoch: int, progress: Progress) -> tuple[float, float]:
        train_mode(self.model, self.config)
        self.sampler.set_epoch(epoch)
        self.data.train.set_epoch(epoch)
        total, count, waited, started = 0.0, 0, 0.0, time.perf_counter()
        fetch = time.perf_counter()
        for i, (x, y) in enumerate(self.loader):
            waited += time.perf_counter() - fetch
            if self.cancel.cancelled:
                self.emit(Event("cancelled", {"epoch": epoch + 1, "step": i}))
                raise TrainingCancelled(epoch + 1, i)
            loss = self._step(x.to(self.device, non_blocking=True), y.to(self.device, non_blocking=True))
            if not math.isfinite(loss):
                raise ECGError(f"training diverged: loss is {loss} at epoch {epoch + 1}, step {i + 1}; "
                               "lower optim.lr or add optim.grad_clip")
            self.schedule.after_batch(epoch, i)
            progress.step += 1
            total, count = total + loss * len(x), count + len(x)
            self.emit(Event("step", {"epoch": epoch + 1, "step": i + 1, "steps": len(self.loader), "loss": loss,
                                     "lr": self.optimizer.param_groups[0]["lr"], "eta_s": self._eta(progress)}))
            fetch = time.perf_counter()
        elapsed = time.perf_counter() - started
        return total / max(count, 1), waited / elapsed if elapsed > 0 else 0.0

    def _step(self, x: torch.Tensor, y: torch.Tensor) -> float:
        with self.precision.autocast():
            logits = self.net(x)
        loss = self.loss_fn(logits.float(), y)
        self.optimizer.zero_grad(set_to_none=True)
        scaler = self.precision.scaler
        scaler.scale(loss).backward()
        if self.config.optim.grad_clip:
            scaler.unscale_(self.optimizer)
            nn.utils.clip_grad_norm_(self.model.parameters(), self.config.optim.grad_clip)
        scaler.step(self.optimizer)
        scaler.update()
        return float(loss.detach())

    def _eta(self, progress: Progress) -> float:
        started, first_step = self._clock
        done = progress.step - first_step
        remaining = self.config.train.epochs * len(self.loader) - progress.step
        return (time.perf_counter() - started) / done * remaining if done else math.nan

    def _end_epoch(self, epoch: int, train_loss: float, wait_share: float, progress: Progress,
                   best: dict[str, torch.Tensor]) -> None:
        val = predict_all(self.model, self.data.val, self.device, self.config.train.batch_size,
                              self.single_label, self.loss_fn)
        scores = score(val.targets, val.probs, None, self.data.index.label_set, self.single_label)
        monitor = self.config.train.monitor
        value = val.loss if monitor == "loss" else scores.summary[monitor]
        if not math.isfinite(value):
            why = scores.notes[-1] if scores.notes else "no class has both positives and negatives"
            raise ConfigError("train.monitor", f"validation {monitor} is undefined on this dataset ({why})")
        improved = progress.best_value is None or (
            value > progress.best_value if self.maximize else value < progress.best_value)
        if improved:
            best.update(clone_state(self.model))
            progress.best_value, progress.best_epoch, progress.bad_epochs = value, epoch + 1, 0
        else:
            progress.bad_epochs += 1
        self.schedule.after_epoch(value)
        progress.epoch = epoch + 1
        record = {"epoch": epoch + 1, "train_loss": train_loss, "val_loss": val.loss,
                  "val_auroc_macro": scores.summary["auroc_macro"], f"val_{monitor}": value,
                  "lr": self.optimizer.param_groups[0]["lr"], "data_wait_share": wait_share, "improved": improved}
        progress.history.append({k: (None if isinstance(v, float) and not math.isfinite(v) else v)
                                 for k, v in record.items()})
        if self.run_dir is not None and world().main:
            save_checkpoint(self.run_dir, self.model, best, self.optimizer, self.schedule, self.precision,
                            progress, self.config.to_dict())
        self.emit(Event("epoch", {**record, "epochs": self.config.train.epochs, "best_epoch": progress.best_epoch,
                                  "best_value": progress.best_value}))
