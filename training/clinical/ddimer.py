"""D-dimer values with explicit units, converted to ng/mL FEU (the unit the PE rules' cut-offs use).

Laboratories report D-dimer in ng/mL, µg/mL or mg/L, as fibrinogen-equivalent units (FEU) or D-dimer
units (DDU). FEU values are about twice DDU values (fibrinogen's mass is about twice D-dimer's), the
conversion the PEGeD and YEARS cut-offs (500 and 1000 ng/mL FEU) are usually applied with. A value
without a unit or basis is refused rather than guessed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from training.clinical.errors import ClinicalInputError

#: ng/mL per one unit of each mass-concentration unit (µg/mL and mg/L are the same quantity).
_NG_PER_ML = {"ng/ml": 1.0, "ug/ml": 1000.0, "µg/ml": 1000.0, "mg/l": 1000.0, "ug/l": 1.0, "µg/l": 1.0}
#: FEU per DDU.
FEU_PER_DDU = 2.0
UNITS = ("ng/mL", "µg/mL", "mg/L", "µg/L")
BASES = ("FEU", "DDU")


@dataclass(frozen=True)
class DDimer:
    """A D-dimer result as reported: value, unit and basis (FEU or DDU)."""

    value: float
    unit: str
    basis: str

    def __post_init__(self) -> None:
        if self.value is None or not isinstance(self.value, (int, float)) or not math.isfinite(self.value):
            raise ClinicalInputError("d_dimer", f"value must be a finite number, got {self.value!r}")
        if self.value < 0:
            raise ClinicalInputError("d_dimer", f"value cannot be negative ({self.value})")
        if not self.unit or self.unit.strip().lower().replace("μ", "µ") not in _NG_PER_ML:
            raise ClinicalInputError("d_dimer_unit", f"unit must be one of {', '.join(UNITS)}, got {self.unit!r}")
        if (self.basis or "").strip().upper() not in BASES:
            raise ClinicalInputError("d_dimer_basis", f"basis must be FEU or DDU, got {self.basis!r}")

    @property
    def ng_ml_feu(self) -> float:
        """The value in ng/mL FEU."""
        ng = self.value * _NG_PER_ML[self.unit.strip().lower().replace("μ", "µ")]
        return ng * (FEU_PER_DDU if self.basis.strip().upper() == "DDU" else 1.0)

    def __str__(self) -> str:
        return f"{self.value:g} {self.unit} {self.basis.upper()}"
