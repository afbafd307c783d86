"""LIME and occlusion sensitivity over lead x time segments, and how far the two agree.

LIME (Ribeiro et al. 2016, applied to ECGs in paper 003): random on/off masks over segments, the
model's probabilities on the perturbed inputs, and lime's ``LimeBase`` fitting a weighted linear
surrogate per class; its R² says how well the surrogate explains the model locally. Occlusion switches
off one segment at a time: deterministic, and a check on LIME (rank agreement is shown beside it).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Callable

import numpy as np
from lime.lime_base import LimeBase
from scipy import stats

from training.explain.segments import apply_masks, baseline_signal, beat_bounds, window_bounds

PredictFn = Callable[[np.ndarray], np.ndarray]  # [n, leads, samples] -> probabilities [n, classes]
ProgressFn = Callable[[int, int], bool | None]  # (done, total) -> False to cancel


class Cancelled(Exception):
    """The caller's progress callback asked to stop."""


@dataclass(frozen=True)
class ExplainConfig:
    segmentation: str = "window"  # "window" | "beats"
    window_s: float = 0.5
    baseline: str = "zero"  # "zero" | "mean" | "smooth"
    n_samples: int = 1000
    batch_size: int = 100
    kernel_width: float = 0.25
    seed: int = 0

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Explanation:
    """Weights ``[leads, n_time]`` for one class; positive supports the class, negative speaks against it."""

    method: str
    class_index: int
    leads: tuple[str, ...]
    fs: float
    bounds: np.ndarray = field(repr=False)  # [n_time, 2] samples
    weights: np.ndarray = field(repr=False)
    probability: float  # model's probability for the class on the unperturbed input
    score: float | None  # LIME surrogate R² (None for occlusion)
    config: ExplainConfig

    def top(self, k: int = 10) -> list[tuple[str, float, float, float]]:
        """The ``k`` segments of largest absolute weight: (lead, t0 s, t1 s, weight)."""
        order = np.argsort(-np.abs(self.weights), axis=None)[:k]
        out = []
        for flat in order:
            lead_i, t_i = np.unravel_index(flat, self.weights.shape)
            t0, t1 = self.bounds[t_i] / self.fs
            out.append((self.leads[lead_i], float(t0), float(t1), float(self.weights[lead_i, t_i])))
        return out


def segment_bounds(x: np.ndarray, fs: float, config: ExplainConfig, r_peaks: np.ndarray | None = None) -> np.ndarray:
    if config.segmentation == "beats":
        if r_peaks is None:
            from training.signal.rpeaks import detect_rpeaks  # only beat segmentation needs the detector

            r_peaks = detect_rpeaks(x[min(1, len(x) - 1)], fs)
        return beat_bounds(x.shape[-1], r_peaks)
    return window_bounds(x.shape[-1], fs, config.window_s)


def _masked_probabilities(x: np.ndarray, fs: float, predict: PredictFn, config: ExplainConfig,
                          r_peaks: np.ndarray | None, progress: ProgressFn | None,
                          make_masks: Callable[[int], np.ndarray]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Segment ``x``, build masks with ``make_masks(n_segments)``, and return (bounds, masks, probabilities).

    Masked inputs are built batch by batch so 1000 perturbations of a 12-lead record never sit in
    memory at once; ``progress`` is asked after each batch and may cancel.
    """
    bounds = segment_bounds(x, fs, config, r_peaks)
    base = baseline_signal(x, fs, config.baseline)
    masks = make_masks(x.shape[0] * len(bounds))
    out = []
    for start in range(0, len(masks), config.batch_size):
        stop = min(len(masks), start + config.batch_size)
        out.append(np.asarray(predict(apply_masks(x, base, bounds, masks[start:stop]))))
        if progress is not None and progress(stop, len(masks)) is False:
            raise Cancelled()
    return bounds, masks, np.concatenate(out)


def explain_lime(x: np.ndarray, fs: float, leads: tuple[str, ...], predict: PredictFn, class_index: int,
                 config: ExplainConfig = ExplainConfig(), r_peaks: np.ndarray | None = None,
                 progress: ProgressFn | None = None) -> Explanation:
    """LIME over segments of ``x`` (``[leads, samples]``, the model's input) for one class."""
    def random_masks(n_seg: int) -> np.ndarray:
        masks = np.random.default_rng(config.seed).integers(0, 2, size=(config.n_samples, n_seg), dtype=np.int8)
        masks[0] = 1  # the first row is the unperturbed instance, as LimeBase expects
        return masks

    bounds, masks, probs = _masked_probabilities(x, fs, predict, config, r_peaks, progress, random_masks)
    n_seg = masks.shape[1]
    off = 1.0 - masks.mean(axis=1)  # cosine distance to all-ones is 1 - sqrt(share on)
    distances = 1.0 - np.sqrt(1.0 - off)
    width = config.kernel_width
    lime = LimeBase(lambda d: np.sqrt(np.exp(-(d ** 2) / width ** 2)), random_state=config.seed)
    _, pairs, score, _ = lime.explain_instance_with_data(
        masks.astype(float), probs, distances, class_index, num_features=n_seg, feature_selection="none")
    weights = np.zeros(n_seg)
    for feature, weight in pairs:
        weights[feature] = weight
    return Explanation("lime", class_index, tuple(leads), fs, bounds, weights.reshape(x.shape[0], len(bounds)),
                       float(probs[0, class_index]), float(score), config)


def explain_occlusion(x: np.ndarray, fs: float, leads: tuple[str, ...], predict: PredictFn, class_index: int,
                      config: ExplainConfig = ExplainConfig(), r_peaks: np.ndarray | None = None,
                      progress: ProgressFn | None = None) -> Explanation:
    """Probability drop when each segment alone is replaced by the baseline."""
    def one_off_masks(n_seg: int) -> np.ndarray:
        masks = np.ones((n_seg + 1, n_seg), dtype=np.int8)  # row 0: nothing off; row i: segment i-1 off
        masks[np.arange(1, n_seg + 1), np.arange(n_seg)] = 0
        return masks

    bounds, _, probs = _masked_probabilities(x, fs, predict, config, r_peaks, progress, one_off_masks)
    drop = probs[0, class_index] - probs[1:, class_index]
    return Explanation("occlusion", class_index, tuple(leads), fs, bounds, drop.reshape(x.shape[0], len(bounds)),
                       float(probs[0, class_index]), None, config)


@dataclass(frozen=True)
class Agreement:
    spearman: float  # rank correlation of all segment weights
    top_overlap: float  # share of LIME's top-k segments that are also occlusion's top-k
    k: int


def rank_agreement(a: Explanation, b: Explanation, k: int = 5) -> Agreement:
    wa, wb = a.weights.ravel(), b.weights.ravel()
    rho = stats.spearmanr(wa, wb).statistic if np.std(wa) > 0 and np.std(wb) > 0 else float("nan")
    top_a = set(np.argsort(-wa)[:k])
    top_b = set(np.argsort(-wb)[:k])
    return Agreement(float(rho), len(top_a & top_b) / k, k)
