"""Per-lead normalisations compared in paper 000 (MinMax, Z-score, Rscale, Logscale, L2).

Each maps ``[leads, samples]`` to the same shape, lead by lead. The paper names them without
formulas; the definitions used here are the standard ones and are stated per function. A flat lead
(zero spread) maps to zeros rather than dividing by zero.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from training.errors import ConfigError

_EPS = 1e-8


def _safe_div(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    return np.divide(num, den, out=np.zeros_like(num), where=den > _EPS)


def minmax(x: np.ndarray) -> np.ndarray:
    """(x - min) / (max - min): each lead spans [0, 1]."""
    lo, hi = x.min(axis=-1, keepdims=True), x.max(axis=-1, keepdims=True)
    return _safe_div(x - lo, np.broadcast_to(hi - lo, x.shape))


def zscore(x: np.ndarray) -> np.ndarray:
    """(x - mean) / std: each lead has mean 0 and unit variance."""
    mean, std = x.mean(axis=-1, keepdims=True), x.std(axis=-1, keepdims=True)
    return _safe_div(x - mean, np.broadcast_to(std, x.shape))


def rscale(x: np.ndarray) -> np.ndarray:
    """Robust scaling (x - median) / IQR: insensitive to the tall R waves and artefacts."""
    q1, med, q3 = np.percentile(x, [25, 50, 75], axis=-1, keepdims=True)
    return _safe_div(x - med, np.broadcast_to(q3 - q1, x.shape))


def logscale(x: np.ndarray) -> np.ndarray:
    """sign(x) * log(1 + |x|): compresses large deflections, keeps sign and small waves."""
    return np.sign(x) * np.log1p(np.abs(x))


def l2(x: np.ndarray) -> np.ndarray:
    """x / ||x||_2: each lead has unit Euclidean norm."""
    norm = np.linalg.norm(x, axis=-1, keepdims=True)
    return _safe_div(x, np.broadcast_to(norm, x.shape))


NORMALIZATIONS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "minmax": minmax, "zscore": zscore, "rscale": rscale, "logscale": logscale, "l2": l2,
}


def normalize(x: np.ndarray, method: str) -> np.ndarray:
    try:
        fn = NORMALIZATIONS[method]
    except KeyError:
        raise ConfigError("normalize.method", f"unknown normalisation {method!r}; known: {', '.join(NORMALIZATIONS)}") from None
    return fn(x).astype(np.float32, copy=False)
