"""Per-class decision thresholds that maximise F1, chosen on the validation split only.

Paper 001 found that optimal thresholds differ per class and correlate with class prevalence, so a
fixed 0.5 wastes performance on imbalanced labels. Choosing them on the test split would leak the test
labels into the model; :func:`f1_optimal_thresholds` is only ever called on validation outputs, and
the chosen thresholds are stored in the model card and reused unchanged on test and new records.
"""

from __future__ import annotations

import numpy as np
from sklearn.metrics import precision_recall_curve

DEFAULT_THRESHOLD = 0.5


def f1_optimal_thresholds(y_true: np.ndarray, probs: np.ndarray, classes: tuple[str, ...] | list[str] | None = None,
                          default: float = DEFAULT_THRESHOLD) -> tuple[np.ndarray, list[str]]:
    """For each class, the score ``t`` for which ``probs >= t`` has the highest F1 on these records.

    Returns ``(thresholds [classes], notes)``. A class without positives (or without negatives) here has
    no F1-optimal threshold; it keeps ``default`` and a note says so. Records whose target is ``nan``
    (unlabelled by their source) are left out of that class.
    """
    known = np.isfinite(np.asarray(y_true, dtype=np.float64))
    y_true = np.nan_to_num(np.asarray(y_true, dtype=np.float64)) > 0.5
    probs = np.asarray(probs, dtype=np.float64)
    names = list(classes) if classes is not None else [str(c) for c in range(y_true.shape[1])]
    thresholds = np.full(y_true.shape[1], default, dtype=np.float64)
    notes = []
    for c in range(y_true.shape[1]):
        yc, pc = y_true[known[:, c], c], probs[known[:, c], c]
        n_pos = int(yc.sum())
        if n_pos == 0 or n_pos == len(yc):
            kind = "positives" if n_pos == 0 else "negatives"
            notes.append(f"threshold for {names[c]}: no {kind} in the validation split; kept {default}")
            continue
        precision, recall, cuts = precision_recall_curve(yc, pc)
        # The curve's last point (precision 1, recall 0) has no threshold of its own.
        precision, recall = precision[:-1], recall[:-1]
        denom = precision + recall
        f1 = np.divide(2 * precision * recall, denom, out=np.zeros_like(denom), where=denom > 0)
        thresholds[c] = float(cuts[int(np.argmax(f1))])
    return thresholds, notes


def apply_thresholds(probs: np.ndarray, thresholds: np.ndarray) -> np.ndarray:
    """Multi-hot decisions ``probs >= thresholds`` (the rule the thresholds were chosen for)."""
    return (np.asarray(probs) >= np.asarray(thresholds)[None, :]).astype(np.int8)
