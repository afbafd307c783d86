"""``python -m benchmarks [NAME…]``: run benchmarks and append a dated table to benchmarks/RESULTS.md."""

from __future__ import annotations

import argparse
import importlib
import os
import pkgutil
import platform
import sys
from datetime import datetime
from pathlib import Path

import benchmarks
from benchmarks import BENCHMARKS, BUNDLE_TARGETS

RESULTS = Path(__file__).resolve().parent / "RESULTS.md"


def main(argv: list[str] | None = None) -> int:
    for module in pkgutil.iter_modules(benchmarks.__path__):
        if module.name.startswith("bench_"):
            importlib.import_module(f"benchmarks.{module.name}")
    parser = argparse.ArgumentParser(prog="python -m benchmarks")
    parser.add_argument("names", nargs="*", help=f"benchmarks to run (default all): {', '.join(sorted(BENCHMARKS))}")
    parser.add_argument("--no-write", action="store_true", help="print only; do not append to RESULTS.md")
    parser.add_argument("--bundle", action="store_true",
                        help="time the built bundle (dist/ecgstudio-<version>/) instead of the source tree, for the "
                             f"benchmarks that have that target ({', '.join(sorted(BUNDLE_TARGETS))}; the default then)")
    args = parser.parse_args(argv)
    unknown = set(args.names) - set(BENCHMARKS)
    if unknown:
        parser.error(f"unknown benchmark(s): {', '.join(sorted(unknown))}")
    if args.bundle and set(args.names) - BUNDLE_TARGETS:
        parser.error(f"no --bundle target in: {', '.join(sorted(set(args.names) - BUNDLE_TARGETS))}")
    names = args.names or sorted(BUNDLE_TARGETS if args.bundle else BENCHMARKS)
    lines = [
        f"\n## {datetime.now().strftime('%Y-%m-%d %H:%M')} — {platform.machine()}, {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}\n",
        "| benchmark | metric | value | unit | goal | note |",
        "|---|---|---|---|---|---|",
    ]
    for name in names:
        print(f"running {name}{' --bundle' if args.bundle else ''}…", file=sys.stderr, flush=True)
        for row in BENCHMARKS[name](**({"bundle": True} if args.bundle else {})):
            label = f"{name} --bundle" if args.bundle else name
            line = f"| {label} | {row.metric} | {row.value:.4g} | {row.unit} | {row.goal} | {row.note} |"
            lines.append(line)
            print(line, flush=True)
    if not args.no_write:
        if not RESULTS.exists():
            RESULTS.write_text("# Benchmark results\n\nAppended by `make bench` (`python -m benchmarks`); newest last.\n")
        with RESULTS.open("a") as fh:
            fh.write("\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    code = main()
    # The GUI benchmarks leave Qt objects (windows, job threads) whose teardown at interpreter exit
    # aborts under PySide6 6.12 on Python 3.11 ("shared QObject was deleted directly"), after the
    # results are written. Leave without that teardown so `make bench` reports success honestly.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
