"""Classification metrics for multi-label ECG tasks, with undefined values kept honest.

A class with no positives (or no negatives) in a split has no AUROC, no average precision and no
sensitivity (or specificity): those come back as ``nan`` with a note, and macro averages are taken over
the classes where the metric is defined. scikit-learn computes everything it can; the G-mean (paper 000,
eq. 2) and the PhysioNet/CinC 2021 challenge score (paper 003) are computed here.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass, field
from functools import cache
from importlib import resources

import numpy as np
from sklearn.metrics import accuracy_score, average_precision_score, f1_score, roc_auc_score

from training.data.labels import LabelSet
from training.intervals import (N_BOOT, Interval, bootstrap_indices, percentile_interval, resample_weights,
                                weighted_auroc, weighted_average_precision)
from training.thresholds import DEFAULT_THRESHOLD, apply_thresholds

#: Sinus rhythm: the challenge's "inactive" reference output is this class alone.
CHALLENGE_NORMAL_CODE = "426783006"

#: Summary metrics where larger is better; a validation metric named here is maximised, others minimised.
HIGHER_IS_BETTER = frozenset({
    "accuracy", "subset_accuracy", "f1_macro", "f1_weighted", "map", "auroc_macro", "gmean", "challenge_score",
})


@dataclass
class Scores:
    """Summary metrics, per-class metrics, notes about anything left undefined, and optional intervals.

    ``intervals`` maps a summary metric (and ``auroc:<class>``) to ``{"value", "low", "high"}``: the
    95 % record-level bootstrap interval of :func:`score_intervals`.
    """

    summary: dict[str, float]
    per_class: dict[str, dict[str, float]]
    notes: list[str] = field(default_factory=list)
    intervals: dict[str, dict[str, float | None]] = field(default_factory=dict)

    def to_dict(self) -> dict:
        """JSON-safe: ``nan`` becomes ``None`` (JSON has no NaN)."""
        out = {"summary": _json_safe(self.summary), "per_class": _json_safe(self.per_class), "notes": list(self.notes)}
        if self.intervals:
            out["intervals"] = dict(self.intervals)
        return out

    @classmethod
    def from_dict(cls, data: dict) -> "Scores":
        def back(d: dict) -> dict:
            return {k: (back(v) if isinstance(v, dict) else (math.nan if v is None else v)) for k, v in d.items()}
        return cls(back(data["summary"]), back(data["per_class"]), list(data.get("notes", [])),
                   dict(data.get("intervals", {})))


def _json_safe(d: dict) -> dict:
    return {k: (_json_safe(v) if isinstance(v, dict) else (None if isinstance(v, float) and math.isnan(v) else v))
            for k, v in d.items()}


def _nanmean(values: list[float]) -> float:
    finite = [v for v in values if not math.isnan(v)]
    return float(np.mean(finite)) if finite else math.nan


def score(y_true: np.ndarray, probs: np.ndarray, thresholds: np.ndarray | None = None,
          label_set: LabelSet | None = None, single_label: bool = False) -> Scores:
    """Every metric of a split from targets ``[records, classes]`` and probabilities of the same shape.

    Decisions are ``probs >= thresholds`` (default 0.5), or the arg-max class when ``single_label``.
    ``label_set`` names the classes and enables the challenge score where its classes have weights.
    A ``nan`` target (the record's source cannot label that class) leaves that record out of that
    class's metrics, and out of the label-wise accuracy; subset accuracy and the challenge score need
    every class labelled and are ``nan`` (with a note) when some target is.
    """
    known = np.isfinite(np.asarray(y_true, dtype=np.float64))
    y = (np.nan_to_num(np.asarray(y_true, dtype=np.float64)) > 0.5).astype(np.int8)
    p = np.asarray(probs, dtype=np.float64)
    if y.shape != p.shape or y.ndim != 2:
        raise ValueError(f"targets {y.shape} and probabilities {p.shape} must both be [records, classes]")
    n_classes = y.shape[1]
    names = list(label_set.classes) if label_set is not None else [str(c) for c in range(n_classes)]
    if single_label:
        pred = np.eye(n_classes, dtype=np.int8)[p.argmax(axis=1)]
    else:
        cut = np.full(n_classes, DEFAULT_THRESHOLD) if thresholds is None else np.asarray(thresholds, dtype=np.float64)
        pred = apply_thresholds(p, cut)

    notes: list[str] = []
    partial = not known.all()
    per_class: dict[str, dict[str, float]] = {}
    for c, name in enumerate(names):
        k = known[:, c]
        yc, pc, dc = y[k, c], p[k, c], pred[k, c]
        pos, neg = int(yc.sum()), int(len(yc) - yc.sum())
        tp = int(np.sum((dc == 1) & (yc == 1)))
        tn = int(np.sum((dc == 0) & (yc == 0)))
        fp = neg - tn
        sens = tp / pos if pos else math.nan
        spec = tn / neg if neg else math.nan
        both = pos > 0 and neg > 0
        if not both:
            notes.append(f"{name}: {'no positives' if pos == 0 else 'no negatives'} in this split; "
                         "AUROC and AP (and sensitivity or specificity) are undefined and left out of the averages")
        per_class[name] = {
            "positives": pos,
            "auroc": float(roc_auc_score(yc, pc)) if both else math.nan,
            "ap": float(average_precision_score(yc, pc)) if pos else math.nan,
            "f1": 2 * tp / (2 * tp + fp + pos - tp) if 2 * tp + fp + pos - tp else math.nan,
            "sensitivity": sens,
            "specificity": spec,
            "gmean": math.sqrt(sens * spec) if both else math.nan,
        }

    if partial:
        notes.append(f"{int((~known).sum())} targets unlabelled by their source: left out of their class's "
                     "metrics; subset accuracy and the challenge score need every class and are undefined")
    summary = {
        "accuracy": float(np.mean((pred == y)[known])) if known.any() else math.nan,
        "subset_accuracy": math.nan if partial else float(accuracy_score(y, pred)),
        "f1_macro": _nanmean([m["f1"] for m in per_class.values()]),
        "f1_weighted": (math.nan if partial else
                        float(f1_score(y, pred, average="weighted", zero_division=0.0)) if y.any() else math.nan),
        "map": _nanmean([m["ap"] for m in per_class.values()]),
        "auroc_macro": _nanmean([m["auroc"] for m in per_class.values()]),
        "gmean": _nanmean([m["gmean"] for m in per_class.values()]),
    }
    if label_set is not None and partial:
        summary["challenge_score"] = math.nan
    elif label_set is not None:
        summary["challenge_score"], challenge_note = challenge_score(y, pred, label_set)
        if challenge_note:
            notes.append(challenge_note)
    return Scores(summary, per_class, notes)


@cache
def challenge_weights() -> tuple[tuple[frozenset[str], ...], np.ndarray]:
    """The challenge's classes (each a set of equivalent SNOMED codes) and their reward matrix."""
    path = resources.files("training.data") / "label_maps" / "weights.csv"
    with path.open(encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    columns = tuple(frozenset(code.strip() for code in col.split("|")) for col in rows[0][1:])
    weights = np.array([[float(v) for v in row[1:]] for row in rows[1:] if row], dtype=np.float64)
    return columns, weights


def _challenge_columns(label_set: LabelSet) -> list[int | None]:
    """For each class of ``label_set``, its column in ``weights.csv`` (by class id or alias codes), or None."""
    columns, _ = challenge_weights()
    out: list[int | None] = []
    for cls in label_set.classes:
        codes = set(cls.split("|")) | {code for code, target in label_set.aliases.items() if target == cls}
        out.append(next((j for j, col in enumerate(columns) if col & codes), None))
    return out


def challenge_score(y_true: np.ndarray, y_pred: np.ndarray, label_set: LabelSet) -> tuple[float, str | None]:
    """PhysioNet/CinC 2021 challenge score (1 = perfect, 0 = always answering sinus rhythm).

    Each record spreads one unit of credit over the pairs (true class, predicted class), divided by the
    number of classes that are true or predicted; the credit is weighted by ``weights.csv`` (partial
    credit for clinically close mistakes) and normalised between the "sinus rhythm only" output and a
    perfect one. Classes of ``label_set`` without a challenge weight are left out, with a note; without a
    sinus-rhythm class the score is undefined (``nan``). Where a perfect output scores no better than
    "sinus rhythm only" (every record is sinus rhythm alone) the score is 0.0, as in the official code.
    """
    columns = _challenge_columns(label_set)
    keep = [c for c, j in enumerate(columns) if j is not None]
    missing = [label_set.classes[c] for c, j in enumerate(columns) if j is None]
    all_columns, all_weights = challenge_weights()
    normal = [c for c in keep if CHALLENGE_NORMAL_CODE in all_columns[columns[c]]]
    if not normal:
        return math.nan, (f"challenge score undefined: label set {label_set.name!r} has no class matching the "
                          f"challenge's sinus rhythm ({CHALLENGE_NORMAL_CODE})")
    idx = [columns[c] for c in keep]
    weights = all_weights[np.ix_(idx, idx)]
    labels = np.asarray(y_true)[:, keep] > 0
    outputs = np.asarray(y_pred)[:, keep] > 0
    inactive = np.zeros_like(labels)
    inactive[:, keep.index(normal[0])] = True
    observed, correct, baseline = (float(np.sum(weights * _credit_matrix(labels, out)))
                                   for out in (outputs, labels, inactive))
    note = None
    if missing:
        note = f"challenge score over {len(keep)} classes; no challenge weight for {', '.join(missing)}"
    if correct == baseline:
        # The official evaluation (evaluate_model.py, 2021) returns 0.0 here, not a division by zero.
        return 0.0, ("challenge score 0.0, as the official evaluation gives: a perfect output scores the same "
                     "as 'sinus rhythm only' on this split")
    return (observed - baseline) / (correct - baseline), note


def _credit_matrix(labels: np.ndarray, outputs: np.ndarray) -> np.ndarray:
    """``A[i, j]``: credit for true class ``i`` answered as ``j``, each record normalised by |labels ∪ outputs|."""
    norm = np.maximum(np.sum(labels | outputs, axis=1), 1).astype(np.float64)
    return (labels / norm[:, None]).T.astype(np.float64) @ outputs.astype(np.float64)


#: summary metrics that get a bootstrap interval (the columns of the results tables)
INTERVAL_METRICS = ("auroc_macro", "f1_macro", "map", "gmean", "accuracy")


def weighted_summary(y: np.ndarray, p: np.ndarray, pred: np.ndarray, weights: np.ndarray,
                     known: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """:data:`INTERVAL_METRICS` and per-class AUROC (``auroc:<index>``) for each row of record ``weights``.

    ``weights`` ``[B, records]`` are resample multiplicities (:func:`training.intervals.resample_weights`);
    one row of ones gives the plain metrics. Same definitions as :func:`score`; ``known`` ``[records,
    classes]`` (default: all) leaves the records whose source cannot label a class out of that class.
    """
    out: dict[str, np.ndarray] = {}
    aurocs, aps, f1s, gmeans = [], [], [], []
    known = np.ones(y.shape, bool) if known is None else known
    all_weights = weights
    with np.errstate(invalid="ignore", divide="ignore"):
        for c in range(y.shape[1]):
            yc, dc = y[:, c], pred[:, c]
            weights = all_weights * known[:, c]
            tp, fp = weights @ (dc & yc), weights @ (dc & ~yc)
            pos, neg = weights @ yc, weights @ ~yc
            tn = neg - fp
            auc = weighted_auroc(yc, p[:, c], weights)
            out[f"auroc:{c}"] = auc
            aurocs.append(auc)
            aps.append(weighted_average_precision(yc, p[:, c], weights))
            denom = 2 * tp + fp + (pos - tp)
            f1s.append(np.where(denom > 0, 2 * tp / denom, np.nan))
            gmeans.append(np.where((pos > 0) & (neg > 0), np.sqrt(tp / pos * tn / neg), np.nan))
        for name, values in (("auroc_macro", aurocs), ("f1_macro", f1s), ("map", aps), ("gmean", gmeans)):
            stacked = np.vstack(values)
            finite = np.isfinite(stacked)
            count = finite.sum(0)  # macro averages over the classes where the metric is defined, as in score()
            out[name] = np.where(count > 0, np.where(finite, stacked, 0.0).sum(0) / np.maximum(count, 1), np.nan)
        out["accuracy"] = (all_weights @ ((pred == y) & known).sum(1)) / (all_weights @ known.sum(1))
    return out


def score_intervals(y_true: np.ndarray, probs: np.ndarray, thresholds: np.ndarray | None,
                    classes: tuple[str, ...] | list[str], single_label: bool = False,
                    n_boot: int | None = None, seed: int = 0) -> dict[str, dict[str, float | None]]:
    """95 % record-level bootstrap intervals of the table metrics and of each class's AUROC.

    Keys are the :data:`INTERVAL_METRICS` and ``auroc:<class>``; values ``{"value", "low", "high"}``.
    ``nan`` targets are left out of their class, as in :func:`score`.
    """
    known = np.isfinite(np.asarray(y_true, dtype=np.float64))
    y = np.nan_to_num(np.asarray(y_true, dtype=np.float64)) > 0.5
    p = np.asarray(probs, dtype=np.float64)
    if single_label:
        pred = np.eye(p.shape[1], dtype=bool)[p.argmax(axis=1)]
    else:
        cut = np.full(p.shape[1], DEFAULT_THRESHOLD) if thresholds is None else np.asarray(thresholds, float)
        pred = p >= cut[None, :]
    boots = bootstrap_indices(len(y), N_BOOT if n_boot is None else n_boot, seed)
    samples = weighted_summary(y, p, pred, resample_weights(boots, len(y)), known)
    point = weighted_summary(y, p, pred, np.ones((1, len(y))), known)
    out = {}
    for key, value in point.items():
        interval = Interval(float(value[0]), *percentile_interval(samples[key]))
        name = f"auroc:{classes[int(key.split(':')[1])]}" if key.startswith("auroc:") else key
        out[name] = interval.to_dict()
    return out
