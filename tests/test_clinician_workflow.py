"""The clinician's workflow, end to end through the window's widgets (issue #15): open a folder from
the File menu, browse with the keyboard, change layout, speed and gain, measure with the calipers,
label and mark a record, sign, read the history, and export the PDF report and the PNG."""

from __future__ import annotations

from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QFileDialog

from ecgstudio.library.model import ANNOTATIONS
from ecgstudio.plot import PRINT
from ecgstudio.plot.viewbox import CALIPER, MARK
from tests.app_window import shown_app
from tests.gestures import choose_data, drag


def menu_action(window, menu_text: str, action_text: str):
    menu = next(a.menu() for a in window.menuBar().actions() if a.text().replace("&", "") == menu_text)
    return next(a for a in menu.actions() if a.text().replace("&", "").startswith(action_text))


def test_a_clinician_reads_annotates_signs_and_files_a_record(qtbot, tmp_path, shared_data, monkeypatch):
    window = shown_app(qtbot, tmp_path, (1600, 1000))
    panel = window.features["annotations"].panel
    qtbot.keyClicks(panel.author_bar.name_edit, "Dr Ada")
    qtbot.keyClick(panel.author_bar.name_edit, Qt.Key_Return)

    # open a folder from the menu, browse to the next record with the keyboard
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *a, **k: str(shared_data / "cpsc2018"))
    with qtbot.waitSignal(window.library.scanFinished, timeout=20000):
        menu_action(window, "File", "Open folder").trigger()
    qtbot.waitUntil(lambda: window.record is not None, timeout=20000)
    first = window.record.name
    window.library.table.setFocus()
    qtbot.keyClick(window.library.table, Qt.Key_PageDown)
    qtbot.waitUntil(lambda: window.record is not None and window.record.name != first, timeout=20000)

    # layout, speed and gain
    window.controls.layout_actions[PRINT].trigger()
    choose_data(qtbot, window.controls.speed, 50.0)
    choose_data(qtbot, window.controls.gain, 20.0)
    assert window.view.sheet.layout == PRINT
    assert "50 mm/s · 20 mm/mV" in window.scale_status.text()
    window.controls.layout_actions["12x1"].trigger()
    choose_data(qtbot, window.controls.speed, 25.0)
    choose_data(qtbot, window.controls.gain, 10.0)

    # calipers: a drag on the sheet measures
    window.controls.tool_actions[CALIPER].trigger()
    canvas = window.view.canvas.viewport()
    with qtbot.waitSignal(window.view.caliperMeasured, timeout=5000) as measured:
        drag(qtbot, canvas, QPoint(300, 200), QPoint(500, 200))
    assert measured.args[0].dt_ms > 100 and "Caliper" in window.statusBar().currentMessage()

    # label the record, mark an interval on a lead, sign
    item = panel.labels.item_for("NORM")
    rect = panel.labels.list.visualItemRect(item)
    qtbot.mouseClick(panel.labels.list.viewport(), Qt.LeftButton, pos=QPoint(rect.left() + 10, rect.center().y()))
    window.controls.tool_actions[MARK].trigger()
    drag(qtbot, canvas, QPoint(400, 150), QPoint(480, 150))
    qtbot.waitUntil(panel.editor.isVisible)
    qtbot.keyClicks(panel.editor.label_edit, "artefact")
    qtbot.mouseClick(panel.editor.save_button, Qt.LeftButton)
    qtbot.mouseClick(panel.confirm_labels_button, Qt.LeftButton)
    assert "normal ECG" in panel.applied.text() and "signed" in panel.applied.text()
    row = window.library.model.row_of(window.entry.key)
    assert window.library.model.index(row, ANNOTATIONS).data() == "annotated"  # in words; the mark is unsigned
    panel.table.clearSelection()  # the whole record's history (a selected mark shows only its own)
    whats = [what for _, _, what in panel.history.texts()]
    assert any(w.startswith("signed label “normal ECG”") for w in whats)
    assert any(w.startswith("added mark “artefact”") for w in whats)

    # file it: the PDF report and the PNG
    pdf, png = tmp_path / "report.pdf", tmp_path / "record.png"
    answers = iter([(str(pdf), ""), (str(png), "")])
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: next(answers))
    menu_action(window, "File", "Export PDF report").trigger()
    menu_action(window, "File", "Export record as PNG").trigger()
    assert pdf.read_bytes().startswith(b"%PDF")
    assert QImage(str(png)).width() > window.record.duration * 25 * 5
    lines = [a.line() for a in window.report_section("annotations")]
    assert "Record label: normal ECG — Dr Ada, signed by Dr Ada" in lines
    assert any("artefact — Dr Ada, not signed" in line for line in lines)
    window.close()
