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


BENCHMARKS: dict[str, Callable[..., list[Row]]] = {}
#: benchmarks that can also time the built bundle (``python -m benchmarks --bundle``): ``fn(bundle=True)``
BUNDLE_TARGETS: set[str] = set()


def benchmark(name: str, bundle_target: bool = False):
    """Register ``fn() -> list[Row]`` under ``name``; with ``bundle_target``, ``fn(bundle=True)`` times the
    bundle in dist/ instead of the source tree, on the same path and with the same clock."""
    def wrap(fn: Callable[..., list[Row]]) -> Callable[..., list[Row]]:
        BENCHMARKS[name] = fn
        if bundle_target:
            BUNDLE_TARGETS.add(name)
        return fn
    return wrap
