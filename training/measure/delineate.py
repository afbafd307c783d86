"""Rule-based multi-lead delineation of P, QRS and T (slope thresholds, after Martínez et al. 2004).

Why this shape: Martínez et al. locate each wave's onset and offset where the slope of the wave (a
wavelet scale, i.e. a band-limited derivative) falls below a fraction of the wave's largest slope, and
the T end where the descending slope dies out. Here the band-limited derivative is the gradient of a
zero-phase low-passed lead (40 Hz for the QRS, 15 Hz for P and T), which keeps the same geometry
without a wavelet bank and runs a 10-s 12-lead record in a few milliseconds.

Order of work per beat: the QRS is found first in every lead around the record's R peaks; the global
QRS onset/offset (a low rank over the good leads: the earliest onset and latest offset, with the most
extreme lead optionally skipped as an outlier) then bounds the P search window (before) and the T
search window (after) of every lead. A P or T whose amplitude does not rise above the lead's noise is
left ``NaN`` — never invented.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from training.measure.fiducials import FIDUCIALS, P_OFF, P_ON, P_PEAK, QRS_OFF, QRS_ON, R_PEAK, T_OFF, T_ON, T_PEAK


@dataclass(frozen=True)
class DelineationParams:
    """Thresholds of the delineator. Defaults were chosen by cross-validation on LUDB (see
    docs/MEASUREMENTS.md); slopes are fractions of the wave's own largest slope."""

    qrs_on_frac: float = 0.03
    qrs_off_frac: float = 0.08
    p_frac: float = 0.35
    t_on_frac: float = 0.35
    #: Smallest P and T (mV above the PR level) and their smallest multiple of the lead's noise.
    p_min_mv: float = 0.025
    t_min_mv: float = 0.04
    snr_min: float = 3.0
    #: Global onset = the ``onset_rank``-th earliest lead (1: the earliest); offsets likewise.
    onset_rank: int = 2
    offset_rank: int = 2
    #: A P or T counts for the beat when seen in at least this many good leads.
    min_wave_leads: int = 2
    #: Global QRS bounds from the spatial velocity of the good leads (else by rank over leads).
    spatial_qrs: bool = True
    #: P and T edges come from the leads where the wave is at least this fraction of its largest lead.
    major_lead_frac: float = 1.0
    #: Bias corrections (ms) added to each global fiducial, in :data:`FIDUCIALS` order: minus the
    #: mean error of each edge on all 160 LUDB records (the evaluation re-estimates them per fold).
    shifts_ms: tuple[float, ...] = (-13.0, 0.0, 2.5, -6.5, 0.0, 16.5, -37.0, 0.0, 30.5)
    #: Waves ("P", "QRS", "T") whose onset, peak and offset come from the delineator network
    #: (:mod:`training.measure.segnet`) instead of the rules. Empty: rules only, and no torch. The
    #: network won the out-of-fold comparison of docs/MEASUREMENTS.md for all three waves.
    network_waves: tuple[str, ...] = ("P", "QRS", "T")
    #: Bias corrections (ms) of the network's edges, in :data:`FIDUCIALS` order: the mean over the five
    #: CV folds of each fold network's correction (estimated on its validation records).
    network_shifts_ms: tuple[float, ...] = (-5.0, 0.0, -0.5, -2.3, 0.0, 2.2, 0.3, 0.0, 6.2)
    #: Atrial fibrillation: with RR intervals this irregular (median |successive RR difference| / median
    #: RR) the P waves are dropped already when their P-to-QRS time spreads more than ``af_pr_spread_s``
    #: (regular rhythms: :data:`training.measure.engine.MAX_PR_SPREAD_S`). Chosen inside the CV folds
    #: (these values in 4 of 5).
    af_irregularity: float = 0.08
    af_pr_spread_s: float = 0.015


def _ms(fs: float, ms: float) -> int:
    return max(1, int(round(ms * fs / 1000.0)))


def qrs_bounds(x: np.ndarray, r: np.ndarray, fs: float, params: DelineationParams,
               is_slope: bool = False) -> np.ndarray:
    """``[beats, 2]`` QRS onset and offset of one lead ``x`` (40-Hz low-passed) around beats ``r``;
    with ``is_slope`` ``x`` already is a slope magnitude (the spatial velocity of several leads)."""
    ad = x if is_slope else np.abs(np.gradient(x))
    n = x.size
    out = np.full((r.size, 2), np.nan)
    core, search, reach_back, reach_fwd = _ms(fs, 60), _ms(fs, 110), _ms(fs, 200), _ms(fs, 240)
    for k, rk in enumerate(r):
        lo, hi = max(0, rk - search), min(n, rk + search + _ms(fs, 20))
        c0, c1 = max(0, rk - core), min(n, rk + core + 1)
        if c1 - c0 < 3:
            continue
        peak_slope = ad[c0:c1].max()
        if peak_slope <= 0:
            continue
        strong = np.flatnonzero(ad[lo:hi] >= 0.25 * peak_slope) + lo
        first, last = int(strong[0]), int(strong[-1])
        stop = max(0, rk - reach_back)
        i = first
        while i > stop and ad[i] > params.qrs_on_frac * peak_slope:
            i -= 1
        j, stop = last, min(n - 1, rk + reach_fwd)
        while j < stop and ad[j] > params.qrs_off_frac * peak_slope:
            j += 1
        out[k] = (i, j)
    return out


def _edge(s: np.ndarray, start: int, step: int, stop: int, frac: float) -> int:
    """From ``start`` (the largest slope), walk by ``step`` until the slope ``s`` falls below ``frac``
    of its value there, or ``stop`` is reached."""
    level = frac * s[start]
    i = start
    while i != stop and s[i] > level:
        i += step
    return i


def wave(xs: np.ndarray, dxs: np.ndarray, lo: int, hi: int, base: float, min_amp: float, frac_on: float,
         frac_off: float | None) -> tuple[float, float, float]:
    """Onset, peak and offset of the largest deflection of ``xs[lo:hi]`` (slope ``dxs``) from ``base``, or
    ``NaN`` three times when it is smaller than ``min_amp`` or sits on the window's edge (a slope
    running into the window, not a wave). ``frac_off=None`` ends the wave where the tangent at its
    steepest descent meets the baseline (the usual T-end rule); otherwise by the slope threshold."""
    nan = (np.nan, np.nan, np.nan)
    if hi - lo < 6:
        return nan
    y = xs[lo:hi] - base
    p = int(np.argmax(np.abs(y)))
    amp = y[p]
    if abs(amp) < min_amp or p < 2 or p > y.size - 3:
        return nan
    s = dxs[lo:hi] if amp > 0 else -dxs[lo:hi]  # rising towards the peak is positive
    i_up = int(np.argmax(s[:p + 1]))
    onset = _edge(s, i_up, -1, 0, frac_on) if s[i_up] > 0 else 0
    fall = -s[p:]
    i_dn = p + int(np.argmax(fall))
    if fall.max() <= 0:
        return float(lo + onset), float(lo + p), np.nan
    if frac_off is None:
        offset = i_dn + abs(y[i_dn]) / (-s[i_dn])
        offset = min(offset, y.size - 1 + 0.0)
    else:
        offset = _edge(-s, i_dn, 1, y.size - 1, frac_off)
    return float(lo + onset), float(lo + p), float(lo + offset)


def delineate(x: np.ndarray, xs: np.ndarray, noise: np.ndarray, r: np.ndarray, good: np.ndarray, fs: float,
              params: DelineationParams = DelineationParams()) -> tuple[np.ndarray, np.ndarray]:
    """Delineate every beat in every lead, and globally.

    ``x``: ``[leads, samples]`` 0.5-40 Hz; ``xs``: the same at 0.5-15 Hz; ``noise``: each lead's noise
    level (mV); ``r``: the record's R peaks (samples); ``good``: leads that may contribute. Returns
    ``(per_lead [beats, leads, 9], global [beats, 9])`` in samples, ``NaN`` where absent.
    """
    n_leads, n = x.shape
    per_lead = np.full((r.size, n_leads, len(FIDUCIALS)), np.nan)
    glob = np.full((r.size, len(FIDUCIALS)), np.nan)
    if r.size == 0 or not good.any():
        return per_lead, glob
    glob[:, R_PEAK] = r
    if params.spatial_qrs:  # one QRS for all leads: each lead shows the global bounds
        velocity = np.sqrt(np.sum(np.gradient(x[good], axis=1) ** 2, axis=0))
        glob[:, [QRS_ON, QRS_OFF]] = qrs_bounds(velocity, r, fs, params, is_slope=True)
        per_lead[:, good, QRS_ON] = glob[:, QRS_ON, None]
        per_lead[:, good, QRS_OFF] = glob[:, QRS_OFF, None]
    else:
        for lead in np.flatnonzero(good):
            per_lead[:, lead, [QRS_ON, QRS_OFF]] = qrs_bounds(x[lead], r, fs, params)
        glob[:, QRS_ON] = _ranked(per_lead[:, good, QRS_ON], params.onset_rank, earliest=True)
        glob[:, QRS_OFF] = _ranked(per_lead[:, good, QRS_OFF], params.offset_rank, earliest=False)
    per_lead[:, :, R_PEAK] = np.where(good[None, :], r[:, None], np.nan)
    rr = np.diff(r)
    typical_rr = float(np.median(rr)) if rr.size else fs
    pad = _ms(fs, 10)
    dxs = np.gradient(xs, axis=1)
    base_all = pr_level(xs, glob[:, QRS_ON], pad)
    for k in range(r.size):
        on, off = glob[k, QRS_ON], glob[k, QRS_OFF]
        if np.isnan(on) or np.isnan(off):
            continue
        on, off = int(on), int(off)
        prev_rr = r[k] - r[k - 1] if k else typical_rr
        next_rr = r[k + 1] - r[k] if k + 1 < r.size else typical_rr
        p_lo = int(max(0, on - _ms(fs, 320), r[k] - 0.55 * prev_rr))
        p_hi = on - _ms(fs, 16)
        t_lo = off + _ms(fs, 40)
        t_hi = int(min(n, r[k] + min(0.72 * next_rr, _ms(fs, 640))))
        if k + 1 < r.size:
            t_hi = min(t_hi, int(r[k + 1]) - _ms(fs, 90))
        for lead in np.flatnonzero(good):
            base = base_all[k, lead]
            if p_lo >= 0 and p_hi - p_lo > _ms(fs, 40):
                per_lead[k, lead, [P_ON, P_PEAK, P_OFF]] = wave(
                    xs[lead], dxs[lead], p_lo, p_hi, base, max(params.p_min_mv, params.snr_min * noise[lead]),
                    params.p_frac, params.p_frac)
            if t_hi - t_lo > _ms(fs, 60):
                per_lead[k, lead, [T_ON, T_PEAK, T_OFF]] = wave(
                    xs[lead], dxs[lead], t_lo, t_hi, base, max(params.t_min_mv, params.snr_min * noise[lead]),
                    params.t_on_frac, None)
    for on_i, peak_i, off_i in ((P_ON, P_PEAK, P_OFF), (T_ON, T_PEAK, T_OFF)):
        amp = _amplitudes(per_lead[:, :, peak_i], xs, base_all)
        amp[:, ~good] = np.nan
        seen = np.sum(np.isfinite(amp), axis=1)
        enough = seen >= min(params.min_wave_leads, int(good.sum()))
        largest = np.nanmax(np.where(np.isfinite(amp), amp, -1.0), axis=1)
        major = amp >= params.major_lead_frac * largest[:, None]  # NaN compares False
        ons = np.where(major, per_lead[:, :, on_i], np.nan)
        offs = np.where(major, per_lead[:, :, off_i], np.nan)
        glob[:, on_i] = np.where(enough, _ranked(ons, params.onset_rank, True), np.nan)
        glob[:, off_i] = np.where(enough, _ranked(offs, params.offset_rank, False), np.nan)
        best = np.argmax(np.where(np.isfinite(amp), amp, -1.0), axis=1)
        glob[:, peak_i] = np.where(enough, per_lead[np.arange(r.size), best, peak_i], np.nan)
    for col, shift in zip(range(len(FIDUCIALS)), params.shifts_ms):
        glob[:, col] += shift * fs / 1000.0
    np.clip(glob, 0, n - 1, out=glob)  # NaN stays NaN
    return per_lead, glob


def _ranked(values: np.ndarray, rank: int, earliest: bool) -> np.ndarray:
    """Per row, the ``rank``-th earliest (or latest) non-NaN value; with fewer values, the extreme one."""
    out = np.full(values.shape[0], np.nan)
    for k, row in enumerate(values):
        row = row[~np.isnan(row)]
        if row.size:
            row = np.sort(row) if earliest else -np.sort(-row)
            out[k] = row[min(rank, row.size) - 1] if row.size >= 4 else row[0]
    return out


def pr_level(x: np.ndarray, qrs_on: np.ndarray, pad: int) -> np.ndarray:
    """``[beats, leads]`` mean of each lead over the ``pad`` samples before each QRS onset (NaN
    where the onset is unknown): the isoelectric reference of every amplitude."""
    out = np.full((qrs_on.size, x.shape[0]), np.nan)
    known = np.isfinite(qrs_on)
    if known.any():
        on = qrs_on[known].astype(np.int64)
        idx = np.clip(on[:, None] + np.arange(-pad, 1)[None, :], 0, x.shape[1] - 1)
        out[known] = x[:, idx].mean(axis=2).T
    return out


def _amplitudes(peaks: np.ndarray, xs: np.ndarray, base: np.ndarray) -> np.ndarray:
    """``[beats, leads]`` absolute size of each lead's wave at its peak over the PR level, NaN if absent."""
    out = np.full(peaks.shape, np.nan)
    k, lead = np.nonzero(np.isfinite(peaks))
    out[k, lead] = np.abs(xs[lead, peaks[k, lead].astype(np.int64)] - base[k, lead])
    return out
