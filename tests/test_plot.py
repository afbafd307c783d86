"""The ECG paper view on real records: layouts, true scale, absent and extra leads, long records,
calipers, interval marks, display filtering and PNG export (pytest-qt, offscreen)."""

from __future__ import annotations

import dataclasses
from types import SimpleNamespace

import numpy as np
import pytest
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QImage

from ecgstudio.plot import PRINT, STACKED, EcgView
from ecgstudio.plot.decimate import PeakDecimator
from ecgstudio.plot.items import AbsentItem, TraceItem
from ecgstudio.plot.layout import PAGE_S
from ecgstudio.plot.overlays import MarkItem
from training.data import STANDARD_LEADS, read_record
from training.signal.rpeaks import detect_rpeaks

from tests.gestures import drag, overview_point


@pytest.fixture(scope="module")
def ptbxl_record(ptbxl_root):
    return read_record(ptbxl_root / "records500/00000/00009_hr")


@pytest.fixture
def view(qtbot):
    view = EcgView()
    qtbot.addWidget(view)
    view.resize(1400, 900)
    view.show()
    qtbot.waitExposed(view)
    return view


def shown(view, record, qtbot):
    view.set_record(record)
    qtbot.waitUntil(lambda: view.visible_range()[1] > 1.0)
    return view


def traces(view):
    return [item for item, _ in view._items if isinstance(item, TraceItem)]


def test_stacked_layout_draws_all_12_leads_with_every_sample(view, ptbxl_record, qtbot):
    shown(view, ptbxl_record, qtbot)
    curves = view.curves()
    assert [lead for lead, _ in curves] == list(STANDARD_LEADS)
    assert all(samples.size == ptbxl_record.n_samples == 5000 for _, samples in curves)
    assert all(np.shares_memory(samples, ptbxl_record.signal) for _, samples in curves)  # views, no copies


def test_print_layout_is_3x4_of_2_5_s_plus_a_10_s_lead_ii_rhythm_strip(view, ptbxl_record, qtbot):
    shown(view, ptbxl_record, qtbot)
    view.set_layout(PRINT)
    assert view.sheet.layout == PRINT and view.sheet.rows == 4
    spans = {(strip.lead, strip.row): strip.span(view.page_start, ptbxl_record.duration) for _, strip in view._items}
    assert spans[("I", 0)] == (0.0, 2.5) and spans[("aVF", 2)] == (2.5, 5.0)
    assert spans[("V1", 0)] == (5.0, 7.5) and spans[("V6", 2)] == (7.5, 10.0)
    assert spans[("II", 3)] == (0.0, 10.0)
    assert len(traces(view)) == 13
    x0, x1 = view.visible_range()
    assert x0 == pytest.approx(0.0) and x1 >= PAGE_S - 0.01  # fitted: the whole page is on screen
    view.set_layout(STACKED)
    assert len(traces(view)) == 12


def test_true_scale_follows_speed_gain_and_the_screen(view, ptbxl_record, qtbot):
    shown(view, ptbxl_record, qtbot)
    view.set_zoom(1.0)
    assert view.effective_zoom == pytest.approx(1.0)
    assert view.measured_mm_per_s() == pytest.approx(25.0, rel=1e-3)
    assert view.measured_mm_per_mv() == pytest.approx(10.0, rel=1e-3)
    one_second_px = view.measured_mm_per_s() * view.scale.px_per_mm
    assert one_second_px == pytest.approx(25.0 * view.base_px_per_mm, rel=1e-3)  # 1 paper mm = 1 screen mm
    view.set_speed(50)
    view.set_gain(20)
    assert view.measured_mm_per_s() == pytest.approx(50.0, rel=1e-3)
    assert view.measured_mm_per_mv() == pytest.approx(20.0, rel=1e-3)
    x0, x1 = view.visible_range()
    assert (x1 - x0) * 50 * view.scale.px_per_mm == pytest.approx(view.vb.width(), rel=1e-3)
    view.set_zoom(2.0)  # magnified, still square paper: both axes twice as many pixels
    assert view.scale.px_per_mm == pytest.approx(2 * view.base_px_per_mm)
    assert view.measured_mm_per_s() == pytest.approx(50.0, rel=1e-3)


def test_fit_keeps_the_paper_square_and_the_sheet_on_screen(view, ptbxl_record, qtbot):
    shown(view, ptbxl_record, qtbot)
    y0, y1 = view.vb.viewRange()[1]
    assert y1 - y0 >= view.sheet.height_mm  # all twelve rows fit
    px_per_mm_x = view.measured_mm_per_s() * view.scale.px_per_mm / 25.0
    assert px_per_mm_x == pytest.approx(view.vb.height() / (y1 - y0), rel=1e-3)


def test_absent_leads_are_labelled_places_not_errors(view, ptbxl_record, qtbot):
    keep = [i for i, lead in enumerate(ptbxl_record.leads) if lead not in {"III", "aVL", "V3", "V4"}]
    partial = dataclasses.replace(ptbxl_record, leads=tuple(ptbxl_record.leads[i] for i in keep),
                                  units=tuple(ptbxl_record.units[i] for i in keep), signal=ptbxl_record.signal[keep])
    shown(view, partial, qtbot)
    absent = [item.lead for item, _ in view._items if isinstance(item, AbsentItem)]
    assert absent == ["III", "aVL", "V3", "V4"] and len(traces(view)) == 8
    view.set_layout(PRINT)
    assert view.sheet.layout == PRINT
    assert {item.lead for item, _ in view._items if isinstance(item, AbsentItem)} == {"III", "aVL", "V3", "V4"}
    view.grab()  # paints absent labels without error


def test_non_standard_records_keep_their_own_leads(view, shared_data, qtbot):
    mitdb = read_record(shared_data / "formats" / "100")
    shown(view, mitdb, qtbot)
    view.set_layout(PRINT)  # not a 12-lead record: stays stacked
    assert view.sheet.layout == STACKED
    assert [lead for lead, _ in view.curves()] == ["MLII", "V5"]
    monitor = read_record(shared_data / "formats" / "multi-segment" / "041s" / "041s")  # ECG + ABP, PAP in mmHg
    shown(view, monitor, qtbot)
    pressure = next(item for item in traces(view) if item.lead == "ABP")
    assert not pressure.follows_gain and pressure.gain != view.gain  # fitted to its row, no mV pulse
    low, high = pressure.sheet_y(np.percentile(pressure.samples, [1, 99]))
    assert high - low == pytest.approx(0.8 * view.sheet.pitch_mm, rel=0.01)
    ptb = read_record(shared_data / "formats" / "s0010_re")  # 15 leads: the 12 and Frank's vx, vy, vz
    shown(view, ptb, qtbot)
    assert view.sheet.layout == PRINT  # a 12-lead record again: the layout asked for comes back
    view.set_layout(STACKED)
    assert [lead for lead, _ in view.curves()] == list(STANDARD_LEADS) + ["vx", "vy", "vz"]
    view.grab()


def test_long_record_pans_and_zooms_with_decimated_traces(view, shared_data, qtbot):
    mitdb = read_record(shared_data / "formats" / "100")  # 30 min at 360 Hz
    shown(view, mitdb, qtbot)
    assert view.overview.isVisible()
    view.zoom_time(1e6)  # everything: limited to the whole record
    x0, x1 = view.visible_range()
    assert x0 == pytest.approx(0.0) and x1 == pytest.approx(mitdb.duration, rel=1e-3)
    view.grab()
    polygon = traces(view)[0]._cache[1]
    assert polygon.size() <= 2 * view.vb.width() + 4  # min/max per pixel column, not 650,000 points
    view.zoom_time(1e-6)  # back in: at most 8x the paper speed
    view.go_to(900.0)
    x0, x1 = view.visible_range()
    assert x0 == pytest.approx(900.0) and x1 - x0 < 5
    region = view.overview.region.getRegion()
    assert region[0] == pytest.approx(900.0)
    strip = view.overview  # dragging the overview's window moves the sheet by as much
    drag(qtbot, strip.viewport(), overview_point(strip, 901.0), overview_point(strip, 1201.0))
    assert view.visible_range()[0] == pytest.approx(1200.0, abs=3.0)
    assert view.visible_range()[1] - view.visible_range()[0] == pytest.approx(x1 - x0)


def test_show_interval_brings_a_mark_on_screen(view, shared_data, qtbot):
    shown(view, read_record(shared_data / "formats" / "100"), qtbot)
    for t0, t1 in ((1000.0, 1002.0), (600.0, 660.0)):  # a beat, then a minute wider than the view
        view.show_interval(t0, t1)
        x0, x1 = view.visible_range()
        assert x0 <= t0 and t1 <= x1 and (x1 - x0) < 2 * (t1 - t0) + 30


def test_peak_decimation_keeps_every_spike():
    samples = np.zeros(1_000_000, dtype=np.float32)
    samples[123_457] = 5.0
    samples[876_543] = -4.0
    x, y = PeakDecimator(samples).envelope(0, samples.size, 800)
    assert y.size <= 1600 and y.max() == 5.0 and y.min() == -4.0
    assert abs(x[np.argmax(y)] - 123_457) < samples.size / 800  # in the right pixel column


def test_caliper_between_two_detected_r_peaks_gives_the_rr_heart_rate(view, ptbxl_record, qtbot):
    shown(view, ptbxl_record, qtbot)
    peaks = detect_rpeaks(ptbxl_record.signal, ptbxl_record.fs)
    view.set_beats(peaks)
    t0, t1 = peaks[3] / ptbxl_record.fs, peaks[4] / ptbxl_record.fs
    rr_ms = (peaks[4] - peaks[3]) * 1000.0 / ptbxl_record.fs
    with qtbot.waitSignal(view.caliperMeasured) as signal:
        measurement = view.set_caliper(t0, t1)
    assert signal.args[0] == measurement
    assert measurement.dt_ms == pytest.approx(rr_ms)
    assert measurement.bpm == pytest.approx(60000.0 / rr_ms)
    assert measurement.dmv == pytest.approx(0.0)
    view.grab()


def test_caliper_drag_measures_time_and_amplitude(view, ptbxl_record, qtbot):
    shown(view, ptbxl_record, qtbot)
    view.set_tool("caliper")
    base = view.sheet.baseline_mm(1)
    start, end = QPointF(1.0, base), QPointF(1.8, base + 15.0)  # 800 ms, 1.5 mV at 10 mm/mV
    with qtbot.waitSignal(view.caliperMeasured) as signal:
        view.vb.mouseDragEvent(fake_drag(view, start, end))
    assert signal.args[0].dt_ms == pytest.approx(800.0, abs=2.0)
    assert signal.args[0].bpm == pytest.approx(75.0, abs=0.3)
    assert signal.args[0].dmv == pytest.approx(1.5, abs=0.02)


def test_mark_tool_emits_interval_on_one_lead_or_all_leads(view, ptbxl_record, qtbot):
    shown(view, ptbxl_record, qtbot)
    view.set_tool("mark")
    v1 = view.sheet.baseline_mm(STANDARD_LEADS.index("V1"))
    with qtbot.waitSignal(view.intervalDrawn) as signal:
        mouse_drag(view, qtbot, QPointF(2.0, v1), QPointF(3.0, v1 + 3))
    lead, t0, t1 = signal.args
    assert lead == "V1" and (t0, t1) == pytest.approx((2.0, 3.0), abs=0.02)
    with qtbot.waitSignal(view.intervalDrawn) as signal:
        mouse_drag(view, qtbot, QPointF(4.5, v1 - 20), QPointF(3.5, v1), Qt.ShiftModifier)  # Shift: all leads
    assert signal.args[0] is None and signal.args[1:] == pytest.approx([3.5, 4.5], abs=0.02)


def test_pan_tool_drags_the_record_along(view, shared_data, qtbot):
    shown(view, read_record(shared_data / "formats" / "100"), qtbot)
    x0, x1 = view.visible_range()
    y = view.sheet.baseline_mm(0)
    mouse_drag(view, qtbot, QPointF(x0 + 0.75 * (x1 - x0), y), QPointF(x0 + 0.25 * (x1 - x0), y))
    assert view.visible_range()[0] == pytest.approx(x0 + 0.5 * (x1 - x0), rel=0.02)


def test_marks_are_drawn_on_their_lead_only_where_it_is_shown(view, ptbxl_record, qtbot):
    shown(view, ptbxl_record, qtbot)
    view.set_marks([("V1", 1.0, 2.0, "noise", "#d62728"),
                    SimpleNamespace(lead=None, t0=4.0, t1=4.5, label="PVC", colour="#2ca02c"),
                    ("NOT-A-LEAD", 1.0, 2.0, "ignored")])
    assert [m.label for m in view.marks.items] == ["noise", "PVC"]
    assert all(isinstance(m, MarkItem) for m in view.marks.items)
    view.set_layout(PRINT)  # V1 shows 5-7.5 s there: a 1-2 s mark on V1 has nothing to cover
    assert [m.label for m in view.marks.items] == ["PVC"]
    view.set_marks([("II", 1.0, 6.0, "AF run")])  # II: column 0-2.5 s and the rhythm strip
    assert len(view.marks.items) == 2
    view.grab()


def test_display_filter_changes_the_traces_but_never_the_record(view, ptbxl_record, qtbot):
    before = ptbxl_record.signal.copy()
    shown(view, ptbxl_record, qtbot)
    view.set_filter(True)
    filtered = dict(view.curves())["II"]
    assert view.showing_filtered and not np.shares_memory(filtered, ptbxl_record.signal)
    assert abs(np.median(filtered)) < 0.05  # baseline removed
    view.set_filter(False)
    assert np.shares_memory(dict(view.curves())["II"], ptbxl_record.signal)
    np.testing.assert_array_equal(ptbxl_record.signal, before)


def test_a_long_record_is_filtered_in_the_background(view, shared_data, qtbot):
    mitdb = read_record(shared_data / "formats" / "100")  # 1.3 M samples: too many to filter on the GUI thread
    shown(view, mitdb, qtbot)
    with qtbot.waitSignal(view.source.changed, timeout=20000):
        view.set_filter(True)
        assert np.shares_memory(view.curves()[0][1], mitdb.signal)  # the raw trace until the copy is ready
    assert view.showing_filtered and not np.shares_memory(view.curves()[0][1], mitdb.signal)


def test_png_export_is_the_sheet_as_shown(view, ptbxl_record, qtbot, tmp_path):
    shown(view, ptbxl_record, qtbot)
    path = tmp_path / "view.png"
    assert view.export_png(path)
    image = QImage(str(path))
    assert (image.width(), image.height()) == (view.canvas.width(), view.canvas.height())
    assert path.stat().st_size > 20_000


def test_an_error_message_replaces_the_sheet(view, ptbxl_record, qtbot):
    shown(view, ptbxl_record, qtbot)
    view.show_message("Cannot open X: signal file truncated")
    assert view.sheet is None and view.curves() == []
    view.set_record(ptbxl_record)  # and the view works again
    assert len(view.curves()) == 12


def mouse_drag(view, qtbot, start: QPointF, end: QPointF, modifiers=Qt.NoModifier) -> None:
    """A real left-button drag on the canvas between two sheet points."""
    viewport = view.canvas.viewport()
    to_px = lambda p: view.canvas.mapFromScene(view.vb.mapViewToScene(p))  # noqa: E731
    a, b = to_px(start), to_px(end)
    qtbot.mousePress(viewport, Qt.LeftButton, modifiers, a)
    for k in range(1, 6):
        qtbot.mouseMove(viewport, a + (b - a) * k / 5)
    qtbot.mouseRelease(viewport, Qt.LeftButton, modifiers, b)
    qtbot.wait(10)


def fake_drag(view, start: QPointF, end: QPointF):
    """A finished left-button drag from ``start`` to ``end`` (sheet coordinates), as pyqtgraph delivers it."""
    start_px, end_px = view.vb.mapFromView(start), view.vb.mapFromView(end)
    return SimpleNamespace(accept=lambda: None, button=lambda: Qt.LeftButton, modifiers=lambda: Qt.NoModifier,
                           isFinish=lambda: True, pos=lambda: end_px, lastPos=lambda: end_px,
                           buttonDownPos=lambda _button=None: start_px)
