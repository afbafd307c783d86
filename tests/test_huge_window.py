"""A Holter-length record in the window (issue #19): opened, drawn, filtered and beat-annotated span by
span, never read whole on opening; its overview comes from a pyramid built in bounded chunks, which
also verifies the header's checksums, so a damaged file is refused after the first paint.

The record is 30 min of a real PTB-XL record repeated (21.6 MB), memory-mapped at a lowered threshold;
the 24-h figures are in benchmarks/bench_huge.py (``python -m benchmarks huge_window``)."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from ecgstudio.annotations import keys
from ecgstudio.plot.display import display_filtered
from ecgstudio.plot.lazy_display import PYRAMID_CHUNK_FRAMES, LazyDisplay, LazyLead
from training.data import read_record
from training.data.lazy import LazySignal
from training.errors import RecordError
from training.signal.rpeaks import detect_rpeaks

from tests.app_window import open_library, select, shown_app
from tests.holter import MINUTES, eager_read, holter, span_reads  # noqa: F401 (holter: a fixture)


@pytest.fixture
def mapped(monkeypatch):
    monkeypatch.setenv("ECGSTUDIO_LAZY_BYTES", str(16 << 20))


@pytest.fixture
def reads(monkeypatch):
    """Every span of frames read from a mapped record's file, as (start, stop)."""
    return span_reads(monkeypatch)


def test_window_opens_a_mapped_record_reading_only_spans(holter, mapped, reads, qtbot, tmp_path, monkeypatch):
    # as for a real Holter record: mapped records are those over 67 M samples, which get the bounded key
    monkeypatch.setattr(keys, "FULL_KEY_SAMPLES", 1 << 20)
    window = shown_app(qtbot, tmp_path)
    open_library(window, qtbot, holter)
    select(window, qtbot, holter)
    record = window.record
    assert isinstance(record.signal, LazySignal)
    # no read of the opening path spans the record: the old path hashed, filtered and decimated it whole
    assert reads and max(stop - start for start, stop in reads) <= PYRAMID_CHUNK_FRAMES < record.n_samples
    eager = eager_read(holter, monkeypatch)
    lead, drawn = window.view.curves()[1]
    assert lead == "II" and isinstance(drawn, LazyLead)
    np.testing.assert_array_equal(drawn[0:2000], eager.signal[1, :2000])  # the real samples on screen
    # the overview appears once its pyramid is built, with the record's true extremes
    qtbot.waitUntil(lambda: window.view.displayed_signal().pyramid is not None, timeout=20000)
    x, y = window.view.overview.samples.envelope(0, record.n_samples, 800)
    assert x.size > 0
    assert (y.min(), y.max()) == pytest.approx((eager.signal[1].min(), eager.signal[1].max()))
    assert window.context.record.content_key == keys.record_key(read_record(holter))
    assert window.context.record.content_key.startswith(keys.SAMPLED_KEY_PREFIX)


def test_display_filter_and_beats_follow_the_span_on_screen(holter, mapped, qtbot, tmp_path, monkeypatch):
    window = shown_app(qtbot, tmp_path)
    open_library(window, qtbot, holter)
    select(window, qtbot, holter)
    eager = eager_read(holter, monkeypatch)
    view = window.view
    view.go_to(17 * 60.0)
    qtbot.waitUntil(lambda: window.beat_span is not None and window.beat_span[0] > 16 * 60 * 500, timeout=20000)
    a, b = window.beat_span
    t0, t1 = view.visible_range()
    assert a < t0 * eager.fs and t1 * eager.fs < b and b - a < 120 * eager.fs  # the view and margins only
    expected = detect_rpeaks(eager.signal[:3], eager.fs)
    inside = lambda p: p[(p > t0 * eager.fs) & (p < t1 * eager.fs)]  # noqa: E731
    np.testing.assert_allclose(inside(window.peaks), inside(expected), atol=2)
    assert inside(window.peaks).size >= 5 and "beats in" in window.record_status.text()

    view.set_filter(True)
    shown = view.displayed_signal()
    assert isinstance(shown, LazyDisplay) and view.showing_filtered
    i0 = int(t0 * eager.fs) + 10
    reference = display_filtered(eager.signal[:, i0 - 30_000:i0 + 35_000], eager.fs)[:, 30_000:35_000]
    np.testing.assert_allclose(shown[:, i0:i0 + 5000], reference, atol=2e-3)  # 5 s margins: no edge transient
    assert "unfiltered" not in window.scale_status.text()
    view.zoom_time(1200.0 / (t1 - t0))  # 20 min on screen: wider than a span read, drawn from the pyramid
    assert view.envelope_unfiltered and "unfiltered envelope" in window.scale_status.text()
    view.set_filter(False)
    assert not view.showing_filtered


def test_zoomed_out_past_the_beat_limit_says_so(holter, mapped, qtbot, tmp_path):
    window = shown_app(qtbot, tmp_path)
    open_library(window, qtbot, holter)
    select(window, qtbot, holter)
    window.view.zoom_time(MINUTES * 60 / 10)
    qtbot.waitUntil(lambda: window.beat_span == (0, 0), timeout=20000)
    assert window.peaks.size == 0 and "zoom in to 10 min or less" in window.record_status.text()


def test_a_mapped_record_failing_its_checksums_is_refused_after_the_first_paint(holter, mapped, qtbot, tmp_path):
    damaged = tmp_path / "damaged"
    damaged.mkdir()
    shutil.copy(holter, damaged / holter.name)
    data = (holter.with_suffix(".dat")).read_bytes()
    middle = len(data) // 2
    (damaged / "holter.dat").write_bytes(data[:middle] + bytes(400) + data[middle + 400:])  # 400 bytes zeroed
    header = damaged / holter.name
    window = shown_app(qtbot, tmp_path / "app")
    open_library(window, qtbot, header)
    select(window, qtbot, header)  # opens: the checksums cover the whole file, verified in the background
    qtbot.waitUntil(lambda: window.record is None, timeout=20000)
    assert "do not match the checksum" in window.view.message()
    with pytest.raises(RecordError, match="do not match the checksum"):
        from training.signal.quality import check_signal

        check_signal(read_record(header))  # the engine refuses it before any model or measurement too


def test_holter_key_is_bounded_and_still_changes_with_the_recording(holter, mapped, monkeypatch, tmp_path, reads):
    monkeypatch.setattr(keys, "FULL_KEY_SAMPLES", 1 << 20)
    record = read_record(holter)
    reads.clear()
    key = keys.record_key(record)
    assert sum(stop - start for start, stop in reads) == keys.SAMPLED_BLOCKS * keys.SAMPLED_BLOCK
    assert key.startswith(keys.SAMPLED_KEY_PREFIX) and key == keys.record_key(read_record(holter))
    copy = tmp_path / "copy"
    copy.mkdir()
    data = bytearray(holter.with_suffix(".dat").read_bytes())
    shutil.copy(holter, copy / holter.name)
    (copy / "holter.dat").write_bytes(data)
    assert keys.record_key(read_record(copy / holter.name)) == key  # moved or copied: same annotations
    data[100] ^= 0x10  # lead 3, frame 4, inside the first sampled block
    (copy / "holter.dat").write_bytes(data)
    assert keys.record_key(read_record(copy / holter.name)) != key
    text = holter.read_text().splitlines()
    fields = text[1].split()
    fields[6] = str(int(fields[6]) + 1)  # lead I's checksum: the header says the samples changed
    (copy / holter.name).write_text("\n".join([text[0], " ".join(fields), *text[2:]]) + "\n")
    (copy / "holter.dat").write_bytes(holter.with_suffix(".dat").read_bytes())
    assert keys.record_key(read_record(copy / holter.name)) != key


def test_normal_records_keep_their_annotation_key(shared_data):
    """The key of a 10-s record is the one stored before Holter keys existed (no annotation is orphaned)."""
    record = read_record(shared_data / "ptbxl/records500/00000/00001_hr")
    assert keys.record_key(record) == "ecg1:c9a8be6e322efce9bbe385b8b33761deca206af1"


def test_a_mapped_record_exports_the_span_on_screen(holter, mapped, qtbot, tmp_path):
    from PySide6.QtGui import QImage

    window = shown_app(qtbot, tmp_path)
    open_library(window, qtbot, holter)
    select(window, qtbot, holter)
    window.view.go_to(600.0)
    window.view.set_filter(True)
    assert window.export_png(tmp_path / "page.png") and not QImage(str(tmp_path / "page.png")).isNull()
    assert window.export_pdf(tmp_path / "page.pdf").stat().st_size > 10_000


def test_annotations_made_before_bounded_keys_are_shown_again_under_the_holter_key(holter, mapped, qtbot, tmp_path,
                                                                                 monkeypatch):
    """A record over the bounded-key size (here lowered to 2^20 samples) had the full ``ecg1:`` key in
    the version before; the clinician's annotations made then are moved to its ``ecgs1:`` key (audited)
    when the window opens it, and the status bar says so."""
    from ecgstudio.store import audit_history

    monkeypatch.setattr(keys, "FULL_KEY_SAMPLES", 1 << 40)  # the earlier version: every record keyed in full
    window = shown_app(qtbot, tmp_path / "app")
    open_library(window, qtbot, holter)
    select(window, qtbot, holter)
    earlier = window.context.record.content_key
    store = window.features["annotations"].store
    assert earlier.startswith(keys.KEY_PREFIX)
    store.add_label(earlier, "NORM", "dr.a")
    store.add_interval(earlier, "V5", 1200.0, 1204.0, "ST depression", "dr.a")
    window.close()

    monkeypatch.setattr(keys, "FULL_KEY_SAMPLES", 1 << 20)  # this version: the record is Holter-length
    window = shown_app(qtbot, tmp_path / "app")  # the same library
    open_library(window, qtbot, holter)
    select(window, qtbot, holter)
    key = window.context.record.content_key
    assert key.startswith(keys.SAMPLED_KEY_PREFIX)
    assert [(a.label, a.lead, a.t0) for a in window.report_section("annotations")] == \
        [("normal ECG", None, None), ("ST depression", "V5", 1200.0)]
    assert "2 earlier annotation(s) of holter moved" in window.statusBar().currentMessage()
    store = window.features["annotations"].store
    assert [e.action for e in audit_history(store.db, "annotation")][-2:] == ["rekey", "rekey"]
    assert store.annotations(earlier) == []
