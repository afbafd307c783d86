"""The ECG's classical signs of pulmonary embolism and the Daniel ECG score, from the measurements.

Each sign is computed from :func:`training.measure.measure`'s global values and per-lead amplitudes
and carries the measurement that triggered (or did not trigger) it, so a reader can check it on the
tracing. ``present`` is ``None`` when the measurement it needs is missing (a lead excluded, no P
waves): an unmeasurable sign is never reported as absent.

Thresholds (1 mm = 0.1 mV at 10 mm/mV): sinus tachycardia HR > 100 bpm with P waves; S1Q3T3 = S in I
≥ 1.5 mm, Q in III ≥ 1.5 mm and an inverted T in III; complete RBBB = QRS ≥ 120 ms with a terminal R in
V1 (R′ ≥ 0.5 mm or R taller than S deep) and an S in I or V6; incomplete RBBB = the same V1 pattern
with QRS 110–119 ms; T-wave inversion = T below −0.2 mm; right axis deviation = QRS axis > 90°;
P pulmonale = P ≥ 2.5 mm in II, III or aVF; low voltage = every limb lead's QRS < 5 mm or every
precordial lead's < 10 mm; ST elevation in aVR ≥ 1 mm at J.

Daniel ECG score (Daniel, Courtney & Kline, Chest 2001;120:474-481; 0-21 points): tachycardia
(> 100 bpm) 2; incomplete RBBB 2; complete RBBB 3; T inversion in all of V1-V4 4; T inversion in V1
< 1 mm 0, 1-2 mm 1, > 2 mm 2; in V2 and in V3 < 1 mm 1, 1-2 mm 2, > 2 mm 3; S in I 0; Q in III 1;
inverted T in III 1; complete S1Q3T3 2. A criterion whose measurement is missing scores 0 and says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the app imports this module at start; the engine loads on first measurement
    from training.measure import Measurements

MM = 0.1  # mV per mm at the standard gain
T_INVERTED_MV = -0.02
LIMB = ("I", "II", "III", "aVR", "aVL", "aVF")
PRECORDIAL = ("V1", "V2", "V3", "V4", "V5", "V6")


@dataclass(frozen=True)
class Sign:
    name: str
    present: bool | None
    evidence: str


@dataclass(frozen=True)
class DanielItem:
    criterion: str
    points: int
    evidence: str


@dataclass(frozen=True)
class DanielScore:
    total: int
    items: tuple[DanielItem, ...]
    #: criteria that could not be scored for want of a measurement
    unmeasured: int

    MAX = 21


class _Values:
    """Lookup of a record's measurements, ``None`` where missing."""

    def __init__(self, m: Measurements):
        self.m = m

    def g(self, key: str) -> float | None:
        return self.m.global_.get(key)

    def lead(self, lead: str, key: str) -> float | None:
        return (self.m.lead_amplitudes.get(lead) or {}).get(key)

    def qrs_size(self, lead: str) -> float | None:
        values = [self.lead(lead, k) for k in ("q_mv", "r_mv", "s_mv", "r_prime_mv")]
        if any(v is None for v in values):
            return None
        q, r, s, rp = values
        return max(r, rp) - min(q, s)


def _mm(value: float) -> str:
    return f"{value / MM:+.1f} mm"


def _rbbb(v: _Values) -> tuple[str | None, str]:
    """``("complete"|"incomplete"|None, evidence)``; ``(None, "...not measured")`` if unknown."""
    qrs, r, s, rp = v.g("qrs_ms"), v.lead("V1", "r_mv"), v.lead("V1", "s_mv"), v.lead("V1", "r_prime_mv")
    if qrs is None or r is None or s is None or rp is None:
        return None, "QRS duration or V1 not measured"
    terminal_r = rp >= 0.05 or r > abs(s)
    wide_s = any((v.lead(lead, "s_mv") or 0.0) <= -0.1 for lead in ("I", "V6"))
    evidence = (f"QRS {qrs:.0f} ms, V1 R {_mm(r)} R′ {_mm(rp)} S {_mm(s)}, "
                f"S in I/V6 {'yes' if wide_s else 'no'}")
    if terminal_r and qrs >= 120 and wide_s:
        return "complete", evidence
    if terminal_r and 110 <= qrs < 120:
        return "incomplete", evidence
    return "", evidence


def _t_depth(v: _Values, lead: str) -> float | None:
    """Depth (mV, positive) of an inverted T, 0 when upright, ``None`` when not measured."""
    t = v.lead(lead, "t_mv")
    if t is None:
        return None
    return -t if t < T_INVERTED_MV else 0.0


def pe_signs(m: Measurements) -> list[Sign]:
    v = _Values(m)
    signs = []
    hr = v.g("hr_bpm")
    sinus = m.quality.get("p_waves") == "present"
    signs.append(Sign("Sinus tachycardia", None if hr is None else bool(hr > 100 and sinus),
                      "heart rate not measured" if hr is None else
                      f"HR {hr:.0f} bpm, P waves {'present' if sinus else 'absent'}"))
    s1, q3, t3 = v.lead("I", "s_mv"), v.lead("III", "q_mv"), v.lead("III", "t_mv")
    if None in (s1, q3, t3):
        signs.append(Sign("S1Q3T3", None, "lead I or III not measured"))
    else:
        signs.append(Sign("S1Q3T3", bool(s1 <= -0.15 and q3 <= -0.15 and t3 < T_INVERTED_MV),
                          f"S in I {_mm(s1)}, Q in III {_mm(q3)}, T in III {_mm(t3)}"))
    kind, evidence = _rbbb(v)
    signs.append(Sign("Complete RBBB", None if kind is None else kind == "complete", evidence))
    signs.append(Sign("Incomplete RBBB", None if kind is None else kind == "incomplete", evidence))
    depths = {lead: _t_depth(v, lead) for lead in ("V1", "V2", "V3", "V4")}
    if any(d is None for d in depths.values()):
        signs.append(Sign("T-wave inversion V1–V4", None, "a lead of V1–V4 not measured"))
    else:
        signs.append(Sign("T-wave inversion V1–V4", all(d > 0 for d in depths.values()),
                          ", ".join(f"T {lead} {_mm(v.lead(lead, 't_mv'))}" for lead in depths)))
    axis = v.g("qrs_axis_deg")
    signs.append(Sign("Right axis deviation", None if axis is None else bool(90 < axis <= 180),
                      "QRS axis not measured" if axis is None else f"QRS axis {axis:.0f}°"))
    p = {lead: v.lead(lead, "p_mv") for lead in ("II", "III", "aVF")}
    known = {k: x for k, x in p.items() if x is not None}
    if not known:
        signs.append(Sign("P pulmonale", None, "no P wave measured in II, III or aVF"))
    else:
        lead, tallest = max(known.items(), key=lambda kv: kv[1])
        signs.append(Sign("P pulmonale", bool(tallest >= 0.25), f"tallest P {_mm(tallest)} in {lead}"))
    limb = [v.qrs_size(lead) for lead in LIMB]
    chest = [v.qrs_size(lead) for lead in PRECORDIAL]
    if any(x is None for x in limb) and any(x is None for x in chest):
        signs.append(Sign("Low QRS voltage", None, "limb and precordial leads not all measured"))
    else:
        low_limb = all(x is not None and x < 0.5 for x in limb)
        low_chest = all(x is not None and x < 1.0 for x in chest)
        largest_limb = max((x for x in limb if x is not None), default=None)
        largest_chest = max((x for x in chest if x is not None), default=None)
        signs.append(Sign("Low QRS voltage", bool(low_limb or low_chest),
                          f"largest limb QRS {_fmt_mm(largest_limb)}, largest precordial QRS {_fmt_mm(largest_chest)}"))
    st = v.lead("aVR", "st_j_mv")
    signs.append(Sign("ST elevation in aVR", None if st is None else bool(st >= 0.1),
                      "aVR not measured" if st is None else f"ST at J in aVR {_mm(st)}"))
    return signs


def _fmt_mm(value: float | None) -> str:
    return "—" if value is None else f"{value / MM:.1f} mm"


def _graded(depth: float | None, steps: tuple[int, int, int], none_points: int) -> tuple[int, str]:
    """Points for a T inversion of ``depth`` mV: (< 1 mm, 1-2 mm, > 2 mm) -> ``steps``; none -> ``none_points``."""
    if depth is None:
        return 0, "not measured"
    if depth <= 0:
        return none_points, "T upright"
    points = steps[0] if depth < 0.1 else steps[1] if depth <= 0.2 else steps[2]
    return points, f"T inverted {depth / MM:.1f} mm"


def daniel_score(m: Measurements) -> DanielScore:
    """The Daniel ECG score of one record (see the module docstring)."""
    v = _Values(m)
    items: list[DanielItem] = []
    unmeasured = 0

    def add(criterion: str, points: int, evidence: str) -> None:
        nonlocal unmeasured
        unmeasured += "not measured" in evidence
        items.append(DanielItem(criterion, points, evidence))

    hr = v.g("hr_bpm")
    add("Tachycardia > 100 bpm", 2 if hr is not None and hr > 100 else 0,
        "heart rate not measured" if hr is None else f"HR {hr:.0f} bpm")
    kind, evidence = _rbbb(v)
    add("Incomplete RBBB", 2 if kind == "incomplete" else 0, evidence)
    add("Complete RBBB", 3 if kind == "complete" else 0, evidence)
    depths = {lead: _t_depth(v, lead) for lead in ("V1", "V2", "V3", "V4")}
    all_inverted = all(d is not None and d > 0 for d in depths.values())
    add("T inversion in all of V1–V4", 4 if all_inverted else 0,
        "a lead of V1–V4 not measured" if any(d is None for d in depths.values()) else
        ("all inverted" if all_inverted else "not all inverted"))
    for lead, steps, none_points in (("V1", (0, 1, 2), 0), ("V2", (1, 2, 3), 0), ("V3", (1, 2, 3), 0)):
        points, evidence = _graded(depths[lead], steps, none_points)
        add(f"T inversion in {lead}", points, evidence)
    s1, q3, t3 = v.lead("I", "s_mv"), v.lead("III", "q_mv"), v.lead("III", "t_mv")
    add("S wave in I", 0, "lead I not measured" if s1 is None else f"S in I {_mm(s1)}")
    q_present = q3 is not None and q3 <= -MM
    add("Q wave in III", 1 if q_present else 0, "lead III not measured" if q3 is None else f"Q in III {_mm(q3)}")
    t_inverted = t3 is not None and t3 < T_INVERTED_MV
    add("Inverted T in III", 1 if t_inverted else 0, "lead III not measured" if t3 is None else f"T in III {_mm(t3)}")
    complete = s1 is not None and s1 <= -0.15 and q3 is not None and q3 <= -0.15 and t_inverted
    add("S1Q3T3 (all three)", 2 if complete else 0,
        "lead I or III not measured" if None in (s1, q3, t3) else ("present" if complete else "incomplete"))
    return DanielScore(sum(i.points for i in items), tuple(items), unmeasured)
