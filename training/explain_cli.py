"""``python -m training explain``: LIME heat map of one record for one class, as a PNG (matplotlib, Agg).

Registered in :mod:`training.cli` by :func:`register`. Uses the same :func:`explain_record` as the app,
so the figure and the app's overlay agree.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from training.errors import ConfigError

TOP_K = 10


def cmd_explain(args: argparse.Namespace, _emit) -> int:
    from training.data.readers import read_record
    from training.explain import ExplainConfig
    from training.explain_record import explain_record
    from training.inference import Predictor

    predictor = Predictor.from_path(args.model, args.device or "auto")
    if args.cls not in predictor.classes:
        raise ConfigError("--class", f"{args.cls!r} is not one of the model's classes {', '.join(predictor.classes)}")
    record = read_record(args.record)
    config = ExplainConfig(segmentation=args.segments, window_s=args.window, baseline=args.baseline,
                           n_samples=args.samples)
    result = explain_record(predictor, record, predictor.classes.index(args.cls), config)
    save_figure(result, predictor.preprocess(record), predictor.fs, args.out, f"{record.name}: {args.cls}")
    print(f"wrote {args.out}  (LIME R² {result.lime.score:.2f}, occlusion Spearman {result.agreement.spearman:.2f})")
    for lead, t0, t1, w in result.top(TOP_K):
        print(f"  {lead:4s} {t0:6.2f}-{t1:6.2f} s  {w:+.4f}")
    return 0


def save_figure(result, x: np.ndarray, fs: float, out: str | Path, title: str) -> None:
    """12 stacked leads of the explained window, segments tinted red (for) / blue (against)."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    exp = result.lime
    start = int(round(result.window_start_s * fs))
    seg = x[:, start:start + int(round(result.window_s * fs))]
    t = result.window_start_s + np.arange(seg.shape[-1]) / fs
    scale = float(np.abs(exp.weights).max()) or 1.0
    fig, axes = plt.subplots(len(exp.leads), 1, figsize=(12, 1.0 * len(exp.leads) + 1.2), sharex=True)
    for ax, lead, trace, weights in zip(np.atleast_1d(axes), exp.leads, seg, exp.weights):
        for (b0, b1), w in zip(exp.bounds / fs + result.window_start_s, weights):
            ax.axvspan(b0, b1, color="#d62728" if w > 0 else "#1f77b4", alpha=0.5 * abs(w) / scale, lw=0)
        ax.plot(t, trace, color="black", lw=0.7)
        ax.set_ylabel(lead, rotation=0, ha="right", va="center")
        ax.set_yticks([])
    top = ", ".join(f"{lead} {t0:.1f}-{t1:.1f}s" for lead, t0, t1, _ in result.top(5))
    fig.suptitle(f"{title}  (p={exp.probability:.2f}, LIME R²={exp.score:.2f}; red supports, blue against)\n"
                 f"top segments: {top}", fontsize=9)
    axes[-1].set_xlabel("record time (s)")
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    plt.close(fig)


def register(sub, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("explain", parents=[common], help="LIME heat map of one record for one class (PNG)")
    p.add_argument("--model", required=True, help="model file (name, .safetensors or .json)")
    p.add_argument("--class", dest="cls", required=True, help="class code, e.g. MI")
    p.add_argument("--out", required=True, help="PNG to write")
    p.add_argument("--segments", choices=("window", "beats"), default="window")
    p.add_argument("--window", type=float, default=0.5, help="segment width in seconds (window segmentation)")
    p.add_argument("--baseline", choices=("zero", "mean", "smooth"), default="zero")
    p.add_argument("--samples", type=int, default=1000, help="LIME perturbations")
    p.add_argument("record", help="record file (.hea, .dat, .mat...)")
    p.set_defaults(run=cmd_explain)
