"""``python -m experiments results|transfer|leads|pooled``: regenerate a table of docs/RESULTS.md.

Same options, progress and error handling as the engine's commands (``--progress``, ``--device``,
``--threads``; typed errors end with one line and exit code 2).
"""

from __future__ import annotations

import argparse
import sys
from typing import Sequence

from training.cli import common_parser, run


def cmd_results(args: argparse.Namespace, emit) -> int:
    from experiments.results import run_results

    run_results(args.out, args.data, args.runs, emit, quick=args.quick, seeds=args.seeds)
    print(f"wrote {args.out}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    from experiments.lead_subsets import register as register_leads
    from experiments.pooled import register as register_pooled
    from experiments.results import add_table_arguments
    from experiments.transfer import register as register_transfer

    parser = argparse.ArgumentParser(prog="python -m experiments",
                                     description="Regenerate the paper-reproduction tables of docs/RESULTS.md")
    sub = parser.add_subparsers(dest="command", required=True)
    common = common_parser()
    p = sub.add_parser("results", parents=[common], help="train the PTB-XL comparison and write a results table")
    add_table_arguments(p, "PTB-XL", "ptbxl", "runs/results", seeds=3, quick_epochs=1)
    p.set_defaults(run=cmd_results)
    register_transfer(sub, common)
    register_leads(sub, common)
    register_pooled(sub, common)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    return run(build_parser().parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
