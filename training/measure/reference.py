"""Cardiologists' reference delineations: LUDB's per-lead annotation files, grouped into beats.

LUDB marks each lead separately with ``(`` onset, a peak symbol (``p``, ``N``, ``t``) and ``)``
offset. A beat is anchored on its QRS (the median of the leads' QRS peaks); each lead's P belongs to
the next QRS, its T to the previous one. The global reference onset of a wave is the earliest lead
onset and its offset the latest lead offset, as the issue and IEC 60601-2-25 define it. LUDB leaves
the first and last beat of each record unmarked, so scoring stays inside :attr:`Reference.span`.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from training.data.record import canonical_lead_name
from training.measure.fiducials import FIDUCIALS, WAVES

LUDB_LEADS = ("i", "ii", "iii", "avr", "avl", "avf", "v1", "v2", "v3", "v4", "v5", "v6")
_PEAK_SYMBOL = {"p": "P", "N": "QRS", "t": "T"}


@dataclass
class Reference:
    """Global reference fiducials ``[beats, 9]`` (samples, NaN where a wave was not marked) and the
    annotated span ``(first, last)`` sample."""

    fiducials: np.ndarray
    span: tuple[int, int]


def lead_waves(samples: np.ndarray, symbols: list[str]) -> dict[str, list[tuple[float, float, float]]]:
    """(onset, peak, offset) of every marked wave of one lead, by wave name; a missing edge is NaN."""
    waves: dict[str, list[tuple[float, float, float]]] = {"P": [], "QRS": [], "T": []}
    onset, peak, kind = np.nan, np.nan, None
    for s, sym in zip(samples, symbols):
        if sym == "(":
            onset, peak, kind = float(s), np.nan, None
        elif sym in _PEAK_SYMBOL:
            peak, kind = float(s), _PEAK_SYMBOL[sym]
        elif sym == ")":
            if kind is not None:
                waves[kind].append((onset, peak, float(s)))
            onset, peak, kind = np.nan, np.nan, None
    return waves


def load_ludb_reference(record_path: str | Path, fs: float) -> Reference:
    """Group the 12 lead annotation files of one LUDB record into global reference beats."""
    import wfdb

    per_lead = {}
    lo, hi = np.inf, -np.inf
    for lead in LUDB_LEADS:
        ann = wfdb.rdann(str(record_path), lead)
        per_lead[canonical_lead_name(lead)] = lead_waves(ann.sample, list(ann.symbol))
        if ann.sample.size:
            lo, hi = min(lo, int(ann.sample.min())), max(hi, int(ann.sample.max()))
    qrs_peaks = sorted(p for waves in per_lead.values() for (_, p, _) in waves["QRS"] if np.isfinite(p))
    anchors = _cluster(np.asarray(qrs_peaks), tolerance=0.1 * fs)
    fid = np.full((anchors.size, len(FIDUCIALS)), np.nan)
    if anchors.size == 0:
        return Reference(fid, (0, 0))
    for name, (on_i, peak_i, off_i) in WAVES.items():
        ons: list[list[float]] = [[] for _ in anchors]
        peaks: list[list[float]] = [[] for _ in anchors]
        offs: list[list[float]] = [[] for _ in anchors]
        for waves in per_lead.values():
            for on, peak, off in waves[name]:
                k = _beat_of(name, peak, anchors, fs)
                if k is not None:
                    ons[k].append(on)
                    peaks[k].append(peak)
                    offs[k].append(off)
        for k in range(anchors.size):
            if peaks[k]:
                fid[k, on_i] = np.nanmin(ons[k]) if np.isfinite(ons[k]).any() else np.nan
                fid[k, peak_i] = np.median(peaks[k])
                fid[k, off_i] = np.nanmax(offs[k]) if np.isfinite(offs[k]).any() else np.nan
    return Reference(fid, (int(lo), int(hi)))


def _cluster(peaks: np.ndarray, tolerance: float) -> np.ndarray:
    if peaks.size == 0:
        return peaks
    groups: list[list[float]] = [[peaks[0]]]
    for p in peaks[1:]:
        if p - groups[-1][-1] <= tolerance:
            groups[-1].append(p)
        else:
            groups.append([p])
    return np.array([np.median(g) for g in groups])


def _beat_of(name: str, peak: float, anchors: np.ndarray, fs: float) -> int | None:
    """The beat a wave belongs to: the nearest QRS (QRS), the next one within 0.5 s (P), the previous
    one within 0.8 s (T)."""
    if not np.isfinite(peak):
        return None
    if name == "QRS":
        k = int(np.argmin(np.abs(anchors - peak)))
        return k if abs(anchors[k] - peak) <= 0.1 * fs else None
    if name == "P":
        k = int(np.searchsorted(anchors, peak))
        return k if k < anchors.size and anchors[k] - peak <= 0.5 * fs else None
    k = int(np.searchsorted(anchors, peak)) - 1
    return k if k >= 0 and peak - anchors[k] <= 0.8 * fs else None


def ludb_axis_categories(csv_path: str | Path) -> dict[str, str]:
    """Record id -> LUDB's electric-axis category (``normal``, ``left axis deviation``, ...)."""
    out = {}
    with open(csv_path, newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            text = (row.get("Electric axis of the heart") or "").strip()
            if text:
                out[row["ID"].strip()] = text.split(":", 1)[-1].strip()
    return out
