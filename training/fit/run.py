"""A whole run, in the order the science requires.

1. train, keeping the epoch with the best validation metric (early stopping on validation);
2. fit a per-class calibration on the validation split (``calibration``: Platt by default);
3. choose per-class F1-optimal thresholds on the calibrated validation probabilities;
4. score the test split once, with those thresholds (unless ``score_test`` is off, as in HPO trials:
   only the chosen model is tested), and write the model file.

Validation and test records go through :class:`training.inference.Predictor`, so a record longer than
the model's input is scored as the mean of its sliding windows, as in the app. Every table metric gets
a 95 % record-level bootstrap interval. Nothing measured on the test split feeds back into any choice.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from training.checkpoint import ModelCard, save_model
from training.config import RunConfig, save_config
from training.errors import ConfigError
from training.fit.data import load_run_data
from training.fit.device import run_environment, seed_everything, select_device
from training.fit.distributed import barrier, init_distributed
from training.progress import Callback, CancelToken, Event, ignore
from training.fit.finetune import build_finetune_model
from training.fit.trainer import Trainer
from training.losses import build_loss
from training.metrics import Scores, score, score_intervals
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
    """Train, select, calibrate, threshold, test and save; returns the model file's path and its card."""
    # Imported here: training.inference imports this package (device selection).
    from training.calibrate import assess, fit_card_calibration
    from training.evaluate import predict_dataset
    from training.inference import Predictor

    run_dir = Path(config.output).expanduser() / config.name
    seed_everything(config.seed, config.deterministic, config.threads)
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
    model.eval()

    n_classes = len(label_set.classes)
    card = ModelCard(
        architecture=config.model.name, model_options=dict(config.model.options), n_leads=len(config.data.leads),
        label_set=label_set.to_dict(), fs=float(config.data.fs), leads=list(config.data.leads),
        input_length=config.data.length, preprocessing=data.pipeline.to_dict(),
        thresholds=[DEFAULT_THRESHOLD] * n_classes, single_label=single_label,
        data={"name": data.index.name, "fingerprint": data.index.fingerprint(), "counts": data.index.counts()},
        seed=config.seed, config=config.to_dict(), history=progress.history,
        parent=parent["parent"] if parent else None, finetune=parent,
        environment=run_environment(device, config.deterministic),
    )
    # Validation and test go through the app's Predictor (its windowing, its calibration): one code path.
    val_index = data.val.index
    raw_val = predict_dataset(Predictor(model, card, device), data.val, calibrated=False)
    val_probs = raw_val
    if not single_label and config.calibration != "none":
        calibration = fit_card_calibration(card, val_index, raw_val, config.calibration)
        val_probs = calibration.apply(raw_val)
    if single_label:
        thresholds, notes = np.full(n_classes, DEFAULT_THRESHOLD), []
    else:
        thresholds, notes = f1_optimal_thresholds(val_index.targets, val_probs, label_set.classes)
    card.thresholds = [float(t) for t in thresholds]
    val_scores = scored(val_index.targets, val_probs, thresholds, label_set, single_label)
    val_scores.notes.extend(notes)
    test_scores = None
    predictor = Predictor(model, card, device)
    if data.test is not None and config.score_test:
        test_index = data.test.index
        raw_test = predict_dataset(predictor, data.test, calibrated=False)
        test_probs = predictor.calibration.apply(raw_test) if predictor.calibration else raw_test
        test_scores = scored(test_index.targets, test_probs, thresholds, label_set, single_label)
        if card.calibration is not None:
            card.calibration["assessment"]["test"] = assess(test_index.targets, raw_test, test_probs,
                                                            label_set.classes, f"{data.index.name} test split")
    card.metrics = {"best_epoch": progress.best_epoch, "val": val_scores.to_dict(),
                    "test": test_scores.to_dict() if test_scores else None}
    emit(Event("metrics", card.metrics))

    model_path = run_dir / f"{config.name}.json"  # the card: it names the model and its weights file
    if shard.main:
        _, model_path = save_model(run_dir / config.name, model.cpu(), card)
        save_config(config, run_dir / "config.toml")
    barrier()  # the model file exists before any rank returns
    emit(Event("done", {"model": str(model_path), "best_epoch": progress.best_epoch,
                        "val": val_scores.summary, "test": test_scores.summary if test_scores else None}))
    return FitResult(model_path, card, val_scores, test_scores)


def scored(targets: np.ndarray, probs: np.ndarray, thresholds: np.ndarray, label_set, single_label: bool) -> Scores:
    """Every metric of a split, with 95 % record-level bootstrap intervals of the table metrics."""
    scores = score(targets, probs, thresholds, label_set, single_label)
    scores.intervals = score_intervals(targets, probs, thresholds, label_set.classes, single_label)
    return scores
