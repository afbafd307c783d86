"""Beat classes that change the measurements: normal-shaped (``N``) and ventricular (``V``) beats.

Why: a PVC has its own wide QRS, no P and a discordant T; carts measure the dominant beat, so PVCs
are kept in the beat list (and the rate) but left out of the medians. A beat is ventricular when its
QRS (over all good leads, ±100 ms) correlates poorly with the record's median beat, or is both wide
and unlike it.
"""

from __future__ import annotations

import numpy as np

#: Correlation with the median beat below which a beat is another morphology.
MIN_CORRELATION = 0.7
#: A wide beat (> this, and > 1.25× the median width) that also correlates below 0.85 is ventricular.
WIDE_QRS_S = 0.12
#: Median correlation below which the "beats" are not beats at all (noise): nothing is measured.
MIN_RECORD_CONSISTENCY = 0.5


def beat_correlations(x: np.ndarray, r: np.ndarray, good: np.ndarray, fs: float) -> np.ndarray:
    """Correlation of each beat's QRS (good leads concatenated) with the median beat."""
    if r.size == 0 or not good.any():
        return np.zeros(r.size)
    half = max(1, int(0.1 * fs))
    idx = np.clip(r[:, None] + np.arange(-half, half + 1)[None, :], 0, x.shape[1] - 1)
    windows = x[good][:, idx]  # [leads, beats, samples]
    windows = windows - windows.mean(axis=2, keepdims=True)
    beats = np.transpose(windows, (1, 0, 2)).reshape(r.size, -1)
    template = np.median(beats, axis=0)
    num = beats @ template
    den = np.linalg.norm(beats, axis=1) * np.linalg.norm(template)
    return np.where(den > 0, num / np.maximum(den, 1e-12), 0.0)


def classify(correlation: np.ndarray, qrs_s: np.ndarray) -> list[str]:
    """``"N"`` or ``"V"`` per beat (``qrs_s`` may be ``NaN``)."""
    width = np.nanmedian(qrs_s) if np.isfinite(qrs_s).any() else np.nan
    classes = []
    for c, w in zip(correlation, qrs_s):
        wide = np.isfinite(w) and np.isfinite(width) and w > WIDE_QRS_S and w > 1.25 * width
        classes.append("V" if c < MIN_CORRELATION or (wide and c < 0.85) else "N")
    return classes
