"""The open record's measurements as one CSV row: the engine's columns (as ``python -m training
measure --csv`` writes them), the clinician's corrected values, and the per-lead amplitudes."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from ecgstudio.measure.corrections import CORRECTION_LABELS, Correction, corrected_global
from training.atomic import atomic_write
from training.measure.amplitudes import AMPLITUDE_KEYS
from training.measure.cli import CSV_FIELDS, csv_row


def measurement_row(path: str, m, corrections: dict[str, Correction]) -> dict[str, object]:
    row = dict(csv_row(path, m))
    final = corrected_global(m.global_, corrections)
    for key in CORRECTION_LABELS:
        row[f"{key}_final"] = "" if final.get(key) is None else round(final[key], 1)
        row[f"{key}_corrected_by"] = corrections[key].author if key in corrections else ""
    row["qtc_bazett_ms_final"] = "" if final.get("qtc_bazett_ms") is None else round(final["qtc_bazett_ms"], 1)
    for lead, values in m.lead_amplitudes.items():
        for key in AMPLITUDE_KEYS:
            value = values.get(key)
            row[f"{lead}_{key}"] = "" if value is None else round(value, 3)
    return row


def write_measurement_csv(out: str | Path, rows: list[dict[str, object]]) -> Path:
    fields = list(CSV_FIELDS) + [k for row in rows for k in row if k not in CSV_FIELDS]
    fields = list(dict.fromkeys(fields))
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=fields, restval="")
    writer.writeheader()
    writer.writerows(rows)
    atomic_write({Path(out): buffer.getvalue().encode("utf-8")})
    return Path(out)
