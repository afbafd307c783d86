"""Inter-reader agreement of a reading study: plain numpy, no Qt, no database (the study store feeds it).

Record labels are scored per label as present/absent, one column per reader:

- Cohen's kappa for each pair of readers, with the large-sample standard error of Fleiss, Cohen &
  Everitt (1969), so the 95 % interval is kappa ± 1.96·SE (clipped to [-1, 1]);
- Fleiss' kappa over all readers (Fleiss 1971), with a 95 % percentile bootstrap interval over records
  (records are what a study samples; a fixed seed makes the interval reproducible);
- prevalence (share of positive readings) and the list of records on which the readers disagree.

A label nobody (or everybody) marks has no chance-corrected agreement: kappa is NaN there, reported as
such rather than as a perfect 1.

Interval marks agree when they overlap: two readers' marks of one label on one record match when their
intersection over union is at least ``min_iou`` (one-to-one, best overlaps first; a mark on all leads
matches one on any lead); a pair's agreement is the Dice score 2·matches / (marks of A + marks of B).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

Z95 = 1.959963984540054
BOOTSTRAP_REPLICATES = 1000


@dataclass(frozen=True)
class Kappa:
    value: float
    low: float
    high: float
    n: int

    def text(self) -> str:
        if math.isnan(self.value):
            return "n/a (no variation)"
        return f"{self.value:.2f} ({self.low:.2f} to {self.high:.2f})"


@dataclass(frozen=True)
class Disagreement:
    record_key: str
    label: str
    readings: dict[str, bool]  # reader -> present


@dataclass
class LabelAgreement:
    label: str
    n_records: int
    prevalence: float
    fleiss: Kappa
    pairs: dict[tuple[str, str], Kappa] = field(default_factory=dict)
    disagreements: list[Disagreement] = field(default_factory=list)


@dataclass(frozen=True)
class IntervalAgreement:
    label: str
    pairs: dict[tuple[str, str], float]  # Dice score per reader pair (NaN: neither marked it)
    marks: dict[str, int]  # marks per reader


def cohen_kappa(a: np.ndarray, b: np.ndarray) -> Kappa:
    """Cohen's kappa of two readers' 0/1 readings of the same records, with its 95 % interval."""
    a, b = np.asarray(a, dtype=bool), np.asarray(b, dtype=bool)
    n = a.size
    if n == 0:
        return Kappa(math.nan, math.nan, math.nan, 0)
    table = np.array([[np.sum(a & b), np.sum(a & ~b)], [np.sum(~a & b), np.sum(~a & ~b)]], dtype=float) / n
    rows, cols = table.sum(axis=1), table.sum(axis=0)
    po, pe = float(np.trace(table)), float(rows @ cols)
    if pe >= 1.0:
        return Kappa(math.nan, math.nan, math.nan, n)
    kappa = (po - pe) / (1.0 - pe)
    # Fleiss, Cohen & Everitt (1969): the variance of kappa when it is not zero
    diagonal = sum(table[i, i] * (1 - (rows[i] + cols[i]) * (1 - kappa)) ** 2 for i in range(2))
    off = sum(table[i, j] * (cols[i] + rows[j]) ** 2 for i in range(2) for j in range(2) if i != j)
    variance = (diagonal + (1 - kappa) ** 2 * off - (kappa - pe * (1 - kappa)) ** 2) / (n * (1 - pe) ** 2)
    se = math.sqrt(max(variance, 0.0))
    return Kappa(kappa, max(-1.0, kappa - Z95 * se), min(1.0, kappa + Z95 * se), n)


def _fleiss_from_counts(positive: np.ndarray, m: int) -> np.ndarray:
    """Fleiss' kappa for binary readings; ``positive`` holds per-record positive counts (last axis: records)."""
    negative = m - positive
    agreement = (positive * (positive - 1) + negative * (negative - 1)) / (m * (m - 1))
    p_bar = agreement.mean(axis=-1)
    p = positive.mean(axis=-1) / m
    pe = p ** 2 + (1 - p) ** 2
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(pe < 1.0, (p_bar - pe) / (1.0 - pe), np.nan)


def fleiss_kappa(ratings: np.ndarray, seed: int = 0, replicates: int = BOOTSTRAP_REPLICATES) -> Kappa:
    """Fleiss' kappa of 0/1 ``ratings`` (records x readers), with a bootstrap 95 % interval over records."""
    ratings = np.asarray(ratings, dtype=bool)
    n, m = ratings.shape
    if n == 0 or m < 2:
        return Kappa(math.nan, math.nan, math.nan, n)
    positive = ratings.sum(axis=1).astype(float)
    value = float(_fleiss_from_counts(positive, m))
    if math.isnan(value):
        return Kappa(math.nan, math.nan, math.nan, n)
    rng = np.random.default_rng(seed)
    resampled = _fleiss_from_counts(positive[rng.integers(0, n, size=(replicates, n))], m)
    resampled = resampled[~np.isnan(resampled)]
    low, high = (np.percentile(resampled, [2.5, 97.5]) if resampled.size else (math.nan, math.nan))
    return Kappa(value, float(low), float(high), n)


def label_agreement(label: str, record_keys: Sequence[str], readers: Sequence[str], ratings: np.ndarray,
                    seed: int = 0) -> LabelAgreement:
    """Every statistic of one label: ``ratings[i, j]`` is reader ``j``'s reading of record ``i``."""
    ratings = np.asarray(ratings, dtype=bool)
    pairs = {(readers[i], readers[j]): cohen_kappa(ratings[:, i], ratings[:, j])
             for i, j in itertools.combinations(range(len(readers)), 2)}
    split = np.flatnonzero(ratings.any(axis=1) & ~ratings.all(axis=1))
    disagreements = [Disagreement(record_keys[i], label, {r: bool(ratings[i, j]) for j, r in enumerate(readers)})
                     for i in split]
    prevalence = float(ratings.mean()) if ratings.size else math.nan
    return LabelAgreement(label, len(record_keys), prevalence, fleiss_kappa(ratings, seed), pairs, disagreements)


def study_agreement(record_keys: Sequence[str], readers: Sequence[str], labels: Sequence[str],
                    positives: set[tuple[str, str, str]], seed: int = 0) -> list[LabelAgreement]:
    """Agreement per label; ``positives`` holds (record_key, reader, label) of every present reading."""
    row = {key: i for i, key in enumerate(record_keys)}
    column = {reader: j for j, reader in enumerate(readers)}
    cube = np.zeros((len(labels), len(record_keys), len(readers)), dtype=bool)
    index = {label: k for k, label in enumerate(labels)}
    for key, reader, label in positives:
        if key in row and reader in column and label in index:
            cube[index[label], row[key], column[reader]] = True
    return [label_agreement(label, record_keys, readers, cube[k], seed) for k, label in enumerate(labels)]


def _iou(a: tuple[float, float], b: tuple[float, float]) -> float:
    inter = max(0.0, min(a[1], b[1]) - max(a[0], b[0]))
    union = max(a[1], b[1]) - min(a[0], b[0])
    return inter / union if union > 0 else 0.0


def matched_marks(a: Sequence[tuple[str | None, float, float]], b: Sequence[tuple[str | None, float, float]],
                  min_iou: float = 0.5) -> int:
    """How many of ``a``'s marks (lead, t0, t1) pair one-to-one with ``b``'s at IoU >= ``min_iou``."""
    candidates = sorted(((_iou((x[1], x[2]), (y[1], y[2])), i, j) for i, x in enumerate(a) for j, y in enumerate(b)
                         if x[0] is None or y[0] is None or x[0] == y[0]), reverse=True)
    used_a, used_b, matches = set(), set(), 0
    for iou, i, j in candidates:
        if iou < min_iou:
            break
        if i not in used_a and j not in used_b:
            used_a.add(i), used_b.add(j)
            matches += 1
    return matches


def interval_agreement(label: str, readers: Sequence[str],
                       marks: dict[tuple[str, str], list[tuple[str | None, float, float]]],
                       min_iou: float = 0.5) -> IntervalAgreement:
    """Overlap agreement of one interval label; ``marks[(record_key, reader)]`` lists that reader's marks."""
    records = {key for key, _reader in marks}
    pairs = {}
    for x, y in itertools.combinations(readers, 2):
        matched = total = 0
        for key in records:
            a, b = marks.get((key, x), []), marks.get((key, y), [])
            matched += matched_marks(a, b, min_iou)
            total += len(a) + len(b)
        pairs[(x, y)] = 2 * matched / total if total else math.nan
    counts = {r: sum(len(v) for (key, reader), v in marks.items() if reader == r) for r in readers}
    return IntervalAgreement(label, pairs, counts)
