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

import numpy as np
from scipy import signal as sps

from training.data.record import Record
from training.errors import RecordError
from training.measure import beats as beat_classes
from training.measure.amplitudes import lead_values, qrs_net
from training.measure.delineate import DelineationParams, delineate, pr_level
from training.measure.fiducials import FIDUCIALS, P_PEAK, QRS_OFF, QRS_ON
from training.measure.intervals import frontal_axis, intervals, qtc, rate
from training.measure.quality import MIN_QRS_SNR, flat_or_saturated, lead_noise, limb_reversal_suspected, qrs_snr
from training.signal.quality import signal_findings
from training.signal.rpeaks import detect_rpeaks

#: Below this rate the waves' edges cannot be placed to the IEC tolerances (a few ms).
MIN_FS = 200.0
#: Longer records are measured over their first this-many seconds (a cart measures 10 s).
DEFAULT_MAX_SECONDS = 300.0
#: Keys of the ``global`` block, in print order (the same names vendor measurements use).
GLOBAL_KEYS = ("hr_bpm", "rr_ms", "rr_sd_ms", "p_ms", "pr_ms", "qrs_ms", "qt_ms", "qtc_bazett_ms",
               "qtc_fridericia_ms", "qtc_framingham_ms", "qtc_hodges_ms", "p_axis_deg", "qrs_axis_deg",
               "t_axis_deg")
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
            max_seconds: float | None = DEFAULT_MAX_SECONDS) -> Measurements:
    """Measure ``record`` (see the module docstring). ``max_seconds=None`` measures all of it."""
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
    x = _filtered(raw, fs, 40.0)
    xs = _filtered(raw, fs, 15.0)
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
    classes = beat_classes.classify(correlation, (glob[:, QRS_OFF] - glob[:, QRS_ON]) / fs)
    dominant = np.array([c == "N" for c in classes])
    _drop_inconsistent_p(per_lead, glob, dominant, fs, quality)
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
    quality.update({
        "n_beats": int(r.size), "n_ventricular": int((~dominant).sum()),
        "limb_reversal_suspected": limb_reversal_suspected(
            net["p_axis_deg"], net["qrs_axis_deg"]),
    })
    if quality["limb_reversal_suspected"]:
        quality["notes"].append("P and QRS negative in I and positive in aVR: check the arm electrodes "
                                "(or dextrocardia) before trusting the axes")
    return Measurements(record.name, fs, names, glob, per_lead, classes, result, amplitudes, quality)


def _drop_inconsistent_p(per_lead: np.ndarray, glob: np.ndarray, dominant: np.ndarray, fs: float,
                         quality: dict[str, object]) -> None:
    """Atrial activity without a fixed relation to the QRS (fibrillation waves, noise) is not a P wave:
    when the P peak-to-QRS time varies more than :data:`MAX_PR_SPREAD_S`, every P is dropped."""
    pr = (glob[dominant, QRS_ON] - glob[dominant, P_PEAK]) / fs
    found = pr[np.isfinite(pr)]
    if found.size >= 3:
        spread = 1.4826 * float(np.median(np.abs(found - np.median(found))))
        if spread > MAX_PR_SPREAD_S:
            per_lead[:, :, 0:3] = np.nan
            glob[:, 0:3] = np.nan
            quality["notes"].append(f"atrial waves without a fixed PR (spread {spread * 1000:.0f} ms): "
                                    "no P wave measured")
    found_p = int(np.isfinite(glob[dominant, P_PEAK]).sum())
    quality["p_waves"] = "present" if found_p >= max(1, dominant.sum() // 2) else "absent"


@lru_cache(maxsize=16)
def _band(fs: float, high: float) -> np.ndarray:
    """0.5 Hz-``high`` Butterworth sections, designed once per rate (design costs more than filtering)."""
    return sps.butter(2, [0.5, min(high, 0.45 * fs)], btype="bandpass", fs=fs, output="sos")


def _filtered(raw: np.ndarray, fs: float, high: float) -> np.ndarray:
    """Zero-phase 0.5 Hz-``high`` band of every lead (waves keep their timing)."""
    return sps.sosfiltfilt(_band(fs, high), raw, axis=-1, padlen=min(15, raw.shape[1] - 1))
