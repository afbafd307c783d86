"""What the PE form holds and what the rules say about it (plain Python, no Qt: the store and tests use it).

A form is the clinician's :class:`PEFindings` plus two facts the rules do not know: where the heart rate
came from (typed in, or the ECG's mean rate, which counts only once the clinician confirms it) and the
outcome if known. A stored form is always valid: :class:`PEFindings` and :class:`DDimer` check every
value when the form is built, so bad input never reaches the library file.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, Callable

from training.clinical.ddimer import DDimer
from training.clinical.errors import ClinicalInputError
from training.clinical.rules import LABELS, PEFindings, peged, perc, wells, years

#: Heart-rate provenance: typed by the clinician, or detected on the ECG and not yet / already confirmed.
HR_ENTERED, HR_ECG_UNCONFIRMED, HR_ECG_CONFIRMED = "entered", "ecg_unconfirmed", "ecg_confirmed"
HR_SOURCES = (HR_ENTERED, HR_ECG_UNCONFIRMED, HR_ECG_CONFIRMED)
#: Stored outcome code -> wording.
OUTCOMES = {"unknown": "unknown", "pe_confirmed": "PE confirmed", "pe_excluded": "PE excluded"}
#: The yes/no criteria, in the order of the findings (derived, so a new criterion appears by itself).
BOOL_FIELDS = tuple(f.name for f in dataclasses.fields(PEFindings) if f.type == "bool | None")
NUMBER_FIELDS = ("heart_rate", "age", "sao2")
#: PERC's caveat, shown even when PERC cannot be computed yet.
PERC_CAVEAT = "PERC only applies when the clinician's pretest probability is already low (< 15 %)."

#: The least alarming value of each input: substituted for a missing one to discover what else a rule needs.
_PLACEHOLDER: dict[str, Any] = {**{name: False for name in BOOL_FIELDS}, "heart_rate": 60.0, "age": 20.0,
                                "sao2": 99.0, "d_dimer": DDimer(0.0, "ng/mL", "FEU")}


@dataclass(frozen=True)
class PEForm:
    """One patient's PE work-up as recorded on the form."""

    findings: PEFindings
    heart_rate_source: str = HR_ENTERED
    outcome: str = "unknown"

    def __post_init__(self) -> None:
        if self.heart_rate_source not in HR_SOURCES:
            raise ClinicalInputError("heart_rate", f"unknown heart-rate source {self.heart_rate_source!r}")
        if self.outcome not in OUTCOMES:
            raise ClinicalInputError("outcome", f"must be one of {', '.join(OUTCOMES)}, got {self.outcome!r}")

    @property
    def rule_findings(self) -> PEFindings:
        """What the rules may use: a heart rate read off the ECG counts only once it is confirmed."""
        if self.heart_rate_source == HR_ECG_UNCONFIRMED:
            return dataclasses.replace(self.findings, heart_rate=None)
        return self.findings

    def to_dict(self) -> dict[str, Any]:
        """The stored (and audited) form: recorded values only, D-dimer as value/unit/basis."""
        out: dict[str, Any] = {"heart_rate_source": self.heart_rate_source, "outcome": self.outcome}
        for name in (*BOOL_FIELDS, *NUMBER_FIELDS):
            value = getattr(self.findings, name)
            if value is not None:
                out[name] = value
        dd = self.findings.d_dimer
        if dd is not None:
            out["d_dimer"] = {"value": dd.value, "unit": dd.unit, "basis": dd.basis}
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "PEForm":
        values = {name: data[name] for name in (*BOOL_FIELDS, *NUMBER_FIELDS) if data.get(name) is not None}
        if data.get("d_dimer"):
            dd = data["d_dimer"]
            values["d_dimer"] = DDimer(dd["value"], dd["unit"], dd["basis"])
        return cls(PEFindings(**values), data.get("heart_rate_source", HR_ENTERED), data.get("outcome", "unknown"))


@dataclass(frozen=True)
class RuleOutcome:
    """A rule's reading on the form, or the inputs it still needs (``reading`` is None then)."""

    rule: str
    reading: str | None
    missing: tuple[str, ...]
    caveat: str = ""


_RULES: tuple[tuple[str, Callable[[PEFindings], Any]], ...] = (
    ("Wells", wells), ("PEGeD", peged), ("YEARS", years), ("PERC", perc))


def missing_inputs(rule: Callable[[PEFindings], Any], findings: PEFindings) -> tuple[str, ...]:
    """Every input ``rule`` lacks, found by asking the rule itself (not a copy of its criteria).

    The rules name only the first missing input; each one named gets a least-alarming placeholder and
    the rule is asked again. Placeholders keep scores low, so an input needed only on some branches
    (PEGeD's D-dimer below the high-pretest tier) is listed as needed whenever it might be.
    """
    missing: list[str] = []
    trial = findings
    while True:
        try:
            rule(trial)
            return tuple(missing)
        except ClinicalInputError as exc:
            if exc.field in missing or exc.field not in _PLACEHOLDER:
                raise
            missing.append(exc.field)
            trial = dataclasses.replace(trial, **{exc.field: _PLACEHOLDER[exc.field]})


def evaluate(form: PEForm) -> list[RuleOutcome]:
    """Every rule that can be computed gives its reading; the others list what blocks them."""
    findings = form.rule_findings
    outcomes = []
    for name, rule in _RULES:
        caveat = PERC_CAVEAT if name == "PERC" else ""
        missing = missing_inputs(rule, findings)
        reading = None if missing else rule(findings).reading
        outcomes.append(RuleOutcome(name, reading, missing, caveat))
    return outcomes


def blocked_rules(outcomes: list[RuleOutcome]) -> dict[str, list[str]]:
    """Input name -> the rules that wait for it."""
    blocked: dict[str, list[str]] = {}
    for outcome in outcomes:
        for name in outcome.missing:
            blocked.setdefault(name, []).append(outcome.rule)
    return blocked


def label(name: str, capital: bool = True) -> str:
    """A finding's wording for the form (with a capital for a row caption, without inside a sentence)."""
    text = LABELS[name].replace(">=", "≥")
    return text[:1].upper() + text[1:] if capital else text
