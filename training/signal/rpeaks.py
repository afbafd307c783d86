"""R-peak (QRS) detection on one ECG lead: a zero-phase Pan-Tompkins-style energy detector.

Why this shape: the QRS complex carries most of the ECG's slope energy in 5-15 Hz, where P and T
waves and baseline wander carry little. Squaring the slope of that band and integrating it over a
QRS width gives one hump per beat. Filtering forwards and backwards and a centred integration window
keep the humps where the beats are, so no delay has to be guessed back. Thresholds follow the local
beat energy (running median over ~18 s), so hours-long records with changing amplitude and noisy
stretches are handled; a search-back pass recovers beats skipped after a large one, and humps that
follow a beat within the T-wave window with much less energy are dropped as T waves.
"""

from __future__ import annotations

import numpy as np
from scipy.ndimage import median_filter, uniform_filter1d
from scipy.signal import find_peaks

from training.signal.filters import butter_bandpass

#: No two beats closer than this (300 bpm): the heart's absolute refractory period.
REFRACTORY_S = 0.2
#: A hump within this time after a beat, with less than half its energy, is a T wave.
T_WAVE_WINDOW_S = 0.36
#: Fraction of the local beat energy a hump must reach (half of it in the search-back pass).
THRESHOLD_FRACTION = 0.3
#: Block length for the local beat energy estimate; the running median spans ``_MEDIAN_BLOCKS`` blocks.
_BLOCK_S = 2.0
_MEDIAN_BLOCKS = 9
#: Most that one lead adds to the summed energy, in units of its own typical beat.
_LEAD_ENERGY_CAP = 1.5


def detect_rpeaks(x: np.ndarray, fs: float) -> np.ndarray:
    """Sample indices (int64, increasing) of the R peaks in ``x``: one lead ``[samples]`` or several
    ``[leads, samples]`` of the same recording (any unit), sampled at ``fs``.

    With several leads their QRS energies, each scaled by its own typical beat, are summed, so a lead
    where the QRS is small or noisy (a flat lead II) is carried by the others. Each index points at
    the dominant QRS deflection of the lead with the sharpest QRS, with one polarity for the whole
    record (the R peak of an upright lead, the QS nadir of a lead like aVR).
    """
    leads = np.atleast_2d(np.asarray(x))  # converted to float64 one lead at a time, below
    if leads.ndim != 2:
        raise ValueError(f"detect_rpeaks takes [samples] or [leads, samples], got shape {np.shape(x)}")
    usable = [lead for lead in leads if np.isfinite(lead).all() and np.ptp(lead) > 0]
    if leads.shape[1] < int(fs) or not usable:
        return np.zeros(0, dtype=np.int64)
    energy = np.zeros(leads.shape[1])
    sharpest, best = usable[0], 0.0
    for lead in usable:  # one lead's energy at a time: hours of 12 leads stay within memory
        lead = lead.astype(np.float64)
        lead_energy = _qrs_energy(lead, fs)
        typical = float(np.median(_block_maxima(lead_energy, fs)))
        if typical > 0:  # capped: an electrode pop in one lead cannot outweigh a beat seen in all
            energy += np.minimum(lead_energy / typical, _LEAD_ENERGY_CAP)
        if typical > best:
            sharpest, best = lead, typical
    if best == 0:
        return np.zeros(0, dtype=np.int64)
    threshold = _local_threshold(energy, fs)
    humps, _ = find_peaks(energy, height=threshold, distance=max(1, int(REFRACTORY_S * fs)))
    humps = _search_back(humps, energy, threshold, fs)
    humps = _drop_t_waves(humps, energy, fs)
    return _refine(humps, energy, sharpest, fs)


def rr_intervals_ms(peaks: np.ndarray, fs: float) -> np.ndarray:
    """Intervals between consecutive peaks, in milliseconds."""
    return np.diff(np.asarray(peaks, dtype=np.float64)) * 1000.0 / fs


def mean_heart_rate(peaks: np.ndarray, fs: float) -> float | None:
    """Mean heart rate in bpm from the mean RR interval; ``None`` with fewer than two beats."""
    rr = rr_intervals_ms(peaks, fs)
    return 60000.0 / float(rr.mean()) if rr.size else None


def _qrs_energy(x: np.ndarray, fs: float) -> np.ndarray:
    band = butter_bandpass(x, fs, 5.0, min(15.0, 0.45 * fs), order=2)
    slope = np.gradient(band) * fs
    return uniform_filter1d(slope * slope, size=max(1, int(0.15 * fs)), mode="nearest")


def _local_threshold(energy: np.ndarray, fs: float) -> np.ndarray:
    """Per-sample threshold: a fraction of the running median of 2-s block maxima.

    The median over blocks ignores single artefacts and long pauses; the floor (a fraction of the
    record-wide median) stops flat stretches (a lead off) from turning noise into beats.
    """
    peaks = _block_maxima(energy, fs)
    n_blocks = peaks.size
    local = median_filter(peaks, size=min(_MEDIAN_BLOCKS, n_blocks), mode="nearest")
    local = np.maximum(local, 0.1 * float(np.median(peaks)))
    centres = (np.arange(n_blocks) + 0.5) * max(1, int(_BLOCK_S * fs))
    return THRESHOLD_FRACTION * np.interp(np.arange(energy.size), centres, local)


def _block_maxima(energy: np.ndarray, fs: float) -> np.ndarray:
    block = max(1, int(_BLOCK_S * fs))
    n_blocks = -(-energy.size // block)
    padded = np.pad(energy, (0, n_blocks * block - energy.size), mode="edge")
    return padded.reshape(n_blocks, block).max(axis=1)


def _search_back(humps: np.ndarray, energy: np.ndarray, threshold: np.ndarray, fs: float) -> np.ndarray:
    """In gaps longer than 1.66 local RR intervals, accept the largest hump above half the threshold."""
    if humps.size < 3:
        return humps
    rr = np.diff(humps)
    typical = median_filter(rr, size=min(9, rr.size), mode="nearest")
    refractory = int(REFRACTORY_S * fs)
    found = []
    for i in np.flatnonzero(rr > 1.66 * typical):
        lo, hi = humps[i] + refractory, humps[i + 1] - refractory
        if hi <= lo:
            continue
        j = lo + int(np.argmax(energy[lo:hi]))
        if energy[j] >= 0.5 * threshold[j]:
            found.append(j)
    return np.sort(np.concatenate([humps, np.asarray(found, dtype=humps.dtype)])) if found else humps


def _drop_t_waves(humps: np.ndarray, energy: np.ndarray, fs: float) -> np.ndarray:
    window = int(T_WAVE_WINDOW_S * fs)
    keep: list[int] = []
    for h in humps:
        if keep and h - keep[-1] < window and energy[h] < 0.5 * energy[keep[-1]]:
            continue
        keep.append(int(h))
    return np.asarray(keep, dtype=np.int64)


def _refine(humps: np.ndarray, energy: np.ndarray, x: np.ndarray, fs: float) -> np.ndarray:
    """Move each hump to the QRS's dominant deflection in ``x``, with the record's prevailing polarity.

    Two humps that land on one deflection, or closer than the refractory period, keep the one with
    more energy.
    """
    if humps.size == 0:
        return humps
    clean = butter_bandpass(x, fs, 0.5, min(40.0, 0.45 * fs), order=2)
    half = max(1, int(0.08 * fs))
    offsets = np.arange(-half, half + 1)
    idx = np.clip(humps[:, None] + offsets[None, :], 0, x.size - 1)
    windows = clean[idx]
    at_abs_max = windows[np.arange(len(humps)), np.argmax(np.abs(windows), axis=1)]
    polarity = 1.0 if np.median(at_abs_max) >= 0 else -1.0
    peaks = idx[np.arange(len(humps)), np.argmax(polarity * windows, axis=1)]
    refractory = int(REFRACTORY_S * fs)
    keep: list[int] = []
    strength: list[float] = []
    for peak, hump in zip(peaks, humps):
        if keep and peak - keep[-1] < refractory:
            if energy[hump] > strength[-1]:
                keep[-1], strength[-1] = int(peak), float(energy[hump])
            continue
        keep.append(int(peak))
        strength.append(float(energy[hump]))
    return np.asarray(keep, dtype=np.int64)
