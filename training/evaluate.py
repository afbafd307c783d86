"""Scoring a saved model on a dataset split, through the app's own :class:`~training.inference.Predictor`.

Only what the model file says is used (its pipeline, windowing, calibration and thresholds): records go
through the card's pipeline (once, into the dataset cache) and then the Predictor's own windows, mean and
calibration (:meth:`Predictor.signal_probabilities`, the same steps as :meth:`Predictor.predict`): a
record longer than the model's input is the mean of its sliding windows, exactly what the app and
``predict`` show. One code path, so the card's numbers are the app's numbers.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from training.checkpoint import ModelCard
from training.config import DataConfig
from training.data.dataset import ECGDataset
from training.data.datasets import DatasetIndex
from training.data.readers import read_record
from training.errors import DatasetError
from training.fit.data import load_index
from training.inference import Predictor
from training.metrics import Scores, score

Progress = Callable[[int, int], None]


def predict_paths(predictor: Predictor, paths: Sequence[Path], calibrated: bool = True,
                  progress: Progress = lambda done, total: None) -> np.ndarray:
    """Record probabilities ``[records, classes]`` of records on disk, in order."""
    out = np.zeros((len(paths), len(predictor.classes)), dtype=np.float64)
    for i, path in enumerate(paths):
        out[i] = predictor.record_probability(read_record(path), calibrated)
        progress(i + 1, len(paths))
    return out


def predict_dataset(predictor: Predictor, dataset: ECGDataset, calibrated: bool = True) -> np.ndarray:
    """Record probabilities of a dataset's records from its cache of pipeline outputs.

    The dataset must use the predictor's pipeline (training's validation and test datasets do); the
    windows, their mean and the calibration are the Predictor's own (:meth:`Predictor.signal_probabilities`).
    """
    return predictor.signal_probabilities([dataset.signal(i) for i in range(len(dataset))], calibrated)


def predict_index(predictor: Predictor, index: DatasetIndex, calibrated: bool = True, cache: bool = True) -> np.ndarray:
    """Record probabilities ``[records, classes]`` of a split, preprocessed once through the card's pipeline."""
    dataset = ECGDataset(index, predictor.pipeline, predictor.input_length, train=False, cache=cache)
    return predict_dataset(predictor, dataset, calibrated)


def split_index(card: ModelCard, split: str, data_path: str | Path | None = None) -> DatasetIndex:
    """The records of one split of the dataset a model was trained on (or of ``data_path``)."""
    data_cfg = DataConfig(**card.config.get("data", {}))
    if data_path is not None:
        data_cfg.path = str(data_path)
    index = load_index(data_cfg)
    if index.label_set.classes != card.classes:
        raise DatasetError(index.root, f"labels {index.label_set.classes} differ from the model's {card.classes}")
    sub = index.subset(split)
    if len(sub) == 0:
        raise DatasetError(index.root, f"the {split} split has no records")
    return sub


def evaluate_model(model_path: str | Path, split: str = "test", data_path: str | Path | None = None,
                   device: str = "auto") -> tuple[Scores, ModelCard]:
    """Scores of a model file on one split of a dataset (default: the one it was trained on)."""
    predictor = Predictor.from_path(model_path, device)
    card = predictor.card
    sub = split_index(card, split, data_path)
    probs = predict_index(predictor, sub)
    return score(sub.targets, probs, card.threshold_array, card.labels, card.single_label), card
