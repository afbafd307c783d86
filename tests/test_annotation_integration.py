"""The annotation panel wired into the main window: draw -> stored -> marks on the plot -> badges -> restart."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QSettings

from ecgstudio.annotations.controller import attach_annotations
from ecgstudio.library import record_key as library_key
from ecgstudio.main_window import MainWindow


@pytest.fixture
def settings(tmp_path) -> QSettings:
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.IniFormat)
    settings.setValue("annotations/author", "dr.test")
    return settings


def _open(qtbot, settings, folder: Path, library: Path) -> tuple[MainWindow, object]:
    window = MainWindow(settings)
    qtbot.addWidget(window)
    controller = attach_annotations(window, library)
    window.show()
    with qtbot.waitSignal(window.library.scanFinished, timeout=20000):
        window.open_path(folder)
    window.library.select_key(library_key(folder / "00001_hr.hea"))  # the first record: usually selected already
    qtbot.waitUntil(lambda: window.record is not None and window.record.name == "00001_hr", timeout=10000)
    return window, controller


def test_drawn_interval_is_stored_drawn_badged_and_survives_restart(qtbot, settings, ptbxl_root, tmp_path):
    folder = ptbxl_root / "records500" / "00000"
    library = tmp_path / "library.sqlite"
    window, controller = _open(qtbot, settings, folder, library)
    with qtbot.waitSignal(controller.panel.marksChanged, timeout=5000) as marks:
        window.view.intervalDrawn.emit("V2", 1.0, 1.6)
        controller.panel.editor.label_edit.setText("ST elevation")  # the inline label editor
        controller.panel.editor.save_button.click()
    assert [(m.lead, m.t0, m.t1, m.label) for m in marks.args[0]] == [("V2", 1.0, 1.6, "ST elevation")]
    assert [a.line() for a in window.report_section("annotations")] == [
        "1.00–1.60 s · V2 · ST elevation — dr.test, not signed"]
    header = str(folder / "00001_hr.hea")
    assert window.library.model._status[library_key(Path(header))] == "labelled"
    window.close()

    again, controller2 = _open(qtbot, settings, folder, library)
    stored = controller2.store.annotations(controller2._current_key)
    assert [(a.lead, a.t0, a.t1, a.label, a.author) for a in stored] == [("V2", 1.0, 1.6, "ST elevation", "dr.test")]
    assert controller2.store.history(stored[0].id)[0].action == "create"
    again.close()
