"""Fine-tuning: a run that starts from a saved model's weights instead of random ones (papers 000, 002).

The ``[finetune]`` section names the parent model. Its card fixes the input contract (architecture and
options, rate, leads, window, band-pass, normalisation): a backbone only knows the signals it was trained
on, so a config that differs is refused with a :class:`ConfigError` naming the key rather than silently
feeding the backbone something else. The classifier is replaced for the new label set.

* ``head``: only the new classifier trains. Backbone parameters get ``requires_grad = False`` and the
  backbone's normalisation layers stay in eval mode, so their running statistics are not updated either:
  the saved backbone is bit-identical to the parent's.
* ``full``: everything trains; the backbone's learning rate is ``optim.lr * backbone_lr_scale``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
from torch import nn

from training.checkpoint import ModelCard, load_model
from training.config import FinetuneConfig, RunConfig
from training.errors import ConfigError
from training.finetune_contract import parent_contract
from training.fit.optim import build_optimizer
from training.models import ECGModel


def _config_values(config: RunConfig) -> dict[str, Any]:
    data = config.data
    return {
        "model.name": config.model.name,
        "model.options": dict(config.model.options),
        "data.fs": float(data.fs),
        "data.leads": list(data.leads),
        "data.seconds": data.length,
        "data.normalization": data.normalization,
        "data.band": [float(b) for b in data.band],
    }


def check_contract(config: RunConfig, card: ModelCard, parent: Path) -> None:
    """Refuse a config whose input or architecture differs from the parent's (first differing key)."""
    ours = _config_values(config)
    for key, expected in parent_contract(card).items():
        if ours[key] != expected:
            unit = " samples" if key == "data.seconds" else ""
            raise ConfigError(key, f"the parent model {parent} expects {expected!r}{unit}, the config gives "
                                   f"{ours[key]!r}{unit}; fine-tuning must keep the parent's input contract")
    ft = config.finetune
    if ft.mode == "full" and ft.backbone_lr_scale != 1.0 and config.schedule.name == "onecycle":
        raise ConfigError("finetune.backbone_lr_scale", "the onecycle schedule gives every parameter the same "
                                                        "peak learning rate; use another schedule or scale 1")


def build_finetune_model(config: RunConfig, n_classes: int) -> tuple[ECGModel, dict[str, Any]]:
    """The parent's weights with a fresh ``n_classes`` head (backbone frozen in head mode).

    Returns the model and the provenance the new card records: the parent's path and weights hash, the
    mode, the backbone scale, and the parent's training data fingerprint.
    """
    ft: FinetuneConfig = config.finetune
    parent = Path(ft.parent).expanduser()
    model, card = load_model(parent)
    check_contract(config, card, parent)
    model.replace_head(n_classes)
    if ft.mode == "head":
        for param in model.backbone_parameters():
            param.requires_grad_(False)
    provenance = {"parent": str(parent), "parent_weights_sha256": card.weights_sha256, "mode": ft.mode,
                  "backbone_lr_scale": ft.backbone_lr_scale if ft.mode == "full" else 0.0,
                  "parent_label_set": card.label_set.get("name"),
                  "parent_data_fingerprint": card.data.get("fingerprint")}
    return model, provenance


def run_optimizer(model: ECGModel, config: RunConfig) -> torch.optim.Optimizer:
    """The configured optimiser; fine-tuning regroups its parameters (head only, or a slower backbone)."""
    optimizer = build_optimizer(model, config.optim)
    ft = config.finetune
    if ft is None:
        return optimizer
    optimizer.param_groups.clear()  # rebuilt with the optimiser's own defaults before any step
    optimizer.add_param_group({"params": list(model.classifier.parameters())})
    if ft.mode == "full":
        optimizer.add_param_group({"params": model.backbone_parameters(), "lr": config.optim.lr * ft.backbone_lr_scale})
    return optimizer


def train_mode(model: nn.Module, config: RunConfig) -> None:
    """``model.train()``, except that a frozen backbone's running statistics stay as the parent left them."""
    model.train()
    if config.finetune is None or config.finetune.mode != "head":
        return
    head = set(model.classifier.modules())
    for module in model.modules():
        if module not in head and getattr(module, "track_running_stats", False):
            module.eval()
