"""A SYNTHETIC demo cohort for the tutorial: simulated PE criteria attached to real ECG records.

No public ECG + PE cohort exists. This generator lets users try the cohort view end to end; its
criteria and outcomes are random draws (outcome loosely tied to the criteria so the rules behave
plausibly) and have nothing to do with the attached ECGs. The file name and a ``synthetic`` column say
so, and every view of it is marked synthetic. No claimed result uses it.
"""

from __future__ import annotations

import csv
import os
from pathlib import Path

import numpy as np

from training.clinical.ddimer import DDimer

SYNTHETIC_PREFIX = "SYNTHETIC_demo_cohort"


def write_demo_cohort(records: list[Path], out_dir: Path, seed: int = 0) -> Path:
    """Write ``SYNTHETIC_demo_cohort_seed<seed>.csv`` in ``out_dir`` with one simulated patient per record."""
    if not records:
        raise ValueError("need at least one record")
    rng = np.random.default_rng(seed)
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"{SYNTHETIC_PREFIX}_seed{seed}.csv"
    columns = ["record", "synthetic", "pe_confirmed", "dvt_signs", "pe_most_likely", "heart_rate",
               "immobilisation_or_surgery", "previous_vte", "haemoptysis", "malignancy", "age", "sao2",
               "unilateral_leg_swelling", "recent_surgery_or_trauma", "hormone_use", "d_dimer", "d_dimer_unit",
               "d_dimer_basis"]
    rows = []
    for record in records:
        pe = rng.random() < 0.3
        lift = 0.35 if pe else 0.0
        flags = {name: int(rng.random() < base + lift) for name, base in (
            ("dvt_signs", 0.1), ("pe_most_likely", 0.2), ("immobilisation_or_surgery", 0.1), ("previous_vte", 0.08),
            ("haemoptysis", 0.04), ("malignancy", 0.08), ("unilateral_leg_swelling", 0.08),
            ("recent_surgery_or_trauma", 0.08), ("hormone_use", 0.06))}
        ng = float(np.exp(rng.normal(7.3 if pe else 6.1, 0.6)))  # ~1500 vs ~450 ng/mL FEU
        unit, basis = [("ng/mL", "FEU"), ("mg/L", "FEU"), ("ng/mL", "DDU")][int(rng.integers(3))]
        value = ng / DDimer(1.0, unit, basis).ng_ml_feu
        rows.append({
            "record": os.path.relpath(record, out_dir), "synthetic": 1, "pe_confirmed": int(pe), **flags,
            "heart_rate": round(float(rng.normal(105 if pe else 85, 15)), 0), "age": int(rng.integers(20, 90)),
            "sao2": round(float(np.clip(rng.normal(93 if pe else 97, 2), 80, 100)), 1),
            "d_dimer": round(value, 4), "d_dimer_unit": unit, "d_dimer_basis": basis,
        })
    tmp = path.with_suffix(".part")
    with tmp.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)
    os.replace(tmp, path)
    return path
