"""Speed benchmarks: each module registers functions that return measured rows.

Run them all with ``make bench`` (``python -m benchmarks``), or some with ``python -m benchmarks NAME…``.
Results are appended, dated, to ``benchmarks/RESULTS.md``; speed targets live here, not in unit tests.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable


@dataclass(frozen=True)
class Row:
    metric: str
    value: float
    unit: str
    goal: str = ""
    note: str = ""


BENCHMARKS: dict[str, Callable[[], list[Row]]] = {}


def benchmark(name: str):
    """Register ``fn() -> list[Row]`` under ``name``."""
    def wrap(fn: Callable[[], list[Row]]) -> Callable[[], list[Row]]:
        BENCHMARKS[name] = fn
        return fn
    return wrap
