"""The annotation panel (pytest-qt, offscreen): marking, editing, deleting, labels, authorship, restart."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QSettings, Qt

from ecgstudio.identity import IDENTITY_KEY as AUTHOR_KEY
from ecgstudio.identity import Identity
from ecgstudio.annotations.keys import record_key
from ecgstudio.annotations.model import MARK_PALETTE
from ecgstudio.annotations.panel import AnnotationPanel
from ecgstudio.annotations.store import AnnotationStore
from training.data import read_record


@pytest.fixture(scope="module")
def record(ptbxl_root):
    return read_record(ptbxl_root / "records500/00000/00001_hr")


@pytest.fixture
def settings(tmp_path):
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.IniFormat)
    settings.setValue(AUTHOR_KEY, "alice")
    return settings


def _panel(qtbot, tmp_path, settings, record) -> tuple[AnnotationPanel, AnnotationStore, list]:
    store = AnnotationStore(tmp_path / "library.ecglib")
    panel = AnnotationPanel(store, Identity(settings))
    qtbot.addWidget(panel)
    emitted: list = []
    panel.marksChanged.connect(emitted.append)
    panel.set_record(record_key(record), record)
    with qtbot.waitActive(panel):  # keyboard focus, as in the app's active window
        panel.show()
        panel.activateWindow()
    return panel, store, emitted


def _draw(qtbot, panel: AnnotationPanel, lead, t0: float, t1: float, label: str) -> None:
    """What a drag on the plot does, then typing the label and Enter in the inline editor."""
    panel.add_interval(lead, t0, t1)
    assert panel.editor.isVisible() and panel.editor.label_edit.hasFocus()
    qtbot.keyClicks(panel.editor.label_edit, label)
    qtbot.keyClick(panel.editor.label_edit, Qt.Key_Return)


def _marks(marks) -> list[tuple]:
    """(lead, t0, t1, label) of each mark, after checking each label has its own palette colour."""
    colours = {m.label: m.colour for m in marks}
    assert set(colours.values()) <= set(MARK_PALETTE) and len(set(colours.values())) == len(colours)
    return [(m.lead, m.t0, m.t1, m.label) for m in marks]


def test_add_edit_delete_an_interval_emits_the_marks_for_the_plot(qtbot, tmp_path, settings, record):
    panel, store, emitted = _panel(qtbot, tmp_path, settings, record)
    assert emitted[-1] == []
    _draw(qtbot, panel, "II", 1.6, 1.2, "PVC")  # a right-to-left drag gives t0 > t1
    _draw(qtbot, panel, None, 3.0, 4.5, "baseline wander")
    assert not panel.editor.isVisible()
    assert _marks(emitted[-1]) == [("II", 1.2, 1.6, "PVC"), (None, 3.0, 4.5, "baseline wander")]
    assert [panel.table.item(0, c).text() for c in range(6)] == ["II", "1.200 s", "1.600 s", "PVC", "alice", ""]

    panel.table.selectRow(0)
    qtbot.keyClick(panel.table, Qt.Key_F2)
    assert panel.editor.label_edit.text() == "PVC"
    panel.editor.label_edit.clear()
    qtbot.keyClicks(panel.editor.label_edit, "PAC")
    qtbot.keyClick(panel.editor.label_edit, Qt.Key_Return)
    assert [m.label for m in emitted[-1]] == ["PAC", "baseline wander"]
    pac = emitted[-1][0].annotation_id
    assert [e.action for e in store.history(pac)] == ["create", "edit"]

    panel.table.selectRow(1)
    qtbot.keyClick(panel.table, Qt.Key_Delete)
    assert _marks(emitted[-1]) == [("II", 1.2, 1.6, "PAC")]
    assert len(store.annotations(record_key(record), include_deleted=True)) == 2
    assert panel.annotation_status(record_key(record)) == "labelled"


def test_record_labels_from_the_vocabulary_and_free_text(qtbot, tmp_path, settings, record):
    panel, store, _ = _panel(qtbot, tmp_path, settings, record)
    key = record_key(record)
    panel.labels.item_for("NORM").setCheckState(Qt.Checked)
    qtbot.keyClicks(panel.labels.free_text_edit, "early repolarisation")
    qtbot.keyClick(panel.labels.free_text_edit, Qt.Key_Return)
    assert {a.label for a in store.annotations(key)} == {"NORM", "early repolarisation"}
    assert panel.labels.checked_codes() == ["NORM", "early repolarisation"]
    panel.labels.filter_edit.setText("fibrillation")
    assert not panel.labels.item_for("164889003").isHidden() and panel.labels.item_for("NORM").isHidden()
    panel.labels.item_for("NORM").setCheckState(Qt.Unchecked)
    assert [a.label for a in store.annotations(key)] == ["early repolarisation"]
    qtbot.mouseClick(panel.confirm_labels_button, Qt.LeftButton)
    assert panel.annotation_status(key) == "confirmed"
    assert "signed" in panel.labels.item_for("early repolarisation").text()


def test_a_restarted_panel_shows_the_annotations_again(qtbot, tmp_path, settings, record):
    panel, store, _ = _panel(qtbot, tmp_path, settings, record)
    _draw(qtbot, panel, "V2", 0.5, 0.9, "ST elevation")
    panel.labels.item_for("MI").setCheckState(Qt.Checked)
    panel.close()
    store.close()

    again, store_again, emitted = _panel(qtbot, tmp_path, settings, record)
    assert _marks(emitted[-1]) == [("V2", 0.5, 0.9, "ST elevation")]
    assert again.table.rowCount() == 1 and again.labels.checked_codes() == ["MI"]
    store_again.close()


def test_the_author_is_asked_once_without_blocking(qtbot, tmp_path, record):
    settings = QSettings(str(tmp_path / "fresh.ini"), QSettings.IniFormat)
    panel, store, emitted = _panel(qtbot, tmp_path, settings, record)
    assert panel.author == "" and panel.author_bar.name_edit.isVisible()
    panel.add_interval("I", 2.0, 2.5)
    assert not panel.editor.save_button.isEnabled()  # the drawn interval waits in the editor
    qtbot.keyClicks(panel.author_bar.name_edit, "Dr. Chen")
    qtbot.keyClick(panel.author_bar.name_edit, Qt.Key_Return)
    assert settings.value(AUTHOR_KEY) == "Dr. Chen" and not panel.author_bar.name_edit.isVisible()
    qtbot.keyClicks(panel.editor.label_edit, "artefact")
    qtbot.keyClick(panel.editor.label_edit, Qt.Key_Return)
    assert [(m.label, a.author) for m, a in zip(emitted[-1], store.annotations(record_key(record)))] == \
           [("artefact", "Dr. Chen")]
    later = AnnotationPanel(store, Identity(settings))  # a later session with the same settings
    qtbot.addWidget(later)
    assert later.author == "Dr. Chen" and later.author_bar.currentIndex() == 1


def test_only_the_author_can_change_a_mark_and_signing_updates_the_status(qtbot, tmp_path, settings, record):
    panel, store, emitted = _panel(qtbot, tmp_path, settings, record)
    key = record_key(record)
    theirs = store.add_interval(key, "V1", 5.0, 5.5, "ST elevation", "bob")
    _draw(qtbot, panel, "II", 1.0, 1.4, "PVC")
    statuses: list = []
    panel.statusChanged.connect(lambda k, status: statuses.append((k, status)))
    rows = {panel.table.item(row, 4).text(): row for row in range(panel.table.rowCount())}
    panel.table.selectRow(rows["bob"])
    assert not panel.delete_button.isEnabled()
    qtbot.keyClick(panel.table, Qt.Key_Delete)
    assert "Only bob" in panel.message.text()
    assert store.get(theirs.id).deleted_at is None

    store.delete(theirs.id, "bob")
    panel.reload()
    panel.table.selectRow(0)
    qtbot.keyClick(panel.table, Qt.Key_Return, Qt.ControlModifier)
    assert emitted[-1][0].confirmed and panel.table.item(0, 5).text() == "✔"
    assert statuses[-1] == (key, "confirmed") and panel.annotation_status(key) == "confirmed"


def test_changing_author_and_clearing_the_record(qtbot, tmp_path, settings, record):
    panel, store, emitted = _panel(qtbot, tmp_path, settings, record)
    _draw(qtbot, panel, "I", 1.0, 2.0, "PVC")
    panel.set_author("bob")
    panel.table.selectRow(0)
    assert settings.value(AUTHOR_KEY) == "bob" and not panel.edit_button.isEnabled()
    panel.clear_record()
    assert emitted[-1] == [] and panel.table.rowCount() == 0 and not panel.labels.isEnabled()
    panel.add_interval("I", 3.0, 4.0)  # a drag with no record open does nothing
    assert not panel.editor.isVisible()


def test_double_clicking_a_mark_asks_the_plot_to_jump_there(qtbot, tmp_path, settings, record):
    panel, _, _ = _panel(qtbot, tmp_path, settings, record)
    _draw(qtbot, panel, "aVF", 7.25, 7.75, "PVC")
    centre = panel.table.visualItemRect(panel.table.item(0, 3)).center()
    qtbot.mouseClick(panel.table.viewport(), Qt.LeftButton, pos=centre)  # item views want the first click
    with qtbot.waitSignal(panel.jumpTo, timeout=1000) as jump:
        qtbot.mouseDClick(panel.table.viewport(), Qt.LeftButton, pos=centre)
    assert jump.args == [7.25, 7.75]
    with qtbot.waitSignal(panel.jumpTo, timeout=1000) as by_key:
        qtbot.keyClick(panel.table, Qt.Key_Return)
    assert by_key.args == [7.25, 7.75]
