"""``python -m training fit|evaluate|predict|explain|hpo|cohort…``: the engine from a terminal or from the GUI.

Commands import what they need when they run (torch, optuna, the model zoo), so ``--help`` is instant.
The paper-reproduction tables are not engine commands: ``python -m experiments`` (``experiments/``).

``--progress jsonl`` writes one JSON object per line on stdout (the typed events of
:mod:`training.progress`) for a parent process to read; otherwise a tqdm bar (on a terminal) or one line
per epoch goes to stderr. Errors the engine raises on purpose (:class:`ECGError`)
end the command with one line on stderr and exit code 2, never a traceback. Ctrl-C (or SIGTERM) asks
the trainer to stop at the next step; the last epoch checkpoint resumes with ``fit --resume``.
"""

from __future__ import annotations

import argparse
import signal
import sys
from typing import Sequence

from training.clinical.cli import add_commands as add_clinical_commands
from training.errors import ECGError
from training.progress import Callback, CancelToken, Event, TrainingCancelled
from training.user_dirs import route_torch_caches
from training.version import __version__

VERSION_LINE = f"ecgstudio engine {__version__}"

EXIT_ERROR = 2
EXIT_CANCELLED = 130


def _jsonl(event: Event) -> None:
    print(event.to_line(), flush=True)


class TerminalProgress:
    """A tqdm bar over all steps of the run, with one summary line per epoch (stderr)."""

    def __init__(self, bar: bool):
        self.bar_enabled = bar
        self.bar = None

    def __call__(self, event: Event) -> None:
        f = event.fields
        if event.type == "start" and self.bar_enabled:
            from tqdm import tqdm
            total = f["epochs"] * f["steps_per_epoch"]
            self.bar = tqdm(total=total, initial=(f["first_epoch"] - 1) * f["steps_per_epoch"], unit="step",
                            desc="fit", dynamic_ncols=True, file=sys.stderr)
        elif event.type == "step" and self.bar is not None:
            self.bar.update(1)
            self.bar.set_postfix(epoch=f["epoch"], loss=f"{f['loss']:.4f}")
        elif event.type == "epoch":
            monitored = {k: v for k, v in f.items() if k.startswith("val_") and k not in ("val_loss",)}
            text = " ".join(f"{k}={_fmt(v)}" for k, v in monitored.items())
            self._write(f"epoch {f['epoch']}/{f['epochs']} train_loss={_fmt(f['train_loss'])} "
                        f"val_loss={_fmt(f['val_loss'])} {text} best_epoch={f['best_epoch']}")
        elif event.type in ("done", "cancelled", "error") and self.bar is not None:
            self.bar.close()
            self.bar = None

    def _write(self, line: str) -> None:
        if self.bar is not None:
            self.bar.write(line, file=sys.stderr)
        else:
            print(line, file=sys.stderr, flush=True)


def _fmt(value: object) -> str:
    return f"{value:.4f}" if isinstance(value, float) else str(value)


def progress_callback(kind: str) -> Callback:
    """What ``--progress KIND`` asks for: JSON lines on stdout, or a bar / lines on stderr."""
    if kind == "jsonl":
        return _jsonl
    return TerminalProgress(bar=kind == "tqdm" or (kind == "auto" and sys.stderr.isatty()))


def _print_summary(title: str, summary: dict, notes: Sequence[str] = ()) -> None:
    print(title)
    for key, value in summary.items():
        print(f"  {key:16s} {_fmt(value)}")
    for note in notes:
        print(f"  note: {note}")


def cmd_fit(args: argparse.Namespace, emit: Callback) -> int:
    from training.config import load_config
    from training.fit import fit

    config = load_config(args.config)
    if args.device:
        config.device = args.device
    if args.output:
        config.output = args.output
    if args.threads:
        config.threads = args.threads  # pinned by seed_everything and recorded in the card
    config.validate()
    cancel = CancelToken()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: cancel.cancel())
    result = fit(config, emit, cancel, resume=args.resume)
    if args.progress != "jsonl":
        print(f"model: {result.model_path}")
        _print_summary("validation (thresholds chosen here):", result.val.summary)
        if result.test is not None:
            _print_summary("test:", result.test.summary, result.test.notes)
    return 0


def cmd_evaluate(args: argparse.Namespace, emit: Callback) -> int:
    from training.evaluate import evaluate_model

    scores, card = evaluate_model(args.model, args.split, args.data, args.device or "auto")
    if args.progress == "jsonl":
        emit(Event("metrics", {"split": args.split, "model": str(args.model), args.split: scores.to_dict()}))
        emit(Event("done", {"model": str(args.model)}))
    else:
        _print_summary(f"{args.model} on the {args.split} split:", scores.summary, scores.notes)
    return 0


def cmd_predict(args: argparse.Namespace, emit: Callback) -> int:
    from training.inference import Predictor

    pred = Predictor.from_path(args.model, args.device or "auto").predict_path(args.record)
    rows = [{"cls": c, "display": d, "probability": float(p), "threshold": float(t), "positive": bool(f),
             "uncertain": pred.uncertain(i)}
            for i, (c, d, p, t, f) in enumerate(zip(pred.classes, pred.display, pred.probs, pred.thresholds,
                                                    pred.positive))]
    caution_rows = [{"code": c.code, "message": c.message} for c in pred.cautions]
    if args.progress == "jsonl":
        emit(Event("done", {"record": str(args.record), "predictions": rows, "n_windows": pred.n_windows,
                            "device": pred.device, "meaning": pred.meaning, "cautions": caution_rows}))
        return 0
    for c in pred.cautions:
        print(f"CAUTION ({c.code}): {c.message}")
    width = max(len(r["cls"]) for r in rows)
    for r in rows:
        flag = "POSITIVE" if r["positive"] else ""
        spread = (f"  (uncertain: {r['uncertain'][0]:.2f}-{r['uncertain'][1]:.2f} of validation records "
                  "near this probability had it)") if r["uncertain"] else ""
        print(f"{r['cls']:{width}s}  {r['probability']:.4f}  (threshold {r['threshold']:.3f})  {flag:8s}  "
              f"{r['display']}{spread}")
    print(f"({pred.n_windows} window(s); {pred.meaning}; {pred.device})")
    return 0


def common_parser() -> argparse.ArgumentParser:
    """The options every command shares (``--progress``, ``--device``, ``--threads``), as an argparse parent."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--progress", choices=("auto", "tqdm", "plain", "jsonl"), default="auto",
                        help="progress on stderr (auto: a bar on a terminal), or JSON lines on stdout")
    common.add_argument("--device", help="auto, cpu, mps, cuda or cuda:N (overrides the config)")
    common.add_argument("--threads", type=int, help="CPU threads for PyTorch (default: one per core; 1 is "
                                                    "faster for small models on cores other jobs share)")
    return common


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m training", description="ECG Studio's training engine")
    parser.add_argument("--version", action="version", version=VERSION_LINE)
    sub = parser.add_subparsers(dest="command", required=True)
    common = common_parser()

    p = sub.add_parser("fit", parents=[common], help="train a model from a TOML/JSON config")
    p.add_argument("--config", required=True, help="run configuration (.toml or .json)")
    p.add_argument("--resume", action="store_true", help="continue from the run folder's last checkpoint")
    p.add_argument("--output", help="parent folder of the run folder (overrides the config)")
    p.set_defaults(run=cmd_fit)

    p = sub.add_parser("evaluate", parents=[common], help="score a model file on a dataset split")
    p.add_argument("--model", required=True, help="model file (name, .safetensors or .json)")
    p.add_argument("--split", choices=("train", "val", "test"), default="test")
    p.add_argument("--data", help="dataset folder (default: the one the model was trained on)")
    p.set_defaults(run=cmd_evaluate)

    p = sub.add_parser("predict", parents=[common], help="per-class probabilities for one record")
    p.add_argument("--model", required=True, help="model file (name, .safetensors or .json)")
    p.add_argument("record", help="record file (.hea/.dat/.mat, or a MUSE/Philips/aECG .xml, .dcm, .edf, .scp export)")
    p.set_defaults(run=cmd_predict)

    from training.explain_cli import register as register_explain
    register_explain(sub, common)
    from training.hpo_cli import register as register_hpo
    register_hpo(sub, common)
    from training.convert import register as register_convert
    register_convert(sub, common)
    from training.measure.cli import register as register_measure
    register_measure(sub, common)
    from training.calibrate_cli import register as register_calibrate
    register_calibrate(sub, common)
    add_clinical_commands(sub, common)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    route_torch_caches()  # before any command imports torch
    return run(build_parser().parse_args(argv))


def run(args: argparse.Namespace) -> int:
    """Run a parsed command (``args.run``) with its progress, threads and typed-error handling."""
    emit = progress_callback(args.progress)
    if args.threads:
        import torch
        torch.set_num_threads(max(1, args.threads))
    try:
        return args.run(args, emit)
    except TrainingCancelled as exc:
        print(f"cancelled: {exc}; continue with 'fit --resume'", file=sys.stderr)
        return EXIT_CANCELLED
    except ECGError as exc:
        message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        emit(Event("error", {"message": message, "kind": type(exc).__name__}))
        print(f"error: {message}", file=sys.stderr)
        return EXIT_ERROR
