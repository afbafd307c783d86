"""``python -m experiments pooled``: training on every labelled source, and a leave-one-source-out table.

Sources (``../shared/data``): PTB-XL's slice (official folds: 1-8 train, 9 validation, 10 test, patient-
wise), CPSC2018 (150 records), the Challenge-format records of ``cinc/`` (PTB-XL, CPSC and Georgia
origin) and LUDB (160 records). The last three have no folds and no patient ids: each gets a seeded,
label-stratified **record-wise** split (70/15/15). Their statements become PTB-XL superclasses through
``training/data/label_maps/superclass_map.csv``; a class a source cannot label is ``nan`` and is masked
out of the loss and the metrics (never a negative).

Variants, each the bundled recipe (``configs/bundled_ptbxl_superclass.toml``) trained on a manifest of
the pooled records (:func:`write_pool_manifest`, an ordinary ``manifest.csv`` dataset of the engine):

* ``all``: every source's train split; the epoch, the calibration and the thresholds are chosen on the
  pooled validation splits;
* ``without_<source>``: the same without that source at all; tested on it (PTB-XL: fold 10; the others:
  all their records, none of which the model saw). This is what a hospital can expect on its own data.

The bundled model (PTB-XL folds 1-8 only) is scored on the same records; differences are paired
bootstrap intervals (the same resampled records for both models). Nothing here reads a test split to
choose anything: whether the pooled recipe replaces the bundled one is decided on validation splits.
"""

from __future__ import annotations

import argparse
import copy
import math
import os
import platform
import shlex
import sys
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np

from experiments.results import CONFIG_DIR, DEFAULT_DATA, REPO
from training.calibration import weighted_ece
from training.config import RunConfig, load_config
from training.data.labels import PTBXL_SUPERCLASSES
from training.data.manifest import ManifestRow, write_manifest
from training.data.splits import patient_split
from training.docsections import seeds_note, write_section
from training.intervals import Interval, bootstrap_indices, percentile_interval, resample_weights, weighted_auroc
from training.progress import Callback, ignore

SOURCES = ("ptbxl", "cpsc2018", "cinc", "ludb")
FOLDERS = {"ptbxl": "ptbxl", "cpsc2018": "cpsc2018", "cinc": "cinc", "ludb": "ludb"}
TITLES = {"ptbxl": "PTB-XL slice", "cpsc2018": "CPSC2018", "cinc": "Challenge-format records", "ludb": "LUDB"}
CLASSES = PTBXL_SUPERCLASSES
FRACTIONS = (0.7, 0.15, 0.15)
BUNDLED = REPO / "resources" / "models" / "ptbxl_superclass_resnet1d18.json"
RECIPE = CONFIG_DIR / "bundled_ptbxl_superclass.toml"
#: issue 18's goals
GOAL_FOLD10_AUROC, GOAL_UNSEEN_AUROC, GOAL_UNSEEN_ECE = 0.88, 0.82, 0.08


# ------------------------------------------------------------------------------------------ pooled split
@dataclass(frozen=True)
class PooledRecord:
    source: str
    path: Path
    target: np.ndarray  # [classes]: 1, 0 or nan (the source cannot label the class)
    split: str
    patient: str = ""   # "" where the source has no patient ids


@dataclass
class SourceSplit:
    """One source's records in their splits, what the split keeps together, and what was left out."""

    name: str
    records: list[PooledRecord]
    unit: str
    left_out: dict[str, int] = field(default_factory=dict)

    def of(self, split: str | None) -> list[PooledRecord]:
        """The records of one split (``None``: all)."""
        return [r for r in self.records if split is None or r.split == split]


def targets_of(records: Sequence[PooledRecord]) -> np.ndarray:
    return np.array([r.target for r in records], float).reshape(-1, len(CLASSES))


def source_split(name: str, root: str | Path, seed: int = 0, limit: int | None = None) -> SourceSplit:
    """``name``'s records with superclass targets and their split (PTB-XL: official folds, else record-wise).

    Records with no positive class and no unlabelled one are left out, as PTB-XL leaves out records
    without a diagnostic statement (the manifest format reads such a row as "nothing known"). ``limit``
    keeps at most that many records per split (tests only).
    """
    from training.data.datasets import load_ptbxl
    from training.data.superclass_map import load_mapped

    root = Path(root)
    if name == "ptbxl":
        index = load_ptbxl(root, fs=100)
        records = [PooledRecord(name, p, t.astype(float), s, pat)
                   for p, t, s, pat in zip(index.paths, index.targets, index.split, index.patients)]
        out = SourceSplit(name, records, "patient (official folds)")
    else:
        mapped = load_mapped(name, root)
        nothing = [r for r in mapped.records if not np.isfinite(r.target).any()]
        negative = [r for r in mapped.records if np.isfinite(r.target).all() and not np.any(r.target == 1)]
        kept = [r for r in mapped.records if not any(r is x for x in nothing + negative)]
        targets = np.array([r.target for r in kept], float)
        splits = patient_split([str(r.path) for r in kept], np.nan_to_num(targets), FRACTIONS, seed)
        records = [PooledRecord(name, r.path, r.target, s) for r, s in zip(kept, splits)]
        left = {why: n for why, n in (("paced (excluded by the map)", len(mapped.excluded)),
                                      ("every class unlabelled (e.g. a rhythm statement alone)", len(nothing)),
                                      ("every class known, none present", len(negative))) if n}
        out = SourceSplit(name, records, "record (no patient ids)", left)
    if limit:
        out.records = [r for s in ("train", "val", "test") for r in out.of(s)[:limit]]
    return out


def pooled_split(data: str | Path, sources: Iterable[str] = SOURCES, seed: int = 0,
                 limit: int | None = None) -> dict[str, SourceSplit]:
    """Every source's split, by name (see :func:`source_split`)."""
    return {name: source_split(name, Path(data) / FOLDERS[name], seed, limit) for name in sources}


def write_pool_manifest(folder: str | Path, splits: Iterable[SourceSplit]) -> Path:
    """The records of ``splits`` as a ``manifest.csv`` the engine trains on (absolute paths, given splits)."""
    rows = []
    for source in splits:
        for r in source.records:
            rows.append(ManifestRow(str(Path(r.path).resolve()),
                                    tuple(c for c, v in zip(CLASSES, r.target) if v == 1),
                                    f"{r.source}:{r.patient}" if r.patient else "", r.split,
                                    tuple(c for c, v in zip(CLASSES, r.target) if math.isnan(v))))
    Path(folder).mkdir(parents=True, exist_ok=True)
    return write_manifest(folder, rows)


# ------------------------------------------------------------------------------------------ metrics
def labelled_classes(y: np.ndarray) -> list[int]:
    """The classes with at least one known positive and one known negative here (where AUROC exists)."""
    return [c for c in range(y.shape[1])
            if np.nansum(y[:, c]) > 0 and np.nansum(1 - y[:, c]) > 0]


def macro_scores(y: np.ndarray, p: np.ndarray, weights: np.ndarray, classes: Sequence[int]) -> dict[str, np.ndarray]:
    """Macro AUROC and macro ECE over ``classes`` for each row of record ``weights``; unknown targets left out."""
    known = np.isfinite(y)
    yb = np.nan_to_num(y) > 0.5
    out = {}
    for key, metric in (("auroc", lambda c, w: weighted_auroc(yb[:, c], p[:, c], w)),
                        ("ece", lambda c, w: weighted_ece(yb[:, c].astype(float), p[:, c], w))):
        values = np.vstack([metric(c, weights * known[:, c]) for c in classes])
        finite = np.isfinite(values)  # a resample can lose a class's positives: averaged over the others
        out[key] = np.where(finite.any(0), np.where(finite, values, 0).sum(0) / np.maximum(finite.sum(0), 1), np.nan)
    return out


def interval(point: float, samples: np.ndarray) -> Interval:
    return Interval(float(point), *percentile_interval(samples))


def evaluate(y: np.ndarray, p: np.ndarray, boots: np.ndarray, classes: Sequence[int]) -> dict[str, Interval]:
    """Macro AUROC and ECE with record-level bootstrap intervals."""
    point = macro_scores(y, p, np.ones((1, len(y))), classes)
    samples = macro_scores(y, p, resample_weights(boots, len(y)), classes)
    return {k: interval(point[k][0], samples[k]) for k in point}


def paired(y: np.ndarray, pa: np.ndarray, pb: np.ndarray, boots: np.ndarray, classes: Sequence[int]) -> Interval:
    """Macro AUROC of ``pa`` minus that of ``pb`` on the same resampled records."""
    w = resample_weights(boots, len(y))
    one = np.ones((1, len(y)))
    diff = macro_scores(y, pa, w, classes)["auroc"] - macro_scores(y, pb, w, classes)["auroc"]
    point = macro_scores(y, pa, one, classes)["auroc"][0] - macro_scores(y, pb, one, classes)["auroc"][0]
    return interval(point, diff)


# ------------------------------------------------------------------------------------------ runs
@dataclass
class ModelRuns:
    """One variant trained once per seed: its model files, best epochs and fit times."""

    variant: str
    paths: list[Path] = field(default_factory=list)
    best_epochs: list[int] = field(default_factory=list)
    minutes: list[float] = field(default_factory=list)
    train_records: int = 0


def variant_config(base: RunConfig, folder: Path, name: str, seed: int, output: Path, epochs: int | None,
                   threads: int, model_options: dict | None = None) -> RunConfig:
    """The bundled recipe on a pooled manifest; the test split is never scored by the fit itself."""
    config = copy.deepcopy(base)
    config.data.path, config.data.kind = str(folder), "auto"
    config.name, config.seed, config.output = name, seed, str(output)
    config.score_test, config.threads, config.device = False, threads, "cpu"
    if epochs:
        config.train.epochs = epochs
    if model_options:
        config.model.options = {**config.model.options, **model_options}
    return config.validate()


def train_variant(variant: str, splits: list[SourceSplit], runs: Path, seeds: Sequence[int], base: RunConfig,
                  epochs: int | None, threads: int, reuse: bool, emit: Callback,
                  model_options: dict | None = None) -> ModelRuns:
    from training.checkpoint import load_card
    from training.fit import fit

    folder = write_pool_manifest(runs / "data" / variant, splits).parent
    out = ModelRuns(variant, train_records=sum(len(s.of("train")) for s in splits))
    for seed in seeds:
        name = f"pooled_{variant}_seed{seed}"
        path = runs / name / f"{name}.json"
        started = time.perf_counter()
        if not (reuse and path.is_file()):
            path = fit(variant_config(base, folder, name, seed, runs, epochs, threads, model_options), emit).model_path
        card = load_card(path)
        out.paths.append(path)
        out.best_epochs.append(int(card.metrics["best_epoch"]))
        out.minutes.append((time.perf_counter() - started) / 60)
        print(f"{name}: best epoch {out.best_epochs[-1]}, {out.minutes[-1]:.1f} min", flush=True)
    return out


def predictions(model: Path, source: SourceSplit, cache: Path) -> np.ndarray:
    """Calibrated probabilities of every record of ``source`` through the app's Predictor (cached as .npy)."""
    from training.evaluate import predict_paths
    from training.inference import Predictor

    file = cache / f"{Path(model).stem}__{source.name}_{len(source.records)}.npy"
    if file.is_file() and file.stat().st_mtime >= Path(model).stat().st_mtime:
        return np.load(file)
    probs = predict_paths(Predictor.from_path(model, "cpu"), [r.path for r in source.records])
    cache.mkdir(parents=True, exist_ok=True)
    np.save(file, probs)
    return probs


@dataclass
class Cell:
    """One model (a variant's seeds) on one set of records."""

    per_seed: list[dict[str, Interval]]
    ensemble: dict[str, Interval]
    diff: Interval | None = None  # ensemble minus the bundled model, paired

    def auroc(self) -> str:
        values = [s["auroc"].value for s in self.per_seed]
        if len(values) == 1:
            return str(self.ensemble["auroc"])
        return f"{np.mean(values):.3f} ± {np.std(values, ddof=1):.3f}; ensemble {self.ensemble['auroc']}"

    def ece(self) -> str:
        return str(self.ensemble["ece"])


def score_cell(y: np.ndarray, probs: list[np.ndarray], classes: Sequence[int], boots: np.ndarray,
               reference: np.ndarray | None) -> Cell:
    ensemble = np.mean(probs, axis=0)
    cell = Cell([evaluate(y, p, boots, classes) for p in probs], evaluate(y, ensemble, boots, classes))
    if reference is not None:
        cell.diff = paired(y, ensemble, reference, boots, classes)
    return cell


@dataclass
class Evaluation:
    """Everything the section reports, computed from the models' probabilities."""

    splits: dict[str, SourceSplit]
    variants: dict[str, ModelRuns]
    held_out: dict[str, tuple[str, int, list[int], Cell, Cell]] = field(default_factory=dict)
    pooled_test: dict[str, tuple[int, list[int], Cell, Cell]] = field(default_factory=dict)
    validation: dict[str, tuple[int, list[int], Cell, Cell]] = field(default_factory=dict)


def evaluate_all(splits: dict[str, SourceSplit], variants: dict[str, ModelRuns], bundled: Path,
                 cache: Path) -> Evaluation:
    """Score the LOSO models on their held-out source, the pooled model and the bundled one on each split."""
    ev = Evaluation(splits, variants)
    bundled_probs = {name: predictions(bundled, s, cache) for name, s in splits.items()}
    pooled = variants.get("all")
    pooled_probs = ({name: [predictions(p, s, cache) for p in pooled.paths] for name, s in splits.items()}
                    if pooled else {})

    def select(source: SourceSplit, split: str | None) -> np.ndarray:
        return np.array([split is None or r.split == split for r in source.records])

    for name, source in splits.items():
        which = "test" if name == "ptbxl" else None  # PTB-XL trained the bundled model: fold 10 only
        mask = select(source, which)
        y = targets_of(source.records)[mask]
        classes = labelled_classes(y)
        boots = bootstrap_indices(len(y))
        ref = bundled_probs[name][mask]
        bundled_cell = score_cell(y, [ref], classes, boots, None)
        loso = variants.get(f"without_{name}")
        if loso is not None and classes:
            probs = [predictions(p, source, cache)[mask] for p in loso.paths]
            ev.held_out[name] = ("fold 10" if which else "all records", int(mask.sum()), classes, bundled_cell,
                                 score_cell(y, probs, classes, boots, ref))
        if pooled is not None:
            for split, table in (("test", ev.pooled_test), ("val", ev.validation)):
                m = select(source, split)
                ys = targets_of(source.records)[m]
                cls = labelled_classes(ys)
                if not cls:
                    continue
                b = bootstrap_indices(len(ys))
                refs = bundled_probs[name][m]
                table[name] = (int(m.sum()), cls, score_cell(ys, [refs], cls, b, None),
                               score_cell(ys, [p[m] for p in pooled_probs[name]], cls, b, refs))
    if pooled is not None:  # all validation splits together: what the pooled model was selected on
        ys = np.vstack([targets_of(s.of("val")) for s in splits.values()])
        m = {n: select(s, "val") for n, s in splits.items()}
        refs = np.vstack([bundled_probs[n][m[n]] for n in splits])
        probs = [np.vstack([pooled_probs[n][k][m[n]] for n in splits]) for k in range(len(pooled.paths))]
        cls = labelled_classes(ys)
        b = bootstrap_indices(len(ys))
        ev.validation["pooled"] = (len(ys), cls, score_cell(ys, [refs], cls, b, None), score_cell(ys, probs, cls, b, refs))
    return ev


# ------------------------------------------------------------------------------------------ the section
def _classes(idx: Sequence[int]) -> str:
    return ", ".join(CLASSES[c] for c in idx)


def _diff(d: Interval | None) -> str:
    return "n/a" if d is None else f"{d.value:+.3f} ({d.low:+.3f} to {d.high:+.3f})"


def _goal(value: float, goal: float, higher: bool) -> str:
    met = value >= goal if higher else value <= goal
    return f"{value:.3f} against a goal of {'≥' if higher else '≤'} {goal:.2f}: " + (
        "met" if met else f"not met, {abs(value - goal):.3f} short")


def markdown(ev: Evaluation, command: str, seeds: int, epochs: int, threads: int, minutes: float) -> str:
    """The ``pooled`` section of docs/RESULTS.md."""
    lines = ["## Pooled sources and leave-one-source-out (ResNet1d-18, bundled recipe)", "",
             f"Generated by `{command}` on {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC ({platform.machine()}, "
             f"{os.cpu_count()} CPUs shared with other jobs, {threads} PyTorch thread{'s' if threads > 1 else ''}, "
             f"total {minutes:.1f} min).", "",
             "Data (record-wise splits are seeded, label-stratified 70/15/15; a class a source cannot label is "
             "unlabelled, masked out of the loss and the metrics, per `training/data/label_maps/superclass_map.csv`):",
             "", "| source | split unit | train | validation | test | left out | classes it labels (positives/known) |",
             "|---|---|---|---|---|---|---|"]
    for name, s in ev.splits.items():
        y = targets_of(s.records)
        known = ", ".join(f"{c} {int(np.nansum(y[:, i]))}/{int(np.isfinite(y[:, i]).sum())}"
                          for i, c in enumerate(CLASSES) if np.isfinite(y[:, i]).any())
        left = ", ".join(f"{n} {why}" for why, n in s.left_out.items()) or "none"
        lines.append(f"| {TITLES[name]} | {s.unit} | {len(s.of('train'))} | {len(s.of('val'))} | "
                     f"{len(s.of('test'))} | {left} | {known} |")
    recipe = ", ".join(f"{v.variant}: {v.train_records} train records, best epochs "
                       f"{', '.join(map(str, v.best_epochs))}" for v in ev.variants.values())
    lines += ["", f"Recipe: `configs/bundled_ptbxl_superclass.toml` (ResNet1d-18 width 32, focal loss, AdamW, "
              f"cosine restarts, noise and baseline-wander augmentation, no polarity inversion, whole 10 s input "
              f"at 100 Hz), at most {epochs} epochs with early stopping after the config's patience; the epoch, the "
              "per-class Platt calibration and the thresholds are chosen on the variant's pooled validation "
              f"splits; every record is scored through the app's Predictor (sliding windows, calibrated). "
              f"Seeds 0-{seeds - 1}. Variants — {recipe}.", "",
              seeds_note(seeds), "",
              "### Leave one source out: trained without a source, tested on it", "",
              "Macro AUROC and macro ECE (10 bins, after calibration on the other sources' validation splits) "
              "over the classes the source labels (with known positives and negatives); 95 % record-level "
              "bootstrap intervals (1000 resamples); the difference is the model trained without the source "
              "minus the bundled model (PTB-XL folds 1-8 only), paired on the same resampled records."
              + (" With several seeds: mean ± sd of the seeds' AUROC, then the seed ensemble (mean of "
                 "probabilities) with its interval; ECE and differences are the ensemble's." if seeds > 1 else ""), "",
              "| held-out source | records | classes | bundled: AUROC | bundled: ECE | without it: AUROC "
              "| without it: ECE | difference in AUROC |", "|---|---|---|---|---|---|---|---|"]
    for name, (what, n, cls, bundled, loso) in ev.held_out.items():
        lines.append(f"| {TITLES[name]} ({what}) | {n} | {_classes(cls)} | {bundled.auroc()} | {bundled.ece()} | "
                     f"{loso.auroc()} | {loso.ece()} | {_diff(loso.diff)} |")
    if ev.pooled_test:
        lines += ["", "### Pooled model (all sources' train splits) against the bundled model, on each test split",
                  "", "| test split | records | classes | bundled: AUROC | pooled: AUROC | difference (pooled − "
                  "bundled) | bundled: ECE | pooled: ECE |", "|---|---|---|---|---|---|---|---|"]
        for name, (n, cls, bundled, pooled) in ev.pooled_test.items():
            lines.append(f"| {TITLES[name]} | {n} | {_classes(cls)} | {bundled.auroc()} | {pooled.auroc()} | "
                         f"{_diff(pooled.diff)} | {bundled.ece()} | {pooled.ece()} |")
        lines += ["", "Validation splits (what decides between the recipes; the bundled model was selected on PTB-XL "
                  "fold 9, the pooled one on all of them):", "",
                  "| validation split | records | bundled: AUROC | pooled: AUROC | difference |", "|---|---|---|---|---|"]
        for name, (n, cls, bundled, pooled) in ev.validation.items():
            title = "all sources pooled" if name == "pooled" else TITLES[name]
            lines.append(f"| {title} | {n} | {bundled.auroc()} | {pooled.auroc()} | {_diff(pooled.diff)} |")
        lines += ["", decision(ev)]
    which = f"the {seeds}-seed ensemble" if seeds > 1 else "one seed"
    lines += ["", f"Goals (issue 18), for {which}:", ""]
    if "ptbxl" in ev.pooled_test:
        lines.append(f"- PTB-XL fold 10, pooled model: macro AUROC "
                     f"{_goal(ev.pooled_test['ptbxl'][3].ensemble['auroc'].value, GOAL_FOLD10_AUROC, True)} "
                     f"(bundled: {ev.pooled_test['ptbxl'][2].ensemble['auroc'].value:.3f}).")
    for name, (what, n, cls, bundled, loso) in ev.held_out.items():
        if name == "ptbxl":
            continue
        lines.append(f"- {TITLES[name]}, never trained on: macro AUROC "
                     f"{_goal(loso.ensemble['auroc'].value, GOAL_UNSEEN_AUROC, True)}; macro ECE "
                     f"{_goal(loso.ensemble['ece'].value, GOAL_UNSEEN_ECE, False)}.")
    lines += ["", "Caveats: the Challenge-format records include PTB-XL-origin ones (ecg_id > 500), so holding "
              "that source out does not remove PTB-XL's population, and their patients may overlap the slice's; "
              "a record-wise split can put one patient's records in two splits. CPSC2018 labels only NORM, STTC "
              "and CD. Binned ECE on a few dozen records is biased upwards (see the calibration section)."]
    return "\n".join(lines)


def pooled_is_better(ev: Evaluation) -> bool | None:
    """Validation only: the seeds' mean macro AUROC above the bundled model's on PTB-XL fold 9 (the split
    both were selected on) *and* on all validation splits pooled. ``None`` without both splits."""
    if "ptbxl" not in ev.validation or "pooled" not in ev.validation:
        return None

    def gain(key: str) -> float:
        _, _, bundled, pooled = ev.validation[key]
        return np.mean([s["auroc"].value for s in pooled.per_seed]) - bundled.ensemble["auroc"].value
    return gain("ptbxl") > 0 and gain("pooled") > 0


def decision(ev: Evaluation) -> str:
    """The sentence saying whether the pooled recipe replaces the bundled model, and why (validation only)."""
    better = pooled_is_better(ev)
    if better is None:
        return "Decision: needs PTB-XL and the pooled validation splits; the bundled model stays."
    rows = {k: ev.validation[k] for k in ("ptbxl", "pooled")}
    said = "; ".join(f"{'PTB-XL fold 9' if k == 'ptbxl' else 'pooled validation'}: seeds' mean "
                     f"{np.mean([s['auroc'].value for s in p.per_seed]):.3f} against {b.ensemble['auroc'].value:.3f}"
                     for k, (_, _, b, p) in rows.items())
    return (f"Decision (validation only; a bundled model is one network, so a seed's AUROC is compared): {said}. "
            + ("The pooled recipe is better on both and replaces the bundled model." if better else
               "The pooled recipe is not better on both, so the bundled model stays as it is. The gain on the "
               "pooled validation splits is what training on those sources' own records gives, measured on the "
               "records that also chose the pooled model's epoch and calibration, so it is optimistic."))


# ------------------------------------------------------------------------------------------ command
def run_pooled(out: str | Path, data: str | Path, runs: str | Path, sources: Sequence[str] = SOURCES,
               seeds: int = 1, epochs: int | None = None, threads: int = 1, reuse: bool = False,
               bundled: str | Path = BUNDLED, emit: Callback = ignore, limit: int | None = None,
               model_options: dict | None = None, command: str = "python -m experiments pooled") -> Evaluation:
    """Train the pooled and leave-one-out variants, score them and write the ``pooled`` section of ``out``."""
    started = time.perf_counter()
    runs = Path(runs)
    splits = pooled_split(data, sources, limit=limit)
    base = load_config(RECIPE)
    seed_list = range(seeds)
    variants = {"all": list(splits.values()),
                **{f"without_{n}": [s for m, s in splits.items() if m != n] for n in splits}}
    trained = {v: train_variant(v, members, runs, seed_list, base, epochs, threads, reuse, emit, model_options)
               for v, members in variants.items() if members}
    ev = evaluate_all(splits, trained, Path(bundled), runs / "predictions")
    text = markdown(ev, command, seeds, epochs or base.train.epochs, threads, (time.perf_counter() - started) / 60)
    write_section(out, "pooled", text)
    return ev


def cmd_pooled(args: argparse.Namespace, emit: Callback) -> int:
    command = "python -m experiments " + " ".join(shlex.quote(a) for a in sys.argv[1:] if a)
    run_pooled(args.out, args.data, args.runs, args.sources, args.seeds, args.epochs, args.threads or 1,
               args.reuse, args.bundled, emit, command=command if sys.argv[1:2] == ["pooled"]
               else "python -m experiments pooled")
    print(f"wrote the pooled section of {args.out}")
    return 0


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("pooled", parents=[common],
                       help="train on every labelled source, leave-one-source-out table (RESULTS.md)")
    p.add_argument("--out", default="docs/RESULTS.md")
    p.add_argument("--data", default=str(DEFAULT_DATA.parent), help="folder holding the sources (default: "
                   "$ECG_SHARED_DATA or ../shared/data)")
    p.add_argument("--runs", default="runs/pooled", help="where the manifests, models and predictions go")
    p.add_argument("--sources", nargs="+", choices=SOURCES, default=list(SOURCES))
    p.add_argument("--seeds", type=int, default=1, help="training runs per variant (seeds 0..N-1)")
    p.add_argument("--epochs", type=int, help="override the recipe's train.epochs (said in the section)")
    p.add_argument("--reuse", action="store_true", help="score models already in --runs instead of retraining")
    p.add_argument("--bundled", default=str(BUNDLED), help="the model to compare with (default: the bundled one)")
    p.set_defaults(run=cmd_pooled)
