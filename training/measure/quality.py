"""Lead quality before measuring: flat, saturated and noisy leads are excluded and flagged.

Why: the global fiducials take the earliest onset and latest offset over leads, so a single lead of
noise would move every interval; a flat or clipped lead has no waves to find. The checks use only
what every electrocardiograph can see in the raw samples.
"""

from __future__ import annotations

import numpy as np

#: A lead whose 0.5-40 Hz peak-to-peak stays under this (mV) carries no ECG.
FLAT_PTP_MV = 0.05
#: More than this fraction of samples pinned at the lead's extreme values is clipping.
SATURATED_FRACTION = 0.01
#: Typical QRS size over noise below this makes the lead too noisy to delineate.
MIN_QRS_SNR = 10.0


def lead_noise(x: np.ndarray, xs: np.ndarray) -> np.ndarray:
    """Per lead, a robust level (mV) of the 15-40 Hz content outside the QRS (the median absolute
    deviation ignores the few QRS samples): the muscle noise that survives the measuring filter."""
    hf = x - xs
    return 1.4826 * np.median(np.abs(hf - np.median(hf, axis=1, keepdims=True)), axis=1)


def flat_or_saturated(raw: np.ndarray, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Boolean ``(flat, saturated)`` per lead."""
    flat = np.ptp(x, axis=1) < FLAT_PTP_MV
    top, bottom = raw.max(axis=1, keepdims=True), raw.min(axis=1, keepdims=True)
    pinned = np.mean((raw == top) | (raw == bottom), axis=1)
    saturated = (pinned > SATURATED_FRACTION) & ~flat
    return flat, saturated


def qrs_snr(x: np.ndarray, noise: np.ndarray, r: np.ndarray, fs: float) -> np.ndarray:
    """Per lead, the median QRS peak-to-peak (±60 ms around the beats) over the lead's noise."""
    if r.size == 0:
        return np.zeros(x.shape[0])
    half = max(1, int(0.06 * fs))
    idx = np.clip(r[:, None] + np.arange(-half, half + 1)[None, :], 0, x.shape[1] - 1)
    size = np.median(np.ptp(x[:, idx], axis=2), axis=1)
    return size / np.maximum(noise, 1e-4)


def limb_reversal_suspected(p_amp: dict[str, float | None], qrs_net: dict[str, float | None]) -> bool:
    """Left/right-arm reversal (or dextrocardia): P and QRS both negative in I, and aVR no longer
    negative (its P or its QRS upright) — the opposite of a normally placed sinus ECG. Sinus P waves
    are upright in I whatever the QRS axis, so this rarely fires on a correctly placed ECG."""
    need = [p_amp.get("I"), qrs_net.get("I"), p_amp.get("aVR"), qrs_net.get("aVR")]
    if any(v is None for v in need):
        return False
    p_i, q_i, p_avr, q_avr = need
    return p_i < 0 and q_i < 0 and (p_avr > 0 or q_avr > 0)


#: A pacing spike: a one-sample jump this many times the lead's slopes 2-4 samples away ...
SPIKE_SHARPNESS = 3.0
#: ... and at least this fraction of the lead's steep slopes (its 99.5th percentile of |slope|).
SPIKE_SIZE = 0.5
#: Lead-samples with such a jump (within ±1 sample) for a beat to count as preceded by a spike.
SPIKE_LEADS = 6
#: Window before each R peak searched for a spike (s): atrial and ventricular pacing, not the QRS itself.
SPIKE_WINDOW_S = (0.30, 0.025)
#: A record is paced when at least this fraction of its beats (and two beats) follow a spike.
PACED_FRACTION = 1.0 / 3.0


def pacing_spikes(raw: np.ndarray, r: np.ndarray, fs: float) -> tuple[int, int]:
    """``(beats preceded by a pacing spike, beats)``, from the unfiltered leads ``raw``.

    Why this shape: a pacemaker's stimulus lasts under 2 ms, so in the samples it is a jump of one
    sample (then a return or an exponential recovery of the recorder's high-pass), where a QRS, however
    steep, changes its slope smoothly over several samples. A spike counts when several leads jump at
    the same sample; the search stops 25 ms before the R peak, so the QRS upstroke itself never counts.
    On LUDB this flags 9 of the 10 paced records (the tenth shows no spike) and none of the other 150.
    """
    if r.size == 0 or raw.shape[1] < 10:
        return 0, int(r.size)
    d1 = np.abs(np.diff(raw, axis=1))
    n = d1.shape[1]
    pad = np.pad(d1, ((0, 0), (4, 4)), mode="edge")
    neighbours = np.max([pad[:, 4 + o:4 + o + n] for o in (-4, -3, -2, 2, 3, 4)], axis=0)
    steep = np.percentile(d1, 99.5, axis=1, keepdims=True)
    jumps = ((d1 > SPIKE_SHARPNESS * neighbours) & (d1 > SPIKE_SIZE * steep) & (steep > 0)).sum(axis=0)
    jumps = np.convolve(jumps, np.ones(3), mode="same")
    lo, hi = SPIKE_WINDOW_S
    spiked = 0
    for rk in r:
        a, b = max(0, int(rk - lo * fs)), min(n, int(rk - hi * fs))
        spiked += int(b > a and jumps[a:b].max() >= SPIKE_LEADS)
    return spiked, int(r.size)


def is_paced(spiked: int, beats: int) -> bool:
    return spiked >= 2 and spiked >= PACED_FRACTION * beats
