"""Metrics against scikit-learn and hand-computed values; thresholds from validation data only."""

from __future__ import annotations

import math

import numpy as np
import pytest
from sklearn.metrics import (accuracy_score, average_precision_score, f1_score, recall_score,
                             roc_auc_score)

from training.data.labels import get_label_set
from training.metrics import Scores, challenge_score, score
from training.thresholds import f1_optimal_thresholds


def _random_task(seed: int = 0, n: int = 200, c: int = 5):
    rng = np.random.default_rng(seed)
    y = (rng.random((n, c)) < [0.5, 0.3, 0.2, 0.1, 0.4][:c]).astype(np.float32)
    probs = np.clip(0.35 * y + 0.65 * rng.random((n, c)), 0, 1)
    return y, probs


def test_summary_and_per_class_metrics_match_scikit_learn():
    y, p = _random_task()
    thresholds = np.array([0.5, 0.4, 0.45, 0.6, 0.5])
    pred = p >= thresholds
    s = score(y, p, thresholds)
    assert s.summary["auroc_macro"] == pytest.approx(roc_auc_score(y, p, average="macro"))
    assert s.summary["map"] == pytest.approx(average_precision_score(y, p, average="macro"))
    assert s.summary["f1_macro"] == pytest.approx(f1_score(y, pred, average="macro"))
    assert s.summary["f1_weighted"] == pytest.approx(f1_score(y, pred, average="weighted"))
    assert s.summary["subset_accuracy"] == pytest.approx(accuracy_score(y, pred))
    assert s.summary["accuracy"] == pytest.approx(np.mean(pred == y))
    sens = recall_score(y, pred, average=None)
    spec = np.array([recall_score(1 - y[:, c], 1 - pred[:, c]) for c in range(5)])
    for c in range(5):
        m = s.per_class[str(c)]
        assert m["sensitivity"] == pytest.approx(sens[c]) and m["specificity"] == pytest.approx(spec[c])
        assert m["gmean"] == pytest.approx(math.sqrt(sens[c] * spec[c]))
    assert s.summary["gmean"] == pytest.approx(np.mean(np.sqrt(sens * spec)))
    assert s.notes == []


def test_a_class_absent_from_the_split_is_nan_with_a_note_not_a_crash():
    y, p = _random_task()
    y[:, 3] = 0
    s = score(y, p, label_set=get_label_set("ptbxl-superclass"))
    cd = s.per_class["CD"]
    assert math.isnan(cd["auroc"]) and math.isnan(cd["ap"]) and math.isnan(cd["sensitivity"])
    assert cd["specificity"] == pytest.approx(np.mean(p[:, 3] < 0.5))
    assert any(n.startswith("CD: no positives") for n in s.notes)
    keep = [0, 1, 2, 4]
    assert s.summary["auroc_macro"] == pytest.approx(roc_auc_score(y[:, keep], p[:, keep], average="macro"))
    # JSON-safe round trip: nan <-> None.
    d = s.to_dict()
    assert d["per_class"]["CD"]["auroc"] is None
    back = Scores.from_dict(d)
    assert math.isnan(back.per_class["CD"]["auroc"]) and back.summary == pytest.approx(s.summary, nan_ok=True)


def test_single_label_decisions_are_the_argmax():
    y = np.eye(3, dtype=np.float32)[[0, 1, 2, 2]]
    p = np.array([[0.5, 0.3, 0.2], [0.1, 0.6, 0.3], [0.2, 0.2, 0.6], [0.4, 0.35, 0.25]])
    s = score(y, p, single_label=True)
    assert s.summary["subset_accuracy"] == pytest.approx(0.75)


def test_challenge_score_by_hand_on_cinc_classes():
    labels = get_label_set("cinc-scored")
    idx = {code: labels.classes.index(code) for code in ("164889003", "164890007", "426783006")}
    y = np.zeros((2, len(labels.classes)), np.int8)
    out = np.zeros_like(y)
    y[0, idx["164889003"]] = 1      # atrial fibrillation...
    out[0, idx["164890007"]] = 1    # ...answered as atrial flutter (weight 0.5)
    y[1, idx["426783006"]] = out[1, idx["426783006"]] = 1  # sinus rhythm, right
    # observed 0.5*0.5 + 1; perfect 2; "sinus rhythm only": 0.25*0.5 + 1 (AF vs SNR weight 0.25)
    value, note = challenge_score(y, out, labels)
    assert value == pytest.approx((1.25 - 1.125) / (2 - 1.125)) and note is None
    assert challenge_score(y, y, labels)[0] == pytest.approx(1.0)
    inactive = np.zeros_like(y)
    inactive[:, idx["426783006"]] = 1
    assert challenge_score(y, inactive, labels)[0] == pytest.approx(0.0)


def test_challenge_score_matches_classes_through_aliases_and_says_what_it_left_out():
    cpsc = get_label_set("cpsc2018")
    y = np.eye(len(cpsc.classes), dtype=np.int8)
    value, note = challenge_score(y, y, cpsc)
    assert value == pytest.approx(1.0)
    assert note is not None and "no challenge weight" in note
    value, note = challenge_score(np.ones((2, 5)), np.ones((2, 5)), get_label_set("ptbxl-superclass"))
    assert math.isnan(value) and "sinus rhythm" in note


def test_f1_optimal_thresholds_by_hand_and_by_brute_force():
    y = np.array([[0], [1], [0], [1]])
    p = np.array([[0.1], [0.4], [0.35], [0.8]])
    thresholds, notes = f1_optimal_thresholds(y, p)
    assert thresholds.tolist() == [0.4] and notes == []
    yv, pv = _random_task(seed=3)
    thresholds, _ = f1_optimal_thresholds(yv, pv)
    for c in range(yv.shape[1]):
        best = max(f1_score(yv[:, c], pv[:, c] >= t) for t in np.unique(pv[:, c]))
        assert f1_score(yv[:, c], pv[:, c] >= thresholds[c]) == pytest.approx(best)


def test_a_class_without_validation_positives_keeps_the_default_threshold():
    y, p = _random_task()
    y[:, 2] = 0
    thresholds, notes = f1_optimal_thresholds(y, p, ["a", "b", "c", "d", "e"])
    assert thresholds[2] == 0.5 and any("threshold for c" in n for n in notes)


def test_unlabelled_targets_leave_their_records_out_of_that_class_only():
    """nan = the source cannot label the class: metrics equal those on the known records, never negatives."""
    from training.metrics import score_intervals

    y, p = _random_task(seed=5)
    partial = y.astype(np.float64).copy()
    partial[:80, 1] = np.nan  # e.g. CPSC2018 records say nothing about MI
    s = score(partial, p, [0.5] * 5, get_label_set("ptbxl-superclass"))
    known = slice(80, None)
    assert s.per_class["MI"]["auroc"] == pytest.approx(roc_auc_score(y[known, 1], p[known, 1]))
    assert s.per_class["MI"]["positives"] == int(y[known, 1].sum())
    assert s.per_class["MI"]["f1"] == pytest.approx(f1_score(y[known, 1], p[known, 1] >= 0.5))
    assert s.per_class["NORM"]["auroc"] == pytest.approx(roc_auc_score(y[:, 0], p[:, 0]))
    assert s.per_class["MI"]["auroc"] != pytest.approx(roc_auc_score(np.nan_to_num(partial[:, 1]), p[:, 1]))
    assert math.isnan(s.summary["subset_accuracy"]) and any("unlabelled" in n for n in s.notes)
    intervals = score_intervals(partial, p, [0.5] * 5, get_label_set("ptbxl-superclass").classes, n_boot=50)
    assert intervals["auroc:MI"]["value"] == pytest.approx(s.per_class["MI"]["auroc"])
    assert intervals["auroc_macro"]["value"] == pytest.approx(s.summary["auroc_macro"])
    assert intervals["accuracy"]["value"] == pytest.approx(s.summary["accuracy"])
    thresholds, _ = f1_optimal_thresholds(partial, p)
    assert thresholds[1] == f1_optimal_thresholds(y[known], p[known])[0][1]
