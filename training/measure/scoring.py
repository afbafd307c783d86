"""Scores of a delineation against a reference, the way IEC 60601-2-25 and the delineation papers
report them: detection sensitivity/PPV with a 150 ms tolerance, onset/offset errors of the matched
waves, and per-record global intervals (medians over beats) against the reference ones.

Everything is collected per record (:class:`RecordScore`) so that intervals can be bootstrapped by
record (beats of one record are not independent) and records can be split for cross-validation.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from training.measure.fiducials import P_OFF, P_ON, QRS_OFF, QRS_ON, T_OFF, T_ON, WAVES

TOLERANCE_S = 0.15
EDGES = {"p_on": P_ON, "p_off": P_OFF, "qrs_on": QRS_ON, "qrs_off": QRS_OFF, "t_on": T_ON, "t_off": T_OFF}
INTERVALS = ("p_ms", "pr_ms", "qrs_ms", "qt_ms")


@dataclass
class RecordScore:
    record: str
    #: wave -> (true positives, reference count, detected count)
    counts: dict[str, tuple[int, int, int]] = field(default_factory=dict)
    #: edge -> errors (ms, ours − reference) of matched waves
    errors: dict[str, list[float]] = field(default_factory=dict)
    #: interval -> (ours, reference) in ms, None where either is missing
    intervals: dict[str, tuple[float | None, float | None]] = field(default_factory=dict)
    axis: float | None = None
    axis_category: str | None = None


def match(ours: np.ndarray, ref: np.ndarray, tolerance: float) -> list[tuple[int, int]]:
    """Greedy one-to-one matching of sorted peak times by nearest distance within ``tolerance``."""
    pairs = []
    if ours.size == 0 or ref.size == 0:
        return pairs
    d = np.abs(ours[:, None] - ref[None, :])
    while True:
        i, j = np.unravel_index(np.argmin(d), d.shape)
        if d[i, j] > tolerance:
            break
        pairs.append((int(i), int(j)))
        d[i, :] = np.inf
        d[:, j] = np.inf
    return pairs


def reference_intervals(ref: np.ndarray, fs: float) -> dict[str, float | None]:
    def med(values: np.ndarray) -> float | None:
        values = values[np.isfinite(values)]
        return float(np.median(values)) * 1000.0 / fs if values.size else None
    return {"p_ms": med(ref[:, P_OFF] - ref[:, P_ON]), "pr_ms": med(ref[:, QRS_ON] - ref[:, P_ON]),
            "qrs_ms": med(ref[:, QRS_OFF] - ref[:, QRS_ON]), "qt_ms": med(ref[:, T_OFF] - ref[:, QRS_ON])}


def score_record(name: str, ours: np.ndarray, ref: np.ndarray, span: tuple[int, int], fs: float,
                 measured: dict[str, float | None]) -> RecordScore:
    """Score global fiducials ``ours`` [beats, 9] against ``ref`` [beats, 9] (samples) inside ``span``."""
    score = RecordScore(name)
    tol = TOLERANCE_S * fs
    lo, hi = span[0] - 0.5 * tol, span[1] + 0.5 * tol
    for wave, (on_i, peak_i, off_i) in WAVES.items():
        mine = ours[np.isfinite(ours[:, peak_i]) & (ours[:, peak_i] >= lo) & (ours[:, peak_i] <= hi)]
        theirs = ref[np.isfinite(ref[:, peak_i])]
        pairs = match(mine[:, peak_i], theirs[:, peak_i], tol)
        score.counts[wave] = (len(pairs), len(theirs), len(mine))
        for edge_name, col in EDGES.items():
            if col not in (on_i, off_i):
                continue
            errs = [(mine[i, col] - theirs[j, col]) * 1000.0 / fs for i, j in pairs
                    if np.isfinite(mine[i, col]) and np.isfinite(theirs[j, col])]
            score.errors[edge_name] = errs
    reference = reference_intervals(ref, fs)
    score.intervals = {k: (measured.get(k), reference[k]) for k in INTERVALS}
    return score


def bootstrap_ci(values_fn, n_items: int, n_boot: int = 1000, seed: int = 0) -> tuple[float, float]:
    """95 % percentile interval of ``values_fn(indices)`` over records resampled with replacement."""
    rng = np.random.default_rng(seed)
    stats = []
    for _ in range(n_boot):
        value = values_fn(rng.integers(0, n_items, n_items))
        if value is not None and np.isfinite(value):
            stats.append(value)
    if not stats:
        return (float("nan"), float("nan"))
    return float(np.percentile(stats, 2.5)), float(np.percentile(stats, 97.5))


#: IEC 60601-2-25 limits for biological ECGs: (|mean difference| ms, SD ms).
IEC_LIMITS = {"p_ms": (10.0, 15.0), "pr_ms": (10.0, 10.0), "qrs_ms": (10.0, 10.0), "qt_ms": (25.0, 30.0)}
GOALS = {"P": 97.0, "QRS": 99.5, "T": 98.0}


def detection(scores: Sequence[RecordScore], wave: str) -> tuple[float, float]:
    tp = sum(s.counts[wave][0] for s in scores)
    n_ref = sum(s.counts[wave][1] for s in scores)
    n_found = sum(s.counts[wave][2] for s in scores)
    return 100.0 * tp / max(n_ref, 1), 100.0 * tp / max(n_found, 1)


def interval_differences(scores: Sequence[RecordScore], key: str) -> np.ndarray:
    """Ours minus the reference for one global interval, over the records where both have a value."""
    return np.array([a - b for s in scores for (a, b) in [s.intervals[key]] if a is not None and b is not None],
                    dtype=float)
