"""Diagnostic-accuracy statistics with uncertainty: operating points, bootstrap intervals, McNemar, AUC tests.

Intervals are percentile bootstraps over patients (resampled with replacement, seeded), the usual
choice for small cohorts where normal approximations for sensitivity near 1 fail. Paired comparisons
(model vs rule on the same patients) resample the same patients for both.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import stats

METRICS = ("sensitivity", "specificity", "ppv", "npv", "accuracy", "f1")


def _safe(num: float, den: float) -> float:
    return num / den if den else math.nan


def operating_point(y: np.ndarray, positive: np.ndarray) -> dict[str, float]:
    """Sensitivity, specificity, PPV, NPV, accuracy and F1 of a binary decision."""
    y = np.asarray(y, bool)
    p = np.asarray(positive, bool)
    tp, fn = int(np.sum(p & y)), int(np.sum(~p & y))
    fp, tn = int(np.sum(p & ~y)), int(np.sum(~p & ~y))
    return {
        "sensitivity": _safe(tp, tp + fn), "specificity": _safe(tn, tn + fp),
        "ppv": _safe(tp, tp + fp), "npv": _safe(tn, tn + fn),
        "accuracy": _safe(tp + tn, len(y)), "f1": _safe(2 * tp, 2 * tp + fp + fn),
    }


def auc(y: np.ndarray, score: np.ndarray) -> float:
    """ROC AUC as the Mann-Whitney statistic (ties count half); NaN with one class.

    For a binary decision this is (sensitivity + specificity) / 2. Ranks instead of scikit-learn's
    curve construction because the bootstrap calls this thousands of times.
    """
    y = np.asarray(y, bool)
    n_pos = int(y.sum())
    n_neg = len(y) - n_pos
    if not n_pos or not n_neg:
        return math.nan
    ranks = stats.rankdata(np.asarray(score, float))
    return float((ranks[y].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def bootstrap_indices(n: int, n_boot: int, seed: int) -> np.ndarray:
    """``[n_boot, n]`` resampled patient indices; the same array serves every paired comparison."""
    return np.random.default_rng(seed).integers(0, n, size=(n_boot, n))


def _percentile_ci(values: np.ndarray, level: float = 0.95) -> tuple[float, float]:
    values = values[np.isfinite(values)]
    if not len(values):
        return (math.nan, math.nan)
    lo, hi = np.percentile(values, [50 * (1 - level), 50 * (1 + level)])
    return float(lo), float(hi)


@dataclass(frozen=True)
class Estimate:
    value: float
    low: float
    high: float

    def __str__(self) -> str:
        if math.isnan(self.value):
            return "n/a"
        return f"{self.value:.3f} ({self.low:.3f}-{self.high:.3f})"


def binary_summary(y: np.ndarray, positive: np.ndarray, score: np.ndarray | None, boots: np.ndarray) -> dict[str, Estimate]:
    """Every metric of :data:`METRICS` plus ``auc`` with 95 % bootstrap intervals.

    ``score`` (continuous, higher = more likely PE) gives the AUC; without it the decision itself does.
    """
    y = np.asarray(y, bool)
    positive = np.asarray(positive, bool)
    score = positive.astype(float) if score is None else np.asarray(score, float)
    point = operating_point(y, positive)
    samples = {m: np.empty(len(boots)) for m in (*METRICS, "auc")}
    for b, idx in enumerate(boots):
        op = operating_point(y[idx], positive[idx])
        for m in METRICS:
            samples[m][b] = op[m]
        samples["auc"][b] = auc(y[idx], score[idx])
    out = {m: Estimate(point[m], *_percentile_ci(samples[m])) for m in METRICS}
    out["auc"] = Estimate(auc(y, score), *_percentile_ci(samples["auc"]))
    return out


@dataclass(frozen=True)
class McNemar:
    b: int  # first test right, second wrong
    c: int  # first wrong, second right
    p_value: float
    method: str


def mcnemar(y: np.ndarray, first: np.ndarray, second: np.ndarray) -> McNemar:
    """McNemar's test on the two decisions' correctness; exact binomial when discordant pairs < 25."""
    y = np.asarray(y, bool)
    ok1 = np.asarray(first, bool) == y
    ok2 = np.asarray(second, bool) == y
    b, c = int(np.sum(ok1 & ~ok2)), int(np.sum(~ok1 & ok2))
    if b + c == 0:
        return McNemar(b, c, 1.0, "no discordant pairs")
    if b + c < 25:
        return McNemar(b, c, float(stats.binomtest(b, b + c, 0.5).pvalue), "exact binomial")
    chi2 = (abs(b - c) - 1) ** 2 / (b + c)
    return McNemar(b, c, float(stats.chi2.sf(chi2, 1)), "chi-square, continuity-corrected")


@dataclass(frozen=True)
class AucDifference:
    difference: float
    low: float
    high: float
    p_value: float


def auc_difference(y: np.ndarray, score_a: np.ndarray, score_b: np.ndarray, boots: np.ndarray) -> AucDifference:
    """Paired bootstrap of AUC(a) - AUC(b): interval and two-sided p-value (share of resamples crossing 0)."""
    y = np.asarray(y, bool)
    a, b = np.asarray(score_a, float), np.asarray(score_b, float)
    diffs = np.array([auc(y[i], a[i]) - auc(y[i], b[i]) for i in boots])
    diffs = diffs[np.isfinite(diffs)]
    point = auc(y, a) - auc(y, b)
    if not len(diffs):
        return AucDifference(point, math.nan, math.nan, math.nan)
    p = 2 * min(np.mean(diffs <= 0), np.mean(diffs >= 0))
    lo, hi = _percentile_ci(diffs)
    return AucDifference(float(point), lo, hi, float(min(1.0, p)))


def threshold_for_sensitivity(y: np.ndarray, prob: np.ndarray, sensitivity: float) -> float:
    """The highest threshold whose sensitivity (prob >= t) is at least ``sensitivity``."""
    y = np.asarray(y, bool)
    prob = np.asarray(prob, float)
    for t in np.unique(prob)[::-1]:
        if np.mean(prob[y] >= t) >= sensitivity - 1e-12:
            return float(t)
    return float(prob.min())
