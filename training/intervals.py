"""Uncertainty of the numbers we report: bootstrap intervals, exact and Wilson intervals, DeLong's AUC test.

* Record-level percentile bootstrap: records are resampled with replacement (seeded); a paired
  comparison resamples the same records for both models, so their correlation is kept.
* Proportions (sensitivity, PPV...) get the Wilson score interval or the exact Clopper-Pearson one: a
  bootstrap of 5 detected out of 5 only ever resamples successes and shows ``1.00-1.00``; the exact
  interval is 0.48-1.00.
* DeLong, DeLong & Clarke-Pearson (1988) give the variance of an AUC, and the covariance of two AUCs
  measured on the same cases, from the placement values of each case; Sun & Xu (2014) compute them with
  mid-ranks. The paired z test needs no resampling.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import numpy as np
from scipy import stats

#: resamples for every bootstrap interval in cards and tables (the cohort view uses its own setting)
N_BOOT = 1000
LEVEL = 0.95


@dataclass(frozen=True)
class Interval:
    """A point estimate with its interval; ``nan`` where undefined."""

    value: float
    low: float
    high: float

    def to_dict(self) -> dict[str, float | None]:
        return {k: (None if math.isnan(v) else float(v)) for k, v in
                (("value", self.value), ("low", self.low), ("high", self.high))}

    def __str__(self) -> str:
        if math.isnan(self.value):
            return "n/a"
        if math.isnan(self.low):
            return f"{self.value:.3f}"
        return f"{self.value:.3f} ({self.low:.3f}-{self.high:.3f})"


def bootstrap_indices(n: int, n_boot: int = N_BOOT, seed: int = 0) -> np.ndarray:
    """``[n_boot, n]`` resampled record indices; pass the same array to every paired comparison."""
    return np.random.default_rng(seed).integers(0, n, size=(n_boot, n))


def resample_weights(boots: np.ndarray, n: int | None = None) -> np.ndarray:
    """``[n_boot, n]`` multiplicities of each record in each resample of ``boots`` (same resamples, as counts).

    Metrics written as weighted sums over records then bootstrap as matrix products, without a Python
    loop over resamples.
    """
    n = boots.shape[1] if n is None else n
    weights = np.zeros((len(boots), n))
    np.add.at(weights, (np.repeat(np.arange(len(boots)), boots.shape[1]), boots.ravel()), 1.0)
    return weights


def weighted_auroc(y: np.ndarray, score: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Mann-Whitney AUROC (ties half) of each row of record ``weights`` ``[B, n]``; ``nan`` without both classes."""
    y = np.asarray(y, bool)
    _, group = np.unique(np.asarray(score, float), return_inverse=True)
    onehot = np.zeros((len(group), group.max() + 1 if len(group) else 0))
    onehot[np.arange(len(group)), group] = 1.0
    pos, neg = (weights * y) @ onehot, (weights * ~y) @ onehot
    below = np.cumsum(neg, axis=1) - neg
    num = np.sum(pos * (below + 0.5 * neg), axis=1)
    den = pos.sum(1) * neg.sum(1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, num / den, np.nan)


def weighted_average_precision(y: np.ndarray, score: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Average precision (scikit-learn's step definition, ties grouped) of each row of ``weights``."""
    y = np.asarray(y, bool)
    _, group = np.unique(-np.asarray(score, float), return_inverse=True)  # descending scores
    onehot = np.zeros((len(group), group.max() + 1 if len(group) else 0))
    onehot[np.arange(len(group)), group] = 1.0
    pos, total = (weights * y) @ onehot, weights @ onehot
    with np.errstate(invalid="ignore", divide="ignore"):
        precision = np.cumsum(pos, axis=1) / np.cumsum(total, axis=1)
        n_pos = pos.sum(1)
        return np.where(n_pos > 0, np.nansum(pos * precision, axis=1) / n_pos, np.nan)


def percentile_interval(samples: np.ndarray, level: float = LEVEL) -> tuple[float, float]:
    """The central ``level`` share of the finite bootstrap samples (``nan`` when none is finite)."""
    samples = np.asarray(samples, float)
    samples = samples[np.isfinite(samples)]
    if not len(samples):
        return math.nan, math.nan
    lo, hi = np.percentile(samples, [50 * (1 - level), 50 * (1 + level)])
    return float(lo), float(hi)


def bootstrap(statistic: Callable[[np.ndarray], float], boots: np.ndarray, n: int | None = None) -> Interval:
    """``statistic(indices)`` on all records and on every resample of ``boots``."""
    n = boots.shape[1] if n is None else n
    point = float(statistic(np.arange(n)))
    samples = np.array([statistic(idx) for idx in boots], float)
    return Interval(point, *percentile_interval(samples))


def paired_difference(statistic_a: Callable[[np.ndarray], float], statistic_b: Callable[[np.ndarray], float],
                      boots: np.ndarray) -> Interval:
    """Interval of ``a - b`` where both are computed on the same resampled records."""
    return bootstrap(lambda idx: statistic_a(idx) - statistic_b(idx), boots)


def wilson(successes: int, total: int, level: float = LEVEL) -> Interval:
    """Wilson score interval of a proportion; good coverage at small ``total`` and near 0 or 1."""
    if total <= 0:
        return Interval(math.nan, math.nan, math.nan)
    p = successes / total
    z = float(stats.norm.ppf(0.5 + level / 2))
    denom = 1 + z * z / total
    centre = (p + z * z / (2 * total)) / denom
    half = z * math.sqrt(p * (1 - p) / total + z * z / (4 * total * total)) / denom
    return Interval(p, max(0.0, centre - half), min(1.0, centre + half))


def clopper_pearson(successes: int, total: int, level: float = LEVEL) -> Interval:
    """Exact (Clopper-Pearson) interval from beta quantiles; never narrower than it should be."""
    if total <= 0:
        return Interval(math.nan, math.nan, math.nan)
    alpha = 1 - level
    low = 0.0 if successes == 0 else float(stats.beta.ppf(alpha / 2, successes, total - successes + 1))
    high = 1.0 if successes == total else float(stats.beta.ppf(1 - alpha / 2, successes + 1, total - successes))
    return Interval(successes / total, low, high)


def rank_auc(y: np.ndarray, score: np.ndarray) -> float:
    """ROC AUC as the Mann-Whitney statistic (ties count half); ``nan`` with one class.

    For a binary decision this is (sensitivity + specificity) / 2. Ranks instead of scikit-learn's
    curve construction because bootstraps call this thousands of times.
    """
    y = np.asarray(y, bool)
    n_pos = int(y.sum())
    n_neg = len(y) - n_pos
    if not n_pos or not n_neg:
        return math.nan
    ranks = stats.rankdata(np.asarray(score, float))
    return float((ranks[y].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


# ---------------------------------------------------------------------------------------------- DeLong
def _placements(y: np.ndarray, score: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
    """AUC and the placement values of positives (V10) and negatives (V01), ties counted half."""
    pos, neg = score[y], score[~y]
    m, n = len(pos), len(neg)
    all_ranks = stats.rankdata(np.concatenate([pos, neg]))
    pos_ranks, neg_ranks = stats.rankdata(pos), stats.rankdata(neg)
    v10 = (all_ranks[:m] - pos_ranks) / n          # share of negatives below each positive
    v01 = 1.0 - (all_ranks[m:] - neg_ranks) / m    # share of positives above each negative
    return float(v10.mean()), v10, v01


@dataclass(frozen=True)
class DeLong:
    """DeLong's paired test of two AUCs on the same cases."""

    auc_a: float
    auc_b: float
    difference: float
    se: float
    z: float
    p_value: float
    low: float   # 95 % interval of the difference (normal approximation)
    high: float


def delong_variance(y: np.ndarray, score: np.ndarray) -> tuple[float, float]:
    """``(AUC, variance)`` of one AUC by DeLong's structural components."""
    y = np.asarray(y, bool)
    if y.all() or not y.any():
        return math.nan, math.nan
    auc, v10, v01 = _placements(y, np.asarray(score, float))
    return auc, float(np.var(v10, ddof=1) / len(v10) + np.var(v01, ddof=1) / len(v01))


def delong_test(y: np.ndarray, score_a: np.ndarray, score_b: np.ndarray, level: float = LEVEL) -> DeLong:
    """Two-sided z test of AUC(a) = AUC(b) with DeLong's covariance of the two AUCs."""
    y = np.asarray(y, bool)
    if y.all() or not y.any():
        nan = math.nan
        return DeLong(nan, nan, nan, nan, nan, nan, nan, nan)
    auc_a, a10, a01 = _placements(y, np.asarray(score_a, float))
    auc_b, b10, b01 = _placements(y, np.asarray(score_b, float))
    s10 = np.cov(np.vstack([a10, b10]), ddof=1) if len(a10) > 1 else np.zeros((2, 2))
    s01 = np.cov(np.vstack([a01, b01]), ddof=1) if len(a01) > 1 else np.zeros((2, 2))
    cov = s10 / len(a10) + s01 / len(a01)
    var = float(cov[0, 0] + cov[1, 1] - 2 * cov[0, 1])
    diff = auc_a - auc_b
    se = math.sqrt(max(var, 0.0))
    if se == 0:
        z, p = (0.0, 1.0) if diff == 0 else (math.copysign(math.inf, diff), 0.0)
    else:
        z = diff / se
        p = float(2 * stats.norm.sf(abs(z)))
    half = float(stats.norm.ppf(0.5 + level / 2)) * se
    return DeLong(auc_a, auc_b, diff, se, z, p, diff - half, diff + half)
