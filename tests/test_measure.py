"""The measurement engine on real records: contract, accuracy on a clean LUDB record, and every
kind of bad input the issue names (altered real records where the database has no example)."""

from __future__ import annotations

import dataclasses
import io
import json
import math
from contextlib import redirect_stdout

import numpy as np
import pytest

from training.cli import main as cli_main
from training.data import read_record
from training.measure import GLOBAL_KEYS, measure
from training.measure.fiducials import FIDUCIALS
from training.measure.intervals import frontal_axis, qtc
from training.measure.reference import load_ludb_reference
from training.measure.scoring import reference_intervals

ISSUE_GLOBAL = {"hr_bpm", "rr_ms", "p_ms", "pr_ms", "qrs_ms", "qt_ms", "qtc_bazett_ms", "qtc_fridericia_ms",
                "qtc_framingham_ms", "qtc_hodges_ms", "p_axis_deg", "qrs_axis_deg", "t_axis_deg"}


@pytest.fixture(scope="module")
def ludb(shared_data):
    return shared_data / "ludb" / "data"


def _altered(record, signal, **changes):
    return dataclasses.replace(record, signal=np.ascontiguousarray(signal, dtype=np.float32), **changes)


def test_json_contract_and_accuracy_on_a_clean_sinus_record(ludb):
    record = read_record(ludb / "6")
    m = measure(record)
    d = json.loads(json.dumps(m.to_dict()))  # JSON-serialisable as it is
    assert {"record", "fs", "beats", "global", "quality"} <= set(d)
    assert ISSUE_GLOBAL <= set(d["global"])
    assert d["fs"] == 500.0 and d["record"] == "6"
    for beat in d["beats"]:
        assert set(beat) == set(FIDUCIALS) | {"class"}
        times = [beat[k] for k in FIDUCIALS if beat[k] is not None]
        assert times == sorted(times), beat  # onset <= peak <= offset, P before QRS before T
    ref = load_ludb_reference(ludb / "6", record.fs)
    expected = reference_intervals(ref.fiducials, record.fs)
    g = d["global"]
    assert abs(g["qrs_ms"] - expected["qrs_ms"]) < 20
    assert abs(g["pr_ms"] - expected["pr_ms"]) < 30
    assert abs(g["qt_ms"] - expected["qt_ms"]) < 40
    assert 30 <= g["qrs_axis_deg"] < 90  # LUDB: normal axis
    assert g["qtc_bazett_ms"] == pytest.approx(g["qt_ms"] / math.sqrt(g["rr_ms"] / 1000), abs=0.2)
    assert d["quality"]["refused"] is None and d["quality"]["limb_reversal_suspected"] is False
    assert set(d["leads"]["V1"]) >= {"q_mv", "r_mv", "s_mv", "r_prime_mv", "st_j_mv", "st_j60_mv", "t_mv", "p_mv"}


def test_cli_json_prints_exactly_one_object(ludb, capsys):
    assert cli_main(["measure", str(ludb / "6.hea"), "--json"]) == 0
    out = capsys.readouterr().out
    obj = json.loads(out)  # raises if there is anything but one object
    assert obj["record"] == "6" and len(obj["beats"]) > 5


def test_cli_csv_one_row_per_record_and_unreadable_ones_noted(ludb, tmp_path, capsys):
    bad = tmp_path / "broken.hea"
    bad.write_text("not a header\n")
    out = tmp_path / "cohort.csv"
    assert cli_main(["measure", str(ludb / "1.hea"), str(ludb / "38.hea"), str(bad), "--csv", str(out)]) == 0
    import csv
    rows = list(csv.DictReader(out.open()))
    assert [r["record"] for r in rows] == ["1", "38", "broken"]
    assert rows[0]["error"] == "" and float(rows[0]["qrs_ms"]) > 40
    assert rows[1]["p_ms"] == ""  # atrial fibrillation: no P
    assert rows[2]["error"] and rows[2]["hr_bpm"] == ""


def test_atrial_fibrillation_has_no_p_waves(ludb):
    m = measure(read_record(ludb / "38"))
    assert m.global_["p_ms"] is None and m.global_["pr_ms"] is None and m.global_["p_axis_deg"] is None
    assert m.global_["qrs_ms"] is not None and m.global_["hr_bpm"] is not None
    assert all(b["p_on"] is None for b in m.beats())


def test_paced_record_is_measured_without_error(ludb):
    m = measure(read_record(ludb / "34"))
    assert m.quality["refused"] is None
    assert m.global_["qrs_ms"] is None or m.global_["qrs_ms"] > 100  # paced QRS are wide


def test_flat_line_is_refused(ludb):
    record = read_record(ludb / "6")
    m = measure(_altered(record, np.zeros_like(record.signal)))
    assert m.quality["refused"] and m.n_beats == 0
    assert all(m.global_[k] is None for k in GLOBAL_KEYS)


def test_pure_noise_gives_no_numbers(ludb):
    record = read_record(ludb / "6")
    noise = np.random.default_rng(0).normal(0, 0.3, record.signal.shape)
    m = measure(_altered(record, noise))
    assert m.quality["refused"] or all(m.global_[k] is None for k in ("pr_ms", "qt_ms"))


def test_flat_saturated_and_noisy_leads_are_excluded_and_flagged(ludb):
    record = read_record(ludb / "6")
    signal = record.signal.copy()
    signal[record.leads.index("V2")] = 0.0
    v3 = signal[record.leads.index("V3")]
    signal[record.leads.index("V3")] = np.clip(v3, -0.1, 0.1)
    signal[record.leads.index("V5")] += np.random.default_rng(1).normal(0, 0.5, signal.shape[1])
    m = measure(_altered(record, signal))
    excluded = m.quality["excluded_leads"]
    assert excluded["V2"] == "flat" and excluded["V3"] == "saturated" and excluded["V5"] == "noisy"
    assert {"V2", "V3", "V5"}.isdisjoint(m.quality["good_leads"])
    clean = measure(record)
    assert abs(m.global_["qrs_ms"] - clean.global_["qrs_ms"]) <= 12


def test_arm_lead_reversal_is_flagged(ludb):
    record = read_record(ludb / "6")
    s = record.signal
    lead = {name: s[i] for i, name in enumerate(record.leads)}
    swapped = dict(lead, I=-lead["I"], II=lead["III"], III=lead["II"], aVR=lead["aVL"], aVL=lead["aVR"])
    m = measure(_altered(record, np.stack([swapped[n] for n in record.leads])))
    assert m.quality["limb_reversal_suspected"] is True
    assert not measure(record).quality["limb_reversal_suspected"]


def test_two_lead_record_has_no_axes_and_finds_pvcs(shared_data):
    record = read_record(shared_data / "formats" / "mitdb_208" / "208")
    short = _altered(record, record.signal[:, :int(120 * record.fs)], n_samples=int(120 * record.fs))
    m = measure(short)
    assert m.global_["qrs_axis_deg"] is None and m.global_["hr_bpm"] > 40
    assert "V" in m.classes and "N" in m.classes


def test_one_second_record_is_measured_honestly(ludb):
    record = read_record(ludb / "6")
    n = int(record.fs)
    m = measure(_altered(record, record.signal[:, :n], n_samples=n))
    assert m.n_beats <= 2 and m.global_["rr_sd_ms"] is None
    half = _altered(record, record.signal[:, :n // 2], n_samples=n // 2)
    assert measure(half).quality["refused"]


def test_low_sampling_rate_is_refused(shared_data):
    record = read_record(sorted((shared_data / "ptbxl" / "records100").rglob("*.hea"))[0])
    assert "Hz" in measure(record).quality["refused"]


def test_qtc_formulas_and_axis():
    values = qtc(400.0, 800.0)
    assert values["qtc_bazett_ms"] == pytest.approx(400 / math.sqrt(0.8))
    assert values["qtc_fridericia_ms"] == pytest.approx(400 / 0.8 ** (1 / 3))
    assert values["qtc_framingham_ms"] == pytest.approx(400 + 154 * 0.2)
    assert values["qtc_hodges_ms"] == pytest.approx(400 + 1.75 * 15)
    assert all(v is None for v in qtc(None, 800.0).values())
    # Einthoven: a vector at 60 degrees gives I = cos 60, III = cos(-60)
    assert frontal_axis({"I": 0.5, "III": 0.5}) == pytest.approx(60.0)
    assert frontal_axis({"I": 1.0, "aVF": 0.0}) == pytest.approx(0.0)
    assert frontal_axis({"II": 1.0}) is None


def test_cli_parser_does_not_load_the_engine():
    import subprocess
    import sys
    code = ("import sys; from training.cli import build_parser; build_parser(); "
            "print('training.measure.engine' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_ludb_reference_and_scoring(ludb):
    from training.measure.scoring import match, score_record

    ref = load_ludb_reference(ludb / "1", 500.0)
    first = dict(zip(FIDUCIALS, ref.fiducials[1]))
    # beat 2 of record 1: earliest lead onset / latest lead offset over the 12 annotation files
    assert (first["p_on"], first["qrs_on"], first["qrs_off"], first["t_off"]) == (1240, 1314, 1374, 1580)
    assert np.isnan(ref.fiducials[0, 0])  # the first beat's P lies before the annotated span
    perfect = score_record("1", ref.fiducials, ref.fiducials, ref.span, 500.0,
                           reference_intervals(ref.fiducials, 500.0))
    assert all(tp == n_ref == n_found for tp, n_ref, n_found in perfect.counts.values())
    assert all(all(e == 0 for e in errs) for errs in perfect.errors.values())
    assert all(a == b for a, b in perfect.intervals.values())
    assert match(np.array([10.0, 300.0]), np.array([12.0, 500.0]), 75) == [(0, 0)]


def test_lead_with_missing_samples_is_left_out(ludb):
    record = read_record(ludb / "6")
    signal = record.signal.copy()
    signal[record.leads.index("V4"), 1000:1200] = np.nan  # a gap, as a memory-mapped Holter reports it
    m = measure(_altered(record, signal))
    assert m.quality["excluded_leads"] == {"V4": "missing samples"} and m.global_["qrs_ms"] is not None


def test_memory_mapped_record_measures_the_same(ludb):
    import wfdb

    from training.data.lazy import LazySignal

    record = read_record(ludb / "6")
    lazy = LazySignal(ludb / "6.dat", wfdb.rdheader(str(ludb / "6")), [1.0] * 12)  # LUDB stores mV
    mapped = dataclasses.replace(record, signal=lazy)
    assert measure(mapped).global_ == measure(record).global_
