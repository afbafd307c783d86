"""A whole run, in the order the science requires.

1. train, keeping the epoch with the best validation metric (early stopping on validation);
2. choose per-class F1-optimal thresholds on the validation split;
3. score the test split once, with those thresholds, and write the model file.

Nothing measured on the test split feeds back into any choice.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from training.checkpoint import ModelCard, save_model
from training.config import RunConfig, save_config
from training.errors import ConfigError
from training.fit.data import load_run_data
from training.fit.device import seed_everything, select_device
from training.fit.distributed import barrier, init_distributed
from training.progress import Callback, CancelToken, Event, ignore
from training.fit.finetune import build_finetune_model
from training.fit.trainer import Trainer, predict_all
from training.losses import build_loss
from training.metrics import Scores, score
from training.models import ECGModel, build_model
from training.thresholds import DEFAULT_THRESHOLD, f1_optimal_thresholds


@dataclass
class FitResult:
    model_path: Path
    card: ModelCard
    val: Scores
    test: Scores | None


def build_run_model(config: RunConfig, n_classes: int) -> ECGModel:
    """The configured architecture, checked against the configured input length."""
    model = build_model(config.model.name, len(config.data.leads), n_classes, **config.model.options)
    if config.data.length < model.min_length:
        raise ConfigError("data.seconds", f"{config.model.name} needs at least {model.min_length} samples; "
                                          f"{config.data.seconds} s at {config.data.fs} Hz is {config.data.length}")
    return model


def fit(config: RunConfig, emit: Callback = ignore, cancel: CancelToken | None = None,
        resume: bool = False) -> FitResult:
    """Train, select, threshold, test and save; returns the model file's path and its card."""
    run_dir = Path(config.output).expanduser() / config.name
    seed_everything(config.seed, config.deterministic)
    shard, device = init_distributed(select_device(config.device))
    if not shard.main:
        emit = ignore  # rank 0 reports for the whole run
    data = load_run_data(config)
    label_set = data.index.label_set
    parent = None
    if config.finetune is not None:
        model, parent = build_finetune_model(config, len(label_set.classes))
    else:
        model = build_run_model(config, len(label_set.classes))
    loss_fn = build_loss(config.loss.name, data.train.index.targets, **config.loss.options)
    single_label = config.loss.name == "cross_entropy"
    trainer = Trainer(model, loss_fn, config, data, device, run_dir, emit, cancel, single_label)
    best, progress = trainer.fit(resume=resume)
    model.load_state_dict(best)

    val = predict_all(model, data.val, device, config.train.batch_size, single_label)
    if single_label:
        thresholds, notes = np.full(len(label_set.classes), DEFAULT_THRESHOLD), []
    else:
        thresholds, notes = f1_optimal_thresholds(val.targets, val.probs, label_set.classes)
    val_scores = score(val.targets, val.probs, thresholds, label_set, single_label)
    val_scores.notes.extend(notes)
    test_scores = None
    if data.test is not None:
        test = predict_all(model, data.test, device, config.train.batch_size, single_label)
        test_scores = score(test.targets, test.probs, thresholds, label_set, single_label)
    emit(Event("metrics", {"best_epoch": progress.best_epoch, "val": val_scores.to_dict(),
                           "test": test_scores.to_dict() if test_scores else None}))

    card = ModelCard(
        architecture=config.model.name, model_options=dict(config.model.options), n_leads=len(config.data.leads),
        label_set=label_set.to_dict(), fs=float(config.data.fs), leads=list(config.data.leads),
        input_length=config.data.length, preprocessing=data.pipeline.to_dict(),
        thresholds=[float(t) for t in thresholds], single_label=single_label,
        metrics={"best_epoch": progress.best_epoch, "val": val_scores.to_dict(),
                 "test": test_scores.to_dict() if test_scores else None},
        data={"name": data.index.name, "fingerprint": data.index.fingerprint(), "counts": data.index.counts()},
        seed=config.seed, config=config.to_dict(), history=progress.history,
        parent=parent["parent"] if parent else None, finetune=parent,
    )
    model_path = run_dir / f"{config.name}.json"  # the card: it names the model and its weights file
    if shard.main:
        _, model_path = save_model(run_dir / config.name, model.cpu(), card)
        save_config(config, run_dir / "config.toml")
    barrier()  # the model file exists before any rank returns
    emit(Event("done", {"model": str(model_path), "best_epoch": progress.best_epoch,
                        "val": val_scores.summary, "test": test_scores.summary if test_scores else None}))
    return FitResult(model_path, card, val_scores, test_scores)
