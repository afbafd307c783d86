"""Measurement speed (issue 17): ``measure(record)`` on 10 s 12-lead 500 Hz LUDB records, one core.

The user path is the whole of ``measure`` on a record already read (lead quality, R peaks,
delineation, intervals, amplitudes): what the app runs when a record opens and the cohort CLI runs per
record, with the default delineation (rules, plus the delineator network for the waves
``DelineationParams.network_waves`` names; its one-off load is the warm-up). The rules alone are timed too. Thread pools are limited to one (BLAS/OpenMP) by the variables below, set before numpy loads
when this benchmark runs alone (``OMP_NUM_THREADS=1 python -m benchmarks measure``); measure itself is
single-threaded numpy/scipy either way. Reported: median and worst over 20 records, best of 3 each,
as wall time and as CPU time of this process (the cost on one core, which other load on a shared
machine inflates less than wall time).
"""

from __future__ import annotations

import dataclasses
import statistics
import time

from benchmarks import Row, benchmark
from benchmarks.shared import SHARED, best_of
from training.data import read_record
from training.measure import measure
from training.measure.delineate import DelineationParams


@benchmark("measure")
def measure_speed() -> list[Row]:
    paths = sorted((SHARED / "ludb" / "data").glob("*.hea"), key=lambda p: int(p.stem))[::8]
    records = [read_record(p) for p in paths]
    measure(records[0])  # warm-up (filter design caches)
    times = [best_of(lambda r=r: measure(r)) * 1000 for r in records]
    cpu = [_cpu_best(lambda r=r: measure(r)) * 1000 for r in records]
    rules = dataclasses.replace(DelineationParams(), network_waves=())
    cpu_rules = [_cpu_best(lambda r=r: measure(r, rules)) * 1000 for r in records]
    mit = read_record(SHARED / "formats" / "mitdb_208" / "208")
    whole = best_of(lambda: measure(mit, max_seconds=None), repeats=1)
    return [Row("measure one 10 s 12-lead 500 Hz record, median", statistics.median(times), "ms", "<= 50",
                f"{len(records)} LUDB records, one core"),
            Row("measure, slowest of those records", max(times), "ms", "<= 50"),
            Row("measure CPU time on one core, median", statistics.median(cpu), "ms", "<= 50"),
            Row("measure CPU time, slowest record", max(cpu), "ms", "<= 50",
                f"network for {'+'.join(DelineationParams().network_waves) or 'no wave'}"),
            Row("measure CPU time, rules only, median", statistics.median(cpu_rules), "ms", "",
                "DelineationParams(network_waves=())"),
            Row("measure a 30 min 2-lead 360 Hz record (MIT-BIH 208)", whole, "s", "",
                "2,955 beats, whole record")]


def _cpu_best(fn, repeats: int = 3) -> float:
    """Least CPU time (s) of ``repeats`` runs of ``fn`` in this process."""
    best = float("inf")
    for _ in range(repeats):
        start = time.process_time()
        fn()
        best = min(best, time.process_time() - start)
    return best
