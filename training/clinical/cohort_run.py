"""A cohort comparison end to end: predict every patient's record, compare with the rules, write the reports.

Shared by ``python -m training cohort`` and the app's cohort view, so both give the same numbers. A
record that cannot be read or does not fit the model is listed with its reason and left out of the
comparison (its patient too: the rules are compared with the model on the same patients only); it
never stops the run. Reports of a SYNTHETIC cohort carry the word in their file names as well.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from training.clinical.cohort import Cohort, CohortComparison, compare, load_cohort
from training.clinical.errors import ClinicalInputError
from training.clinical.report import write_csv, write_html
from training.data.readers import read_record
from training.errors import ECGError
from training.inference import Predictor


class CohortCancelled(ECGError):
    """The person stopped the run before every record was predicted."""


@dataclass(frozen=True)
class RecordFailure:
    record: str
    reason: str


@dataclass(frozen=True)
class CohortRun:
    comparison: CohortComparison
    failures: tuple[RecordFailure, ...]
    model: str


def class_index(predictor: Predictor, class_name: str) -> int:
    """The model's output for ``class_name`` (its code or its display name, any case)."""
    wanted = class_name.strip().lower()
    for i, (code, display) in enumerate(zip(predictor.classes, predictor.display)):
        if wanted in (code.lower(), display.lower()):
            return i
    raise ClinicalInputError("class", f"the model has no class {class_name!r}; it has {', '.join(predictor.classes)}")


def predict_cohort(cohort: Cohort, predictor: Predictor, index: int,
                   progress: Callable[[int, int], None] = lambda done, total: None,
                   cancelled: Callable[[], bool] = lambda: False) -> tuple[np.ndarray, list[int], list[RecordFailure]]:
    """Probabilities of the patients whose record the model could read, their indices, and the failures."""
    probs, kept, failures = [], [], []
    total = len(cohort.records)
    for i, name in enumerate(cohort.records):
        if cancelled():
            raise CohortCancelled(f"cancelled after {i} of {total} records")
        try:
            prediction = predictor.predict(read_record(cohort.record_path(i)))
        except ECGError as exc:
            failures.append(RecordFailure(name, str(exc)))
        except (OSError, ValueError, KeyError) as exc:  # a reader's own failure is still the record's problem
            failures.append(RecordFailure(name, f"{type(exc).__name__}: {exc}"))
        else:
            probs.append(float(prediction.probs[index]))
            kept.append(i)
        progress(i + 1, total)
    return np.array(probs, float), kept, failures


def daniel_scores(cohort: Cohort, keep: list[int]) -> np.ndarray:
    """The Daniel ECG score of each kept patient's record, from the automatic measurements. A record
    that cannot be measured scores 0 (no sign seen), as a reader would score an unreadable tracing."""
    from training.clinical.ecg_signs import daniel_score
    from training.measure import measure

    scores = []
    for i in keep:
        try:
            scores.append(daniel_score(measure(read_record(cohort.record_path(i)))).total)
        except ECGError:
            scores.append(0)
    return np.array(scores, float)


def subset(cohort: Cohort, keep: list[int]) -> Cohort:
    """The cohort restricted to the patients ``keep`` (in order)."""
    return Cohort(cohort.path, tuple(cohort.records[i] for i in keep), tuple(cohort.findings[i] for i in keep),
                  cohort.outcome[keep], cohort.synthetic)


def run_cohort(cohort_path: str | Path, model_path: str | Path, class_name: str, n_boot: int = 2000, seed: int = 0,
               device: str = "auto", progress: Callable[[int, int], None] = lambda done, total: None,
               cancelled: Callable[[], bool] = lambda: False) -> CohortRun:
    """Load the cohort and the model, predict, and compare the model with the rules."""
    cohort = load_cohort(cohort_path)
    predictor = Predictor.from_path(model_path, device)
    index = class_index(predictor, class_name)
    prob, kept, failures = predict_cohort(cohort, predictor, index, progress, cancelled)
    if not kept:
        raise ClinicalInputError("record", f"the model could read none of the {len(cohort.records)} records "
                                           f"(first: {failures[0].record}: {failures[0].reason})")
    daniel = daniel_scores(cohort, kept)
    comparison = compare(subset(cohort, kept), prob, float(predictor.thresholds[index]),
                         predictor.classes[index], n_boot, seed, daniel=daniel)
    return CohortRun(comparison, tuple(failures), Path(model_path).name)


def report_paths(comparison: CohortComparison, out_dir: Path) -> tuple[Path, Path]:
    """``(csv, html)`` report paths; ``SYNTHETIC_`` leads the names of a demo cohort's reports."""
    safe_class = re.sub(r"[^A-Za-z0-9_-]+", "_", comparison.class_name)
    stem = ("SYNTHETIC_" if comparison.cohort.synthetic else "") + f"cohort_comparison_{safe_class}"
    return out_dir / f"{stem}.csv", out_dir / f"{stem}.html"


def write_reports(comparison: CohortComparison, out_dir: str | Path) -> tuple[Path, Path]:
    csv_path, html_path = report_paths(comparison, Path(out_dir))
    write_csv(comparison, csv_path)
    write_html(comparison, html_path)
    return csv_path, html_path
