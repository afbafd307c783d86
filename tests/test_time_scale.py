"""The time scale never lies (issue #15 §3): Fit shows a short record whole, 50 mm/s stretches time
in the print layout, the sheet keeps its axis under the paper, a compressed view says it is not to
scale, the Zoom box undoes the wheel, the overview's window survives drags at and past the ends, and
calibration pulses stay apart at 20 mm/mV. Driven through the window's widgets (pytest-qt)."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint

from ecgstudio.main_window import MainWindow
from ecgstudio.plot import PRINT
from ecgstudio.plot.paper import PaperScale, calibration_width_mm, pulse_offsets_mm
from tests.gestures import choose_data, drag, overview_point, wheel

PTBXL_10S = "ptbxl/records500/00000/00001_hr"
MITDB_30MIN = "formats/100"


@pytest.fixture
def window(qtbot, tmp_path):
    from PySide6.QtCore import QSettings

    window = MainWindow(QSettings(str(tmp_path / "settings.ini"), QSettings.IniFormat))
    qtbot.addWidget(window)
    window.show()  # a first start fills the screen; then a wide window like a maximised 1920×1080 one
    window.showNormal()
    window.resize(1600, 900)
    qtbot.waitExposed(window)
    yield window
    window.close()


def open_record(window, qtbot, path) -> None:
    with qtbot.waitSignal(window.library.scanFinished, timeout=20000):
        window.open_path(path)
    qtbot.waitUntil(lambda: window.record is not None and window.view.visible_range()[1] > 1.0, timeout=10000)


def span(view) -> float:
    x0, x1 = view.visible_range()
    return x1 - x0


def test_fit_in_12x1_shows_the_whole_10_s_record(window, qtbot, shared_data):
    open_record(window, qtbot, shared_data / f"{PTBXL_10S}.hea")
    view = window.view
    x0, x1 = view.visible_range()
    assert x0 == pytest.approx(0.0) and x1 >= window.record.duration - 1e-6  # was 0–8.5 s
    assert "0.0–10.0 s of 10.0 s" in window.scale_status.text()


def test_50_mm_s_in_3x4_stretches_time_and_the_axis_stays_under_the_paper(window, qtbot, shared_data):
    open_record(window, qtbot, shared_data / f"{PTBXL_10S}.hea")
    controls, view = window.controls, window.view
    controls.layout_actions[PRINT].trigger()
    px_per_mm_at_25 = view.scale.px_per_mm
    assert span(view) >= 10.0 - 1e-6  # the whole page
    choose_data(qtbot, controls.speed, 50.0)
    # the paper did not shrink to 60 % (only the wider calibration pulse takes a few mm)...
    assert view.scale.px_per_mm == pytest.approx(px_per_mm_at_25, rel=0.05)
    assert view.measured_mm_per_s() == pytest.approx(50.0, rel=1e-3)
    assert span(view) == pytest.approx(span_at_50 := span(view)) and span_at_50 < 5.5  # ...time stretched
    bottom, top = view.nav.band()
    y0, y1 = view.vb.viewRange()[1]
    assert y0 >= bottom - 1.0  # no grey desk under the paper: the axis is right below the sheet
    assert view.canvas.axis.mapToScene(0, 0).y() == pytest.approx(view.vb.mapToScene(0, view.vb.height()).y(),
                                                                  abs=2)
    # pan along the stretched page: the second half comes into view
    for _ in range(2):
        drag(qtbot, view.canvas.viewport(), QPoint(800, 300), QPoint(200, 300))
    assert view.visible_range()[1] == pytest.approx(10.0, abs=0.05)


def test_compressed_time_says_not_to_scale_and_the_zoom_box_resets_it(window, qtbot, shared_data):
    open_record(window, qtbot, shared_data / f"{MITDB_30MIN}.hea")
    view, controls = window.view, window.controls
    at_speed = span(view)
    assert not controls.scale_note.isVisible() and "not to scale" not in window.scale_status.text()
    centre = QPoint(view.canvas.width() // 2, view.canvas.height() // 2)
    wheel(view.canvas.viewport(), centre, -3)  # roll towards the user: more time on screen
    assert span(view) > 1.5 * at_speed
    qtbot.waitUntil(controls.scale_note.isVisible)  # the toolbar shows it at its next layout
    assert "not to scale" in controls.scale_note.text()
    assert "not to scale" in window.scale_status.text() and "mm/s on screen" in window.scale_status.text()
    choose_data(qtbot, controls.zoom, None)  # "Fit" again, though it was already chosen
    assert span(view) == pytest.approx(at_speed, rel=1e-3)
    qtbot.waitUntil(lambda: not controls.scale_note.isVisible())
    wheel(view.canvas.viewport(), centre, -2)
    choose_data(qtbot, controls.zoom, 1.0)
    assert view.time_scale == 1.0 and view.measured_mm_per_s() == pytest.approx(25.0, rel=1e-3)
    view.show_interval(600.0, 700.0)  # what LIME and the mark list do: time compressed to fit
    assert "not to scale" in controls.scale_note.text() and "25 mm/s" in controls.speed.currentText()


@pytest.mark.parametrize("record", [MITDB_30MIN, "ptbxl/records500/00000/00001_hr", "cpsc2018/A0001"])
def test_overview_drags_at_and_past_the_ends_never_collapse_the_view(window, qtbot, shared_data, record):
    open_record(window, qtbot, shared_data / f"{record}.hea")
    view, strip = window.view, window.view.overview
    duration = window.record.duration
    if not strip.isVisible():  # a 10-s record fits one page: no strip to drag
        assert duration <= 10.0 + 1e-6
        return
    for zoom_in in (0, 3):
        wheel(view.canvas.viewport(), QPoint(200, 200), zoom_in)
        width = span(view)
        t0, t1 = strip.window_range
        grab = overview_point(strip, (t0 + t1) / 2)
        outside = strip.viewport().width()
        for end in (QPoint(outside + 300, grab.y()), QPoint(-300, grab.y()), QPoint(outside // 2, grab.y())):
            drag(qtbot, strip.viewport(), grab, end)
            x0, x1 = view.visible_range()
            assert x1 - x0 == pytest.approx(width, rel=1e-6)  # moved whole, never squeezed
            assert -1e-6 <= x0 and x1 <= max(duration, width) * (1 + 1e-5)  # (a 15-s record fits whole)
            assert len(view.curves()) == len(window.record.leads)
            grab = overview_point(strip, (x0 + x1) / 2)
        assert "e+" not in window.scale_status.text()
    # stretching an edge far past the end zooms out no further than the whole record
    t0, t1 = strip.window_range
    drag(qtbot, strip.viewport(), overview_point(strip, t1), QPoint(strip.viewport().width() + 500, 20))
    x0, x1 = view.visible_range()
    assert 0.0 <= x0 < x1 <= duration + 1e-6 and view.time_scale >= 1e-4


def test_calibration_pulses_of_adjacent_rows_stay_apart_at_20_mm_mv(window, qtbot, shared_data):
    open_record(window, qtbot, shared_data / f"{PTBXL_10S}.hea")
    gutter = window.view.canvas.gutter_item
    narrow = gutter.width_mm(with_labels=True)
    choose_data(qtbot, window.controls.gain, 20.0)
    qtbot.waitUntil(lambda: abs(window.view.measured_mm_per_mv() - 20.0) < 0.02)
    assert gutter.width_mm(with_labels=True) > narrow  # every other pulse steps aside
    baselines = [window.view.sheet.baseline_mm(r) for r in range(window.view.sheet.rows)]
    scale = PaperScale(25.0, 20.0)
    offsets = pulse_offsets_mm(baselines, scale)
    for i in range(len(baselines) - 1):  # neighbours either clear each other vertically or sit side by side
        overlap_in_height = 20.0 > abs(baselines[i] - baselines[i + 1])
        assert not overlap_in_height or abs(offsets[i] - offsets[i + 1]) >= calibration_width_mm(scale)
    assert pulse_offsets_mm(baselines, PaperScale(25.0, 10.0)) == [0.0] * len(baselines)  # 10 mm/mV: one column
