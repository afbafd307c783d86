"""Holter-length records built from real beats are memory-mapped and converted per span, never loaded whole;
the memory budget is checked before allocating, with a clear refusal beyond it."""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest

from benchmarks.long_record import SOURCE, build_long_record
from training.data import read_record
from training.data.lazy import LazySignal
from training.errors import RecordError
from training.signal.quality import check_signal, lead_problems

MINUTES = 30  # 10.8 M samples, 21.6 MB on disk: lazily read at a lowered threshold, fast to build


@pytest.fixture(scope="module")
def holter(shared_data, tmp_path_factory):
    return build_long_record(shared_data, tmp_path_factory.mktemp("holter"), MINUTES * 60)


@pytest.fixture
def lazy_mode(monkeypatch):
    monkeypatch.setenv("ECGSTUDIO_LAZY_BYTES", str(16 << 20))


def test_long_record_is_mapped_and_spans_are_the_real_samples(holter, shared_data, lazy_mode):
    tracemalloc.start()
    record = read_record(holter)
    span = record.signal[:, 5000 * 7 + 100: 5000 * 7 + 600]
    lead = record.signal[1, 123_456:128_456]
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert isinstance(record.signal, LazySignal) and record.signal.shape == (12, MINUTES * 60 * 500)
    assert record.duration == MINUTES * 60
    source = read_record(shared_data / SOURCE).signal
    np.testing.assert_array_equal(span, source[:, 100:600])
    np.testing.assert_array_equal(lead, np.roll(np.tile(source[1], 2), -(123_456 % 5000))[:5000])
    assert span.dtype == np.float32
    assert peak < holter.with_suffix(".dat").stat().st_size / 20, "no copy of the whole record was made"


def test_eager_and_lazy_reads_agree(holter, shared_data, lazy_mode, monkeypatch):
    lazy = read_record(holter)
    monkeypatch.setenv("ECGSTUDIO_LAZY_BYTES", str(1 << 40))
    eager = read_record(holter)  # checksums verified on the eager read
    assert isinstance(eager.signal, np.ndarray)
    np.testing.assert_array_equal(eager.signal[:, -3000:], lazy.signal[:, -3000:])
    np.testing.assert_array_equal(eager.select(["V1", "II"])[:, :10], lazy.select(["V1", "II"])[:, :10])


def test_signal_check_reads_spans_of_a_mapped_record(holter, lazy_mode):
    record = read_record(holter)
    tracemalloc.start()
    assert lead_problems(record) == []
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < 50 << 20
    check_signal(record)


def test_beyond_the_memory_budget_reads_are_refused_before_allocating(holter, lazy_mode, monkeypatch):
    record = read_record(holter)
    monkeypatch.setenv("ECGSTUDIO_MEMORY_BUDGET", str(8 << 20))
    with pytest.raises(RecordError, match="read a shorter span"):
        np.asarray(record.signal)
    assert record.signal[:, :5000].shape == (12, 5000)  # a screenful still reads
    monkeypatch.setenv("ECGSTUDIO_LAZY_BYTES", str(1 << 40))
    with pytest.raises(RecordError, match=r"holter\.hea: reading all 12 leads of 0\.5 h would need"):
        read_record(holter)
