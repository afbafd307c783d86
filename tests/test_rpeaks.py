"""R-peak detection against cardiologists' beat annotations (MIT-BIH 100) and on real PTB-XL ECGs."""

from __future__ import annotations

import numpy as np
import pytest
import wfdb
from wfdb import processing

from training.data import read_record
from training.signal.rpeaks import detect_rpeaks, mean_heart_rate, rr_intervals_ms

#: MIT-BIH annotation symbols that are beats (the rest mark rhythm changes, noise, comments).
BEAT_SYMBOLS = set("NLRBAaJSVrFejnE/fQ?")


def match(reference: np.ndarray, detected: np.ndarray, tolerance: int) -> tuple[float, float]:
    """Sensitivity and positive predictive value, each reference beat matched at most once."""
    detected = np.sort(detected)
    used = np.zeros(detected.size, dtype=bool)
    hits = 0
    for beat in reference:
        k = int(np.searchsorted(detected, beat))
        candidates = [c for c in (k - 1, k) if 0 <= c < detected.size and not used[c]
                      and abs(int(detected[c]) - int(beat)) <= tolerance]
        if candidates:
            used[min(candidates, key=lambda c: abs(int(detected[c]) - int(beat)))] = True
            hits += 1
    return hits / max(reference.size, 1), hits / max(detected.size, 1)


@pytest.fixture(scope="module")
def mitdb_100(shared_data):
    record = read_record(shared_data / "formats" / "100")
    notes = wfdb.rdann(str(shared_data / "formats" / "100"), "atr")
    beats = np.array([s for s, sym in zip(notes.sample, notes.symbol) if sym in BEAT_SYMBOLS])
    return record, beats


@pytest.mark.parametrize("leads", [[0], [0, 1]], ids=["MLII", "both leads"])
def test_mitbih_100_matches_the_annotated_beats_within_50_ms(mitdb_100, leads):
    record, beats = mitdb_100
    peaks = detect_rpeaks(record.signal[leads].squeeze(), record.fs)
    sensitivity, ppv = match(beats, peaks, int(0.05 * record.fs))
    assert beats.size == 2273
    assert sensitivity > 0.99 and ppv > 0.99  # the brief asks > 0.95; this clean record does better
    assert np.all(np.diff(peaks) >= int(0.2 * record.fs))  # never two beats within the refractory period


def test_ptbxl_beats_agree_with_wfdb_xqrs_and_give_a_sinus_rate(ptbxl_root):
    record = read_record(ptbxl_root / "records500/00000/00001_hr")  # NORM, sinus rhythm
    peaks = detect_rpeaks(record.signal, record.fs)
    reference = processing.xqrs_detect(record.lead("II").astype(np.float64), record.fs, verbose=False)
    sensitivity, ppv = match(reference, peaks, int(0.05 * record.fs))
    assert sensitivity >= 0.95 and ppv >= 0.9  # xqrs skips a beat at the edges now and then
    rr = rr_intervals_ms(peaks, record.fs)
    assert 40 <= mean_heart_rate(peaks, record.fs) <= 100
    assert rr.std() / rr.mean() < 0.1  # a regular rhythm, no missed or doubled beat


def test_an_electrode_artefact_in_one_lead_is_not_a_beat(ptbxl_root):
    # 00332: V6 pops at 0.51 s; every lead agrees there is no QRS there.
    record = read_record(ptbxl_root / "records500/00000/00332_hr")
    peaks = detect_rpeaks(record.signal, record.fs)
    assert np.diff(peaks).min() / record.fs > 0.5


def test_single_lead_and_all_leads_find_the_same_beats(ptbxl_root):
    record = read_record(ptbxl_root / "records500/00000/00009_hr")
    one = detect_rpeaks(record.lead("V5"), record.fs)
    all_leads = detect_rpeaks(record.signal, record.fs)
    assert one.size == all_leads.size
    assert np.abs(one - all_leads).max() <= int(0.1 * record.fs)


def test_degenerate_input_gives_no_beats_rather_than_an_error(ptbxl_root):
    fs = 500.0
    assert detect_rpeaks(np.zeros(5000), fs).size == 0  # a lead that is off
    assert detect_rpeaks(np.ones(100), fs).size == 0  # shorter than a second
    lead = read_record(ptbxl_root / "records500/00000/00009_hr").lead("II").copy()
    lead[100] = np.nan
    assert detect_rpeaks(lead, fs).size == 0
    assert mean_heart_rate(np.array([10]), fs) is None
    with pytest.raises(ValueError):
        detect_rpeaks(np.zeros((2, 2, 2)), fs)
