"""Wells, PEGeD, YEARS and PERC for suspected pulmonary embolism, as published.

* Wells (Wells et al., Thromb Haemost 2000): DVT signs 3; PE most likely 3; HR > 100 1.5;
  immobilisation >= 3 days or surgery in the previous 4 weeks 1.5; previous DVT/PE 1.5; haemoptysis 1;
  active malignancy 1. Three tiers (< 2 low, 2-6 moderate, > 6 high); two tiers (<= 4 unlikely, > 4 likely).
* PEGeD (Kearon et al., NEJM 2019): clinical pretest probability from Wells: low 0-4.0, moderate
  4.5-6.0, high > 6.0. Low with D-dimer < 1000 ng/mL FEU, or moderate with < 500, excludes PE;
  otherwise imaging (high goes to imaging without a D-dimer).
* YEARS (van der Hulle et al., Lancet 2017): items DVT signs, haemoptysis, PE most likely. No item and
  D-dimer < 1000 ng/mL, or >= 1 item and < 500, excludes PE; otherwise imaging.
* PERC (Kline et al., J Thromb Haemost 2004): age >= 50, HR >= 100, SaO2 < 95 %, unilateral leg swelling,
  haemoptysis, recent surgery or trauma, prior DVT/PE, hormone use. "PERC negative" (no criterion) only
  rules out PE when the clinician's pretest probability is already low.

Every input a rule needs must be given: a missing one raises :class:`ClinicalInputError` naming it.
"""

from __future__ import annotations

from dataclasses import dataclass

from training.clinical.ddimer import DDimer
from training.clinical.errors import ClinicalInputError


@dataclass(frozen=True)
class PEFindings:
    """What the clinician recorded; ``None`` means not recorded."""

    dvt_signs: bool | None = None
    pe_most_likely: bool | None = None
    heart_rate: float | None = None
    immobilisation_or_surgery: bool | None = None
    previous_vte: bool | None = None
    haemoptysis: bool | None = None
    malignancy: bool | None = None
    age: float | None = None
    sao2: float | None = None
    unilateral_leg_swelling: bool | None = None
    recent_surgery_or_trauma: bool | None = None
    hormone_use: bool | None = None
    d_dimer: DDimer | None = None

    def require(self, *names: str):
        values = []
        for name in names:
            value = getattr(self, name)
            if value is None:
                raise ClinicalInputError(name, f"{LABELS[name]} is required but was not recorded")
            values.append(value)
        return values

    def __post_init__(self) -> None:
        if self.heart_rate is not None and not 0 < self.heart_rate < 400:
            raise ClinicalInputError("heart_rate", f"{self.heart_rate} bpm is not a plausible heart rate")
        if self.age is not None and not 0 <= self.age < 130:
            raise ClinicalInputError("age", f"{self.age} years is not a plausible age")
        if self.sao2 is not None and not 0 < self.sao2 <= 100:
            raise ClinicalInputError("sao2", f"SaO2 must be a percentage in (0, 100], got {self.sao2}")


#: Human wording of each finding, for forms and error messages.
LABELS = {
    "dvt_signs": "clinical signs and symptoms of DVT",
    "pe_most_likely": "PE is the most likely diagnosis",
    "heart_rate": "heart rate (bpm)",
    "immobilisation_or_surgery": "immobilisation >= 3 days or surgery in the previous 4 weeks",
    "previous_vte": "previous DVT or PE",
    "haemoptysis": "haemoptysis",
    "malignancy": "active malignancy",
    "age": "age (years)",
    "sao2": "SaO2 (%)",
    "unilateral_leg_swelling": "unilateral leg swelling",
    "recent_surgery_or_trauma": "surgery or trauma in the previous 4 weeks",
    "hormone_use": "hormone use",
    "d_dimer": "D-dimer",
}

_WELLS_POINTS = (
    ("dvt_signs", 3.0), ("pe_most_likely", 3.0), ("immobilisation_or_surgery", 1.5),
    ("previous_vte", 1.5), ("haemoptysis", 1.0), ("malignancy", 1.0),
)


@dataclass(frozen=True)
class WellsResult:
    score: float
    three_tier: str  # "low" | "moderate" | "high"
    two_tier: str  # "PE unlikely" | "PE likely"
    points: tuple[tuple[str, float], ...]

    @property
    def reading(self) -> str:
        return (f"Wells {self.score:g}: {self.three_tier} clinical probability (three-tier), "
                f"{self.two_tier} (two-tier).")


@dataclass(frozen=True)
class RuleResult:
    """Outcome of a D-dimer-based strategy: ``excluded`` (no imaging) or ``imaging``."""

    rule: str
    outcome: str
    reading: str

    @property
    def positive(self) -> bool:
        """True when the rule sends the patient to imaging (the 'test positive' of a cohort comparison)."""
        return self.outcome == "imaging"


@dataclass(frozen=True)
class PercResult:
    positives: tuple[str, ...]
    reading: str

    @property
    def negative(self) -> bool:
        return not self.positives


def wells(f: PEFindings) -> WellsResult:
    names = [name for name, _ in _WELLS_POINTS]
    present = dict(zip(names, f.require(*names)))
    (hr,) = f.require("heart_rate")
    points = [(name, pts) for name, pts in _WELLS_POINTS if present[name]]
    if hr > 100:
        points.append(("heart_rate", 1.5))
    score = sum(p for _, p in points)
    three = "low" if score < 2 else ("moderate" if score <= 6 else "high")
    two = "PE unlikely" if score <= 4 else "PE likely"
    return WellsResult(score, three, two, tuple(points))


def peged_pretest(wells_score: float) -> str:
    """PEGeD's clinical pretest probability: low 0-4.0, moderate 4.5-6.0, high > 6.0."""
    if wells_score <= 4.0:
        return "low"
    return "moderate" if wells_score <= 6.0 else "high"


def peged(f: PEFindings) -> RuleResult:
    score = wells(f).score
    pretest = peged_pretest(score)
    if pretest == "high":
        return RuleResult("PEGeD", "imaging", f"High pretest probability (Wells {score:g} > 6): image without D-dimer.")
    (dd,) = f.require("d_dimer")
    cutoff = 1000.0 if pretest == "low" else 500.0
    value = dd.ng_ml_feu
    if value < cutoff:
        return RuleResult("PEGeD", "excluded", f"{pretest.capitalize()} pretest probability (Wells {score:g}) and "
                          f"D-dimer {value:g} ng/mL FEU < {cutoff:g}: PE excluded without imaging.")
    return RuleResult("PEGeD", "imaging", f"{pretest.capitalize()} pretest probability (Wells {score:g}) and "
                      f"D-dimer {value:g} ng/mL FEU >= {cutoff:g}: imaging needed.")


def years(f: PEFindings) -> RuleResult:
    items = dict(zip(("dvt_signs", "haemoptysis", "pe_most_likely"),
                     f.require("dvt_signs", "haemoptysis", "pe_most_likely")))
    (dd,) = f.require("d_dimer")
    n = sum(bool(v) for v in items.values())
    cutoff = 1000.0 if n == 0 else 500.0
    value = dd.ng_ml_feu
    verdict = "excluded" if value < cutoff else "imaging"
    relation = "<" if verdict == "excluded" else ">="
    action = "PE excluded without imaging." if verdict == "excluded" else "imaging needed."
    return RuleResult("YEARS", verdict, f"{n} YEARS item(s) and D-dimer {value:g} ng/mL FEU {relation} {cutoff:g}: {action}")


def perc(f: PEFindings) -> PercResult:
    age, hr, sao2 = f.require("age", "heart_rate", "sao2")
    flags = dict(zip(
        ("unilateral_leg_swelling", "haemoptysis", "recent_surgery_or_trauma", "previous_vte", "hormone_use"),
        f.require("unilateral_leg_swelling", "haemoptysis", "recent_surgery_or_trauma", "previous_vte", "hormone_use"),
    ))
    positives = [name for name, on in (("age", age >= 50), ("heart_rate", hr >= 100), ("sao2", sao2 < 95)) if on]
    positives += [name for name, on in flags.items() if on]
    caveat = "Only meaningful when the clinician's pretest probability is already low (< 15 %)."
    if positives:
        reading = f"PERC positive ({', '.join(LABELS[p] for p in positives)}): PERC cannot rule out PE. {caveat}"
    else:
        reading = f"PERC negative: no criterion present; PE may be ruled out without D-dimer. {caveat}"
    return PercResult(tuple(positives), reading)
