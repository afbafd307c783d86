"""Record reading vs bare wfdb, and cached vs uncached dataset epochs (issue: foundation)."""

from __future__ import annotations

import tempfile

import wfdb

from benchmarks import Row, benchmark
from benchmarks.shared import SHARED, best_of
from training.data import read_record
from training.data.dataset import ECGDataset
from training.data.datasets import load_ptbxl
from training.signal import Pipeline


@benchmark("read_ptbxl500")
def read_ptbxl500() -> list[Row]:
    paths = [p.with_suffix("") for p in sorted((SHARED / "ptbxl" / "records500").rglob("*.hea"))]
    ours = best_of(lambda: [read_record(p) for p in paths])
    bare = best_of(lambda: [wfdb.rdrecord(str(p)) for p in paths])
    return [
        Row("read_record, all records", ours, "s", note=f"{len(paths)} PTB-XL 500 Hz records"),
        Row("wfdb.rdrecord, all records", bare, "s"),
        Row("ratio ours / wfdb", ours / bare, "x", note="ours adds size checks, unit conversion, float32"),
    ]


@benchmark("dataset_epoch")
def dataset_epoch() -> list[Row]:
    index = load_ptbxl(SHARED / "ptbxl", fs=500)
    pipeline = Pipeline.default(fs=100)
    with tempfile.TemporaryDirectory() as cache_dir:
        build = best_of(lambda: ECGDataset(index, pipeline, 1000, train=True, cache_dir=cache_dir), repeats=1)
        cached = ECGDataset(index, pipeline, 1000, train=True, cache_dir=cache_dir)
        t_cached = best_of(lambda: [cached[i] for i in range(len(cached))])
    uncached = ECGDataset(index, pipeline, 1000, train=True, cache=False)
    t_uncached = best_of(lambda: [uncached[i] for i in range(len(uncached))], repeats=1)
    return [
        Row("cache build (once)", build, "s", note=f"{len(index)} records, 500 Hz -> 100 Hz, 1-45 Hz, z-score"),
        Row("epoch, cached", t_cached, "s"),
        Row("epoch, uncached", t_uncached, "s"),
        Row("speed-up cached", t_uncached / t_cached, "x"),
    ]
