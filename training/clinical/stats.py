"""Diagnostic-accuracy statistics with uncertainty: operating points, exact and bootstrap intervals, McNemar, AUC tests.

* Proportions (sensitivity, specificity, PPV, NPV, accuracy) get the exact Clopper-Pearson interval
  from their counts: a bootstrap degenerates at the extremes (5 of 5 detected resamples to
  "1.000-1.000"; the exact interval is 0.478-1.000).
* F1 and the AUC, which are not proportions, get percentile bootstraps over patients (resampled with
  replacement, seeded). Paired comparisons (model vs rule on the same patients) resample the same
  patients for both.
* AUC differences get DeLong's paired test (:func:`training.intervals.delong_test`) beside the bootstrap.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import stats

from training.intervals import bootstrap_indices, clopper_pearson, delong_test, percentile_interval
from training.intervals import rank_auc as auc

METRICS = ("sensitivity", "specificity", "ppv", "npv", "accuracy", "f1")
#: metrics that are proportions of a count: their interval is exact, not bootstrapped
PROPORTIONS = ("sensitivity", "specificity", "ppv", "npv", "accuracy")

__all__ = ["METRICS", "PROPORTIONS", "AucDifference", "Estimate", "McNemar", "auc", "auc_difference",
           "binary_summary", "bootstrap_indices", "mcnemar", "operating_point", "threshold_for_sensitivity"]


def _safe(num: float, den: float) -> float:
    return num / den if den else math.nan


def _counts(y: np.ndarray, positive: np.ndarray) -> dict[str, tuple[int, int]]:
    """(successes, total) behind each proportion of :data:`PROPORTIONS`."""
    y = np.asarray(y, bool)
    p = np.asarray(positive, bool)
    tp, fn = int(np.sum(p & y)), int(np.sum(~p & y))
    fp, tn = int(np.sum(p & ~y)), int(np.sum(~p & ~y))
    return {"sensitivity": (tp, tp + fn), "specificity": (tn, tn + fp), "ppv": (tp, tp + fp),
            "npv": (tn, tn + fn), "accuracy": (tp + tn, len(y))}


def operating_point(y: np.ndarray, positive: np.ndarray) -> dict[str, float]:
    """Sensitivity, specificity, PPV, NPV, accuracy and F1 of a binary decision."""
    counts = _counts(y, positive)
    out = {m: _safe(*counts[m]) for m in PROPORTIONS}
    tp, n_pos = counts["sensitivity"]
    fp = counts["ppv"][1] - tp
    out["f1"] = _safe(2 * tp, 2 * tp + fp + (n_pos - tp))
    return out


@dataclass(frozen=True)
class Estimate:
    value: float
    low: float
    high: float
    method: str = "bootstrap"  # or "exact" (Clopper-Pearson)

    def __str__(self) -> str:
        if math.isnan(self.value):
            return "n/a"
        return f"{self.value:.3f} ({self.low:.3f}-{self.high:.3f})"


def binary_summary(y: np.ndarray, positive: np.ndarray, score: np.ndarray | None, boots: np.ndarray) -> dict[str, Estimate]:
    """Every metric of :data:`METRICS` plus ``auc`` with 95 % intervals.

    Proportions get exact intervals from their counts; F1 and the AUC get bootstrap intervals over
    ``boots``. ``score`` (continuous, higher = more likely PE) gives the AUC; without it the decision does.
    """
    y = np.asarray(y, bool)
    positive = np.asarray(positive, bool)
    score = positive.astype(float) if score is None else np.asarray(score, float)
    out = {}
    for m, (k, n) in _counts(y, positive).items():
        exact = clopper_pearson(k, n)
        out[m] = Estimate(exact.value, exact.low, exact.high, "exact")
    f1 = np.array([operating_point(y[idx], positive[idx])["f1"] for idx in boots])
    out["f1"] = Estimate(operating_point(y, positive)["f1"], *percentile_interval(f1))
    aucs = np.array([auc(y[idx], score[idx]) for idx in boots])
    out["auc"] = Estimate(auc(y, score), *percentile_interval(aucs))
    return {m: out[m] for m in (*METRICS, "auc")}


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
    """AUC(a) - AUC(b) on the same patients: paired bootstrap interval and p, and DeLong's test beside it."""

    difference: float
    low: float
    high: float
    p_value: float
    delong_low: float = math.nan
    delong_high: float = math.nan
    delong_p: float = math.nan


def auc_difference(y: np.ndarray, score_a: np.ndarray, score_b: np.ndarray, boots: np.ndarray) -> AucDifference:
    """Paired bootstrap of AUC(a) - AUC(b) (interval, two-sided p: share of resamples crossing 0) and DeLong."""
    y = np.asarray(y, bool)
    a, b = np.asarray(score_a, float), np.asarray(score_b, float)
    diffs = np.array([auc(y[i], a[i]) - auc(y[i], b[i]) for i in boots])
    diffs = diffs[np.isfinite(diffs)]
    point = auc(y, a) - auc(y, b)
    delong = delong_test(y, a, b)
    if not len(diffs):
        return AucDifference(point, math.nan, math.nan, math.nan, delong.low, delong.high, delong.p_value)
    p = 2 * min(np.mean(diffs <= 0), np.mean(diffs >= 0))
    lo, hi = percentile_interval(diffs)
    return AucDifference(float(point), lo, hi, float(min(1.0, p)), delong.low, delong.high, delong.p_value)


def threshold_for_sensitivity(y: np.ndarray, prob: np.ndarray, sensitivity: float) -> float:
    """The highest threshold whose sensitivity (prob >= t) is at least ``sensitivity``."""
    y = np.asarray(y, bool)
    prob = np.asarray(prob, float)
    for t in np.unique(prob)[::-1]:
        if np.mean(prob[y] >= t) >= sensitivity - 1e-12:
            return float(t)
    return float(prob.min())
