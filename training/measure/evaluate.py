"""``python -m training measure-eval``: score the measurements against cardiologists and write
docs/MEASUREMENTS.md.

LUDB (per-lead P/QRS/T onsets, peaks and offsets by cardiologists) scores detection, edge errors and
the four global intervals against the IEC 60601-2-25 limits; ``ludb.csv`` scores the QRS axis; MIT-BIH
100 and 208 score R-peak detection (``wfdb.processing.compare_annotations``) and PVC classes.

The delineator's thresholds and per-edge bias corrections are chosen on LUDB, so LUDB figures are
**out-of-fold**: records are split into folds by record id; for each fold the configuration (from a
small grid) and the bias corrections are chosen on the other folds and the fold is scored with them.
neurokit2's ``ecg_delineate`` (DWT, lead II, untuned) is scored the same way as the comparison.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import itertools
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from training.data import read_record
from training.data.record import Record
from training.errors import ECGError
from training.measure.delineate import DelineationParams
from training.measure.engine import measure
from training.measure.fiducials import FIDUCIALS, P_OFF, P_ON, P_PEAK, QRS_OFF, QRS_ON, R_PEAK, T_OFF, T_ON, T_PEAK
from training.measure.reference import Reference, ludb_axis_categories, load_ludb_reference
from training.measure.report import fmt_number, write_report
from training.measure.scoring import (EDGES, IEC_LIMITS, RecordScore, detection, interval_differences,
                                      score_record)
from training.measure.intervals import intervals as global_intervals

N_FOLDS = 5
#: The grid the cross-validation chooses from.
GRID = {"major_lead_frac": (0.8, 1.0), "qrs_on_frac": (0.03, 0.06), "qrs_off_frac": (0.05, 0.08)}
#: Atrial-fibrillation P suppression, chosen per fold after the grid (it changes only the P waves):
#: (RR irregularity, PR spread s); the first is off (the rules before this option).
AF_OPTIONS = ((float("inf"), 0.02), (0.08, 0.015), (0.08, 0.025), (0.12, 0.015), (0.12, 0.025))
MITBIH_BEATS = set("NLRBAaJSVrFejnE/fQ?")


@dataclass
class LudbCase:
    record: Record
    reference: Reference

    @property
    def fold(self) -> int:
        return int(self.record.name) % N_FOLDS


def load_ludb(folder: Path, progress: Callable[[int, int], None] = lambda i, n: None) -> list[LudbCase]:
    paths = sorted((folder / "data").glob("*.hea"), key=lambda p: int(p.stem))
    cases = []
    for i, path in enumerate(paths):
        record = read_record(path)
        cases.append(LudbCase(record, load_ludb_reference(path.with_suffix(""), record.fs)))
        progress(i + 1, len(paths))
    return cases


def _score(case: LudbCase, params: DelineationParams, segmenter=None) -> tuple[RecordScore, float | None]:
    m = measure(case.record, params, max_seconds=None, segmenter=segmenter)
    ref = case.reference
    score = score_record(case.record.name, m.delineation, ref.fiducials, ref.span, case.record.fs, m.global_)
    return score, m.global_.get("qrs_axis_deg")


def _edge_bias(scores: Sequence[RecordScore]) -> tuple[float, ...]:
    """Per-fiducial correction = −(mean error of that edge) over ``scores``."""
    shifts = [0.0] * len(FIDUCIALS)
    for name, col in EDGES.items():
        errors = [e for s in scores for e in s.errors.get(name, [])]
        if errors:
            shifts[col] = -float(np.mean(errors))
    return tuple(shifts)


def _cost(scores: Sequence[RecordScore]) -> float:
    """Selection criterion: interval SDs in units of their IEC limit plus missed or spurious waves."""
    cost = 0.0
    for key, (_, sd_limit) in IEC_LIMITS.items():
        diffs = interval_differences(scores, key)
        cost += (float(np.std(diffs)) if diffs.size > 1 else 100.0) / sd_limit
    for wave in ("P", "QRS", "T"):
        se, ppv = detection(scores, wave)
        cost += (200.0 - se - ppv) / 10.0
    return cost


#: Which waves the network delineates, for every method compared (the empty one is the rules alone).
COMBOS: tuple[tuple[str, ...], ...] = ((), ("P", "QRS", "T"), ("P", "T"), ("P",), ("T",), ("QRS",), ("P", "QRS"),
                                        ("QRS", "T"))


def method_name(waves: Sequence[str]) -> str:
    if not waves:
        return "rules"
    if len(waves) == 3:
        return "network"
    rest = [w for w in ("P", "QRS", "T") if w not in waves]
    return f"network {'+'.join(waves)}, rules {'+'.join(rest)}"


class _Memo:
    """A fold network's labels of one record, computed once however many configurations measure it."""

    def __init__(self, segmenter, store: dict, key: tuple[int, str]):
        self.segmenter, self.store, self.key = segmenter, store, key

    def labels(self, x, fs, leads, good):
        if self.key not in self.store:
            self.store[self.key] = self.segmenter.labels(x, fs, leads, good)
        return self.store[self.key]


@dataclass
class Method:
    """One delineation method's out-of-fold scores, measured QRS axes and per-fold bias corrections."""

    waves: tuple[str, ...]
    scores: list[RecordScore]
    axes: list[float | None]
    shifts: list[tuple[float, ...]]

    @property
    def name(self) -> str:
        return method_name(self.waves)

    @property
    def cost(self) -> float:
        return _cost(self.scores)


def cross_validate(cases: Sequence[LudbCase], progress: Callable[[str], None] = lambda s: None,
                   networks: dict | None = None, all_cases: Sequence[LudbCase] | None = None
                   ) -> tuple[list[Method], list[dict]]:
    """Out-of-fold scores of every case for every method, and each fold's choices.

    Rules: the grid configuration and bias corrections are chosen on the other folds. With
    ``networks`` (fold -> network trained without that fold): every combination in :data:`COMBOS`
    takes the fold's rule configuration, and the bias corrections of the network's edges are estimated
    on the network's own validation records (held out of its training, inside the other folds; found in
    ``all_cases``)."""
    from training.measure.train_net import split

    all_cases = list(all_cases or cases)
    configs = [dataclasses.replace(DelineationParams(), shifts_ms=(0.0,) * len(FIDUCIALS), **dict(zip(GRID, values)),
                                   network_waves=(),
                                   af_irregularity=AF_OPTIONS[0][0], af_pr_spread_s=AF_OPTIONS[0][1])
               for values in itertools.product(*GRID.values())]
    raw = []
    for i, params in enumerate(configs):
        progress(f"grid {i + 1}/{len(configs)}")
        raw.append([_score(c, params)[0] for c in cases])
    af_raw: dict[tuple[int, int], list[RecordScore]] = {}

    def with_af(best: int, option: int) -> list[RecordScore]:
        if option == 0:
            return raw[best]
        if (best, option) not in af_raw:
            progress(f"atrial-fibrillation option {option}/{len(AF_OPTIONS) - 1} on grid configuration {best + 1}")
            irr, spread = AF_OPTIONS[option]
            params = dataclasses.replace(configs[best], af_irregularity=irr, af_pr_spread_s=spread)
            af_raw[(best, option)] = [_score(c, params)[0] for c in cases]
        return af_raw[(best, option)]
    combos = COMBOS if networks else COMBOS[:1]
    held: dict[tuple[str, ...], dict[int, tuple[RecordScore, float | None]]] = {w: {} for w in combos}
    fold_shifts: dict[tuple[str, ...], list[tuple[float, ...]]] = {w: [] for w in combos}
    labels: dict[tuple[int, str], np.ndarray] = {}
    all_names = [c.record.name for c in all_cases]
    choices = []
    for fold in range(N_FOLDS):
        train = [i for i, c in enumerate(cases) if c.fold != fold]
        costs = [_cost([scores[i] for i in train]) for scores in raw]
        best = int(np.argmin(costs))
        af = int(np.argmin([_cost([with_af(best, o)[i] for i in train]) for o in range(len(AF_OPTIONS))]))
        shifts = _edge_bias([with_af(best, af)[i] for i in train])
        rules = dataclasses.replace(configs[best], shifts_ms=shifts, af_irregularity=AF_OPTIONS[af][0],
                                    af_pr_spread_s=AF_OPTIONS[af][1])
        choice = {"fold": fold, **{k: getattr(rules, k) for k in GRID},
                  "af": "off" if af == 0 else f"RR irregularity > {AF_OPTIONS[af][0]:g}, PR spread > "
                                              f"{AF_OPTIONS[af][1] * 1000:g} ms",
                  "shifts_ms": {FIDUCIALS[c]: round(shifts[c], 1) for c in EDGES.values()}}
        progress(f"fold {fold + 1}/{N_FOLDS}")
        for waves in combos:
            params, memo = rules, None
            if waves:
                seg = networks[fold]
                memo = lambda name: _Memo(seg, labels, (fold, name))  # noqa: E731
                params = dataclasses.replace(rules, network_waves=waves, network_shifts_ms=(0.0,) * len(FIDUCIALS))
                val = split(all_names, fold)[1]
                bias = _edge_bias([_score(all_cases[i], params, memo(all_names[i]))[0] for i in val])
                params = dataclasses.replace(params, network_shifts_ms=bias)
                if len(waves) == 3:
                    choice["network_shifts_ms"] = {FIDUCIALS[c]: round(float(bias[c]), 1) for c in EDGES.values()}
            fold_shifts[waves].append(params.network_shifts_ms if waves else params.shifts_ms)
            for i, c in enumerate(cases):
                if c.fold == fold:
                    held[waves][i] = _score(c, params, memo(c.record.name) if memo else None)
        choices.append(choice)
    methods = [Method(w, [held[w][i][0] for i in range(len(cases))], [held[w][i][1] for i in range(len(cases))],
                      fold_shifts[w]) for w in combos]
    return methods, choices


def neurokit_scores(cases: Sequence[LudbCase]) -> list[RecordScore]:
    """neurokit2 ``ecg_delineate`` (DWT) on lead II, given our R peaks, scored like ours."""
    import neurokit2 as nk
    import warnings
    from training.signal.rpeaks import detect_rpeaks

    keys = {P_ON: "ECG_P_Onsets", P_PEAK: "ECG_P_Peaks", P_OFF: "ECG_P_Offsets", QRS_ON: "ECG_R_Onsets",
            QRS_OFF: "ECG_R_Offsets", T_ON: "ECG_T_Onsets", T_PEAK: "ECG_T_Peaks", T_OFF: "ECG_T_Offsets"}
    out = []
    for case in cases:
        rec = case.record
        r = detect_rpeaks(rec.signal, rec.fs)
        fid = np.full((r.size, len(FIDUCIALS)), np.nan)
        fid[:, R_PEAK] = r
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                clean = nk.ecg_clean(rec.lead("II").astype(np.float64), sampling_rate=int(rec.fs))
                _, waves = nk.ecg_delineate(clean, rpeaks=r, sampling_rate=int(rec.fs), method="dwt")
            for col, key in keys.items():
                values = np.asarray(waves[key], dtype=np.float64)
                fid[:values.size, col] = values
        except Exception:  # neurokit2 fails on some records; those score as no P/T found
            pass
        dominant = np.ones(r.size, dtype=bool)
        measured = global_intervals(fid, dominant, rec.fs)
        ref = case.reference
        out.append(score_record(rec.name, fid, ref.fiducials, ref.span, rec.fs, measured))
    return out


def mitbih(folder: Path) -> list[dict]:
    """R-peak Se/PPV (150 ms) and PVC Se/PPV of the measurement's beats on MIT-BIH 100 and 208."""
    import wfdb
    from wfdb.processing import compare_annotations

    rows = []
    for path in (folder / "100", folder / "mitdb_208" / "208"):
        if not path.with_suffix(".hea").exists():
            continue
        record = read_record(path)
        start = time.perf_counter()
        m = measure(record, max_seconds=None)
        seconds = time.perf_counter() - start
        ann = wfdb.rdann(str(path), "atr")
        beats = np.array([s for s, sym in zip(ann.sample, ann.symbol) if sym in MITBIH_BEATS])
        ref_v = np.array([s for s, sym in zip(ann.sample, ann.symbol) if sym == "V"])
        found = m.delineation[:, R_PEAK].astype(np.int64)
        window = int(0.15 * record.fs)
        cmp = compare_annotations(beats, found, window)
        classes = np.array(m.classes)
        ours_v = found[classes == "V"] if found.size else found
        cmp_v = compare_annotations(ref_v, ours_v, window) if ref_v.size and ours_v.size else None
        rows.append({"record": record.name, "beats": int(beats.size), "tp": int(cmp.tp), "fn": int(cmp.fn),
                     "fp": int(cmp.fp), "se": 100.0 * cmp.sensitivity, "ppv": 100.0 * cmp.positive_predictivity,
                     "ref_v": int(ref_v.size), "found_v": int(ours_v.size),
                     "v_se": 100.0 * cmp_v.sensitivity if cmp_v else None,
                     "v_ppv": 100.0 * cmp_v.positive_predictivity if cmp_v else None, "seconds": seconds,
                     "duration_s": record.duration})
    return rows


# ---------------------------------------------------------------------------------------- report
def ludb_conduction(csv_path: Path) -> dict[str, str]:
    """Record id -> LUDB's RBBB diagnosis: ``complete``, ``incomplete`` or ``none``."""
    import csv

    out = {}
    with open(csv_path, newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            text = (row.get("Conduction abnormalities") or "").lower()
            out[row["ID"].strip()] = ("complete" if "complete right bundle" in text and "incomplete right" not in text
                                      else "incomplete" if "incomplete right bundle" in text else "none")
    return out


def sign_rows(cases: Sequence[LudbCase], conduction: dict[str, str], paced: set[str] = frozenset()) -> list[str]:
    """Our RBBB signs against LUDB's diagnoses, how often the reversal flag fires on LUDB, and the
    paced-rhythm flag against ludb.csv's "Cardiac pacing"."""
    from training.clinical.ecg_signs import pe_signs

    table = {(ref, ours): 0 for ref in ("complete", "incomplete", "none") for ours in ("complete", "incomplete", "none")}
    flagged = refused = 0
    paced_hits: dict[bool, list[str]] = {True: [], False: []}
    for case in cases:
        m = measure(case.record)
        refused += bool(m.quality.get("refused"))
        flagged += bool(m.quality.get("limb_reversal_suspected"))
        if m.quality.get("paced"):
            paced_hits[case.record.name in paced].append(case.record.name)
        signs = {s.name: s.present for s in pe_signs(m)}
        ours = "complete" if signs.get("Complete RBBB") else "incomplete" if signs.get("Incomplete RBBB") else "none"
        table[(conduction.get(case.record.name, "none"), ours)] += 1
    lines = ["| LUDB diagnosis | records | ours: complete RBBB | ours: incomplete RBBB | ours: neither |",
             "|---|---|---|---|---|"]
    for ref in ("complete", "incomplete", "none"):
        counts = [table[(ref, o)] for o in ("complete", "incomplete", "none")]
        lines.append(f"| {ref} RBBB | {sum(counts)} | " + " | ".join(map(str, counts)) + " |")
    lines += ["", f"Limb-lead reversal flagged on {flagged} of {len(cases)} LUDB records (none of them is "
              f"recorded with reversed electrodes as far as ludb.csv says: these are false alarms); "
              f"{refused} record(s) refused."]
    n_paced = sum(1 for c in cases if c.record.name in paced)
    missed = sorted({c.record.name for c in cases if c.record.name in paced} - set(paced_hits[True]), key=int)
    lines += ["", f"Paced rhythm (pacing spikes before at least a third of the beats; `quality.paced`, QRS, QT "
              f"and axes then marked not comparable): flagged on {len(paced_hits[True])} of the {n_paced} records "
              f"ludb.csv lists with cardiac pacing (missed: {', '.join(missed) or 'none'}) and on "
              f"{len(paced_hits[False])} of the other {len(cases) - n_paced}. The spike threshold was set by looking "
              "at all 160 records (in-sample; no fold held out)."]
    return lines


def paced_records(csv_path: Path) -> set[str]:
    """Ids of the LUDB records ludb.csv lists with cardiac pacing."""
    import csv

    with open(csv_path, newline="", encoding="utf-8") as handle:
        return {row["ID"].strip() for row in csv.DictReader(handle) if (row.get("Cardiac pacing") or "").strip()}


def atrial_arrhythmia_records(csv_path: Path) -> set[str]:
    """Ids of the LUDB records whose rhythm is atrial fibrillation or flutter (no P waves to mark)."""
    import csv

    with open(csv_path, newline="", encoding="utf-8") as handle:
        return {row["ID"].strip() for row in csv.DictReader(handle)
                if any(word in (row.get("Rhythms") or "").lower() for word in ("fibrillation", "flutter"))}


DEVICE_KEYS = ("hr_bpm", "p_ms", "pr_ms", "qrs_ms", "qt_ms", "qtc_bazett_ms", "p_axis_deg", "qrs_axis_deg", "t_axis_deg")


def device_rows(vendor: Path) -> list[str]:
    """Ours beside the measurements the carts stored in their own files (GE MUSE, Philips, HL7 aECG,
    SCP, DICOM): not a reference standard, but the numbers clinicians see today."""
    from training.errors import ECGError

    files = sorted(p for p in vendor.rglob("*") if p.suffix.lower() in (".xml", ".scp", ".dcm"))
    lines = ["| file | " + " | ".join(k.replace("_ms", "").replace("_deg", "").replace("_bpm", "") for k in DEVICE_KEYS)
             + " |", "|---|" + "---|" * len(DEVICE_KEYS)]
    diffs: dict[str, list[float]] = {k: [] for k in DEVICE_KEYS}
    for path in files:
        try:
            record = read_record(path)
        except ECGError:
            continue
        device = dict(getattr(record, "device_measurements", {}) or {})
        if not device:
            continue
        ours = measure(record).global_
        cells = []
        for key in DEVICE_KEYS:
            a, b = ours.get(key), device.get(key)
            if a is not None and b is not None:
                diffs[key].append(a - b)
            cells.append(f"{fmt_number(a, 0)} / {fmt_number(b, 0)}")
        lines.append(f"| {path.parent.name}/{path.name} | " + " | ".join(cells) + " |")
    lines.append("| mean ours − device | " + " | ".join(
        f"{np.mean(diffs[k]):+.0f} (n={len(diffs[k])})" if diffs[k] else "—" for k in DEVICE_KEYS) + " |")
    return lines


def run(ludb: Path, formats: Path, out: Path, command: str, quick: bool = False,
        networks_dir: Path | None = None) -> Path:
    def bar_progress(label: str) -> Callable[[int, int], None]:
        def report(i: int, n: int) -> None:
            print(f"\r{label} {i}/{n}", end="" if i < n else "\n", file=sys.stderr, flush=True)
        return report

    def say(text: str) -> None:
        print(text, file=sys.stderr, flush=True)

    if importlib.util.find_spec("neurokit2") is None:  # before minutes of work, not after them
        raise ECGError("measure-eval compares against neurokit2, which this installation lacks (the desktop "
                       "bundle leaves it out); run it from a source checkout after `make install`")
    all_cases = load_ludb(ludb, bar_progress("reading LUDB"))
    cases = all_cases[::8] if quick else all_cases
    networks = None
    if networks_dir is not None:
        from training.measure.train_net import example, fold_networks
        networks = fold_networks([example(c.record, c.reference) for c in all_cases], networks_dir, progress=say)
    methods, choices = cross_validate(cases, say, networks, all_cases)
    chosen = min(methods, key=lambda m: m.cost)
    say(f"chosen: {chosen.name}; mean bias corrections over folds (ms): "
        + str(tuple(round(float(v), 1) for v in np.mean(chosen.shifts, axis=0))))
    say("neurokit2 comparison")
    theirs = neurokit_scores(cases)
    say("MIT-BIH")
    mit = mitbih(formats)
    signs = sign_rows(cases, ludb_conduction(ludb / "ludb.csv"), paced_records(ludb / "ludb.csv"))
    write_report(out, methods, chosen, theirs, ludb_axis_categories(ludb / "ludb.csv"), choices, mit, command, signs,
                 atrial_arrhythmia_records(ludb / "ludb.csv"), device_rows(ludb.parent / "vendor"), GRID, N_FOLDS)
    return out
