"""What a user types in the record list's filter box, understood: words match names, datasets, paths
and diagnoses; a number with a unit filters on sampling rate or duration.

``500 Hz``, ``500hz``, ``>=250 Hz``, ``10 s``, ``10.0 s``, ``<30s``, ``>5 min``, ``1 h`` — a bare
comparison-free value matches the listed value as the list shows it (``10.0 s`` is 9.95–10.05 s),
a comparison compares. Everything else is a case-insensitive word that must appear.
"""

from __future__ import annotations

import operator
import re
from dataclasses import dataclass
from typing import Callable

#: unit (lower case) -> (quantity, factor to Hz or to seconds)
UNITS: dict[str, tuple[str, float]] = {
    "hz": ("fs", 1.0), "khz": ("fs", 1000.0),
    "s": ("duration", 1.0), "sec": ("duration", 1.0), "min": ("duration", 60.0), "h": ("duration", 3600.0),
}
_COMPARE: dict[str, Callable[[float, float], bool]] = {
    "<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge, "=": operator.eq, "": operator.eq,
}
#: a comparison, a number that starts a word (not "041" of record "041s": no leading zeros) and a unit
_TERM = re.compile(r"(<=|>=|<|>|=)?\s*(?<![\w.])((?:0|[1-9]\d*)(?:[.,]\d+)?)\s*(khz|hz|sec|min|s|h)\b",
                   re.IGNORECASE)


@dataclass(frozen=True)
class Bound:
    """One numeric condition: ``quantity`` ("fs" or "duration") compared with ``value`` (Hz or s)."""

    quantity: str
    compare: str
    value: float
    #: half the last shown digit: "10.0 s" matches what the list shows as 10.0 s
    tolerance: float

    def accepts(self, fs: float | None, duration: float | None) -> bool:
        actual = fs if self.quantity == "fs" else duration
        if actual is None:
            return False
        if self.compare in ("", "="):
            return abs(actual - self.value) <= self.tolerance
        return _COMPARE[self.compare](actual, self.value)


@dataclass(frozen=True)
class Query:
    words: tuple[str, ...]
    bounds: tuple[Bound, ...]

    def accepts(self, haystack: str, fs: float | None, duration: float | None) -> bool:
        return (all(word in haystack for word in self.words)
                and all(bound.accepts(fs, duration) for bound in self.bounds))


def parse_query(text: str) -> Query:
    """Split the filter text into numeric bounds (number + unit) and plain words (lower case)."""
    bounds = []
    for match in _TERM.finditer(text):
        compare, number, unit = match.group(1) or "", match.group(2).replace(",", "."), match.group(3).lower()
        quantity, factor = UNITS[unit]
        decimals = len(number.split(".")[1]) if "." in number else 0
        tolerance = 0.5 * 10 ** -decimals * factor if quantity == "duration" else 0.5 * factor
        bounds.append(Bound(quantity, compare, float(number) * factor, tolerance))
    rest = _TERM.sub(" ", text).lower()
    return Query(tuple(rest.split()), tuple(bounds))
