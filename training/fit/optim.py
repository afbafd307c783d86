"""Optimiser and learning-rate schedule from the run config.

Schedules differ in when they step: cosine warm restarts (paper 001, SGDR) and one-cycle step every
batch, reduce-on-plateau (paper 003) once per epoch on the monitored validation value. :class:`Schedule`
hides that difference from the training loop.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from training.config import OptimConfig, ScheduleConfig


def build_optimizer(model: nn.Module, cfg: OptimConfig) -> torch.optim.Optimizer:
    cls = {"adam": torch.optim.Adam, "adamw": torch.optim.AdamW}[cfg.name]
    return cls(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)


class Schedule:
    """A learning-rate schedule stepped per batch (``after_batch``) or per epoch (``after_epoch``)."""

    def __init__(self, optimizer: torch.optim.Optimizer, cfg: ScheduleConfig, epochs: int, steps_per_epoch: int,
                 maximize: bool):
        self.cfg = cfg
        self.steps_per_epoch = steps_per_epoch
        lr = optimizer.param_groups[0]["lr"]
        self.scheduler: Any = None
        if cfg.name == "cosine_restarts":
            self.scheduler = torch.optim.lr_scheduler.CosineAnnealingWarmRestarts(
                optimizer, T_0=cfg.restart_epochs, T_mult=cfg.restart_mult, eta_min=cfg.min_lr)
        elif cfg.name == "onecycle":
            self.scheduler = torch.optim.lr_scheduler.OneCycleLR(
                optimizer, max_lr=lr, total_steps=max(epochs * steps_per_epoch, 2), pct_start=cfg.warmup_fraction)
        elif cfg.name == "plateau":
            self.scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(
                optimizer, mode="max" if maximize else "min", factor=cfg.plateau_factor,
                patience=cfg.plateau_patience, min_lr=cfg.min_lr)

    def after_batch(self, epoch: int, step_in_epoch: int) -> None:
        if self.cfg.name == "cosine_restarts":
            self.scheduler.step(epoch + (step_in_epoch + 1) / self.steps_per_epoch)
        elif self.cfg.name == "onecycle" and self.scheduler.last_epoch + 1 < self.scheduler.total_steps:
            self.scheduler.step()

    def after_epoch(self, monitored: float) -> None:
        if self.cfg.name == "plateau":
            self.scheduler.step(monitored)

    def state_dict(self) -> dict[str, Any]:
        return self.scheduler.state_dict() if self.scheduler is not None else {}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        if self.scheduler is not None:
            self.scheduler.load_state_dict(state)
