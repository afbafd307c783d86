"""Holter-length records built from real beats are memory-mapped and converted per span, never loaded whole;
the memory budget is checked before allocating, with a clear refusal beyond it. The engine's
preprocessing (datasets, Predictor) and the measurement read them span by span, and their checksums are
verified in chunks before any model or measurement uses them."""

from __future__ import annotations

import shutil
import tracemalloc

import numpy as np
import pytest

from benchmarks.long_record import SOURCE
from training.data import read_record
from training.data import lazy
from training.data.lazy import LazySignal
from training.errors import RecordError
from training.signal.pipeline import CHUNK_S, MARGIN_S, Pipeline
from training.signal.quality import SAMPLE_SPAN, check_signal, lead_problems

from tests.holter import MINUTES, eager_read, holter, span_reads  # noqa: F401 (holter: a fixture)


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


CHUNK = 1 << 16  # frames per checksum step in these tests (1.5 min of this record, not all of it)


@pytest.fixture
def reads(monkeypatch):
    """(start, stop) of every span of frames read from a mapped record's file; checksum steps made small."""
    monkeypatch.setattr(lazy, "CHECKSUM_CHUNK_FRAMES", CHUNK)
    return span_reads(monkeypatch)


def _damaged(holter, folder):
    """A copy whose signal file has 400 bytes zeroed in the middle; its header (checksums) untouched."""
    folder.mkdir()
    shutil.copy(holter, folder / holter.name)
    data = holter.with_suffix(".dat").read_bytes()
    middle = len(data) // 2
    (folder / "holter.dat").write_bytes(data[:middle] + bytes(400) + data[middle + 400:])
    return folder / holter.name


def test_pipeline_preprocesses_a_mapped_record_span_by_span_as_one_pass_would(holter, lazy_mode, reads,
                                                                              monkeypatch):
    import training.signal.pipeline as pipeline_module

    monkeypatch.setattr(pipeline_module, "CHUNK_S", 60.0)  # 1-min spans: 1/30 of the record, as 10 min of 5 h
    eager = eager_read(holter, monkeypatch)
    record = read_record(holter)
    for pipeline in (Pipeline.default(), Pipeline.default(fs=257.0, normalization="minmax")):
        tracemalloc.start()
        whole = pipeline.apply(eager)
        _, one_pass_peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        reads.clear()
        tracemalloc.start()
        spans = pipeline.apply(record)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        assert spans.shape == whole.shape and spans.dtype == np.float32
        np.testing.assert_allclose(spans, whole, atol=1e-5)
        assert max(b - a for a, b in reads) <= (60.0 + 2 * MARGIN_S) * record.fs
        assert peak < one_pass_peak / 3  # the output at the model's rate and one span


def test_predictor_reads_a_mapped_record_in_spans_and_agrees_with_the_eager_read(holter, lazy_mode, reads,
                                                                                 monkeypatch):
    from ecgstudio.paths import resources_dir
    from training.inference import Predictor

    predictor = Predictor.from_path(resources_dir() / "models" / "ptbxl_superclass_resnet1d18", "cpu")
    eager = predictor.predict(eager_read(holter, monkeypatch))
    reads.clear()
    mapped = predictor.predict(read_record(holter))
    assert mapped.n_windows == eager.n_windows == 359
    np.testing.assert_allclose(mapped.probs, eager.probs, atol=1e-5)
    assert max(b - a for a, b in reads) <= (CHUNK_S + 2 * MARGIN_S) * 500 < 900_000


def test_checksums_of_a_mapped_record_are_verified_in_chunks_before_any_use(holter, lazy_mode, reads, tmp_path):
    from training.measure import measure

    record = read_record(holter)
    tracemalloc.start()
    record.signal.verify_checksums()  # intact
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < 2 * CHUNK * 12 * 2 + (1 << 20)  # a chunk of int16 frames at a time, no float copy
    assert reads == [(a, min(a + CHUNK, 900_000)) for a in range(0, 900_000, CHUNK)]
    damaged = read_record(_damaged(holter, tmp_path / "damaged"))  # opens: nothing read yet
    assert isinstance(damaged.signal, LazySignal)
    with pytest.raises(RecordError, match=r"holter\.dat: the samples of lead\(s\) .* do not match the checksum"):
        check_signal(damaged)  # what every model and explanation runs first
    assert "do not match the checksum" in measure(damaged).quality["refused"]


def test_measurement_of_a_mapped_record_reads_its_span_and_the_checks_only(holter, lazy_mode, reads):
    from training.measure import measure

    m = measure(read_record(holter))
    assert m.quality["refused"] is None and m.global_["hr_bpm"] > 30
    assert "measured over the first 300 s" in m.quality["notes"]
    spans = [(a, b) for a, b in reads if b - a not in (CHUNK, 900_000 % CHUNK, SAMPLE_SPAN)]
    assert spans == [(0, 300 * 500)]  # the measured span; the rest are the signal check's and checksum pass's
