"""Intervals and tests behind every reported number: exact/Wilson proportions, DeLong, bootstrap, challenge 0.0."""

from __future__ import annotations

import numpy as np
import pytest

from training.clinical.stats import auc_difference, binary_summary
from training.data.labels import get_label_set
from training.intervals import (bootstrap_indices, clopper_pearson, delong_test, delong_variance, paired_difference,
                                rank_auc, wilson)
from training.metrics import challenge_score, score, score_intervals


def test_exact_and_wilson_intervals_match_published_values():
    # 5 of 5: exact 0.478-1.000 (the example); Wilson 0.566-1.000 (Newcombe 1998, table I style)
    exact = clopper_pearson(5, 5)
    assert (exact.low, exact.high) == (pytest.approx(0.4782, abs=1e-4), 1.0)
    assert wilson(5, 5).low == pytest.approx(0.5655, abs=1e-4)
    # 0 of 10: exact upper bound 1 - 0.025 ** (1/10) = 0.3085; Wilson 0.2775
    assert clopper_pearson(0, 10).high == pytest.approx(1 - 0.025 ** 0.1, abs=1e-6)
    assert wilson(0, 10).high == pytest.approx(0.2775, abs=1e-4)
    # 81 of 263 (Newcombe 1998, example: Wilson 0.2553-0.3662)
    w = wilson(81, 263)
    assert (w.low, w.high) == (pytest.approx(0.2553, abs=1e-4), pytest.approx(0.3662, abs=1e-4))


def test_cohort_sensitivity_of_5_of_5_is_not_a_degenerate_bootstrap():
    y = np.array([1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0], bool)
    positive = y.copy()
    positive[5] = True  # one false positive
    out = binary_summary(y, positive, None, bootstrap_indices(len(y), 500, 0))
    sens = out["sensitivity"]
    assert (sens.value, sens.high) == (1.0, 1.0) and sens.low == pytest.approx(0.478, abs=1e-3)
    assert sens.method == "exact" and str(sens) == "1.000 (0.478-1.000)"
    assert out["f1"].method == "bootstrap"


def test_delong_reproduces_hanley_mcneil_ct_example():
    """Hanley & McNeil (1982), table 1: 58 normal and 51 abnormal CT images rated 1-5; published AUC 0.893.

    Their standard error, 0.032, comes from an exponential approximation; DeLong's distribution-free
    estimate on the same ratings is 0.031.
    """
    normal = np.repeat([1, 2, 3, 4, 5], [33, 6, 6, 11, 2])
    abnormal = np.repeat([1, 2, 3, 4, 5], [3, 2, 2, 11, 33])
    y = np.r_[np.ones(51, bool), np.zeros(58, bool)]
    ratings = np.r_[abnormal, normal].astype(float)
    auc, var = delong_variance(y, ratings)
    assert auc == pytest.approx(0.893, abs=5e-4)
    assert np.sqrt(var) == pytest.approx(0.032, abs=0.0015)
    same = delong_test(y, ratings, ratings)
    assert (same.z, same.p_value, same.difference) == (0.0, 1.0, 0.0)


def test_delong_agrees_with_the_paired_bootstrap():
    rng = np.random.default_rng(3)
    y = rng.random(300) < 0.3
    a = y * 1.2 + rng.normal(size=300)
    b = y * 0.6 + rng.normal(size=300) + 0.5 * a
    d = delong_test(y, a, b)
    boot = paired_difference(lambda i: rank_auc(y[i], a[i]), lambda i: rank_auc(y[i], b[i]),
                             bootstrap_indices(len(y), 2000, 1))
    assert d.difference == pytest.approx(boot.value)
    assert d.low == pytest.approx(boot.low, abs=0.02) and d.high == pytest.approx(boot.high, abs=0.02)
    cohort = auc_difference(y, a, b, bootstrap_indices(len(y), 500, 0))
    assert cohort.delong_p == pytest.approx(d.p_value) and cohort.delong_low == pytest.approx(d.low)


def test_challenge_score_is_zero_where_the_official_evaluation_gives_zero():
    labels = get_label_set("cinc-scored")
    sinus = labels.classes.index(next(c for c in labels.classes if "426783006" in c))
    y = np.zeros((4, len(labels.classes)))
    y[:, sinus] = 1  # every record is sinus rhythm only: perfect == inactive output
    value, note = challenge_score(y, y, labels)
    assert value == 0.0 and "official evaluation" in note


def test_score_intervals_bracket_the_point_estimates():
    rng = np.random.default_rng(0)
    y = rng.random((64, 5)) < 0.25
    p = np.clip(0.35 * y + 0.65 * rng.random((64, 5)), 0, 1)
    classes = ("A", "B", "C", "D", "E")
    intervals = score_intervals(y, p, np.full(5, 0.5), classes, n_boot=300)
    summary = score(y, p, np.full(5, 0.5)).summary
    for key in ("auroc_macro", "f1_macro", "map", "gmean", "accuracy"):
        iv = intervals[key]
        assert iv["low"] <= iv["value"] <= iv["high"] and iv["high"] - iv["low"] > 0.01, key
        assert iv["value"] == pytest.approx(summary[key], abs=1e-9), key
    assert set(k for k in intervals if k.startswith("auroc:")) == {f"auroc:{c}" for c in classes}
