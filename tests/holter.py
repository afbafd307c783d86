"""A 30-min 12-lead record built from real PTB-XL beats, and spies on how a mapped record is read: shared by
the engine's and the window's Holter tests (tests/test_huge_records.py, tests/test_huge_window.py)."""

from __future__ import annotations

import pytest

from benchmarks.long_record import build_long_record
from training.data import read_record
from training.data.lazy import LazySignal

MINUTES = 30  # 10.8 M samples, 21.6 MB on disk: lazily read at a lowered threshold, fast to build


@pytest.fixture(scope="module")
def holter(shared_data, tmp_path_factory):
    return build_long_record(shared_data, tmp_path_factory.mktemp("holter"), MINUTES * 60)


def span_reads(monkeypatch) -> list[tuple[int, int]]:
    """A list that collects (start, stop) of every span of frames read from a mapped record's file."""
    seen: list[tuple[int, int]] = []
    frames = LazySignal._frames

    def spy(self, start, stop):
        seen.append((start, stop))
        return frames(self, start, stop)

    monkeypatch.setattr(LazySignal, "_frames", spy)
    return seen


def eager_read(holter, monkeypatch):
    """``holter`` read whole into memory, then the lowered mapping threshold back for the record under test."""
    monkeypatch.setenv("ECGSTUDIO_LAZY_BYTES", str(1 << 40))
    record = read_record(holter)
    monkeypatch.setenv("ECGSTUDIO_LAZY_BYTES", str(16 << 20))
    return record
