"""What a model's probability means, in words and in evidence: light enough for the app's start-up path.

:func:`describe` is the sentence the model dock, the CLI and the card view show (calibrated on which
data, or not at all); :func:`probability_evidence` is the validation evidence behind one calibrated
probability (the card's ``calibration.bins``, written by :mod:`training.calibrate`).
"""

from __future__ import annotations

from typing import Any

#: the ten equal-width probability bins of :mod:`training.calibration`
ECE_BINS = 10
#: uncertainty shown beside a probability when its validation bin's exact interval is wider than this
WIDE_INTERVAL = 0.3


def describe(calibration: dict[str, Any] | None) -> str:
    """One sentence for the app and the CLI: what a probability of this model means."""
    if not calibration:
        return ("uncalibrated scores: the network's outputs, not probabilities (this model has no calibration; "
                "run 'python -m training calibrate')")
    fitted = calibration.get("fitted_on", {})
    method = {"platt": "Platt scaling", "temperature": "temperature scaling"}.get(calibration.get("method"), "?")
    return (f"probabilities calibrated per class ({method}) on {fitted.get('records', '?')} records of "
            f"{fitted.get('data', '?')} ({fitted.get('split', '?')} split); on other populations they may "
            "be off (see the model card)")


def probability_evidence(calibration: dict[str, Any] | None, cls: str, probability: float) -> tuple[float, float, int] | None:
    """What a calibrated ``probability`` rests on: the exact 95 % interval of the share of positives
    among validation records in its bin, and how many records that bin had. ``None`` without bins."""
    bins = (calibration or {}).get("bins", {}).get(cls)
    if not bins:
        return None
    b = min(int(probability * ECE_BINS), ECE_BINS - 1)
    n, k = int(bins["records"][b]), int(bins["positives"][b])
    if n == 0:
        return 0.0, 1.0, 0
    from training.intervals import clopper_pearson  # scipy: loaded only when a prediction is read

    interval = clopper_pearson(k, n)
    return interval.low, interval.high, n
