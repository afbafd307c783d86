"""Training losses behind a registry: ``build_loss(name, train_targets, **params)``.

Every loss maps ``(logits [batch, classes], targets [batch, classes] multi-hot float)`` to a scalar.
A target may be ``nan``: the record's source cannot label that class (pooled sources, see
:mod:`training.data.superclass_map`). Such entries are masked out of the loss: they are neither
positives nor negatives, and the mean is over the known entries only.
Factories receive the training split's targets because some losses derive their weights from class
prevalence, which must come from the training data only (never validation or test).

* ``bce`` - plain binary cross-entropy, one sigmoid per class.
* ``weighted_bce`` - BCE with ``pos_weight = negatives / positives`` per class (paper 000's class weighting).
* ``focal`` - Lin et al.'s focal loss; paper 000 found gamma = 2, alpha = 0.7 best.
* ``double_soft_f1`` - paper 003's loss: soft F1 of the positive and of the negative class, per label.
* ``cross_entropy`` - softmax cross-entropy for single-label tasks (exactly one class per record).
"""

from __future__ import annotations

from typing import Callable

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from training.errors import ConfigError
from training.registry import registrar

LossFactory = Callable[..., nn.Module]
LOSSES: dict[str, LossFactory] = {}


#: Decorator: ``@register_loss("focal")`` on a factory ``(train_targets, **params) -> nn.Module``.
register_loss = registrar(LOSSES, "loss")


def loss_names() -> list[str]:
    return sorted(LOSSES)


def build_loss(name: str, train_targets: np.ndarray, **params) -> nn.Module:
    """The loss ``name`` configured with ``params``; unknown names and options raise :class:`ConfigError`."""
    if name not in LOSSES:
        raise ConfigError("loss.name", f"unknown loss {name!r}; known: {', '.join(loss_names())}")
    try:
        return LOSSES[name](np.asarray(train_targets, dtype=np.float32), **params)
    except TypeError as exc:
        raise ConfigError(f"loss.{name}", str(exc)) from None


def known_targets(targets: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """``(targets with nan replaced by 0, mask of the known entries as float)``."""
    known = torch.isfinite(targets)
    return torch.where(known, targets, torch.zeros_like(targets)), known.to(targets.dtype)


def masked_mean(values: torch.Tensor, known: torch.Tensor) -> torch.Tensor:
    """Mean of ``values`` over the known entries (0 when a batch has none, so no nan reaches the optimiser)."""
    return (values * known).sum() / known.sum().clamp(min=1.0)


def prevalence_pos_weight(train_targets: np.ndarray, max_weight: float = 100.0) -> torch.Tensor:
    """``negatives / positives`` per class, so each class's positives weigh as much as its negatives.

    A class without positives in training gets ``max_weight`` rather than infinity; the cap also keeps
    a class with a handful of positives from dominating the gradient. Unlabelled (``nan``) entries count
    as neither.
    """
    pos = np.nansum(train_targets, axis=0)
    neg = np.isfinite(train_targets).sum(axis=0) - pos
    weight = np.where(pos > 0, neg / np.maximum(pos, 1), max_weight)
    return torch.as_tensor(np.clip(weight, 1.0 / max_weight, max_weight), dtype=torch.float32)


class BCELoss(nn.Module):
    """Mean binary cross-entropy over records and classes, optionally with per-class ``pos_weight``."""

    def __init__(self, pos_weight: torch.Tensor | None = None):
        super().__init__()
        self.register_buffer("pos_weight", pos_weight)

    def forward(self, logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        targets, known = known_targets(targets)
        losses = F.binary_cross_entropy_with_logits(logits, targets, pos_weight=self.pos_weight, reduction="none")
        return masked_mean(losses, known)


@register_loss("bce")
def _bce(train_targets: np.ndarray) -> nn.Module:
    return BCELoss()


@register_loss("weighted_bce")
def _weighted_bce(train_targets: np.ndarray, max_weight: float = 100.0) -> nn.Module:
    return BCELoss(prevalence_pos_weight(train_targets, max_weight))


class FocalLoss(nn.Module):
    """``FL = -alpha_t (1 - p_t)^gamma log(p_t)`` averaged over records and classes (Lin et al. 2017).

    ``alpha`` weighs positives and ``1 - alpha`` negatives; ``gamma`` down-weights easy examples.
    """

    def __init__(self, gamma: float = 2.0, alpha: float = 0.7):
        super().__init__()
        if gamma < 0 or not 0 <= alpha <= 1:
            raise ConfigError("loss.focal", f"need gamma >= 0 and 0 <= alpha <= 1, got gamma={gamma}, alpha={alpha}")
        self.gamma = gamma
        self.alpha = alpha

    def forward(self, logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        targets, known = known_targets(targets)
        # log(p_t) from logits directly: stable where sigmoid saturates.
        log_pt = -F.binary_cross_entropy_with_logits(logits, targets, reduction="none")
        pt = log_pt.exp()
        alpha_t = self.alpha * targets + (1 - self.alpha) * (1 - targets)
        return masked_mean(-alpha_t * (1 - pt).pow(self.gamma) * log_pt, known)


@register_loss("focal")
def _focal(train_targets: np.ndarray, gamma: float = 2.0, alpha: float = 0.7) -> nn.Module:
    return FocalLoss(gamma, alpha)


class DoubleSoftF1Loss(nn.Module):
    """Paper 003, eq. 1, with probabilities in place of hard decisions, averaged over classes.

    Per class over the batch: ``tp = sum(p y)``, ``fp = sum(p (1 - y))``, ``fn = sum((1 - p) y)``,
    ``tn = sum((1 - p)(1 - y))``. The loss is the mean of ``1 - 2tp / (2tp + fp + fn)`` (positives) and
    ``1 - 2tn / (2tn + fn + fp)`` (negatives). The paper's printed ``fn`` repeats ``tn``'s formula; the
    definition above is the one its cited source uses. Every class counts equally whatever its size,
    which is the loss's point on imbalanced data.
    """

    def __init__(self, eps: float = 1e-16):
        super().__init__()
        self.eps = eps

    def forward(self, logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        targets, known = known_targets(targets)
        p = torch.sigmoid(logits) * known  # an unlabelled entry adds to no count
        tp = (p * targets).sum(0)
        fp = (p * (1 - targets)).sum(0)
        fn = ((known - p) * targets).sum(0)
        tn = ((known - p) * (1 - targets)).sum(0)
        f1_pos = 2 * tp / (2 * tp + fp + fn + self.eps)
        f1_neg = 2 * tn / (2 * tn + fn + fp + self.eps)
        return (0.5 * (1 - f1_pos) + 0.5 * (1 - f1_neg)).mean()


@register_loss("double_soft_f1")
def _double_soft_f1(train_targets: np.ndarray, eps: float = 1e-16) -> nn.Module:
    return DoubleSoftF1Loss(eps)


class SingleLabelCrossEntropy(nn.Module):
    """Softmax cross-entropy on one-hot targets (the class is the target's argmax)."""

    def __init__(self, label_smoothing: float = 0.0):
        super().__init__()
        self.label_smoothing = label_smoothing

    def forward(self, logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        return F.cross_entropy(logits, targets.argmax(dim=1), label_smoothing=self.label_smoothing)


@register_loss("cross_entropy")
def _cross_entropy(train_targets: np.ndarray, label_smoothing: float = 0.0) -> nn.Module:
    if np.isnan(train_targets).any():
        raise ConfigError("loss.name", "cross_entropy needs every class labelled; some training records leave "
                                       "classes unlabelled (use a multi-label loss, which masks them)")
    per_record = train_targets.sum(axis=1)
    if train_targets.size and not np.all(per_record == 1):
        bad = int(np.sum(per_record != 1))
        raise ConfigError("loss.name", f"cross_entropy needs exactly one class per record; {bad} training "
                                       "records have none or several (use a multi-label loss)")
    return SingleLabelCrossEntropy(label_smoothing)
