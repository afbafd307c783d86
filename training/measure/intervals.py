"""From a delineation to the cart's first line: rate, intervals, QTc and frontal axes.

Intervals are medians over the normal-shaped beats whose fiducials are all there (PVCs excluded),
as electrocardiographs report them from the dominant beat. QTc formulas (RR in seconds, QT in ms):
Bazett QT/√RR, Fridericia QT/∛RR, Framingham QT + 154·(1 − RR), Hodges QT + 1.75·(HR − 60).
Frontal axes come from Einthoven's triangle with each lead's net amplitude of the wave: lead I = E·cos θ
and III = E·cos(θ − 120°), so θ = atan2((I + 2·III)/√3, I) (the classical construction from I and III;
I and aVF, with aVF = E·(√3/2)·sin θ, when III is missing).
"""

from __future__ import annotations

import math

import numpy as np

from training.measure.fiducials import P_OFF, P_ON, QRS_OFF, QRS_ON, T_OFF

#: A wave must be found in at least this fraction of the dominant beats to be reported.
MIN_BEAT_FRACTION = 0.5


def rate(r: np.ndarray, fs: float) -> dict[str, float | None]:
    rr = np.diff(r) * 1000.0 / fs
    if rr.size == 0:
        return {"hr_bpm": None, "rr_ms": None, "rr_sd_ms": None}
    return {"hr_bpm": 60000.0 / float(rr.mean()), "rr_ms": float(rr.mean()),
            "rr_sd_ms": float(rr.std(ddof=1)) if rr.size > 1 else None}


def _median_ms(values: np.ndarray, fs: float) -> float | None:
    """Median (ms) when enough beats have the interval, else ``None``."""
    if values.size == 0:
        return None
    found = values[np.isfinite(values)]
    if found.size == 0 or found.size < MIN_BEAT_FRACTION * values.size:
        return None
    return float(np.median(found)) * 1000.0 / fs


def intervals(glob: np.ndarray, dominant: np.ndarray, fs: float) -> dict[str, float | None]:
    """P duration, PR, QRS and QT (ms) over the ``dominant`` (boolean) beats of ``glob`` [beats, 9]."""
    g = glob[dominant]
    return {"p_ms": _median_ms(g[:, P_OFF] - g[:, P_ON], fs),
            "pr_ms": _median_ms(g[:, QRS_ON] - g[:, P_ON], fs),
            "qrs_ms": _median_ms(g[:, QRS_OFF] - g[:, QRS_ON], fs),
            "qt_ms": _median_ms(g[:, T_OFF] - g[:, QRS_ON], fs)}


def qtc(qt_ms: float | None, rr_ms: float | None) -> dict[str, float | None]:
    keys = ("qtc_bazett_ms", "qtc_fridericia_ms", "qtc_framingham_ms", "qtc_hodges_ms")
    if qt_ms is None or rr_ms is None or rr_ms <= 0:
        return dict.fromkeys(keys)
    rr = rr_ms / 1000.0
    hr = 60.0 / rr
    return dict(zip(keys, (qt_ms / math.sqrt(rr), qt_ms / rr ** (1 / 3), qt_ms + 154.0 * (1.0 - rr),
                           qt_ms + 1.75 * (hr - 60.0))))


def frontal_axis(net: dict[str, float | None]) -> float | None:
    """Frontal axis (degrees, −180..180) from the net amplitudes of two independent limb leads
    (I and III, else I and aVF, else II and III); ``None`` when they are missing or both zero."""
    lead_i, ii, iii, avf = (net.get(k) for k in ("I", "II", "III", "aVF"))
    if lead_i is None and ii is not None and iii is not None:
        lead_i = ii - iii
    if lead_i is None:
        return None
    if iii is not None:
        vertical = (lead_i + 2.0 * iii) / math.sqrt(3.0)
    elif avf is not None:
        vertical = 2.0 * avf / math.sqrt(3.0)
    else:
        return None
    if abs(lead_i) < 1e-9 and abs(vertical) < 1e-9:
        return None
    return math.degrees(math.atan2(vertical, lead_i))
