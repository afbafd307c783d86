"""Cautions for records unlike the model's training data: shown beside the prediction instead of a bare number.

Each rule looks at the record as read (before the model's pipeline) and at the model card; any that
fires adds a :class:`Caution` with a sentence saying what was seen. The rules and their limits:

``resampled``     the record's rate is more than :data:`MAX_RESAMPLE` times the rate of the records the
                  model learned from (PTB-XL's 100 Hz files are themselves 500 Hz recordings downsampled
                  by 5, so 500 Hz is not far; 1000 Hz is).
``unusable_lead`` the signal check every model runs first (:func:`training.signal.quality.lead_problems`,
                  the findings behind ``check_signal``) finds a lead the model reads flat (no signal, or
                  a missing lead filled in with zeros or a constant), off its baseline, beyond any
                  heart's amplitude, stepping faster than a heart can (noise or damaged samples),
                  saturated or non-finite. One concept, one place: its thresholds are the check's, and
                  the caution quotes its words; the Predictor then refuses the record, so the caution is
                  what a caller sees when it asks *why* before predicting.
``noisy_lead``    in a lead the check accepts, the power above 40 Hz is more than :data:`NOISE_RATIO` of
                  the power in the 0.5-40 Hz ECG band (muscle or mains noise on a usable ECG, which the
                  check does not judge); needs a rate above 100 Hz.
``paced``         the header says pacing/paced/pacemaker, or the measurement's pacing-spike detector
                  (:func:`training.measure.quality.pacing_spikes`: one-sample jumps in several leads
                  before a third of the beats; rates of 250 Hz and above) finds them. Bipolar pacing
                  spikes can be too small to see: an unpaced-looking record may still be paced.
``lead_reversal`` lead I is inverted (QRS and T wave net negative) while the QRS in aVR is net positive:
                  the arm electrodes are swapped (or the heart is right-sided, dextrocardia); either way
                  the model never saw it. Extreme right axis deviation with T inversion can look the same.
``population``    the patient's age is outside the ages of the training records (the card's
                  ``data.age_range``), or under 16 when the card does not say (children's ECGs differ:
                  right-ventricular dominance, higher rates; the PTB-XL slice's youngest are 17).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from training.checkpoint import ModelCard
from training.data.record import Record
from training.signal.filters import butter_bandpass
from training.signal.quality import lead_problems

MAX_RESAMPLE = 5.0
NOISE_RATIO = 0.25
ADULT_AGE = 16.0
#: the signal rules look at the first five minutes (a 24 h recording is not filtered whole for a caution)
MAX_SECONDS = 300.0
_PACED_WORDS = re.compile(r"\bpac(ing|ed|emaker)\b", re.I)


@dataclass(frozen=True)
class Caution:
    code: str
    message: str


def training_record_fs(card: ModelCard) -> float:
    """The sampling rate of the records the model learned from (PTB-XL: its 100 or 500 Hz release)."""
    data = card.config.get("data", {})
    if data.get("record_fs"):
        return float(data["record_fs"])
    if data.get("kind") == "ptbxl" or str(card.data.get("name", "")).startswith("ptbxl"):
        return 100.0 if card.fs <= 100 else 500.0
    return float(card.fs)


def _noise_ratio(x: np.ndarray, fs: float) -> np.ndarray:
    ecg = butter_bandpass(x, fs, 0.5, 40.0)
    high = butter_bandpass(x, fs, 40.0, None)
    return np.std(high, axis=-1) ** 2 / np.maximum(np.std(ecg, axis=-1) ** 2, 1e-12)


def _net(x: np.ndarray, peaks: np.ndarray, fs: float, start_s: float, end_s: float) -> float:
    """Median over beats of the signal's sum from ``start_s`` to ``end_s`` around each R peak."""
    a, b = int(start_s * fs), max(int(start_s * fs) + 1, int(end_s * fs))
    areas = [x[max(0, p + a):p + b].sum() for p in peaks if p + b <= len(x)]
    return float(np.median(areas)) if areas else 0.0


def cautions(record: Record, card: ModelCard) -> list[Caution]:
    """Every rule of this module that fires for ``record`` read by the model of ``card``."""
    out: list[Caution] = []
    source_fs = training_record_fs(card)
    if record.fs > MAX_RESAMPLE * source_fs:
        out.append(Caution("resampled", f"recorded at {record.fs:g} Hz and resampled to {card.fs:g} Hz; the model "
                                        f"learned from {source_fs:g} Hz records"))
    leads = [lead for lead in card.leads if lead in record.leads]
    if not leads:
        return out
    x = record.select(leads, stop=int(MAX_SECONDS * record.fs)).astype(np.float64)
    problems = lead_problems(record, leads)
    unusable = {p.lead for p in problems}
    if problems:
        out.append(Caution("unusable_lead", "not a usable ECG in lead" + ("s " if len(problems) > 1 else " ")
                           + "; ".join(str(p) for p in problems) + "; the model refuses such a record"))
    if record.fs > 100:
        noisy = [lead for lead, r in zip(leads, _noise_ratio(x, record.fs)) if r > NOISE_RATIO and lead not in unusable]
        if noisy:
            out.append(Caution("noisy_lead", f"high-frequency noise in lead{'s' if len(noisy) > 1 else ''} "
                                             f"{', '.join(noisy)}"))
    text = " ".join((*record.comments, *record.labels))
    if _PACED_WORDS.search(text):
        out.append(Caution("paced", "paced rhythm (the record's header says so); the model never learned "
                                    "paced ECGs"))
    elif record.fs >= 250:
        from training.measure.quality import is_paced, pacing_spikes
        from training.signal.rpeaks import detect_rpeaks

        spiked, beats = pacing_spikes(x, detect_rpeaks(x, record.fs), record.fs)
        if is_paced(spiked, beats):
            out.append(Caution("paced", f"pacing spikes before {spiked} of {beats} beats; the model never "
                                        "learned paced ECGs"))
    if {"I", "aVR", "II"} <= set(leads):
        out.extend(_lead_reversal(record, x, leads))
    out.extend(_population(record, card))
    return out


def _lead_reversal(record: Record, x: np.ndarray, leads: list[str]) -> list[Caution]:
    from training.signal.rpeaks import detect_rpeaks

    ecg = butter_bandpass(x, record.fs, 0.5, min(40.0, record.fs / 2 - 1))
    peaks = detect_rpeaks(ecg[leads.index("II")], record.fs)
    if len(peaks) < 3:
        return []
    lead_i, avr = ecg[leads.index("I")], ecg[leads.index("aVR")]
    qrs_i, qrs_avr = _net(lead_i, peaks, record.fs, -0.05, 0.05), _net(avr, peaks, record.fs, -0.05, 0.05)
    t_i = _net(lead_i, peaks, record.fs, 0.15, 0.35)
    if qrs_i < 0 < qrs_avr and t_i < 0:
        return [Caution("lead_reversal", "QRS negative in lead I and positive in aVR: arm electrodes reversed, "
                                         "or dextrocardia")]
    return []


def _population(record: Record, card: ModelCard) -> list[Caution]:
    if record.age is None:
        return []
    ages = card.data.get("age_range")
    if ages:
        low, high = float(ages[0]), float(ages[1])
        if not low <= record.age <= high:
            return [Caution("population", f"patient aged {record.age:g}; the model learned from ages "
                                          f"{low:g}-{high:g}")]
        return []
    if record.age < ADULT_AGE:
        return [Caution("population", f"patient aged {record.age:g}: the model learned from adults' ECGs")]
    return []
