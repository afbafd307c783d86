"""Exports a clinician can file and annotations whose history is visible (issue #15 §4, §5): record
labels in the PDF in words with author and signature, only marks with times; a PNG of the whole
record (or a span) with header, lead names, speed and gain; the label list shows what is applied, a
Space press ticks nothing, every change is said and undoable; the audit trail per annotation."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QImage

from ecgstudio.export.png import PX_PER_MM
from tests.app_window import shown_app


@pytest.fixture
def app(qtbot, tmp_path, shared_data):
    window = shown_app(qtbot, tmp_path, (1600, 1000))
    panel = window.features["annotations"].panel
    qtbot.keyClicks(panel.author_bar.name_edit, "Dr Ada")
    qtbot.keyClick(panel.author_bar.name_edit, Qt.Key_Return)  # the name, once, for the whole session
    window.open_path(shared_data / "cpsc2018" / "A0001.hea")  # 15 s, right bundle branch block
    qtbot.waitUntil(lambda: window.record is not None and panel.record_key is not None, timeout=20000)
    yield window, panel
    window.close()


def tick(qtbot, panel, code: str) -> None:
    """Click the check box of ``code``'s row, as a reader does."""
    item = panel.labels.item_for(code)
    panel.labels.list.scrollToItem(item)
    rect = panel.labels.list.visualItemRect(item)
    qtbot.mouseClick(panel.labels.list.viewport(), Qt.LeftButton, pos=QPoint(rect.left() + 10, rect.center().y()))


def draw_mark(qtbot, window, panel, lead: str, t0: float, t1: float, label: str) -> None:
    window.view.intervalDrawn.emit(lead, t0, t1)  # what a drag with the mark tool emits
    panel.editor.label_edit.clear()
    qtbot.keyClicks(panel.editor.label_edit, label)
    qtbot.mouseClick(panel.editor.save_button, Qt.LeftButton)


def test_a_space_press_ticks_nothing_and_every_change_is_said_and_undoable(qtbot, app):
    window, panel = app
    labels = panel.labels
    labels.list.setFocus()
    labels.list.setCurrentItem(labels.item_for("NORM"))
    qtbot.keyClick(labels.list, Qt.Key_Space)  # ticked "normal ECG" silently before
    assert labels.checked_codes() == [] and panel.store.annotations(panel.record_key) == []
    assert "No label applied" in panel.applied.text()
    tick(qtbot, panel, "NORM")
    assert labels.checked_codes() == ["NORM"]
    assert "normal ECG" in panel.applied.text() and "Dr Ada" in panel.applied.text()
    assert "Added the label “normal ECG”" in panel.message.text() and panel.undo_button.isVisible()
    qtbot.mouseClick(panel.undo_button, Qt.LeftButton)
    assert labels.checked_codes() == [] and "Undone" in panel.message.text()
    assert "No label applied" in panel.applied.text()
    assert labels.list.height() >= 8 * labels.list.fontMetrics().height()  # not 3–4 rows


def test_the_history_says_who_did_what_when_per_annotation(qtbot, app):
    window, panel = app
    tick(qtbot, panel, "NORM")
    draw_mark(qtbot, window, panel, "V1", 2.0, 2.4, "wide QRS")
    panel.table.selectRow(0)
    qtbot.mouseClick(panel.edit_button, Qt.LeftButton)
    panel.editor.label_edit.clear()
    qtbot.keyClicks(panel.editor.label_edit, "RBBB pattern")
    qtbot.mouseClick(panel.editor.save_button, Qt.LeftButton)
    panel.table.selectRow(0)
    qtbot.mouseClick(panel.confirm_button, Qt.LeftButton)
    rows = panel.history.texts()  # the selected mark only, newest first
    whats = [what for _when, _who, what in rows]
    assert whats[0].startswith("signed mark “RBBB pattern” on V1, 2.00–2.40 s")
    assert "edited mark" in whats[1] and "label wide QRS → RBBB pattern" in whats[1]
    assert whats[2].startswith("added mark “wide QRS”") and len(rows) == 3
    assert all(who == "Dr Ada" and when[:4].isdigit() for when, who, _ in rows)
    panel.table.clearSelection()
    assert any(what == "added label “normal ECG”" for _, _, what in panel.history.texts())  # the whole record


def test_pdf_report_lists_labels_in_words_with_author_and_signature(qtbot, app, tmp_path):
    window, panel = app
    tick(qtbot, panel, "NORM")
    qtbot.mouseClick(panel.confirm_labels_button, Qt.LeftButton)
    draw_mark(qtbot, window, panel, None, 3.0, 3.5, "artefact")
    lines = [a.line() for a in window.report_section("annotations")]
    assert "Record label: normal ECG — Dr Ada, signed by Dr Ada" in lines  # not "0.00–0.00 s · NORM"
    assert "3.00–3.50 s · all leads · artefact — Dr Ada, not signed" in lines
    assert not any("0.00–0.00" in line for line in lines)
    pdf = window.export_pdf(tmp_path / "report.pdf")
    assert pdf is not None and pdf.read_bytes().startswith(b"%PDF")


def test_png_export_is_the_whole_record_with_header_and_scale(qtbot, app, tmp_path, shared_data):
    window, _panel = app
    window.view.go_to(5.0)  # the screen shows part of it; the PNG has all 15 s
    path = tmp_path / "a0001.png"
    assert window.export_png(path)
    image = QImage(str(path))
    paper_mm = 15.0 * window.view.speed
    assert image.width() >= paper_mm * PX_PER_MM  # 15 s at 25 mm/s, not 0–7.4 s of screen
    assert image.height() >= 12 * 15 * PX_PER_MM  # twelve rows
    header = image.copy(0, 0, image.width(), int(30 * PX_PER_MM))
    assert any(header.pixelColor(x, y).value() < 100 for x in range(0, header.width(), 3)
               for y in range(0, header.height(), 3))  # the header has text
    span = tmp_path / "span.png"
    assert window.export_png(span, span=(2.0, 6.0))
    assert QImage(str(span)).width() < image.width()
    window.open_path(shared_data / "formats" / "100.hea")  # 30 min: too long whole, the span on screen
    qtbot.waitUntil(lambda: window.record is not None and window.record.name == "100", timeout=20000)
    long_png = tmp_path / "100.png"
    assert window.export_png(long_png)
    x0, x1 = window.view.visible_range()
    assert QImage(str(long_png)).width() <= (x1 - x0 + 20) * window.view.speed * PX_PER_MM + 300 * PX_PER_MM
