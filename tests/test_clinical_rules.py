"""Every boundary of Wells, PEGeD, YEARS, PERC and the D-dimer unit conversions."""

from __future__ import annotations

from dataclasses import fields, replace

import pytest

from training.clinical.ddimer import DDimer
from training.clinical.errors import ClinicalInputError
from training.clinical.rules import LABELS, PEFindings, peged, peged_pretest, perc, wells, years

NONE = PEFindings(dvt_signs=False, pe_most_likely=False, heart_rate=80, immobilisation_or_surgery=False,
                  previous_vte=False, haemoptysis=False, malignancy=False, age=30, sao2=98,
                  unilateral_leg_swelling=False, recent_surgery_or_trauma=False, hormone_use=False,
                  d_dimer=DDimer(300, "ng/mL", "FEU"))


def with_wells(score: float, **extra) -> PEFindings:
    """Findings whose Wells score is ``score`` (built from real criteria, not by patching the sum)."""
    combos = {
        0: {}, 1: {"haemoptysis": True}, 1.5: {"previous_vte": True}, 2: {"haemoptysis": True, "malignancy": True},
        3: {"dvt_signs": True}, 4: {"dvt_signs": True, "haemoptysis": True},
        4.5: {"dvt_signs": True, "previous_vte": True}, 5: {"dvt_signs": True, "haemoptysis": True, "malignancy": True},
        6: {"dvt_signs": True, "pe_most_likely": True}, 6.5: {"dvt_signs": True, "previous_vte": True, "haemoptysis": True, "malignancy": True},
        12.5: {"dvt_signs": True, "pe_most_likely": True, "heart_rate": 120, "immobilisation_or_surgery": True,
               "previous_vte": True, "haemoptysis": True, "malignancy": True},
    }
    return replace(NONE, **combos[score], **extra)


def test_labels_cover_every_finding():
    assert set(LABELS) == {f.name for f in fields(PEFindings)}


@pytest.mark.parametrize("score", [0, 1, 1.5, 2, 3, 4, 4.5, 5, 6, 6.5, 12.5])
def test_wells_score_is_the_sum_of_its_criteria(score):
    assert wells(with_wells(score)).score == score


@pytest.mark.parametrize("score,three,two", [
    (1.5, "low", "PE unlikely"), (2, "moderate", "PE unlikely"), (4, "moderate", "PE unlikely"),
    (4.5, "moderate", "PE likely"), (6, "moderate", "PE likely"), (6.5, "high", "PE likely"),
])
def test_wells_tiers_at_their_boundaries(score, three, two):
    result = wells(with_wells(score))
    assert (result.three_tier, result.two_tier) == (three, two)


def test_wells_heart_rate_criterion_is_strictly_above_100():
    assert wells(replace(NONE, heart_rate=100)).score == 0
    assert wells(replace(NONE, heart_rate=100.5)).score == 1.5


@pytest.mark.parametrize("score,pretest", [(0, "low"), (4, "low"), (4.5, "moderate"), (6, "moderate"), (6.5, "high")])
def test_peged_pretest_boundaries(score, pretest):
    assert peged_pretest(wells(with_wells(score)).score) == pretest


# D-dimer 499/500/999/1000 ng/mL FEU written in each unit and basis
EQUIVALENTS = {
    499: [(499, "ng/mL", "FEU"), (0.499, "µg/mL", "FEU"), (0.499, "mg/L", "FEU"), (249.5, "ng/mL", "DDU"), (0.2495, "mg/L", "DDU")],
    500: [(500, "ng/mL", "FEU"), (0.5, "µg/mL", "FEU"), (0.5, "mg/L", "FEU"), (250, "ng/mL", "DDU"), (0.25, "mg/L", "DDU")],
    999: [(999, "ng/mL", "FEU"), (0.999, "ug/mL", "FEU"), (0.999, "mg/L", "FEU"), (499.5, "ng/mL", "DDU"), (0.4995, "µg/mL", "DDU")],
    1000: [(1000, "ng/mL", "FEU"), (1.0, "µg/mL", "FEU"), (1.0, "mg/L", "FEU"), (500, "ng/mL", "DDU"), (0.5, "mg/L", "DDU")],
}


@pytest.mark.parametrize("ng", sorted(EQUIVALENTS))
def test_ddimer_units_convert_to_ng_ml_feu(ng):
    for value, unit, basis in EQUIVALENTS[ng]:
        assert DDimer(value, unit, basis).ng_ml_feu == pytest.approx(ng, abs=1e-9)


@pytest.mark.parametrize("ng,low,moderate", [(499, "excluded", "excluded"), (500, "excluded", "imaging"),
                                             (999, "excluded", "imaging"), (1000, "imaging", "imaging")])
def test_peged_ddimer_cutoffs_in_every_unit(ng, low, moderate):
    for dd in (DDimer(*e) for e in EQUIVALENTS[ng]):
        assert peged(with_wells(4, d_dimer=dd)).outcome == low
        assert peged(with_wells(4.5, d_dimer=dd)).outcome == moderate
        assert peged(with_wells(6.5, d_dimer=dd)).outcome == "imaging"


def test_peged_high_pretest_needs_no_ddimer_but_low_does():
    assert peged(with_wells(6.5, d_dimer=None)).outcome == "imaging"
    with pytest.raises(ClinicalInputError, match="d_dimer"):
        peged(with_wells(4, d_dimer=None))


@pytest.mark.parametrize("ng,no_items,items", [(499, "excluded", "excluded"), (500, "excluded", "imaging"),
                                               (999, "excluded", "imaging"), (1000, "imaging", "imaging")])
def test_years_cutoffs_in_every_unit(ng, no_items, items):
    for dd in (DDimer(*e) for e in EQUIVALENTS[ng]):
        assert years(replace(NONE, d_dimer=dd)).outcome == no_items
        assert years(replace(NONE, d_dimer=dd, haemoptysis=True)).outcome == items
        # Wells-only criteria are not YEARS items
        assert years(replace(NONE, d_dimer=dd, malignancy=True, heart_rate=130)).outcome == no_items


def test_years_and_peged_differ_where_their_items_differ():
    """A YEARS item (DVT signs) lowers YEARS' cut-off to 500; Wells-only criteria leave it at 1000."""
    patient = with_wells(4.5, d_dimer=DDimer(800, "ng/mL", "FEU"))
    assert years(patient).outcome == "imaging"  # DVT signs is a YEARS item -> cut-off 500
    no_item = replace(NONE, previous_vte=True, malignancy=True, immobilisation_or_surgery=True, d_dimer=DDimer(800, "ng/mL", "FEU"))
    assert wells(no_item).score == 4.0
    assert years(no_item).outcome == "excluded" and peged(no_item).outcome == "excluded"


@pytest.mark.parametrize("field,below,at", [("age", 49, 50), ("heart_rate", 99, 100)])
def test_perc_thresholds(field, below, at):
    assert perc(replace(NONE, **{field: below})).negative
    assert perc(replace(NONE, **{field: at})).positives == (field,)


def test_perc_sao2_and_flags_and_caveat():
    assert perc(replace(NONE, sao2=95)).negative
    assert perc(replace(NONE, sao2=94.9)).positives == ("sao2",)
    for flag in ("unilateral_leg_swelling", "haemoptysis", "recent_surgery_or_trauma", "previous_vte", "hormone_use"):
        assert perc(replace(NONE, **{flag: True})).positives == (flag,)
    assert "pretest probability is already low" in perc(NONE).reading


@pytest.mark.parametrize("bad", [dict(value=-1, unit="ng/mL", basis="FEU"), dict(value=500, unit="", basis="FEU"),
                                 dict(value=500, unit="mmol/L", basis="FEU"), dict(value=500, unit="ng/mL", basis=""),
                                 dict(value=float("nan"), unit="ng/mL", basis="FEU")])
def test_bad_ddimer_is_refused(bad):
    with pytest.raises(ClinicalInputError):
        DDimer(**bad)


def test_missing_criterion_is_named_never_defaulted():
    with pytest.raises(ClinicalInputError, match="haemoptysis"):
        wells(replace(NONE, haemoptysis=None))
    with pytest.raises(ClinicalInputError, match="sao2"):
        perc(replace(NONE, sao2=None))
    with pytest.raises(ClinicalInputError, match="heart_rate"):
        PEFindings(heart_rate=-5)
