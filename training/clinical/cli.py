"""``python -m training cohort`` and ``python -m training demo-cohort``: the PE cohort comparison from a terminal.

Registered by :func:`training.cli.build_parser` through :func:`add_commands`. Heavy imports (torch, the
model) happen when a command runs, so ``--help`` stays instant.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from training.clinical.errors import ClinicalInputError
from training.progress import Callback, Event


def cmd_cohort(args: argparse.Namespace, emit: Callback) -> int:
    from training.clinical.cohort_run import run_cohort, write_reports

    def progress(done: int, total: int) -> None:
        if args.progress == "jsonl":
            emit(Event("progress", {"done": done, "total": total}))

    if args.boot < 1:
        raise ClinicalInputError("boot", f"need at least one bootstrap resample, got {args.boot}")
    run = run_cohort(args.cohort, args.model, args.cls, args.boot, args.seed, args.device or "auto", progress)
    csv_path, html_path = write_reports(run.comparison, args.out)
    skipped = [{"record": f.record, "reason": f.reason} for f in run.failures]
    if args.progress == "jsonl":
        emit(Event("done", {"csv": str(csv_path), "html": str(html_path), "skipped": skipped}))
        return 0
    for failure in run.failures:
        print(f"skipped {failure.record}: {failure.reason}", file=sys.stderr)
    if run.comparison.cohort.synthetic:
        print("SYNTHETIC demo cohort: criteria and outcomes are simulated; draw no clinical conclusion.")
    for row in run.comparison.rows:
        print(f"  {row.name:28s} sens {row.metrics['sensitivity']}  spec {row.metrics['specificity']}  "
              f"AUC {row.metrics['auc']}")
    print(f"wrote {csv_path}\nwrote {html_path}")
    return 0


def cmd_demo_cohort(args: argparse.Namespace, emit: Callback) -> int:
    from training.clinical.demo import write_demo_cohort

    records = sorted(Path(args.records).rglob("*.hea"))
    if not records:
        raise ClinicalInputError("records", f"no record headers (*.hea) under {args.records}")
    path = write_demo_cohort(records, Path(args.out), args.seed)
    if args.progress == "jsonl":
        emit(Event("done", {"cohort": str(path), "patients": len(records)}))
    else:
        print(f"wrote {path} ({len(records)} SYNTHETIC patients)")
    return 0


def add_commands(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("cohort", parents=[common], help="compare a model with Wells, PEGeD and YEARS on a cohort CSV")
    p.add_argument("--cohort", required=True, help="cohort CSV (schema: docs/COHORT.md)")
    p.add_argument("--model", required=True, help="model file (name, .safetensors or .json)")
    p.add_argument("--class", dest="cls", required=True, help="the model class to compare (code or name)")
    p.add_argument("--out", required=True, help="folder for the CSV and HTML reports")
    p.add_argument("--boot", type=int, default=2000, help="bootstrap resamples for the 95 %% intervals")
    p.add_argument("--seed", type=int, default=0, help="bootstrap seed")
    p.set_defaults(run=cmd_cohort)

    p = sub.add_parser("demo-cohort", parents=[common],
                       help="write a SYNTHETIC demo cohort for the records of a folder")
    p.add_argument("--records", required=True, help="folder of records (searched recursively for .hea headers)")
    p.add_argument("--out", required=True, help="folder for SYNTHETIC_demo_cohort_seed<N>.csv")
    p.add_argument("--seed", type=int, default=0)
    p.set_defaults(run=cmd_demo_cohort)
