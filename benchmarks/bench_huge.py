"""A 24-hour 12-lead 500 Hz record (built from real beats, ~1 GiB on disk) through the engine's reader.

Measured in a fresh child process so its peak resident memory is the reader's alone: opening the record
(header, checks, mapping), reading the first 10 s screen of all leads, a 1-minute span of one lead deep
into the record, and the signal check before a model would run. The goal of issue #19: resident memory
at most 1.5x the file size (the window's first paint within 1.5 s is not measured here: the window does
not yet open mapped records).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from benchmarks import Row, benchmark
from benchmarks.long_record import build_long_record
from benchmarks.shared import SHARED

_CHILD = r"""
import json, resource, sys, time
from training.data import read_record
from training.signal.quality import lead_problems
t0 = time.perf_counter(); record = read_record(sys.argv[1]); t1 = time.perf_counter()
screen = record.signal[:, :5000]; t2 = time.perf_counter()
minute = record.signal[1, 30_000_000:30_030_000]; t3 = time.perf_counter()
problems = lead_problems(record); t4 = time.perf_counter()
print(json.dumps({"open": t1 - t0, "screen": t2 - t1, "minute": t3 - t2, "check": t4 - t3,
                  "problems": len(problems), "kind": type(record.signal).__name__,
                  "rss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024}))
"""


@benchmark("huge_record")
def huge_record() -> list[Row]:
    with tempfile.TemporaryDirectory() as folder:
        header = build_long_record(SHARED, Path(folder), 24 * 3600)
        size = header.with_suffix(".dat").stat().st_size
        out = subprocess.run([sys.executable, "-c", _CHILD, str(header)], capture_output=True, text=True, check=True,
                             env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])})
    m = json.loads(out.stdout)
    note = f"24 h x 12 leads x 500 Hz, {size / 2**30:.2f} GiB format 16, {m['kind']}"
    return [
        Row("open (header, checks, map)", m["open"], "s", note=note),
        Row("first 10 s screen, 12 leads", m["screen"], "s"),
        Row("1 min of lead II at 16.7 h", m["minute"], "s"),
        Row("signal check (64 spans per lead)", m["check"], "s", note=f"{m['problems']} lead(s) refused"),
        Row("peak resident memory / file size", m["rss"] / size, "x", goal="<= 1.5"),
    ]
