"""``measure(record) -> Measurements``: what an electrocardiograph prints, from any record.

Steps: lead quality (flat / saturated leads out, and those the signal check before any diagnosis finds
unusable: ``training.signal.quality.signal_findings``) → R peaks over the remaining leads → noisy leads out
→ beat consistency (pure noise is refused, not measured) → beat classes (PVCs out of the medians) →
delineation → intervals, QTc, axes, per-lead amplitudes → limb-reversal check. Whatever cannot be
measured is ``None``; the ``quality`` block says why. Nothing here raises on a bad signal: a record
that cannot be measured at all comes back with ``quality["refused"]`` set to the reason.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np
from scipy import signal as sps

from training.data.record import Record
from training.errors import RecordError
from training.measure import beats as beat_classes
from training.measure.amplitudes import lead_values, qrs_net
from training.measure.delineate import DelineationParams, delineate, pr_level
from training.measure.fiducials import FIDUCIALS, P_OFF, P_ON, P_PEAK, QRS_OFF, QRS_ON, R_PEAK, T_OFF, T_ON, WAVES
from training.measure.intervals import frontal_axis, intervals, qtc, rate
from training.measure.quality import (MIN_QRS_SNR, flat_or_saturated, is_paced, lead_noise, limb_reversal_suspected,
                                     pacing_spikes, qrs_snr)
from training.data.record import STANDARD_LEADS
from training.signal.quality import signal_findings
from training.signal.rpeaks import detect_rpeaks

if TYPE_CHECKING:
    from training.measure.segnet import Segmenter

#: Below this rate the waves' edges cannot be placed to the IEC tolerances (a few ms).
MIN_FS = 200.0
#: Longer records are measured over their first this-many seconds (a cart measures 10 s).
DEFAULT_MAX_SECONDS = 300.0
#: Keys of the ``global`` block, in print order (the same names vendor measurements use).
GLOBAL_KEYS = ("hr_bpm", "rr_ms", "rr_sd_ms", "p_ms", "pr_ms", "qrs_ms", "qt_ms", "qtc_bazett_ms",
               "qtc_fridericia_ms", "qtc_framingham_ms", "qtc_hodges_ms", "p_axis_deg", "qrs_axis_deg",
               "t_axis_deg")
#: Measurements a paced rhythm changes: flagged, not removed (a paced QRS is still measured honestly).
PACED_NOT_COMPARABLE = ("qrs_ms", "qt_ms", "qtc_bazett_ms", "qtc_fridericia_ms", "qtc_framingham_ms",
                        "qtc_hodges_ms", "qrs_axis_deg", "t_axis_deg")
#: Good standard leads the delineator network needs: it was trained on 12 with up to 3 zeroed at random.
MIN_NETWORK_LEADS = 9
#: Largest robust SD (s) of the P-to-QRS time over beats for P waves to count as conducted P waves.
MAX_PR_SPREAD_S = 0.05


@dataclass
class Measurements:
    """The measurements of one record. Fiducials are kept in samples (``delineation``: the global
    ``[beats, 9]``, ``per_lead``: ``[beats, leads, 9]``) and written in seconds by :meth:`to_dict`."""

    record: str
    fs: float
    leads: tuple[str, ...]
    delineation: np.ndarray
    per_lead: np.ndarray
    classes: list[str]
    global_: dict[str, float | None]
    lead_amplitudes: dict[str, dict[str, float | None]]
    quality: dict[str, object] = field(default_factory=dict)

    @property
    def n_beats(self) -> int:
        return int(self.delineation.shape[0])

    def beats(self) -> list[dict[str, float | str | None]]:
        out = []
        for row, cls in zip(self.delineation, self.classes):
            beat: dict[str, float | str | None] = {
                name: (None if np.isnan(v) else round(float(v) / self.fs, 4)) for name, v in zip(FIDUCIALS, row)}
            beat["class"] = cls
            out.append(beat)
        return out

    def to_dict(self) -> dict[str, object]:
        """The JSON object of ``python -m training measure --json``."""
        return {"record": self.record, "fs": self.fs, "beats": self.beats(),
                "global": {k: _round(self.global_.get(k)) for k in GLOBAL_KEYS},
                "leads": {lead: {k: _round(v, 3) for k, v in values.items()}
                          for lead, values in self.lead_amplitudes.items()},
                "quality": self.quality}


def _round(value: float | None, digits: int = 1) -> float | None:
    return None if value is None or not np.isfinite(value) else round(float(value), digits)


def _refusal(record: Record, reason: str, quality: dict[str, object]) -> Measurements:
    quality["refused"] = reason
    return Measurements(record.name, float(record.fs), record.leads, np.zeros((0, len(FIDUCIALS))),
                        np.zeros((0, record.n_leads, len(FIDUCIALS))), [], dict.fromkeys(GLOBAL_KEYS), {}, quality)


def measure(record: Record, params: DelineationParams = DelineationParams(),
            max_seconds: float | None = DEFAULT_MAX_SECONDS, segmenter: Segmenter | None = None) -> Measurements:
    """Measure ``record`` (see the module docstring). ``max_seconds=None`` measures all of it. The waves
    ``params.network_waves`` names are delineated by ``segmenter`` (default: the shipped network)."""
    fs = float(record.fs)
    quality: dict[str, object] = {"refused": None, "excluded_leads": {}, "good_leads": [], "notes": []}
    voltage = [i for i, unit in enumerate(record.units) if unit == "mV"]
    if fs < MIN_FS:
        return _refusal(record, f"sampled at {fs:g} Hz; interval measurement needs at least {MIN_FS:g} Hz", quality)
    if not voltage:
        return _refusal(record, "no ECG lead in millivolts", quality)
    n = record.n_samples
    if max_seconds is not None and n > max_seconds * fs:
        n = int(max_seconds * fs)
        quality["notes"].append(f"measured over the first {max_seconds:g} s")
    try:  # a slice, so a memory-mapped Holter record reads only the span measured
        stored = np.asarray(record.signal[voltage, :n], dtype=np.float32)
    except RecordError as exc:
        return _refusal(record, exc.reason, quality)
    missing = ~np.isfinite(stored).all(axis=1)
    stored = np.where(np.isfinite(stored), stored, 0.0).astype(np.float32)
    raw = stored.astype(np.float64)
    if raw.shape[1] < int(fs):
        return _refusal(record, f"{raw.shape[1] / fs:.2f} s is too short to measure (at least 1 s)", quality)
    names = tuple(record.leads[i] for i in voltage)
    raw = raw - np.median(raw, axis=1, keepdims=True)
    x = band_limited(raw, fs, 40.0)
    xs = band_limited(raw, fs, 15.0)
    noise = lead_noise(x, xs)
    flat, saturated = flat_or_saturated(stored, x)
    flat |= missing  # gaps (missing samples) are not signal: the lead is left out like a flat one
    excluded: dict[str, str] = {names[i]: "flat" for i in np.flatnonzero(flat & ~missing)}
    excluded.update({names[i]: "missing samples" for i in np.flatnonzero(missing)})
    excluded.update({names[i]: "saturated" for i in np.flatnonzero(saturated)})
    usable = ~(flat | saturated)
    try:  # what the check before any diagnosis finds (a mapped record's checksums first) leaves a lead out too
        findings = signal_findings(record, names)
    except RecordError as exc:
        return _refusal(record, exc.reason, quality)
    for finding in findings:
        i = names.index(finding.lead)
        if usable[i]:
            excluded[finding.lead], usable[i] = finding.problem, False
    quality["excluded_leads"] = excluded
    if not usable.any():
        return _refusal(record, "every lead is flat, saturated or not a usable ECG", quality)
    r = detect_rpeaks(raw[usable], fs)
    snr = qrs_snr(x, noise, r, fs)
    noisy = usable & (snr < MIN_QRS_SNR)
    excluded.update({names[i]: "noisy" for i in np.flatnonzero(noisy)})
    good = usable & ~noisy
    quality["good_leads"] = [names[i] for i in np.flatnonzero(good)]
    if not good.any() or r.size == 0:
        return _refusal(record, "no beats found in any usable lead", quality)
    correlation = beat_classes.beat_correlations(x, r, good, fs)
    if r.size >= 3 and float(np.median(correlation)) < beat_classes.MIN_RECORD_CONSISTENCY:
        return _refusal(record, "no consistent heartbeats (the signal looks like noise)", quality)
    per_lead, glob = delineate(x, xs, noise, r, good, fs, params)
    if params.network_waves:
        _network_waves(per_lead, glob, x, xs, r, good, names, fs, params, segmenter, quality)
    classes = beat_classes.classify(correlation, (glob[:, QRS_OFF] - glob[:, QRS_ON]) / fs)
    dominant = np.array([c == "N" for c in classes])
    _drop_inconsistent_p(per_lead, glob, dominant, fs, quality, rr_irregularity(r), params)
    per_lead[~dominant, :, 0:3] = np.nan  # a ventricular beat has no conducted P wave
    glob[~dominant, 0:3] = np.nan
    result = rate(r, fs)
    if r.size < 2:
        quality["notes"].append("one beat only: no rate")
    result.update(intervals(glob, dominant, fs))
    result.update(qtc(result["qt_ms"], result["rr_ms"]))
    beats = np.flatnonzero(dominant)
    pad = max(1, int(0.01 * fs))
    base_x, base_xs = pr_level(x, glob[:, QRS_ON], pad), pr_level(xs, glob[:, QRS_ON], pad)
    amplitudes = {names[i]: lead_values(x[i], xs[i], base_x[:, i], base_xs[:, i], per_lead[:, i], glob, beats, fs)
                  for i in np.flatnonzero(good)}
    net = {"p_axis_deg": {lead: v["p_mv"] for lead, v in amplitudes.items()},
           "qrs_axis_deg": {lead: qrs_net(v) for lead, v in amplitudes.items()},
           "t_axis_deg": {lead: v["t_mv"] for lead, v in amplitudes.items()}}
    for key, values in net.items():
        result[key] = frontal_axis(values)
    if result["p_ms"] is None:
        result["p_axis_deg"] = None
    if result["qt_ms"] is None:
        result["t_axis_deg"] = None
    spiked, _ = pacing_spikes(raw[good], r, fs)
    paced = is_paced(spiked, int(r.size))
    if paced:
        quality["notes"].append(f"pacing spikes before {spiked} of {r.size} beats: paced rhythm; the QRS, QT and "
                                "axes are those of paced beats, not comparable with intrinsic conduction")
    quality.update({
        "paced": paced, "pacing_spikes": spiked,
        "not_comparable": list(PACED_NOT_COMPARABLE) if paced else [],
        "n_beats": int(r.size), "n_ventricular": int((~dominant).sum()),
        "limb_reversal_suspected": limb_reversal_suspected(
            net["p_axis_deg"], net["qrs_axis_deg"]),
    })
    if quality["limb_reversal_suspected"]:
        quality["notes"].append("P and QRS negative in I and positive in aVR: check the arm electrodes "
                                "(or dextrocardia) before trusting the axes")
    return Measurements(record.name, fs, names, glob, per_lead, classes, result, amplitudes, quality)


def _network_waves(per_lead: np.ndarray, glob: np.ndarray, x: np.ndarray, xs: np.ndarray, r: np.ndarray,
                   good: np.ndarray, names: tuple[str, ...], fs: float, params: DelineationParams,
                   segmenter: Segmenter | None, quality: dict[str, object]) -> None:
    """Replace the waves ``params.network_waves`` in ``glob`` by the network's (bias-corrected by
    ``params.network_shifts_ms``); a lead's own P or T is kept only in beats where the network found that wave. Without a
    network (no model file, fewer than two standard leads) the rules' waves stay and a note says so."""
    from training.measure import segnet

    usable = sum(1 for i, name in enumerate(names) if good[i] and name in STANDARD_LEADS)
    if usable < MIN_NETWORK_LEADS:
        quality["notes"].append(f"{usable} good standard lead(s): the delineator network needs "
                                f"{MIN_NETWORK_LEADS} of the 12, rules used")
        return
    seg = segmenter if segmenter is not None else _shipped_segmenter()
    if seg is None:
        quality["notes"].append("delineator network unavailable: rules used")
        return
    net = segnet.beat_fiducials(seg.labels(x, fs, names, good), r, fs, x.shape[1], xs, good)
    for wave in params.network_waves:
        cols = [c for c in WAVES[wave] if c != R_PEAK]
        glob[:, cols] = net[:, cols] + np.asarray(params.network_shifts_ms)[cols] * fs / 1000.0
        if wave != "QRS":
            per_lead[~np.isfinite(glob[:, WAVES[wave][1]]), :, WAVES[wave][0]:WAVES[wave][2] + 1] = np.nan
        else:
            per_lead[:, good, QRS_ON] = glob[:, QRS_ON, None]
            per_lead[:, good, QRS_OFF] = glob[:, QRS_OFF, None]
    # bias corrections must not push a wave into the QRS: P ends by the QRS onset, T starts after its end
    for col, bound, earlier in ((P_OFF, QRS_ON, True), (P_ON, P_OFF, True), (T_ON, QRS_OFF, False),
                                (T_OFF, T_ON, False)):
        glob[:, col] = (np.minimum if earlier else np.maximum)(glob[:, col], np.where(
            np.isfinite(glob[:, bound]), glob[:, bound], glob[:, col]))  # NaN stays NaN: nothing invented
    np.clip(glob, 0, x.shape[1] - 1, out=glob)
    quality["delineator"] = {"network": list(params.network_waves),
                             "rules": [w for w in WAVES if w not in params.network_waves]}


@lru_cache(maxsize=1)
def _shipped_segmenter() -> Segmenter | None:
    """The shipped delineator network, loaded on first use (torch loads then, not at start-up)."""
    from training.errors import ECGError
    from training.measure.segnet import Segmenter, default_network_path

    try:
        return Segmenter.load(default_network_path())
    except (ECGError, OSError):
        return None


def rr_irregularity(r: np.ndarray) -> float:
    """Median absolute successive RR difference over the median RR (0 for a metronome; NaN under 4
    beats): high in atrial fibrillation, low in sinus rhythm, even with sinus arrhythmia's slow swing."""
    rr = np.diff(r.astype(np.float64))
    if rr.size < 3 or np.median(rr) <= 0:
        return float("nan")
    return float(np.median(np.abs(np.diff(rr))) / np.median(rr))


def _drop_inconsistent_p(per_lead: np.ndarray, glob: np.ndarray, dominant: np.ndarray, fs: float,
                         quality: dict[str, object], irregularity: float = float("nan"),
                         params: DelineationParams = DelineationParams()) -> None:
    """Atrial activity without a fixed relation to the QRS (fibrillation waves, noise) is not a P wave:
    when the time from the P wave's middle to the QRS varies more than :data:`MAX_PR_SPREAD_S` (or, in an irregular rhythm
    as atrial fibrillation, more than ``params.af_pr_spread_s``), every P is dropped."""
    middle = np.where(np.isfinite(glob[:, P_ON] + glob[:, P_OFF]), 0.5 * (glob[:, P_ON] + glob[:, P_OFF]),
                      glob[:, P_PEAK])  # the wave's middle: steadier than a flat P's peak
    pr = (glob[dominant, QRS_ON] - middle[dominant]) / fs
    found = pr[np.isfinite(pr)]
    if found.size >= 3:
        spread = 1.4826 * float(np.median(np.abs(found - np.median(found))))
        irregular = np.isfinite(irregularity) and irregularity > params.af_irregularity
        if spread > MAX_PR_SPREAD_S or (irregular and spread > params.af_pr_spread_s):
            per_lead[:, :, 0:3] = np.nan
            glob[:, 0:3] = np.nan
            quality["notes"].append(f"atrial waves without a fixed PR (spread {spread * 1000:.0f} ms"
                                    + (f", irregular RR {irregularity:.2f}" if irregular else "")
                                    + "): no P wave measured")
    found_p = int(np.isfinite(glob[dominant, P_PEAK]).sum())
    quality["p_waves"] = "present" if found_p >= max(1, dominant.sum() // 2) else "absent"


@lru_cache(maxsize=16)
def _band(fs: float, high: float) -> np.ndarray:
    """0.5 Hz-``high`` Butterworth sections, designed once per rate (design costs more than filtering)."""
    return sps.butter(2, [0.5, min(high, 0.45 * fs)], btype="bandpass", fs=fs, output="sos")


def band_limited(raw: np.ndarray, fs: float, high: float) -> np.ndarray:
    """Zero-phase 0.5 Hz-``high`` band of every lead (waves keep their timing)."""
    return sps.sosfiltfilt(_band(fs, high), raw, axis=-1, padlen=min(15, raw.shape[1] - 1))
