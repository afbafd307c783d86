"""Device diagnostic statements ("SINUS RHYTHM", "PROBABLE LEFT VENTRICULAR HYPERTROPHY") as SNOMED-CT codes.

Hospital exports carry free-text statements, not codes. ``label_maps/statement_snomed.csv`` lists
phrases and the Challenge code each means; a statement gets every code whose phrase it contains,
longest phrase first, each matched span used once ("incomplete right bundle branch block" is IRBBB,
not also RBBB). Qualifiers are not interpreted: "probable LVH" counts as LVH, as the device said it.
"""

from __future__ import annotations

import csv
import re
from functools import cache
from importlib import resources
from typing import Iterable


@cache
def _phrases() -> tuple[tuple[re.Pattern, str], ...]:
    with (resources.files("training.data") / "label_maps" / "statement_snomed.csv").open(encoding="utf-8") as fh:
        rows = [(row["pattern"].strip().lower(), row["snomed"].strip()) for row in csv.DictReader(fh)]
    rows.sort(key=lambda row: -len(row[0]))
    return tuple((re.compile(rf"\b{re.escape(phrase)}"), code) for phrase, code in rows)


def statement_codes(statements: Iterable[str]) -> tuple[str, ...]:
    """SNOMED-CT codes of the statements, in first-mentioned order, without repeats."""
    codes: list[str] = []
    for statement in statements:
        text = " ".join(statement.lower().replace("-", " ").split())
        for pattern, code in _phrases():
            text, hits = pattern.subn(" ", text)
            if hits and code not in codes:
                codes.append(code)
    return tuple(codes)
