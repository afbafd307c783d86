"""Turning a model's scores into probabilities: per-class Platt or temperature scaling, and how to check it.

A network trained with focal loss (α = 0.7) outputs scores that rank well but are not probabilities:
on PTB-XL fold 10 the bundled model's mean MI score was 0.48 against a prevalence of 0.12. A
calibration map, fitted per class on the **validation** split only, fixes that:

* ``platt`` (Platt, 1999): ``p = σ(a · logit(s) + b)``, two numbers per class. Fitted by maximum
  likelihood with Platt's smoothed targets ``(N₊ + 1) / (N₊ + 2)`` and ``1 / (N₋ + 2)``, which keep a
  class with few positives from being pushed to 0 or 1. It can move the mean (the intercept), which is
  what an over-confident focal-loss model needs.
* ``temperature`` (Guo et al., 2017), per class: ``p = σ(logit(s) / T)``. One number per class; it can
  only sharpen or soften around 0.5, so it cannot fix a biased mean.

Isotonic regression is not offered: with 8-36 validation positives per class it overfits.

Both maps are increasing, so they keep every AUROC; the per-class thresholds are re-chosen on the
calibrated validation probabilities, which makes the decisions the same as before calibration.

Calibration is judged by the expected calibration error (ECE: ten equal-width bins, the share of
records in a bin times the gap between its mean probability and its share of positives) and the Brier
score (mean squared error of the probability), per class, each with a record-level bootstrap interval.
Binned ECE is biased upwards on small samples (and more so under resampling, so its percentile
interval can sit above the point value); :func:`ece_noise_floor` says what a perfectly calibrated
model would score on the same records, which is the yardstick for a goal such as "ECE <= 0.05".
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np
from scipy.optimize import minimize
from scipy.special import expit

from training.errors import ConfigError
from training.intervals import Interval, percentile_interval, resample_weights
from training.probability import ECE_BINS

METHODS = ("platt", "temperature")
_EPS = 1e-6


def logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(np.asarray(p, float), _EPS, 1 - _EPS)
    return np.log(p) - np.log1p(-p)


def sigmoid(z: np.ndarray) -> np.ndarray:
    return expit(np.asarray(z, float))


@dataclass(frozen=True)
class Calibration:
    """Per-class maps ``σ(slope · logit(s) + intercept)``; temperature scaling is ``slope = 1/T, intercept = 0``."""

    method: str
    classes: tuple[str, ...]
    slopes: tuple[float, ...]
    intercepts: tuple[float, ...]
    fitted_on: dict[str, Any] = field(default_factory=dict)
    notes: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.method not in METHODS:
            raise ConfigError("calibration.method", f"use one of {', '.join(METHODS)}, got {self.method!r}")
        if not len(self.classes) == len(self.slopes) == len(self.intercepts):
            raise ConfigError("calibration", f"{len(self.classes)} classes but {len(self.slopes)} slopes and "
                                             f"{len(self.intercepts)} intercepts")
        values = np.asarray(self.slopes + self.intercepts, float)
        if not np.isfinite(values).all() or min(self.slopes, default=1.0) <= 0:
            raise ConfigError("calibration", "slopes must be positive and every parameter finite")

    def apply(self, scores: np.ndarray) -> np.ndarray:
        """Calibrated probabilities of scores ``[..., classes]`` (the model's sigmoid outputs)."""
        a = np.asarray(self.slopes, float)
        b = np.asarray(self.intercepts, float)
        return sigmoid(logit(scores) * a + b)

    def to_dict(self) -> dict[str, Any]:
        """The card's ``calibration`` section (its ``assessment`` is added by :mod:`training.calibrate`)."""
        return {"method": self.method,
                "parameters": {c: {"slope": float(a), "intercept": float(b)}
                               for c, a, b in zip(self.classes, self.slopes, self.intercepts)},
                "fitted_on": dict(self.fitted_on), "notes": list(self.notes)}

    @classmethod
    def from_dict(cls, data: dict[str, Any], classes: Sequence[str]) -> "Calibration":
        """The map a card stores, for the card's ``classes`` in output order; any mismatch is refused."""
        try:
            params = data["parameters"]
            missing = [c for c in classes if c not in params]
            if missing or len(params) != len(classes):
                raise ConfigError("calibration.parameters", f"need exactly the classes {', '.join(classes)}; "
                                                            f"the card has {', '.join(params)}")
            slopes = tuple(float(params[c]["slope"]) for c in classes)
            intercepts = tuple(float(params[c]["intercept"]) for c in classes)
            return cls(str(data["method"]), tuple(classes), slopes, intercepts, dict(data.get("fitted_on", {})),
                       tuple(data.get("notes", ())))
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise ConfigError("calibration", f"malformed calibration section ({type(exc).__name__}: {exc})") from None


def _fit_platt(z: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    n_pos, n_neg = int(y.sum()), int(len(y) - y.sum())
    t = np.where(y, (n_pos + 1) / (n_pos + 2), 1 / (n_neg + 2))

    def nll(theta: np.ndarray) -> tuple[float, np.ndarray]:
        u = theta[0] * z + theta[1]
        # log(1 + e^u) - t u, stable for large |u|
        loss = np.logaddexp(0.0, u) - t * u
        g = sigmoid(u) - t
        return float(loss.sum()), np.array([float(g @ z), float(g.sum())])

    res = minimize(nll, np.array([1.0, 0.0]), jac=True, method="L-BFGS-B",
                   bounds=[(1e-3, 1e3), (-50.0, 50.0)])
    return float(res.x[0]), float(res.x[1])


def _fit_temperature(z: np.ndarray, y: np.ndarray) -> float:
    def nll(theta: np.ndarray) -> tuple[float, np.ndarray]:
        a = math.exp(theta[0])
        u = a * z
        loss = np.logaddexp(0.0, u) - y * u
        g = (sigmoid(u) - y) @ z * a
        return float(loss.sum()), np.array([float(g)])

    res = minimize(nll, np.array([0.0]), jac=True, method="L-BFGS-B", bounds=[(-7.0, 7.0)])
    return float(math.exp(res.x[0]))


def fit_calibration(y_true: np.ndarray, scores: np.ndarray, classes: Sequence[str], method: str = "platt",
                    fitted_on: dict[str, Any] | None = None) -> Calibration:
    """Fit one map per class on validation targets ``[records, classes]`` and scores of the same shape.

    A class without positives or without negatives in these records keeps the identity map, with a note.
    Records whose target is ``nan`` (unlabelled by their source) are left out of that class's fit.
    """
    if method not in METHODS:
        raise ConfigError("calibration.method", f"use one of {', '.join(METHODS)}, got {method!r}")
    known = np.isfinite(np.asarray(y_true, float))
    y = np.nan_to_num(np.asarray(y_true, float)) > 0.5
    z = logit(scores)
    if y.shape != z.shape or y.ndim != 2 or y.shape[1] != len(classes):
        raise ValueError(f"targets {y.shape} and scores {z.shape} must both be [records, {len(classes)}]")
    slopes, intercepts, notes = [], [], []
    for c, name in enumerate(classes):
        yc, zc = y[known[:, c], c], z[known[:, c], c]
        pos = int(yc.sum())
        if pos == 0 or pos == len(yc):
            slopes.append(1.0)
            intercepts.append(0.0)
            notes.append(f"{name}: no {'positives' if pos == 0 else 'negatives'} to fit on; left uncalibrated")
            continue
        if method == "platt":
            a, b = _fit_platt(zc, yc)
        else:
            a, b = _fit_temperature(zc, yc.astype(float)), 0.0
        slopes.append(a)
        intercepts.append(b)
    return Calibration(method, tuple(classes), tuple(slopes), tuple(intercepts), dict(fitted_on or {}), tuple(notes))


# ------------------------------------------------------------------------------------------ assessment
def reliability_bins(y: np.ndarray, p: np.ndarray, bins: int = ECE_BINS) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per equal-width bin: mean probability, share of positives and record count (empty bins: nan, nan, 0)."""
    y = np.asarray(y, float)
    p = np.asarray(p, float)
    which = np.minimum((p * bins).astype(int), bins - 1)
    count = np.bincount(which, minlength=bins).astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_p = np.bincount(which, weights=p, minlength=bins) / count
        frac = np.bincount(which, weights=y, minlength=bins) / count
    return mean_p, frac, count


def ece(y: np.ndarray, p: np.ndarray, bins: int = ECE_BINS) -> float:
    """Expected calibration error over ``bins`` equal-width bins (0 = perfectly calibrated)."""
    if not len(y):
        return math.nan
    mean_p, frac, count = reliability_bins(y, p, bins)
    used = count > 0
    return float(np.sum(count[used] / count.sum() * np.abs(mean_p[used] - frac[used])))


def brier(y: np.ndarray, p: np.ndarray) -> float:
    return float(np.mean((np.asarray(p, float) - np.asarray(y, float)) ** 2)) if len(y) else math.nan


def weighted_ece(y: np.ndarray, p: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """ECE of each row of record ``weights`` ``[B, n]`` (resample multiplicities; 0 leaves a record out).

    Bin ``b`` contributes ``|Σ w p - Σ w y| / Σ w`` over its records; ``nan`` for a row of zeros.
    """
    y = np.asarray(y, float)
    p = np.asarray(p, float)
    which = np.minimum((p * ECE_BINS).astype(int), ECE_BINS - 1)
    onehot = np.zeros((len(y), ECE_BINS))
    onehot[np.arange(len(y)), which] = 1.0
    total = weights.sum(1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.abs((weights * p) @ onehot - (weights * y) @ onehot).sum(1) / total


def calibration_scores(y: np.ndarray, p: np.ndarray, boots: np.ndarray) -> dict[str, Interval]:
    """ECE and Brier score of one class on some records, with bootstrap intervals over those records.

    Written as weighted sums (bin ``b`` contributes ``|Σ w p - Σ w y| / Σ w``), so the resamples are one
    matrix product instead of a loop.
    """
    y = np.asarray(y, float)
    p = np.asarray(p, float)
    weights = np.vstack([np.ones(len(y)), resample_weights(boots, len(y))])
    eces = weighted_ece(y, p, weights)
    briers = weights @ (p - y) ** 2 / weights.sum(1)
    return {name: Interval(float(v[0]), *percentile_interval(v[1:])) for name, v in (("ece", eces), ("brier", briers))}


def ece_noise_floor(p: np.ndarray, draws: int = 1000, seed: int = 0) -> Interval:
    """The ECE a *perfectly* calibrated model would show on these records: labels drawn from ``p`` itself.

    Binned ECE is biased upwards on small samples (each bin's share of positives is noisy), so on 64
    records even perfect probabilities score about 0.05-0.1. Returns the mean and the 2.5-97.5 %
    range over ``draws`` simulated label sets: an observed ECE inside that range is indistinguishable
    from perfect calibration on this many records.
    """
    p = np.asarray(p, float)
    if not len(p):
        return Interval(math.nan, math.nan, math.nan)
    y = np.random.default_rng(seed).random((draws, len(p))) < p[None, :]
    which = np.minimum((p * ECE_BINS).astype(int), ECE_BINS - 1)
    onehot = np.zeros((len(p), ECE_BINS))
    onehot[np.arange(len(p)), which] = 1.0
    eces = np.abs(p @ onehot - y.astype(float) @ onehot).sum(1) / len(p)
    return Interval(float(eces.mean()), *percentile_interval(eces))
