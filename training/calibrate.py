"""Calibrating a model file and reporting how well its probabilities hold, on its own and on other sources.

``python -m training calibrate --model M`` fits the per-class map of :mod:`training.calibration` on the
model's validation split (records through the app's :class:`~training.inference.Predictor`), re-chooses
the F1-optimal thresholds on the calibrated validation probabilities (the same decisions: the maps are
increasing), rescores validation and, where the card already reports it, the test split (a report, not
a choice), assesses other sources mapped to the model's classes (:mod:`training.data.superclass_map`),
rewrites the card (weights untouched), draws a reliability diagram and, with ``--results``, writes the
calibration section of docs/RESULTS.md.

The card's ``calibration`` section (optional; every key below is added by this module)::

    method, parameters {class: {slope, intercept}}, fitted_on {data, split, records, positives},
    notes, bins {class: {edges, records, positives}} (validation, calibrated: what a probability meant there),
    assessment {source: {data, records, per_class {class: {records, positives, prevalence, mean_probability,
                 ece, brier, ece_uncalibrated, brier_uncalibrated}}}}  (each metric {value, low, high})
"""

from __future__ import annotations

import io
import math
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from training.calibration import (ECE_BINS, Calibration, calibration_scores, ece_noise_floor, fit_calibration,
                                  reliability_bins)
from training.checkpoint import ModelCard
from training.data.datasets import DatasetIndex
from training.intervals import bootstrap_indices


def assess(targets: np.ndarray, raw: np.ndarray, calibrated: np.ndarray, classes: Sequence[str], what: str,
           seed: int = 0) -> dict[str, Any]:
    """ECE and Brier per class, before and after calibration, with bootstrap intervals over records.

    ``targets`` may hold ``nan`` where a source does not label a class; those records are left out of
    that class (and a class no record labels is absent).
    """
    targets = np.asarray(targets, float)
    per_class: dict[str, Any] = {}
    for c, name in enumerate(classes):
        known = np.isfinite(targets[:, c])
        if not known.any():
            continue
        y, p_raw, p_cal = targets[known, c], raw[known, c], calibrated[known, c]
        boots = bootstrap_indices(len(y), seed=seed)
        after, before = calibration_scores(y, p_cal, boots), calibration_scores(y, p_raw, boots)
        per_class[name] = {"records": int(known.sum()), "positives": int(y.sum()), "prevalence": float(y.mean()),
                           "mean_probability": float(p_cal.mean()), "mean_score_uncalibrated": float(p_raw.mean()),
                           "ece": after["ece"].to_dict(), "brier": after["brier"].to_dict(),
                           "ece_uncalibrated": before["ece"].to_dict(), "brier_uncalibrated": before["brier"].to_dict(),
                           "ece_if_calibrated": ece_noise_floor(p_cal, seed=seed).to_dict()}
    return {"data": what, "records": int(len(targets)), "per_class": per_class}


def validation_bins(targets: np.ndarray, calibrated: np.ndarray, classes: Sequence[str]) -> dict[str, Any]:
    """Per class, the validation records and positives in each of the ten probability bins."""
    out = {}
    for c, name in enumerate(classes):
        known = np.isfinite(targets[:, c])  # records whose source labels the class
        _, _, count = reliability_bins(targets[known, c], calibrated[known, c])
        which = np.minimum((calibrated[known, c] * ECE_BINS).astype(int), ECE_BINS - 1)
        positives = np.bincount(which, weights=targets[known, c], minlength=ECE_BINS)
        out[name] = {"records": count.astype(int).tolist(), "positives": positives.astype(int).tolist()}
    return out


def fit_card_calibration(card: ModelCard, val_index: DatasetIndex, raw_val: np.ndarray, method: str) -> Calibration:
    """Fit the map on the validation split's raw scores and store it (with its assessment) in ``card``."""
    classes = card.classes
    positives = dict(zip(classes, np.nansum(val_index.targets, 0).astype(int).tolist()))
    fitted_on = {"data": val_index.name, "split": "val", "records": len(val_index), "positives": positives,
                 "fingerprint": card.data.get("fingerprint", "")[:16]}
    calibration = fit_calibration(val_index.targets, raw_val, classes, method, fitted_on)
    val_probs = calibration.apply(raw_val)
    card.calibration = {**calibration.to_dict(), "bins": validation_bins(val_index.targets, val_probs, classes),
                        "assessment": {"val": assess(val_index.targets, raw_val, val_probs, classes,
                                                     f"{val_index.name} validation split (fitted here)")}}
    return calibration


# ---------------------------------------------------------------------------------------------- plots
def plot_reliability(path: str | Path, curves: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]],
                     classes: Sequence[str], title: str) -> Path:
    """A reliability diagram per class: for each source, calibrated (solid) and raw (dashed) curves.

    ``curves`` maps a source to ``(targets with nan, raw, calibrated)``.
    """
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from training.atomic import atomic_write

    fig, axes = plt.subplots(1, len(classes), figsize=(3.2 * len(classes), 3.6), sharey=True)
    axes = np.atleast_1d(axes)
    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for c, (ax, name) in enumerate(zip(axes, classes)):
        ax.plot([0, 1], [0, 1], color="#999", lw=1)
        for k, (source, (targets, raw, cal)) in enumerate(curves.items()):
            known = np.isfinite(targets[:, c])
            if known.sum() < 5:
                continue
            for probs, style, label in ((cal, "-", source), (raw, "--", None)):
                mean_p, frac, count = reliability_bins(targets[known, c], probs[known, c])
                used = count > 0
                ax.plot(mean_p[used], frac[used], style, marker="o" if style == "-" else None, ms=3,
                        color=colours[k % len(colours)], label=label, lw=1.2)
        ax.set_title(name)
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 1)
        ax.set_xlabel("predicted probability")
        if c == 0:
            ax.set_ylabel("share of positives")
    handles, names = axes[0].get_legend_handles_labels()
    fig.legend(handles, names, loc="lower center", ncol=max(1, len(names)), fontsize=8, frameon=False)
    fig.suptitle(f"{title} (solid: calibrated, dashed: raw scores; 10 equal-width bins)", fontsize=9)
    fig.tight_layout(rect=(0, 0.08, 1, 1))
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110)
    plt.close(fig)
    path = Path(path)
    atomic_write({path: buf.getvalue()})
    return path


def markdown(card: ModelCard, model_name: str, command: str, png: str | None) -> str:
    """The calibration section of docs/RESULTS.md from a calibrated card."""
    cal = card.calibration or {}
    fitted = cal.get("fitted_on", {})
    lines = [f"## Calibration of the bundled model (`{model_name}`)", "",
             f"Generated by `{command}` on {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC.", "",
             f"Method: per-class {cal.get('method')} scaling fitted on {fitted.get('records')} records of "
             f"{fitted.get('data')} ({fitted.get('split')} split: PTB-XL fold 9), on the mean of the windows' raw "
             "scores, as the Predictor applies it. Thresholds re-chosen on the calibrated fold-9 probabilities "
             "(the same decisions). ECE: 10 equal-width bins; Brier: mean squared error; 95 % intervals: "
             "record-level bootstrap (1000 resamples). Other sources use the label map of "
             "`training/data/label_maps/superclass_map.csv` (a class a source cannot label is left out of it). "
             "Binned ECE is biased upwards on small samples, and more so under resampling (so an interval can sit "
             "above its point value); the column *ECE if calibrated* is what perfectly calibrated probabilities "
             "would score on the same records (labels drawn from the calibrated probabilities, 1000 draws: mean "
             "and 95 % range). An observed ECE inside that range cannot be told apart from perfect calibration.",
             "", "| source | class | records | positives | mean prob. (raw → calibrated) | ECE raw | ECE calibrated "
             "| ECE if calibrated | Brier raw | Brier calibrated |", "|---|---|---|---|---|---|---|---|---|---|"]
    for source, block in cal.get("assessment", {}).items():
        for name, m in block["per_class"].items():
            lines.append(f"| {block['data']} | {name} | {m['records']} | {m['positives']} | "
                         f"{m['mean_score_uncalibrated']:.2f} → {m['mean_probability']:.2f} (prevalence "
                         f"{m['prevalence']:.2f}) | {_iv(m['ece_uncalibrated'])} | {_iv(m['ece'])} | "
                         f"{_iv(m.get('ece_if_calibrated', {}))} | {_iv(m['brier_uncalibrated'])} | {_iv(m['brier'])} |")
    lines += ["", "Macro ECE (mean over the classes a source labels):", ""]
    for source, block in cal.get("assessment", {}).items():
        eces = [m["ece"]["value"] for m in block["per_class"].values()]
        raw = [m["ece_uncalibrated"]["value"] for m in block["per_class"].values()]
        lines.append(f"- {block['data']}: {np.mean(raw):.3f} raw → {np.mean(eces):.3f} calibrated "
                     f"({len(eces)} classes)")
    if png:
        lines += ["", f"![reliability diagram]({png})"]
    return "\n".join(lines)


def _iv(d: dict[str, float | None]) -> str:
    v, lo, hi = d.get("value"), d.get("low"), d.get("high")
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "n/a"
    return f"{v:.3f} ({lo:.3f}-{hi:.3f})" if lo is not None else f"{v:.3f}"


# ---------------------------------------------------------------------------------------------- command
def calibrate_model(model: str | Path, method: str = "platt", out: str | Path | None = None,
                    external: Sequence[tuple[str, str]] = (), plot: str | Path | None = None,
                    device: str = "auto") -> tuple[ModelCard, Path, dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]]:
    """Fit, re-threshold, rescore and assess; writes the calibrated model to ``out`` (default: in place)."""
    from training.checkpoint import load_model, save_model
    from training.data.superclass_map import load_mapped
    from training.evaluate import predict_index, predict_paths, split_index
    from training.fit.device import select_device
    from training.fit.run import scored
    from training.thresholds import f1_optimal_thresholds

    torch_device = select_device(device)
    net, card = load_model(model, torch_device)
    card.calibration = None  # fit on the network's own scores, never on an older calibration
    from training.inference import Predictor
    raw_predictor = Predictor(net, card, torch_device)
    labels = card.labels
    val = split_index(card, "val")
    raw_val = predict_index(raw_predictor, val, calibrated=False)
    calibration = fit_card_calibration(card, val, raw_val, method)
    val_probs = calibration.apply(raw_val)
    thresholds, notes = f1_optimal_thresholds(val.targets, val_probs, labels.classes)
    card.thresholds = [float(t) for t in thresholds]
    metrics = dict(card.metrics)
    val_scores = scored(val.targets, val_probs, thresholds, labels, card.single_label)
    val_scores.notes.extend(notes)
    metrics["val"] = val_scores.to_dict()
    curves = {"PTB-XL fold 9 (fitted)": (val.targets.astype(float), raw_val, val_probs)}
    if metrics.get("test"):
        test = split_index(card, "test")
        raw_test = predict_index(raw_predictor, test, calibrated=False)
        test_probs = calibration.apply(raw_test)
        metrics["test"] = scored(test.targets, test_probs, thresholds, labels, card.single_label).to_dict()
        card.calibration["assessment"]["test"] = assess(test.targets, raw_test, test_probs, labels.classes,
                                                        f"{test.name} test split")
        curves["PTB-XL fold 10"] = (test.targets.astype(float), raw_test, test_probs)
    card.metrics = metrics
    for source, root in external:
        mapped = load_mapped(source, root)
        raw = predict_paths(raw_predictor, mapped.paths, calibrated=False)
        probs = calibration.apply(raw)
        what = f"{source} ({len(mapped.records)} records{', ' + str(len(mapped.excluded)) + ' paced left out' if mapped.excluded else ''})"
        card.calibration["assessment"][source] = assess(mapped.targets, raw, probs, labels.classes, what)
        curves[source] = (mapped.targets, raw, probs)
    target = Path(out) if out else Path(model)
    weights_path, _ = save_model(target, net.cpu(), card)
    if plot:
        plot_reliability(plot, curves, labels.classes, f"{Path(model).name}")
    return card, weights_path, curves
