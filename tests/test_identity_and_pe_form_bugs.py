"""Issue 15 §5: one identity for the whole app, and the PE tab's false warning and stale form.

Driven through the public widgets of a window with the annotation and PE features attached, as in the app.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings, Qt

from ecgstudio.annotations.controller import attach_annotations
from ecgstudio.library import record_key
from ecgstudio.main_window import MainWindow
from ecgstudio.pe.controller import attach_pe

NOT_SAVED = "was not saved"


@pytest.fixture
def folder(shared_data, tmp_path) -> Path:
    """Three CPSC2018 records (their headers give the patient's age) and one whose signal file is cut short."""
    root = tmp_path / "records"
    root.mkdir()
    for name in ("A0001", "A0002", "A0003"):
        for suffix in (".hea", ".mat"):
            (root / f"{name}{suffix}").symlink_to(shared_data / "cpsc2018" / f"{name}{suffix}")
    shutil.copy(shared_data / "cpsc2018" / "A0004.hea", root / "A0004.hea")
    data = (shared_data / "cpsc2018" / "A0004.mat").read_bytes()
    (root / "A0004.mat").write_bytes(data[: len(data) // 3])
    return root


def make_window(qtbot, tmp_path) -> tuple[MainWindow, object, object]:
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.IniFormat)
    window = MainWindow(settings)
    qtbot.addWidget(window)
    annotations = attach_annotations(window, tmp_path / "library.sqlite")
    pe = attach_pe(window)
    window.show()
    return window, annotations, pe


def open_record(qtbot, window, path: Path) -> None:
    assert window.library.select_key(record_key(path))
    qtbot.waitUntil(lambda: not window.loading, timeout=10_000)


def open_folder(qtbot, window, folder: Path) -> None:
    with qtbot.waitSignal(window.library.scanFinished, timeout=20_000):
        window.open_path(folder)
    qtbot.waitUntil(lambda: not window.loading and window.record is not None, timeout=10_000)


def test_one_identity_chosen_once_shown_in_the_status_bar_and_changeable(qtbot, tmp_path, folder):
    window, annotations, pe = make_window(qtbot, tmp_path)
    open_folder(qtbot, window, folder)
    status = window.identity_status
    assert status.label.text() == "No name set"
    # the name is asked once, in the annotation panel ...
    annotations.panel.author_bar.name_edit.setFocus()
    qtbot.keyClicks(annotations.panel.author_bar.name_edit, "Dr. Chen")
    qtbot.keyClick(annotations.panel.author_bar.name_edit, Qt.Key_Return)
    # ... and the PE tab and the status bar know it at once
    assert pe.panel.author_bar.author == "Dr. Chen"
    assert not pe.panel.author_bar.name_edit.isVisibleTo(pe.panel)
    assert status.label.text() == "Signed as Dr. Chen"

    qtbot.mouseClick(status.change_button, Qt.LeftButton)  # changed from the status bar
    assert status.edit.isVisible()
    status.edit.selectAll()
    qtbot.keyClicks(status.edit, "Dr. Diaz")
    qtbot.keyClick(status.edit, Qt.Key_Return)
    assert status.label.text() == "Signed as Dr. Diaz" and not status.edit.isVisible()
    assert annotations.panel.author == pe.panel.author_bar.author == "Dr. Diaz"
    window.close()

    again, annotations2, pe2 = make_window(qtbot, tmp_path)  # the next session remembers it
    assert again.identity_status.label.text() == "Signed as Dr. Diaz"
    assert not pe2.panel.author_bar.name_edit.isVisibleTo(pe2.panel)


def test_untouched_pe_forms_give_no_unsaved_warning_and_a_changed_one_does(qtbot, tmp_path, folder):
    window, _annotations, pe = make_window(qtbot, tmp_path)
    open_folder(qtbot, window, folder)
    assert pe.panel.form.numbers["age"].text() == "74"  # pre-filled from the header: not a change by the user
    messages: list[str] = []
    window.statusBar().messageChanged.connect(messages.append)
    for name in ("A0002", "A0003", "A0001"):
        open_record(qtbot, window, folder / name)
    assert not [m for m in messages if NOT_SAVED in m]

    box = pe.panel.form.choices["previous_vte"]
    box.setCurrentIndex(box.findData("yes"))  # a real, unsaved change
    open_record(qtbot, window, folder / "A0002")
    assert [m for m in messages if NOT_SAVED in m]


def test_a_record_that_fails_to_open_leaves_no_form_of_the_previous_record(qtbot, tmp_path, folder):
    window, annotations, pe = make_window(qtbot, tmp_path)
    open_folder(qtbot, window, folder)
    assert "A0001" in pe.panel.title.text() and pe.panel.form.isEnabled()
    open_record(qtbot, window, folder / "A0004")
    assert window.record is None and "Cannot open A0004" in window.record_status.text()
    assert "A0001" not in pe.panel.title.text()
    assert not pe.panel.form.isEnabled() and not pe.panel.save_button.isEnabled()
    assert pe.panel.form.numbers["age"].text() == ""
    assert annotations.panel.record_key is None  # no annotation panel of the previous record either
