"""Losses against values computed by hand, and the registry's errors."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from training.errors import ConfigError
from training.losses import build_loss, loss_names, prevalence_pos_weight

TARGETS = np.array([[1, 0], [0, 0], [1, 1], [0, 0]], dtype=np.float32)  # prevalence 1/2 and 1/4


def _sig(z: float) -> float:
    return 1 / (1 + math.exp(-z))


def test_registry_lists_the_losses_and_rejects_unknown_names_and_options():
    assert {"bce", "weighted_bce", "focal", "double_soft_f1", "cross_entropy"} <= set(loss_names())
    with pytest.raises(ConfigError, match="loss.name"):
        build_loss("hinge", TARGETS)
    with pytest.raises(ConfigError, match="loss.focal"):
        build_loss("focal", TARGETS, beta=1.0)
    with pytest.raises(ConfigError, match="alpha"):
        build_loss("focal", TARGETS, alpha=1.5)


def test_pos_weight_is_negatives_over_positives_from_training_targets():
    assert prevalence_pos_weight(TARGETS).tolist() == [1.0, 3.0]
    # A class without positives gets the cap, not infinity.
    assert prevalence_pos_weight(np.zeros((4, 1), np.float32), max_weight=50.0).tolist() == [50.0]


def test_weighted_bce_by_hand():
    logits = torch.tensor([[0.5, -1.0]])
    y = torch.tensor([[1.0, 1.0]])
    # pos_weight [1, 3]: -(w * log sigmoid(z)) for positives, averaged over the 2 entries.
    expected = (-math.log(_sig(0.5)) - 3 * math.log(_sig(-1.0))) / 2
    assert float(build_loss("weighted_bce", TARGETS)(logits, y)) == pytest.approx(expected, rel=1e-6)
    plain = (-math.log(_sig(0.5)) - math.log(_sig(-1.0))) / 2
    assert float(build_loss("bce", TARGETS)(logits, y)) == pytest.approx(plain, rel=1e-6)


def test_focal_loss_by_hand_with_default_gamma_2_alpha_07():
    logits = torch.tensor([[2.0, 0.0]])
    y = torch.tensor([[1.0, 0.0]])
    p_pos, p_neg = _sig(2.0), 1 - _sig(0.0)  # p_t of each entry
    expected = (-0.7 * (1 - p_pos) ** 2 * math.log(p_pos) - 0.3 * (1 - p_neg) ** 2 * math.log(p_neg)) / 2
    assert float(build_loss("focal", TARGETS)(logits, y)) == pytest.approx(expected, rel=1e-6)
    # gamma = 0 and alpha = 0.5 is half the plain BCE.
    half_bce = build_loss("focal", TARGETS, gamma=0.0, alpha=0.5)(logits, y)
    assert float(half_bce) == pytest.approx(0.5 * float(build_loss("bce", TARGETS)(logits, y)), rel=1e-6)


def test_double_soft_f1_by_hand():
    logits = torch.tensor([[0.0], [math.log(3.0)]])  # p = 0.5 and 0.75
    y = torch.tensor([[1.0], [0.0]])
    tp, fp, fn, tn = 0.5, 0.75, 0.5, 0.25
    f1_pos = 2 * tp / (2 * tp + fp + fn)
    f1_neg = 2 * tn / (2 * tn + fn + fp)
    expected = 0.5 * (1 - f1_pos) + 0.5 * (1 - f1_neg)
    assert float(build_loss("double_soft_f1", TARGETS)(logits, y)) == pytest.approx(expected, rel=1e-6)
    # Perfectly confident, correct predictions cost (almost) nothing.
    sure = torch.tensor([[30.0], [-30.0]])
    assert float(build_loss("double_soft_f1", TARGETS)(sure, y)) == pytest.approx(0.0, abs=1e-6)


def test_cross_entropy_for_single_label_targets_only():
    one_hot = np.eye(3, dtype=np.float32)[[0, 2, 1]]
    loss = build_loss("cross_entropy", one_hot)
    logits = torch.tensor([[1.0, 0.0, -1.0]])
    expected = -math.log(math.exp(1.0) / (math.exp(1.0) + 1 + math.exp(-1.0)))
    assert float(loss(logits, torch.tensor([[1.0, 0.0, 0.0]]))) == pytest.approx(expected, rel=1e-6)
    with pytest.raises(ConfigError, match="exactly one class"):
        build_loss("cross_entropy", TARGETS)


def test_losses_give_gradients_that_lower_themselves():
    torch.manual_seed(0)
    y = torch.tensor(TARGETS)
    for name in ("bce", "weighted_bce", "focal", "double_soft_f1"):
        logits = torch.zeros(4, 2, requires_grad=True)
        loss_fn = build_loss(name, TARGETS)
        before = loss_fn(logits, y)
        before.backward()
        after = loss_fn(logits.detach() - 1.0 * logits.grad, y)
        assert float(after) < float(before.detach()), name


@pytest.mark.parametrize("name", ["bce", "weighted_bce", "focal", "double_soft_f1"])
def test_an_unlabelled_target_is_masked_out_not_a_negative(name):
    """A class a record's source cannot label (nan) changes neither the loss nor its gradient."""
    logits = torch.tensor([[2.0, -1.0], [0.5, 3.0], [-1.0, 0.2]], requires_grad=True)
    known = torch.tensor([[1.0, 0.0], [0.0, 1.0], [1.0, 0.0]])
    unlabelled = known.clone()
    unlabelled[1, 1] = math.nan  # record 1's source says nothing about class 1
    train = np.array([[1, 0], [0, 1], [1, 0], [0, 0]], dtype=np.float32)
    loss = build_loss(name, train)
    masked = loss(logits, unlabelled)
    masked.backward()
    assert torch.isfinite(masked)
    assert logits.grad[1, 1] == 0  # no gradient pushes the unlabelled entry either way
    as_negative = known.clone()
    as_negative[1, 1] = 0.0
    assert not math.isclose(float(masked.detach()), float(loss(logits.detach(), as_negative)), rel_tol=1e-6)


def test_focal_loss_masked_mean_is_over_known_entries_only():
    loss = build_loss("focal", TARGETS)
    logits = torch.tensor([[1.0, -2.0]])
    full = torch.tensor([[1.0, 0.0]])
    only_first = torch.tensor([[1.0, math.nan]])
    per_entry = [float(loss(logits[:, :1], full[:, :1])), float(loss(logits[:, 1:], full[:, 1:]))]
    assert float(loss(logits, full)) == pytest.approx(sum(per_entry) / 2)
    assert float(loss(logits, only_first)) == pytest.approx(per_entry[0])
    assert float(loss(logits, torch.full((1, 2), math.nan))) == 0.0  # nothing known: no signal, no nan


def test_cross_entropy_refuses_unlabelled_training_targets():
    with pytest.raises(ConfigError, match="unlabelled"):
        build_loss("cross_entropy", np.array([[1, 0], [math.nan, 0]], dtype=np.float32))


def test_pos_weight_counts_unlabelled_entries_as_neither():
    weights = prevalence_pos_weight(np.array([[1, 0], [0, math.nan], [math.nan, 1], [0, 0]], dtype=np.float32))
    assert weights.tolist() == pytest.approx([2.0, 2.0])  # class 0: 1 pos, 2 neg; class 1: 1 pos, 2 neg
