"""Scoring a saved model on a dataset split.

Only what the model file says is used: its preprocessing pipeline, input length, label set and
thresholds, so a model is judged exactly as it will be used (one record at a time: ``training.inference``).
"""

from __future__ import annotations

from pathlib import Path

from training.checkpoint import ModelCard, load_model
from training.config import DataConfig
from training.data.dataset import ECGDataset
from training.errors import DatasetError
from training.fit.data import load_index
from training.fit.device import select_device
from training.fit.trainer import predict_dataset
from training.metrics import Scores, score


def evaluate_model(model_path: str | Path, split: str = "test", data_path: str | Path | None = None,
                   device: str = "auto") -> tuple[Scores, ModelCard]:
    """Scores of a model file on one split of a dataset (default: the one it was trained on)."""
    torch_device = select_device(device)
    model, card = load_model(model_path, torch_device)
    data_cfg = DataConfig(**card.config.get("data", {}))
    if data_path is not None:
        data_cfg.path = str(data_path)
    index = load_index(data_cfg)
    if index.label_set.classes != card.classes:
        raise DatasetError(index.root, f"labels {index.label_set.classes} differ from the model's {card.classes}")
    sub = index.subset(split)
    if len(sub) == 0:
        raise DatasetError(index.root, f"the {split} split has no records")
    dataset = ECGDataset(sub, card.pipeline, card.input_length, train=False, cache=data_cfg.cache)
    pred = predict_dataset(model, dataset, torch_device, single_label=card.single_label)
    return score(pred.targets, pred.probs, card.threshold_array, card.labels, card.single_label), card
