"""The measurement feature in the main window: panel filled in the background when a record opens,
markers toggled on the plot, a caliper correction stored with author and audit trail that replaces the
automatic value, the PDF report line and the CSV export."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings

from ecgstudio.annotations.controller import attach_annotations
from ecgstudio.library import record_key as library_key
from ecgstudio.main_window import MainWindow
from ecgstudio.measure import attach_measure
from ecgstudio.measure.panel import GLOBAL_ROWS

ROW = {key: i for i, (key, *_rest) in enumerate(GLOBAL_ROWS)}


@pytest.fixture
def window(qtbot, tmp_path, shared_data):
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.IniFormat)
    settings.setValue("annotations/author", "dr.caliper")
    win = MainWindow(settings)
    qtbot.addWidget(win)
    annotations = attach_annotations(win, tmp_path / "library.sqlite")
    measure = attach_measure(win, annotations)
    win.show()
    header = shared_data / "ludb" / "data" / "6.hea"
    with qtbot.waitSignal(measure.measured, timeout=30000):
        win.open_path(header)
    yield win, measure, annotations
    win.close()


def test_panel_markers_correction_report_and_csv(qtbot, window, tmp_path):
    win, measure, annotations = window
    panel = measure.panel
    assert "QRS" in panel.cart_label.text() and "—" not in panel.global_table.item(ROW["qrs_ms"], 0).text()
    automatic_qrs = float(panel.global_table.item(ROW["qrs_ms"], 0).text())
    assert panel.lead_table.rowCount() == 12
    assert panel.global_table.isColumnHidden(1)  # a WFDB record carries no device measurements

    assert measure.markers_action.isChecked() and measure.layer.tick_count() > 0
    measure.markers_action.trigger()  # the View toggle
    assert measure.layer.tick_count() == 0
    measure.markers_action.trigger()
    assert measure.layer.tick_count() > 0

    assert not panel.correct_button.isEnabled()
    win.view.set_caliper(1.400, 1.520)  # the clinician's QRS: 120 ms
    assert panel.correct_button.isEnabled()
    panel.correct_choice.setCurrentIndex(panel.correct_choice.findData("qrs_ms"))
    panel.correct_button.click()
    item = panel.global_table.item(ROW["qrs_ms"], 0)
    assert item.text().startswith("120") and "dr.caliper" in item.text()
    assert abs(automatic_qrs - 120) > 1
    stored = [a for a in annotations.store.annotations(measure.store_key) if a.label.startswith("QRS duration")]
    assert len(stored) == 1 and stored[0].author == "dr.caliper" and (stored[0].t0, stored[0].t1) == (1.4, 1.52)
    assert annotations.store.history(stored[0].id)[0].action == "create"

    # deleting the correction (in the annotation store, audited) brings the automatic value back
    annotations.store.delete(stored[0].id, "dr.caliper")
    annotations.panel.reload()
    qtbot.waitUntil(lambda: "dr.caliper" not in panel.global_table.item(ROW["qrs_ms"], 0).text(), timeout=3000)

    win.view.set_caliper(1.400, 1.520)
    panel.correct_button.click()
    line = win.report_section("measurement_line")
    assert "QRS 120 ms" in line and "corrected" in line
    pdf = win.export_pdf(tmp_path / "report.pdf")
    assert pdf is not None and pdf.stat().st_size > 10000

    out = measure.export_csv(tmp_path / "m.csv")
    row = next(csv.DictReader(Path(out).open()))
    assert row["record"] == "6" and float(row["qrs_ms_final"]) == 120.0 and row["qrs_ms_corrected_by"] == "dr.caliper"
    assert float(row["qrs_ms"]) == pytest.approx(automatic_qrs, abs=0.6) and row["V1_r_mv"] != ""


def test_unmeasurable_record_says_why(qtbot, tmp_path, shared_data):
    settings = QSettings(str(tmp_path / "s.ini"), QSettings.IniFormat)
    win = MainWindow(settings)
    qtbot.addWidget(win)
    measure = attach_measure(win)
    win.show()
    with qtbot.waitSignal(measure.measured, timeout=30000):
        win.open_path(sorted((shared_data / "ptbxl" / "records100").rglob("*.hea"))[0])
    assert "Not measured" in measure.panel.cart_label.text() and "Hz" in measure.panel.cart_label.text()
    assert measure.report_line() == "" and not measure.correct("qrs_ms", 1.0, 1.1)
    win.close()


def test_pe_tab_shows_ecg_signs_and_daniel_score(qtbot, tmp_path, shared_data):
    from ecgstudio.pe import attach_pe

    settings = QSettings(str(tmp_path / "s.ini"), QSettings.IniFormat)
    win = MainWindow(settings)
    qtbot.addWidget(win)
    pe = attach_pe(win, tmp_path / "library.sqlite")
    measure = attach_measure(win, None, pe)
    win.show()
    with qtbot.waitSignal(measure.measured, timeout=30000):
        win.open_path(shared_data / "ludb" / "data" / "6.hea")
    view = pe.panel.ecg_signs
    text = view.signs_label.text()
    for sign in ("Sinus tachycardia", "S1Q3T3", "Complete RBBB", "Incomplete RBBB", "T-wave inversion V1–V4",
                 "Right axis deviation", "P pulmonale", "Low QRS voltage", "ST elevation in aVR"):
        assert sign in text
    assert "HR 51 bpm" in text or "HR 5" in text  # the triggering measurement is shown
    assert f"Daniel ECG score: {view.daniel.total} / 21" in view.daniel_label.text()
    win.close()


def test_device_measurements_are_shown_beside_ours(qtbot):
    from ecgstudio.measure.panel import MeasurementPanel

    panel = MeasurementPanel()
    qtbot.addWidget(panel)
    ours = {"hr_bpm": 61.0, "qrs_ms": 92.0, "qt_ms": 400.0}
    quality = {"refused": None, "n_beats": 10, "p_waves": "present"}
    panel.show_measurements(ours, quality, {"II": {"r_mv": 1.2}}, {}, device={"qrs_ms": 96.0, "hr_bpm": 60.0})
    assert not panel.global_table.isColumnHidden(1)
    assert panel.global_table.item(ROW["qrs_ms"], 0).text() == "92"
    assert panel.global_table.item(ROW["qrs_ms"], 1).text() == "96"
    assert panel.global_table.item(ROW["pr_ms"], 1).text() == "—"
    panel.show_measurements(ours, quality, {}, {}, device=None)
    assert panel.global_table.isColumnHidden(1)


def test_real_cart_measurements_sit_beside_ours(qtbot, shared_data):
    from ecgstudio.measure.panel import MeasurementPanel
    from training.data import read_record
    from training.measure import measure as measure_record

    record = read_record(shared_data / "vendor" / "philips_sierra_xml" / "2020-5-18_15-48-11.xml")
    m = measure_record(record)
    panel = MeasurementPanel()
    qtbot.addWidget(panel)
    panel.show_measurements(m.global_, m.quality, m.lead_amplitudes, {}, record.device_measurements)
    assert not panel.global_table.isColumnHidden(1)
    device_qrs = panel.global_table.item(ROW["qrs_ms"], 1).text()
    assert device_qrs == f"{record.device_measurements['qrs_ms']:.0f}"
    assert abs(float(panel.global_table.item(ROW["hr_bpm"], 0).text()) - record.device_measurements["hr_bpm"]) <= 3


def test_paced_record_marks_its_qrs_and_axes_as_not_comparable(qtbot, shared_data):
    from ecgstudio.measure.panel import MeasurementPanel
    from training.data import read_record
    from training.measure import measure as measure_record

    m = measure_record(read_record(shared_data / "ludb" / "data" / "34.hea"))  # LUDB: ventricular pacing
    panel = MeasurementPanel()
    qtbot.addWidget(panel)
    panel.show_measurements(m.global_, m.quality, m.lead_amplitudes, {}, device=None)
    assert "Paced rhythm" in panel.quality_label.text()
    item = panel.global_table.item(ROW["qrs_ms"], 0)
    assert item.text().endswith("(paced)") and "not comparable" in item.toolTip()
    assert "(paced)" not in panel.global_table.item(ROW["hr_bpm"], 0).text()
