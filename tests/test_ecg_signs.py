"""The ECG's PE signs and the Daniel ECG score from the measurements; the Daniel score as a cohort
comparator (own ROC, operating points); the signs in the PE tab."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from training.clinical.cohort import DANIEL_HIGH, DANIEL_LOW, compare, load_cohort
from training.clinical.ecg_signs import DanielScore, daniel_score, pe_signs
from training.data import read_record
from training.measure import GLOBAL_KEYS, Measurements, measure

from tests.test_clinical_cohort import PROB, cohort_csv  # noqa: F401  (the fixed 12-patient cohort)

LEADS = ("I", "II", "III", "aVR", "aVL", "aVF", "V1", "V2", "V3", "V4", "V5", "V6")


def _lead(**values) -> dict:
    base = {"p_mv": 0.1, "q_mv": 0.0, "r_mv": 1.0, "s_mv": -0.2, "r_prime_mv": 0.0, "st_j_mv": 0.0,
            "st_j60_mv": 0.0, "t_mv": 0.2}
    base.update(values)
    return base


def _measurements(global_: dict, leads: dict) -> Measurements:
    values = dict.fromkeys(GLOBAL_KEYS)
    values.update(global_)
    table = {lead: leads.get(lead, _lead()) for lead in LEADS}
    return Measurements("x", 500.0, LEADS, np.zeros((0, 9)), np.zeros((0, 12, 9)), [], values, table,
                        {"refused": None, "p_waves": "present"})


def test_daniel_score_adds_the_papers_points_with_evidence():
    m = _measurements({"hr_bpm": 112.0, "qrs_ms": 130.0, "qrs_axis_deg": 100.0},
                      {"I": _lead(s_mv=-0.2), "III": _lead(q_mv=-0.2, t_mv=-0.1),
                       "V1": _lead(r_mv=0.3, s_mv=-0.2, r_prime_mv=0.4, t_mv=-0.25),
                       "V2": _lead(t_mv=-0.15), "V3": _lead(t_mv=-0.05), "V4": _lead(t_mv=-0.1)})
    score = daniel_score(m)
    points = {i.criterion: i.points for i in score.items}
    assert points == {"Tachycardia > 100 bpm": 2, "Incomplete RBBB": 0, "Complete RBBB": 3,
                      "T inversion in all of V1–V4": 4, "T inversion in V1": 2, "T inversion in V2": 2,
                      "T inversion in V3": 1, "S wave in I": 0, "Q wave in III": 1, "Inverted T in III": 1,
                      "S1Q3T3 (all three)": 2}
    assert score.total == 18 <= DanielScore.MAX and score.unmeasured == 0
    signs = {s.name: s for s in pe_signs(m)}
    assert signs["Sinus tachycardia"].present and "112 bpm" in signs["Sinus tachycardia"].evidence
    assert signs["S1Q3T3"].present and signs["Complete RBBB"].present and not signs["Incomplete RBBB"].present
    assert signs["T-wave inversion V1–V4"].present and signs["Right axis deviation"].present
    assert "-2.5 mm" in signs["T-wave inversion V1–V4"].evidence


def test_missing_measurements_are_not_measurable_never_absent():
    m = _measurements({"hr_bpm": None}, {})
    m.lead_amplitudes.pop("III")
    signs = {s.name: s.present for s in pe_signs(m)}
    assert signs["Sinus tachycardia"] is None and signs["S1Q3T3"] is None and signs["Right axis deviation"] is None
    score = daniel_score(m)
    assert score.unmeasured >= 3 and score.total == 0


def test_signs_on_real_records(shared_data):
    ludb = shared_data / "ludb" / "data"
    normal = {s.name: s for s in pe_signs(measure(read_record(ludb / "6")))}
    assert not normal["Complete RBBB"].present and not normal["Sinus tachycardia"].present
    assert not normal["Right axis deviation"].present
    af = {s.name: s.present for s in pe_signs(measure(read_record(ludb / "38")))}
    assert af["P pulmonale"] is None and af["Sinus tachycardia"] in (False, None)  # no P waves: not sinus


def test_daniel_is_a_cohort_comparator_with_its_own_roc(cohort_csv):  # noqa: F811
    cohort = load_cohort(cohort_csv)
    daniel = np.array([12, 7, 3, 0, 6, 0, 11, 1, 0, 2, 4, 0], float)
    result = compare(cohort, PROB, threshold=0.5, n_boot=200, seed=1, daniel=daniel)
    rows = {r.name: r for r in result.rows}
    assert rows[DANIEL_HIGH].decisions.tolist() == (daniel >= 10).tolist()
    assert rows[DANIEL_LOW].decisions.tolist() == (daniel > 5).tolist()
    assert rows[DANIEL_HIGH].metrics["auc"].value == pytest.approx(roc_auc_score(cohort.outcome, daniel))
    fpr, tpr, _ = result.score_rocs["Daniel ECG score"]
    assert fpr[0] == 0 and tpr[-1] == 1
    assert DANIEL_HIGH in result.auc_tests and DANIEL_LOW not in result.auc_tests
    assert ("Model @ 0.500", DANIEL_HIGH) in result.mcnemar
    without = compare(cohort, PROB, threshold=0.5, n_boot=200, seed=1)
    assert DANIEL_HIGH not in {r.name for r in without.rows} and without.score_rocs == {}
