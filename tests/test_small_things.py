"""Small things users hit (issue #15 §6): lead names and list columns not clipped, the record list
filtered by sampling rate and duration, a multi-segment record listed once, the Explain tab on the
predicted class, and Help — the F1 shortcut sheet and the About box with the version (pytest-qt)."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QFontMetricsF
from PySide6.QtWidgets import QApplication, QDialog, QMessageBox, QTextBrowser

import training
from ecgstudio.inference.explain_panel import predicted_class
from ecgstudio.library.model import ANNOTATIONS, DIAGNOSIS
from ecgstudio.main_window import MainWindow
from ecgstudio.plot.items import label_font
from tests.app_window import full_window, isolated_settings


@pytest.fixture
def window(qtbot, tmp_path):
    window = MainWindow(QSettings(str(tmp_path / "settings.ini"), QSettings.IniFormat))
    qtbot.addWidget(window)
    window.show()
    window.showNormal()
    window.resize(1400, 900)
    qtbot.waitExposed(window)
    yield window
    window.close()


def listed(window, qtbot, folder) -> list[str]:
    with qtbot.waitSignal(window.library.scanFinished, timeout=20000):
        window.open_path(folder)
    return [e.name for e in window.library.model.entries]


def shown_names(window) -> list[str]:
    proxy = window.library.proxy
    return sorted(proxy.index(r, 0).data(0x0100).name for r in range(proxy.rowCount()))


def test_a_multi_segment_record_is_listed_once(window, qtbot, shared_data):
    names = listed(window, qtbot, shared_data / "formats")
    assert "041s" in names and "041s01" not in names and "041s02" not in names
    assert len(names) == len(set(names))


def test_the_filter_understands_sampling_rate_and_duration(window, qtbot, shared_data):
    listed(window, qtbot, shared_data / "formats")
    box = window.library.text_filter
    qtbot.keyClicks(box, "2.5 s")  # typed as the list shows it ("10.0 s" found nothing before)
    assert shown_names(window) == ["binformats", "flacformats"]
    box.clear()
    qtbot.keyClicks(box, "360 Hz")
    assert shown_names(window) == ["100", "100_3chan", "208"]
    box.clear()
    qtbot.keyClicks(box, ">5 min")
    longer = {e.name for e in window.library.model.entries if e.info is not None and e.info.duration > 300}
    assert {"100", "208", "a103l"} <= longer and shown_names(window) == sorted(longer)
    box.clear()
    qtbot.keyClicks(box, "mitdb >=300hz")
    assert shown_names(window) == ["208"]
    box.clear()
    qtbot.keyClicks(box, "041s")  # a name that looks like a duration is still a name
    assert shown_names(window) == ["041s"]


def test_diagnosis_and_annotation_columns_are_in_view_in_a_narrow_panel(window, qtbot, shared_data):
    listed(window, qtbot, shared_data / "cpsc2018")
    table = window.library.table
    window.resizeDocks([window.library_dock], [300], Qt.Horizontal)
    qtbot.wait(50)
    viewport = table.viewport().rect()
    for column in (DIAGNOSIS, ANNOTATIONS):
        x = table.columnViewportPosition(column)
        assert 0 <= x < viewport.width() - 40, column  # it starts on screen, wide enough to read


def test_lead_names_are_not_clipped_when_the_sheet_is_zoomed_out(window, qtbot, shared_data):
    listed(window, qtbot, shared_data / "ptbxl" / "records500" / "00000" / "00001_hr.hea")
    qtbot.waitUntil(lambda: window.record is not None)
    window.showNormal()
    window.resize(700, 500)  # a small window: the fitted sheet is drawn small
    qtbot.waitUntil(lambda: window.view.effective_zoom < 0.6)
    gutter = window.view.canvas.gutter_item
    needed_px = QFontMetricsF(label_font()).horizontalAdvance("aVR")
    assert gutter.label_mm() * window.view.scale.px_per_mm >= needed_px + 4


def test_explain_defaults_to_the_class_the_model_predicted():
    assert predicted_class([0.9, 0.2, 0.7, 0.1, 0.3], [False, False, True, False, False]) == 2
    assert predicted_class([0.1, 0.2, 0.3, 0.15, 0.6], [False] * 5) == 4  # none positive: the likeliest


def test_after_a_run_the_explain_tab_shows_the_predicted_class(qtbot, tmp_path, shared_data):
    window = full_window(isolated_settings(tmp_path))
    qtbot.addWidget(window)
    window.show()
    window.open_path(shared_data / "cpsc2018" / "A0001.hea")  # right bundle branch block
    qtbot.waitUntil(lambda: window.record is not None, timeout=20000)
    inference = window.features["inference"]
    with qtbot.waitSignal(inference.predicted, timeout=30000) as blocker:
        qtbot.mouseClick(inference.panel.run_button, Qt.LeftButton)
    prediction = blocker.args[1]
    chosen = inference.explain_panel.class_box.currentData()
    assert chosen == predicted_class(prediction.probs, prediction.positive)
    assert chosen != 0 or (prediction.positive[0] or prediction.probs.argmax() == 0)
    window.close()


def test_f1_opens_the_shortcut_sheet_and_about_names_the_version(qtbot, tmp_path):
    window = full_window(isolated_settings(tmp_path))
    qtbot.addWidget(window)
    window.show()
    window.raise_()
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window)
    window.view.canvas.setFocus()
    qtbot.keyClick(window.view.canvas, Qt.Key_F1)
    sheet = window.findChild(QDialog, "shortcutSheet")
    assert sheet is not None and sheet.isVisible()
    text = sheet.findChild(QTextBrowser).toPlainText()
    for expected in ("Open folder", "Ctrl+O", "Next record", "PgDown", "Calipers", "Home / End", "Keyboard shortcuts"):
        assert expected in text, expected
    sheet.close()
    help_menu = next(a.menu() for a in window.menuBar().actions() if a.text() == "&Help")
    assert window.menuBar().actions()[-1].menu() is help_menu  # Help is last, after the features' menus
    next(a for a in help_menu.actions() if "About" in a.text()).trigger()
    about = window.findChild(QMessageBox, "aboutBox")
    assert about.isVisible() and training.__version__ in about.text()
    about.close()
    window.close()
