"""A non-deep baseline: logistic regression on simple per-lead statistics.

It tells how much the deep models add over amplitude and shape statistics a clinician could name (lead
voltages relate to hypertrophy, for example). Signals are band-passed but *not* normalised, so amplitudes
survive. The regularisation strength is chosen on the validation split, thresholds too; test is scored once.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
from scipy.stats import kurtosis, skew
from sklearn.linear_model import LogisticRegression
from sklearn.multiclass import OneVsRestClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from training.data.dataset import ECGDataset
from training.data.datasets import DatasetIndex
from training.fit.run import scored
from training.metrics import Scores, score
from training.signal.pipeline import Pipeline
from training.thresholds import f1_optimal_thresholds

PERCENTILES = (1, 5, 25, 50, 75, 95, 99)
C_GRID = (0.003, 0.01, 0.03, 0.1, 0.3, 1.0)


def lead_statistics(x: np.ndarray) -> np.ndarray:
    """Per lead: std, range, percentiles, skewness, kurtosis, mean |slope|, slope std, zero-crossing rate."""
    diff = np.diff(x, axis=1)
    centred = x - x.mean(axis=1, keepdims=True)
    crossings = np.mean(np.signbit(centred[:, 1:]) != np.signbit(centred[:, :-1]), axis=1)
    parts = [x.std(axis=1), np.ptp(x, axis=1), *np.percentile(x, PERCENTILES, axis=1),
             skew(x, axis=1), kurtosis(x, axis=1), np.abs(diff).mean(axis=1), diff.std(axis=1), crossings]
    return np.nan_to_num(np.stack(parts, axis=1).ravel())


def feature_matrix(dataset: ECGDataset) -> np.ndarray:
    return np.stack([lead_statistics(dataset[i][0].numpy()) for i in range(len(dataset))])


@dataclass
class BaselineResult:
    C: float
    val: Scores
    test: Scores
    seconds: float
    n_features: int
    test_probs: np.ndarray  # fold-10 probabilities, for paired comparisons with other models


def fit_baseline(index: DatasetIndex, pipeline: Pipeline, length: int, seed: int = 0) -> BaselineResult:
    """Fit on train for each C of :data:`C_GRID`, keep the best validation macro AUROC, score test once."""
    started = time.perf_counter()
    splits = {s: index.subset(s) for s in ("train", "val", "test")}
    X = {s: feature_matrix(ECGDataset(sub, pipeline, length, train=False)) for s, sub in splits.items()}
    y = {s: sub.targets for s, sub in splits.items()}
    best = None
    for C in C_GRID:
        clf = _classifier(C, seed).fit(X["train"], y["train"])
        auroc = score(y["val"], clf.predict_proba(X["val"])).summary["auroc_macro"]
        if best is None or auroc > best[0]:
            best = (auroc, C, clf)
    _, C, clf = best
    val_probs = clf.predict_proba(X["val"])
    thresholds, notes = f1_optimal_thresholds(y["val"], val_probs, index.label_set.classes)
    val = score(y["val"], val_probs, thresholds, index.label_set)
    val.notes.extend(notes)
    test_probs = clf.predict_proba(X["test"])
    test = scored(y["test"], test_probs, thresholds, index.label_set, single_label=False)  # with intervals
    return BaselineResult(C, val, test, time.perf_counter() - started, X["train"].shape[1], test_probs)


def _classifier(C: float, seed: int):
    logistic = LogisticRegression(C=C, class_weight="balanced", max_iter=5000, random_state=seed)
    return make_pipeline(StandardScaler(), OneVsRestClassifier(logistic))
