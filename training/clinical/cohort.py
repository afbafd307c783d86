"""Cohort comparison of the model with Wells (two- and three-tier), PEGeD and YEARS.

Cohort CSV schema (one row per patient; documented in docs/COHORT.md):

``record``                record path (relative to the CSV's folder) or id
``pe_confirmed``          outcome, 0 or 1
``dvt_signs, pe_most_likely, immobilisation_or_surgery, previous_vte, haemoptysis, malignancy``  0/1
``heart_rate``            bpm
``d_dimer, d_dimer_unit, d_dimer_basis``   value, ng/mL | µg/mL | mg/L | µg/L, FEU | DDU
optional: ``age, sao2, unilateral_leg_swelling, recent_surgery_or_trauma, hormone_use`` (PERC; reported per
patient, not compared: PERC applies only to low-pretest patients), ``synthetic`` (1 for demo rows).

A missing value or a bad unit stops loading with the row and column named.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from sklearn.metrics import roc_curve

from training.clinical.ddimer import DDimer
from training.clinical.errors import ClinicalInputError
from training.clinical.rules import PEFindings, peged, wells, years
from training.clinical.stats import (AucDifference, Estimate, McNemar, auc_difference, binary_summary,
                                     bootstrap_indices, mcnemar, threshold_for_sensitivity)

REQUIRED = ("record", "pe_confirmed", "dvt_signs", "pe_most_likely", "heart_rate", "immobilisation_or_surgery",
            "previous_vte", "haemoptysis", "malignancy", "d_dimer", "d_dimer_unit", "d_dimer_basis")
_BOOL_FIELDS = ("dvt_signs", "pe_most_likely", "immobilisation_or_surgery", "previous_vte", "haemoptysis",
                "malignancy", "unilateral_leg_swelling", "recent_surgery_or_trauma", "hormone_use")
_NUMBER_FIELDS = ("heart_rate", "age", "sao2")
_TRUE, _FALSE = {"1", "yes", "y", "true", "t"}, {"0", "no", "n", "false", "f"}


DANIEL_HIGH = "Daniel ECG >= 10"
DANIEL_LOW = "Daniel ECG > 5"


class CohortError(ClinicalInputError):
    """A cohort file problem, naming file, row and column."""

    def __init__(self, path: Path, row: int | None, column: str, reason: str):
        where = f"{path}" + (f", row {row}" if row is not None else "")
        super().__init__(column, f"{reason} ({where})")
        self.path, self.row = path, row


@dataclass(frozen=True)
class Cohort:
    path: Path
    records: tuple[str, ...]
    findings: tuple[PEFindings, ...]
    outcome: np.ndarray  # bool [patients]
    synthetic: bool

    def record_path(self, i: int) -> Path:
        return (self.path.parent / self.records[i]).resolve()


def load_cohort(path: str | Path) -> Cohort:
    path = Path(path)
    try:
        with path.open(newline="", encoding="utf-8-sig") as fh:
            reader = csv.DictReader(fh)
            columns = set(reader.fieldnames or [])
            missing = [c for c in REQUIRED if c not in columns]
            if missing:
                raise CohortError(path, None, missing[0], f"missing column(s) {', '.join(missing)}")
            rows = list(reader)
    except OSError as exc:
        raise CohortError(path, None, "file", f"cannot read: {exc.strerror}") from exc
    if not rows:
        raise CohortError(path, None, "file", "no patients")
    records, findings, outcome, synthetic = [], [], [], []
    for n, row in enumerate(rows, start=2):  # row 1 is the header
        try:
            findings.append(_findings(row, columns))
            outcome.append(_bool(row["pe_confirmed"], "pe_confirmed"))
            synthetic.append(_bool(row.get("synthetic") or "0", "synthetic"))
        except ClinicalInputError as exc:
            raise CohortError(path, n, exc.field, exc.reason) from None
        records.append(row["record"].strip())
    return Cohort(path, tuple(records), tuple(findings), np.array(outcome, bool), any(synthetic))


def _bool(text: str | None, name: str) -> bool:
    value = (text or "").strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ClinicalInputError(name, f"expected 0/1 or yes/no, got {text!r}")


def _findings(row: dict[str, str], columns: set[str]) -> PEFindings:
    values: dict = {}
    for name in _BOOL_FIELDS:
        if name in columns and (row.get(name) or "").strip():
            values[name] = _bool(row[name], name)
    for name in _NUMBER_FIELDS:
        if name in columns and (row.get(name) or "").strip():
            try:
                values[name] = float(row[name])
            except ValueError:
                raise ClinicalInputError(name, f"not a number: {row[name]!r}") from None
    text = (row.get("d_dimer") or "").strip()
    if text:
        try:
            number = float(text)
        except ValueError:
            raise ClinicalInputError("d_dimer", f"not a number: {text!r}") from None
        values["d_dimer"] = DDimer(number, row.get("d_dimer_unit", ""), row.get("d_dimer_basis", ""))
    return PEFindings(**values)


@dataclass(frozen=True)
class ComparisonRow:
    name: str
    description: str
    metrics: dict[str, Estimate]
    decisions: np.ndarray = field(repr=False)


@dataclass(frozen=True)
class CohortComparison:
    """Everything the report shows: one row per strategy, paired tests, and the ROC of the model."""

    cohort: Cohort
    class_name: str
    rows: tuple[ComparisonRow, ...]
    mcnemar: dict[tuple[str, str], McNemar]
    auc_tests: dict[str, AucDifference]
    roc: tuple[np.ndarray, np.ndarray, np.ndarray]  # fpr, tpr, thresholds
    n_boot: int
    seed: int
    #: ROC curves of the scores compared beside the model (the Daniel ECG score), by name
    score_rocs: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]] = field(default_factory=dict)


def compare(cohort: Cohort, prob: np.ndarray, threshold: float, class_name: str = "PE",
            n_boot: int = 2000, seed: int = 0, daniel: np.ndarray | None = None) -> CohortComparison:
    """Compare the model's probabilities with the rules on the cohort's confirmed outcomes.

    ``daniel`` (one Daniel ECG score per patient, from the same records) adds the ECG's own score as
    a comparator: its ROC, and operating points at the paper's ≥ 10 and at > 5.
    """
    prob = np.asarray(prob, float)
    if prob.shape != cohort.outcome.shape or not np.isfinite(prob).all():
        raise ClinicalInputError("model_probability", f"need one finite probability per patient ({len(cohort.outcome)})")
    y = cohort.outcome
    boots = bootstrap_indices(len(y), n_boot, seed)
    wells_results = [wells(f) for f in cohort.findings]
    wells_score = np.array([w.score for w in wells_results])
    three_tier = np.array([{"low": 0, "moderate": 1, "high": 2}[w.three_tier] for w in wells_results], float)
    rules = {
        "Wells two-tier": ("positive = PE likely (score > 4)", wells_score > 4, wells_score),
        "Wells three-tier": ("positive = moderate or high (score >= 2)", three_tier >= 1, three_tier),
        "PEGeD": ("positive = imaging", np.array([peged(f).positive for f in cohort.findings]), None),
        "YEARS": ("positive = imaging", np.array([years(f).positive for f in cohort.findings]), None),
    }
    if daniel is not None:
        daniel = np.asarray(daniel, float)
        if daniel.shape != y.shape or not np.isfinite(daniel).all():
            raise ClinicalInputError("daniel_score", f"need one finite Daniel score per patient ({len(y)})")
        rules[DANIEL_HIGH] = ("positive = Daniel ECG score >= 10 (Daniel et al. 2001)", daniel >= 10, daniel)
        rules[DANIEL_LOW] = ("positive = Daniel ECG score > 5", daniel > 5, daniel)
    rows = [ComparisonRow(f"Model @ {threshold:.3f}", f"{class_name} probability >= validation threshold",
                          binary_summary(y, prob >= threshold, prob, boots), prob >= threshold)]
    for name, (desc, decision, score) in rules.items():
        rows.append(ComparisonRow(name, desc, binary_summary(y, decision, score, boots), decision))
    for name in ("PEGeD", "YEARS"):
        sens = rows[[r.name for r in rows].index(name)].metrics["sensitivity"].value
        if math.isnan(sens):
            continue
        t = threshold_for_sensitivity(y, prob, sens)
        rows.append(ComparisonRow(f"Model @ {name} sensitivity", f"threshold {t:.3f} matches {name}'s sensitivity {sens:.3f}",
                                  binary_summary(y, prob >= t, prob, boots), prob >= t))
    model_rows = [r for r in rows if r.name.startswith("Model")]
    rule_rows = [r for r in rows if not r.name.startswith("Model")]
    tests = {(m.name, r.name): mcnemar(y, m.decisions, r.decisions) for m in model_rows for r in rule_rows}
    auc_tests = {name: auc_difference(y, prob, score if score is not None else decision.astype(float), boots)
                 for name, (_, decision, score) in rules.items() if name != DANIEL_LOW}  # one test per score
    has_both = 0 < y.sum() < len(y)
    score_rocs = {"Daniel ECG score": roc_curve(y, daniel)} if daniel is not None and has_both else {}
    fpr, tpr, thr = roc_curve(y, prob) if 0 < y.sum() < len(y) else (np.array([]), np.array([]), np.array([]))
    return CohortComparison(cohort, class_name, tuple(rows), tests, auc_tests, (fpr, tpr, thr), n_boot, seed,
                            score_rocs)
