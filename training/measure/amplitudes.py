"""Per-lead amplitudes the usual criteria need (Q, R, S, R′, ST at J and J+60 ms, T, P).

Each value is measured beat by beat from the PR level (the 10 ms before the global QRS onset) and the
median over the dominant beats is reported, in millivolts. ``None`` where the wave is absent (no P in
atrial fibrillation) or the lead was excluded.
"""

from __future__ import annotations

import statistics

import numpy as np

from training.measure.fiducials import P_OFF, P_ON, P_PEAK, QRS_OFF, QRS_ON, T_OFF, T_ON, T_PEAK

AMPLITUDE_KEYS = ("p_mv", "q_mv", "r_mv", "s_mv", "r_prime_mv", "st_j_mv", "st_j60_mv", "t_mv")
#: A second positive deflection after S counts as R′ from this size (mV).
R_PRIME_MIN_MV = 0.05


def _qrs_deflections(seg: np.ndarray) -> tuple[float, float, float, float]:
    """Q, R, S, R′ of one QRS (baseline-referred): Q and S are negative (or 0), R and R′ positive."""
    i_r = int(np.argmax(seg))
    r = max(float(seg[i_r]), 0.0)
    if r == 0.0:  # a QS complex
        return float(min(seg.min(), 0.0)), 0.0, 0.0, 0.0
    q = min(float(seg[:i_r + 1].min()), 0.0)
    after = seg[i_r:]
    i_s = int(np.argmin(after))
    s = min(float(after[i_s]), 0.0)
    r_prime = 0.0
    if s < 0:
        tail = after[i_s:]
        i_peak = int(np.argmax(tail))
        peak = float(tail[i_peak])
        # a true R′ turns down again inside the QRS; a tail still rising at the end is the ST segment
        if peak >= R_PRIME_MIN_MV and peak - float(tail[-1]) >= R_PRIME_MIN_MV:
            r_prime = peak
    return q, r, s, r_prime


def lead_values(x: np.ndarray, xs: np.ndarray, base_x: np.ndarray, base_xs: np.ndarray, per_lead: np.ndarray,
                glob: np.ndarray, beats: np.ndarray, fs: float) -> dict[str, float | None]:
    """Median amplitudes of one lead over the beat indices ``beats``.

    ``x``/``xs``: the lead at 40/15 Hz and ``base_x``/``base_xs`` their PR level per beat;
    ``per_lead``: its ``[beats, 9]`` fiducials; ``glob``: the global ones.
    """
    j60 = int(round(0.06 * fs))
    rows: dict[str, list[float]] = {k: [] for k in AMPLITUDE_KEYS}
    n = x.size
    for k in beats:
        g, own = glob[k], per_lead[k]
        if np.isnan(g[QRS_ON]) or np.isnan(g[QRS_OFF]):
            continue
        on, off = int(g[QRS_ON]), int(g[QRS_OFF])
        base, base_s = float(base_x[k]), float(base_xs[k])
        seg = x[on:off + 1] - base
        if seg.size < 2:
            continue
        for key, value in zip(("q_mv", "r_mv", "s_mv", "r_prime_mv"), _qrs_deflections(seg)):
            rows[key].append(value)
        rows["st_j_mv"].append(float(x[off]) - base)
        if off + j60 < n:
            rows["st_j60_mv"].append(float(x[off + j60]) - base)
        for peak_i, on_i, off_i, amp_key in ((P_PEAK, P_ON, P_OFF, "p_mv"), (T_PEAK, T_ON, T_OFF, "t_mv")):
            if np.isnan(g[on_i]) or np.isnan(g[off_i]):
                continue
            peak = own[peak_i] if not np.isnan(own[peak_i]) else g[peak_i]
            if not np.isnan(peak):
                rows[amp_key].append(float(xs[int(peak)]) - base_s)
    enough = max(1, len(beats) // 2)
    return {k: (statistics.median(v) if len(v) >= enough else None) for k, v in rows.items()}


def qrs_net(values: dict[str, float | None]) -> float | None:
    """Net QRS amplitude of a lead (R + R′ minus the Q and S depths), mV."""
    parts = [values.get(k) for k in ("q_mv", "r_mv", "s_mv", "r_prime_mv")]
    return None if any(v is None for v in parts) else float(sum(parts))
