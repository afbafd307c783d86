"""Hospital exports in the app: the folder scan lists them with their format, File ▸ Open offers them,
and the record header shows device, acquisition time and the device's own measurements."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QFileDialog

from ecgstudio.library.model import DATASET
from ecgstudio.main_window import MainWindow
from training.data import STANDARD_LEADS

from tests.app_window import open_library, select

VENDOR_FILES = ("ge_muse_xml/example2.xml", "philips_sierra_xml/3191723_ZZDEMOPTONLY_1-04_orig.xml",
                "hl7_aecg_scp_dicom/Example.xml", "hl7_aecg_scp_dicom/Example.dcm", "hl7_aecg_scp_dicom/Example.scp")


@pytest.fixture(scope="module")
def exports(shared_data, tmp_path_factory) -> Path:
    """Links to real exports (never copies: the MUSE files are GPL test data), a truncated DICOM,
    an XML that is no ECG, and the EDF sample."""
    root = tmp_path_factory.mktemp("exports")
    for name in VENDOR_FILES:
        target = root / name
        target.parent.mkdir(exist_ok=True)
        target.symlink_to(shared_data / "vendor" / name)
    (root / "edf").mkdir()
    (root / "edf" / "test_generator_2.edf").symlink_to(shared_data / "formats" / "test_generator_2.edf")
    dicom = (shared_data / "vendor" / "hl7_aecg_scp_dicom" / "Example.dcm").read_bytes()
    (root / "broken").mkdir()
    (root / "broken" / "cut.dcm").write_bytes(dicom[: len(dicom) // 2])
    (root / "broken" / "settings.xml").write_text("<?xml version='1.0'?><settings/>")
    return root


@pytest.fixture
def window(qtbot, tmp_path):
    window = MainWindow(QSettings(str(tmp_path / "settings.ini"), QSettings.IniFormat))
    qtbot.addWidget(window)
    window.resize(1400, 900)
    window.show()
    qtbot.waitExposed(window)
    yield window
    window.close()


def test_folder_scan_lists_every_export_with_its_format(window, qtbot, exports):
    open_library(window, qtbot, exports)
    model = window.library.model
    datasets = {e.path.name: model.index(model.row_of(e.key), DATASET).data() for e in model.entries}
    assert datasets == {
        "example2.xml": "GE MUSE XML · ge_muse_xml",
        "3191723_ZZDEMOPTONLY_1-04_orig.xml": "Philips Sierra XML 1.04 · philips_sierra_xml",
        "Example.xml": "HL7 aECG · hl7_aecg_scp_dicom", "Example.dcm": "DICOM ECG · hl7_aecg_scp_dicom",
        "Example.scp": "SCP-ECG · hl7_aecg_scp_dicom", "test_generator_2.edf": "EDF+ · edf",
        "cut.dcm": "DICOM ECG · broken"}  # settings.xml is no ECG and is not listed
    broken = next(e for e in model.entries if e.path.name == "cut.dcm")
    assert "cut short" in broken.error
    philips = next(e for e in model.entries if e.path.name.startswith("3191723"))
    assert "PROBABLE LEFT VENTRICULAR HYPERTROPHY" in philips.diagnoses


def test_every_export_opens_in_the_window(window, qtbot, exports):
    open_library(window, qtbot, exports)
    for entry in window.library.model.entries:
        if entry.error:
            continue
        select(window, qtbot, entry.path)
        expected = 1 if entry.path.suffix == ".edf" else 12
        assert window.record is not None and window.record.n_leads == expected, entry.path
        assert window.view.sheet is not None


def test_selecting_exports_shows_device_time_and_the_device_measurements(window, qtbot, exports):
    open_library(window, qtbot, exports)
    select(window, qtbot, exports / "ge_muse_xml" / "example2.xml")
    assert window.record.leads == STANDARD_LEADS and window.view.sheet is not None
    header = window.record_header.text()
    assert "derived leads III, aVR, aVL, aVF" in header
    assert "device measurements: HR 65 bpm" in header and "PR 184 ms" in header and "QRS axis -2°" in header
    select(window, qtbot, exports / "philips_sierra_xml" / "3191723_ZZDEMOPTONLY_1-04_orig.xml")
    header = window.record_header.text()
    assert "acquired 2010-01-19 15:19:22" in header and "device Philips PageWriter Touch" in header
    assert "1 mV calibration pulse trimmed (0.4 s)" in header
    assert window.record.n_samples == 5300
    select(window, qtbot, exports / "broken" / "cut.dcm")
    assert window.record is None and "cut short" in window.record_status.text()


def test_file_open_offers_every_format_and_opens_an_scp_file(window, qtbot, exports, monkeypatch):
    offered = {}

    def choose(parent, title, start, filters):
        offered["filters"] = filters
        return str(exports / "hl7_aecg_scp_dicom" / "Example.scp"), filters.split(";;")[0]

    monkeypatch.setattr(QFileDialog, "getOpenFileName", staticmethod(choose))
    action = next(a for a in window.menuBar().actions()[0].menu().actions() if a.text() == "Open &record…")
    with qtbot.waitSignal(window.library.scanFinished, timeout=20000):
        action.trigger()
    first = offered["filters"].split(";;")[0]
    for pattern in ("*.hea", "*.xml", "*.dcm", "*.edf", "*.bdf", "*.scp"):
        assert pattern in first
    qtbot.waitUntil(lambda: window.record is not None, timeout=10000)
    assert window.record.source_format == "SCP-ECG" and window.record.leads == STANDARD_LEADS
    assert "acquired 2002-11-22 09:10:00" in window.record_header.text()
