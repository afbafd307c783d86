"""Cohort statistics against scikit-learn/scipy on a fixed small cohort; reports; the synthetic demo."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest
from scipy import stats
from sklearn.metrics import f1_score, precision_score, recall_score, roc_auc_score

from training.clinical.cohort import CohortError, compare, load_cohort
from training.clinical.demo import write_demo_cohort
from training.clinical.report import write_csv, write_html
from training.clinical.stats import auc, auc_difference, bootstrap_indices, mcnemar, operating_point, threshold_for_sensitivity

HEADER = ["record", "pe_confirmed", "dvt_signs", "pe_most_likely", "heart_rate", "immobilisation_or_surgery",
          "previous_vte", "haemoptysis", "malignancy", "d_dimer", "d_dimer_unit", "d_dimer_basis"]
# 12 patients, fixed: outcome, Wells items, HR, D-dimer
ROWS = [
    ["r01", 1, 1, 1, 110, 0, 0, 0, 0, 2400, "ng/mL", "FEU"],
    ["r02", 1, 1, 0, 90, 1, 0, 0, 0, 1.2, "mg/L", "FEU"],
    ["r03", 1, 0, 1, 120, 0, 1, 0, 0, 700, "ng/mL", "DDU"],
    ["r04", 1, 0, 0, 80, 0, 0, 1, 1, 0.9, "µg/mL", "FEU"],
    ["r05", 1, 0, 1, 85, 0, 0, 0, 0, 450, "ng/mL", "FEU"],
    ["r06", 0, 0, 0, 70, 0, 0, 0, 0, 300, "ng/mL", "FEU"],
    ["r07", 0, 0, 1, 105, 0, 0, 0, 0, 600, "ng/mL", "FEU"],
    ["r08", 0, 0, 0, 88, 1, 0, 0, 1, 0.4, "mg/L", "FEU"],
    ["r09", 0, 1, 0, 95, 0, 0, 0, 0, 1500, "ng/mL", "FEU"],
    ["r10", 0, 0, 0, 72, 0, 1, 0, 0, 200, "ng/mL", "DDU"],
    ["r11", 0, 0, 0, 101, 0, 0, 1, 0, 950, "ng/mL", "FEU"],
    ["r12", 0, 0, 0, 60, 0, 0, 0, 0, 0.25, "mg/L", "FEU"],
]
PROB = np.array([0.91, 0.72, 0.64, 0.35, 0.58, 0.12, 0.61, 0.30, 0.44, 0.08, 0.52, 0.05])


@pytest.fixture
def cohort_csv(tmp_path) -> Path:
    path = tmp_path / "cohort.csv"
    with path.open("w", newline="") as fh:
        csv.writer(fh).writerows([HEADER, *ROWS])
    return path


def test_operating_point_matches_scikit_learn():
    y = np.array([r[1] for r in ROWS], bool)
    pred = PROB >= 0.5
    op = operating_point(y, pred)
    assert op["sensitivity"] == pytest.approx(recall_score(y, pred))
    assert op["specificity"] == pytest.approx(recall_score(~y, ~pred))
    assert op["ppv"] == pytest.approx(precision_score(y, pred))
    assert op["npv"] == pytest.approx(precision_score(~y, ~pred))
    assert op["f1"] == pytest.approx(f1_score(y, pred))


def test_comparison_rows_match_reference_computations(cohort_csv):
    cohort = load_cohort(cohort_csv)
    result = compare(cohort, PROB, threshold=0.5, n_boot=300, seed=1)
    y = cohort.outcome
    model = result.rows[0]
    assert model.metrics["auc"].value == pytest.approx(roc_auc_score(y, PROB))
    assert model.metrics["sensitivity"].low <= model.metrics["sensitivity"].value <= model.metrics["sensitivity"].high
    by_name = {r.name: r for r in result.rows}
    # Wells two-tier: scores 7.5, 4.5, 6, 2, 3, 0, 4.5, 2.5, 3, 1.5, 2.5, 0 -> likely where > 4
    assert by_name["Wells two-tier"].decisions.tolist() == [True, True, True, False, False, False, True, False,
                                                             False, False, False, False]
    # PEGeD misses r04 (Wells 2, low, 900 ng/mL < 1000) and r05 (Wells 3, low, 450 < 1000)
    assert by_name["PEGeD"].decisions[:5].tolist() == [True, True, True, False, False]
    assert by_name["PEGeD"].metrics["sensitivity"].value == pytest.approx(3 / 5)
    matched = by_name["Model @ PEGeD sensitivity"]
    assert matched.metrics["sensitivity"].value >= 3 / 5
    # McNemar equals scipy's exact binomial on the discordant counts
    test = result.mcnemar[(model.name, "PEGeD")]
    assert test.p_value == pytest.approx(stats.binomtest(test.b, test.b + test.c, 0.5).pvalue if test.b + test.c else 1.0)
    # bootstrap reproducible with a seed, different with another
    again = compare(cohort, PROB, threshold=0.5, n_boot=300, seed=1)
    other = compare(cohort, PROB, threshold=0.5, n_boot=300, seed=2)
    assert again.rows[0].metrics["auc"] == model.metrics["auc"]
    assert other.rows[0].metrics["auc"].low != model.metrics["auc"].low or other.rows[0].metrics["auc"].high != model.metrics["auc"].high


def test_mcnemar_switches_to_chi_square_for_many_discordant_pairs():
    y = np.zeros(60, bool)
    first = np.zeros(60, bool)
    second = np.zeros(60, bool)
    second[:30] = True  # second wrong on 30
    first[30:35] = True  # first wrong on 5
    result = mcnemar(y, first, second)
    assert (result.b, result.c) == (30, 5)
    assert result.method.startswith("chi-square")
    assert result.p_value == pytest.approx(stats.chi2.sf((25 - 1) ** 2 / 35, 1))


def test_rank_auc_matches_scikit_learn_with_ties():
    rng = np.random.default_rng(0)
    y = rng.random(200) < 0.3
    score = np.round(rng.random(200) + 0.3 * y, 1)  # many ties
    assert auc(y, score) == pytest.approx(roc_auc_score(y, score))
    assert auc(y, y.astype(float)) == 1.0


def test_auc_difference_of_a_score_with_itself_is_zero_and_not_significant():
    y = np.array([r[1] for r in ROWS], bool)
    diff = auc_difference(y, PROB, PROB, bootstrap_indices(len(y), 200, 0))
    assert diff.difference == 0 and diff.p_value == 1.0


def test_threshold_for_sensitivity_is_the_highest_reaching_it():
    y = np.array([1, 1, 0, 1, 0], bool)
    p = np.array([0.9, 0.6, 0.5, 0.3, 0.1])
    assert threshold_for_sensitivity(y, p, 2 / 3) == 0.6
    assert threshold_for_sensitivity(y, p, 1.0) == 0.3


def test_reports_are_written(cohort_csv, tmp_path):
    result = compare(load_cohort(cohort_csv), PROB, threshold=0.5, n_boot=100)
    write_csv(result, tmp_path / "out.csv")
    write_html(result, tmp_path / "out.html")
    rows = list(csv.reader((tmp_path / "out.csv").open()))
    assert rows[0][:3] == ["strategy", "description", "sensitivity"] and len(rows) == len(result.rows) + 1
    page = (tmp_path / "out.html").read_text()
    assert "data:image/png;base64," in page and "McNemar" in page and "SYNTHETIC" not in page


def test_malformed_cohort_names_row_and_column(cohort_csv):
    text = cohort_csv.read_text().replace("0.4,mg/L", "0.4,furlongs")
    cohort_csv.write_text(text)
    with pytest.raises(CohortError, match=r"row 9") as info:
        load_cohort(cohort_csv)
    assert info.value.field == "d_dimer_unit"
    cohort_csv.write_text("record,pe_confirmed\nx,1\n")
    with pytest.raises(CohortError, match="missing column"):
        load_cohort(cohort_csv)


def test_demo_cohort_is_synthetic_everywhere(shared_data, tmp_path):
    records = sorted((shared_data / "cpsc2018").glob("A00*.hea"))[:20]
    path = write_demo_cohort(records, tmp_path, seed=3)
    assert path.name.startswith("SYNTHETIC_")
    cohort = load_cohort(path)
    assert cohort.synthetic and len(cohort.outcome) == 20
    assert cohort.record_path(0).with_suffix(".hea").is_file()
    result = compare(cohort, np.linspace(0, 1, 20), threshold=0.5, n_boot=50)
    write_html(result, tmp_path / "demo.html")
    assert "SYNTHETIC DEMO COHORT" in (tmp_path / "demo.html").read_text()
