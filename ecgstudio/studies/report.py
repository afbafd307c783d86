"""A study's agreement as files: one CSV row per statistic, and a self-contained HTML page for a report.

Both are written atomically; every text that came from users (labels, reader names, record keys) is
escaped in the HTML.
"""

from __future__ import annotations

import csv
import io
import math
from html import escape
from pathlib import Path

from ecgstudio.studies.agreement import IntervalAgreement, Kappa, LabelAgreement
from training.atomic import atomic_write

CSV_COLUMNS = ("label", "statistic", "reader_a", "reader_b", "value", "ci_low", "ci_high", "n_records", "prevalence")


def _number(value: float) -> str:
    return "" if value is None or math.isnan(value) else f"{value:.4f}"


def agreement_rows(study_name: str, labels: list[LabelAgreement],
                   intervals: list[IntervalAgreement] = ()) -> list[tuple[str, ...]]:
    rows = []
    for a in labels:
        rows.append((a.label, "fleiss_kappa", "", "", *_kappa(a.fleiss), str(a.n_records), _number(a.prevalence)))
        for (x, y), k in a.pairs.items():
            rows.append((a.label, "cohen_kappa", x, y, *_kappa(k), str(k.n), _number(a.prevalence)))
        rows.append((a.label, "disagreements", "", "", str(len(a.disagreements)), "", "", str(a.n_records), ""))
    for i in intervals:
        for (x, y), dice in i.pairs.items():
            rows.append((i.label, "interval_overlap_dice", x, y, _number(dice), "", "", "", ""))
    return rows


def _kappa(k: Kappa) -> tuple[str, str, str]:
    return _number(k.value), _number(k.low), _number(k.high)


def write_csv(path: str | Path, study_name: str, labels: list[LabelAgreement],
              intervals: list[IntervalAgreement] = ()) -> Path:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    writer.writerows(agreement_rows(study_name, labels, intervals))
    atomic_write({Path(path): out.getvalue().encode("utf-8")})
    return Path(path)


def write_html(path: str | Path, study_name: str, labels: list[LabelAgreement],
               intervals: list[IntervalAgreement] = ()) -> Path:
    head = ("<tr><th>Label</th><th>Prevalence</th><th>Fleiss' κ (95 % CI)</th><th>Cohen's κ per pair (95 % CI)</th>"
            "<th>Records</th><th>Disagreements</th></tr>")
    body = []
    for a in labels:
        pairs = "<br>".join(f"{escape(x)} – {escape(y)}: {escape(k.text())}" for (x, y), k in a.pairs.items())
        body.append(f"<tr><td>{escape(a.label)}</td><td>{_number(a.prevalence)}</td><td>{escape(a.fleiss.text())}</td>"
                    f"<td>{pairs}</td><td>{a.n_records}</td><td>{len(a.disagreements)}</td></tr>")
    disputes = "".join(
        f"<tr><td>{escape(d.record_key)}</td><td>{escape(d.label)}</td><td>"
        + ", ".join(f"{escape(r)}: {'yes' if v else 'no'}" for r, v in d.readings.items()) + "</td></tr>"
        for a in labels for d in a.disagreements)
    marks = "".join(
        f"<tr><td>{escape(i.label)}</td><td>"
        + "<br>".join(f"{escape(x)} – {escape(y)}: {_number(v) or 'n/a'}" for (x, y), v in i.pairs.items())
        + "</td></tr>" for i in intervals)
    html = (f"<!doctype html><html><head><meta charset='utf-8'><title>{escape(study_name)}: agreement</title>"
            "<style>body{font-family:sans-serif}table{border-collapse:collapse}td,th{border:1px solid #ccc;"
            "padding:4px 8px;vertical-align:top}</style></head><body>"
            f"<h1>Reader agreement: {escape(study_name)}</h1>"
            "<p>Cohen's κ: 95 % CI from the large-sample variance (Fleiss, Cohen &amp; Everitt 1969). Fleiss' κ: "
            "95 % percentile bootstrap over records (1000 replicates, seed 0). n/a: the label shows no variation.</p>"
            f"<table>{head}{''.join(body)}</table>"
            + (f"<h2>Interval marks (overlap agreement, Dice at IoU ≥ 0.5)</h2><table>{marks}</table>" if marks else "")
            + f"<h2>Disagreements</h2><table><tr><th>Record</th><th>Label</th><th>Readings</th></tr>{disputes}</table>"
            "</body></html>")
    atomic_write({Path(path): html.encode("utf-8")})
    return Path(path)
