"""The main window on real records: listing a folder, opening records, layouts, keyboard navigation,
filters, broken records, exports, the annotation hooks and session restore (pytest-qt, offscreen)."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QLabel

from ecgstudio.library import record_key
from ecgstudio.library.model import ANNOTATIONS, DIAGNOSIS
from ecgstudio.main_window import MainWindow
from ecgstudio.plot import PRINT, STACKED
from training.data import STANDARD_LEADS

from tests.app_window import open_library, select


@pytest.fixture(scope="module")
def library(shared_data, tmp_path_factory) -> Path:
    """A small real library: PTB-XL records inside a PTB-XL folder (labels from its database), a CPSC
    record, MIT-BIH 100, a record with a truncated .dat and a header that is garbage."""
    root = tmp_path_factory.mktemp("library")
    ptbxl = root / "ptbxl"
    (ptbxl / "records500" / "00000").mkdir(parents=True)
    (ptbxl / "ptbxl_database.csv").symlink_to(shared_data / "ptbxl" / "ptbxl_database.csv")
    for name in ("00001_hr", "00002_hr", "00003_hr"):
        for suffix in (".hea", ".dat"):
            src = shared_data / "ptbxl" / "records500" / "00000" / f"{name}{suffix}"
            (ptbxl / "records500" / "00000" / f"{name}{suffix}").symlink_to(src)
    for folder, name, suffixes in (("cpsc", "A0001", (".hea", ".mat")), ("mitdb", "100", (".hea", ".dat", ".atr"))):
        (root / folder).mkdir()
        source = shared_data / ("cpsc2018" if folder == "cpsc" else "formats")
        for suffix in suffixes:
            (root / folder / f"{name}{suffix}").symlink_to(source / f"{name}{suffix}")
    broken = root / "broken"
    broken.mkdir()
    real = shared_data / "ptbxl" / "records500" / "00000" / "00004_hr"
    shutil.copy(real.with_suffix(".hea"), broken / "00004_hr.hea")
    data = real.with_suffix(".dat").read_bytes()
    (broken / "00004_hr.dat").write_bytes(data[: len(data) // 2])
    (broken / "garbage.hea").write_text("this is not a header\n")
    return root


@pytest.fixture
def settings(tmp_path) -> QSettings:
    return QSettings(str(tmp_path / "settings.ini"), QSettings.IniFormat)


@pytest.fixture
def window(qtbot, settings):
    window = MainWindow(settings)
    qtbot.addWidget(window)
    window.resize(1500, 900)
    window.show()
    qtbot.waitExposed(window)
    yield window
    window.close()


def entry_named(window, name: str):
    return next(e for e in window.library.model.entries if e.name == name or e.path.stem == name)


def test_opening_a_folder_lists_every_header_with_dataset_labels_and_errors(window, qtbot, library):
    open_library(window, qtbot, library)
    entries = {e.path.stem: e for e in window.library.model.entries}
    assert set(entries) == {"00001_hr", "00002_hr", "00003_hr", "A0001", "100", "00004_hr", "garbage"}
    assert entries["00001_hr"].dataset == "PTB-XL"
    assert "normal ECG (NORM)" in entries["00001_hr"].diagnoses  # from ptbxl_database.csv
    assert entries["A0001"].diagnoses == ("right bundle branch block (RBBB)",)
    assert entries["100"].dataset == "mitdb" and entries["100"].info.n_samples == 650_000
    assert entries["garbage"].error and "header" in entries["garbage"].error
    row = window.library.model.row_of(entries["garbage"].key)
    assert "cannot open" in window.library.model.index(row, DIAGNOSIS).data()
    assert window.library.summary.text().startswith("7 records")


def test_a_truncated_record_shows_its_error_and_the_app_keeps_working(window, qtbot, library):
    open_library(window, qtbot, library)
    broken = library / "broken" / "00004_hr"
    select(window, qtbot, broken)
    assert window.record is None and window.view.sheet is None
    message = window.view.message()
    assert "truncated" in message and "00004_hr" in message
    assert "truncated" in window.library.model.error_of(entry_named(window, "00004_hr"))
    select(window, qtbot, library / "ptbxl" / "records500" / "00000" / "00001_hr")
    assert window.record.name == "00001_hr" and len(window.view.curves()) == 12


def test_selecting_a_record_draws_its_12_leads_and_detects_beats(window, qtbot, library):
    open_library(window, qtbot, library)
    keys = []
    window.recordOpened.connect(lambda key, info: keys.append((key, info.name)))
    select(window, qtbot, library / "ptbxl" / "records500" / "00000" / "00002_hr")
    assert [lead for lead, _ in window.view.curves()] == list(STANDARD_LEADS)
    assert all(samples.size == 5000 for _, samples in window.view.curves())
    assert keys == [(record_key(library / "ptbxl" / "records500" / "00000" / "00002_hr"), "00002_hr")]
    assert "HR" in window.record_status.text() and "bpm" in window.record_status.text()
    assert "sinus" in window.record_header.text()


def test_layout_speed_and_gain_controls_drive_the_view(window, qtbot, library):
    open_library(window, qtbot, library)
    select(window, qtbot, library / "ptbxl" / "records500" / "00000" / "00001_hr")
    window.controls.layout_actions[PRINT].trigger()
    assert window.view.sheet.layout == PRINT and len(window.view.curves()) == 13
    window.controls.zoom.setCurrentIndex(window.controls.zoom.findData(1.0))
    window.controls.speed.setCurrentIndex(window.controls.speed.findData(50.0))
    window.controls.gain.setCurrentIndex(window.controls.gain.findData(5.0))
    assert window.view.measured_mm_per_s() == pytest.approx(50.0, rel=1e-3)
    assert window.view.measured_mm_per_mv() == pytest.approx(5.0, rel=1e-3)
    assert "50 mm/s · 5 mm/mV" in window.scale_status.text()
    select(window, qtbot, library / "mitdb" / "100")  # 2 leads: no print layout for it
    assert not window.controls.layout_actions[PRINT].isEnabled()
    assert window.view.sheet.layout == STACKED and window.controls.layout_actions[STACKED].isChecked()


def test_keyboard_moves_to_the_next_and_previous_record(window, qtbot, library):
    open_library(window, qtbot, library)
    window.library.select_next(-100)  # no row above the first: nothing happens
    first = window.library.current_entry()
    window.library.table.setFocus()
    qtbot.keyClick(window.library.table, Qt.Key_PageDown)
    second = window.library.current_entry()
    assert second.key != first.key and window.entry.key == second.key
    qtbot.keyClick(window.view.canvas, Qt.Key_Right, Qt.AltModifier)
    assert window.library.current_entry().key not in (first.key, second.key)
    qtbot.keyClick(window.library.table, Qt.Key_PageUp)
    assert window.library.current_entry().key == second.key


def test_text_and_diagnosis_filters(window, qtbot, library):
    open_library(window, qtbot, library)
    window.library.text_filter.setText("ptb-xl 00002")
    assert window.library.proxy.rowCount() == 1
    window.library.text_filter.clear()
    combo = window.library.diagnosis_filter
    combo.setCurrentIndex(combo.findData("right bundle branch block (RBBB)"))
    assert window.library.proxy.rowCount() == 1
    assert "1 of 7 records" in window.library.summary.text()


def test_png_and_one_page_pdf_exports(window, qtbot, library, tmp_path):
    open_library(window, qtbot, library)
    select(window, qtbot, library / "ptbxl" / "records500" / "00000" / "00001_hr")
    png, pdf = tmp_path / "view.png", tmp_path / "report.pdf"
    assert window.export_png(png) and png.stat().st_size > 20_000
    window.add_report_section("annotations", lambda: [("ST depression", "V5", 7.6, 9.0, "dr. A"),
                                                      ("artefact", None, 3.0, 3.4, "dr. B")])
    assert window.export_pdf(pdf) == pdf
    content = pdf.read_bytes()
    assert content.startswith(b"%PDF") and len(content) > 10_000
    assert len(re.findall(rb"/Type\s*/Page\b(?!s)", content)) == 1
    box = [float(v) for v in re.search(rb"/MediaBox\s*\[([^\]]+)\]", content).group(1).split()]
    assert box[2] > box[3] and box[2] == pytest.approx(841.9, abs=1)  # A4 landscape, in points


def test_features_plug_in_through_the_host_interface(window, qtbot, library):
    open_library(window, qtbot, library)
    key = record_key(library / "cpsc" / "A0001")
    window.library.set_annotation_status(key, "2 marks")
    row = window.library.model.row_of(key)
    assert window.library.model.index(row, ANNOTATIONS).data() == "2 marks"
    panel, other = QLabel("panel"), QLabel("other")
    dock = window.add_panel("Notes", "notesDock", panel)
    window.add_panel("More", "moreDock", other, beside="notesDock")
    assert window.panel("notesDock") is dock and dock.widget() is panel
    qtbot.waitUntil(lambda: window.tabifiedDockWidgets(dock) == [window.panel("moreDock")], timeout=2000)
    view_menu = window.menu("&View")
    assert dock.toggleViewAction() in view_menu.actions()
    assert window.menu("&Notes") is window.menu("Notes")  # one menu per title, created once
    received = []
    window.view.intervalDrawn.connect(lambda lead, t0, t1: received.append((lead, t0, t1)))
    select(window, qtbot, library / "cpsc" / "A0001")
    window.view.set_marks([("V1", 1.0, 2.0, "noise", "#d62728")])
    assert len(window.view.marks.items) == 1


def test_the_last_folder_record_and_layout_come_back(qtbot, settings, library):
    first = MainWindow(settings)
    qtbot.addWidget(first)
    first.show()
    open_library(first, qtbot, library)
    wanted = library / "ptbxl" / "records500" / "00000" / "00003_hr"
    select(first, qtbot, wanted)
    first.controls.layout_actions[PRINT].trigger()
    first.controls.speed.setCurrentIndex(first.controls.speed.findData(50.0))
    first.close()

    second = MainWindow(settings)
    qtbot.addWidget(second)
    second.show()
    with qtbot.waitSignal(second.library.scanFinished, timeout=20000):
        second.open_initial(None)
    qtbot.waitUntil(lambda: second.record is not None)
    assert second.record.name == "00003_hr"
    assert second.view.sheet.layout == PRINT and second.view.speed == 50.0
    second.close()


def test_a_real_ptbxl_folder_of_500_records_lists_in_the_background(window, qtbot, ptbxl_root):
    with qtbot.waitSignal(window.library.scanFinished, timeout=60000) as done:
        window.open_path(ptbxl_root / "records500")
        assert window.library.scanning  # returned at once; the list fills while the window runs
    assert done.args == [500] and len(window.library.model.entries) == 500
    assert all(e.dataset == "PTB-XL" and e.diagnoses for e in window.library.model.entries)
    qtbot.waitUntil(lambda: window.record is not None)


def test_a_path_that_does_not_exist_is_reported(window, tmp_path):
    window.open_path(tmp_path / "missing")
    assert "Nothing to open" in window.view.message()


def test_command_line_help():
    result = subprocess.run([sys.executable, "-m", "ecgstudio", "--help"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and "folder" in result.stdout
