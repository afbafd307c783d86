"""The window on a team library (PostgreSQL started by the tests): the reader's role is the author, and a
server stopped mid-session is said in the status bar, the record stays on screen, edits are refused with a
clear message, and the window reconnects by itself when the server is back, with nothing lost or doubled."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QSettings, Qt

from ecgstudio.annotations import controller as annotations_controller
from ecgstudio.annotations.controller import attach_annotations
from ecgstudio.identity import IDENTITY_KEY
from ecgstudio.library import record_key as library_key
from ecgstudio.library_schemas import library_schemas
from ecgstudio.main_window import MainWindow
from ecgstudio.store import Database
from ecgstudio.store.access import add_user, setup_access


@pytest.fixture
def reader_url(pg_cluster) -> str:
    url = pg_cluster.create_database("window_team")
    db = Database(url)
    for schema in library_schemas():
        db.ensure(schema)
    setup_access(db)
    add_user(db, "alice", "reader")
    db.close()
    return pg_cluster.url("alice", "window_team")


def test_server_outage_is_shown_edits_refused_record_kept_then_reconnected(qtbot, tmp_path, ptbxl_root, pg_cluster,
                                                                          reader_url, monkeypatch):
    monkeypatch.setattr(annotations_controller, "RECONNECT_MS", 200)
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.IniFormat)
    settings.setValue(IDENTITY_KEY, "someone else")  # the server's user wins over a typed name
    window = MainWindow(settings)
    qtbot.addWidget(window)
    controller = attach_annotations(window, reader_url)
    panel = controller.panel
    assert panel.author == "alice" and window.context.identity.name == "alice"
    window.context.identity.set_name("mallory")  # the name is the server's, not a typed one
    assert panel.author == "alice"
    window.show()
    folder = ptbxl_root / "records500" / "00000"
    with qtbot.waitSignal(window.library.scanFinished, timeout=20000):
        window.open_path(folder)
    window.library.select_key(library_key(folder / "00001_hr.hea"))
    qtbot.waitUntil(lambda: window.record is not None and panel.record_key is not None, timeout=10000)
    panel.labels.item_for("NORM").setCheckState(Qt.Checked)
    assert panel.labels.checked_codes() == ["NORM"]

    pg_cluster.stop()
    try:
        panel.labels.item_for("MI").setCheckState(Qt.Checked)
        assert "cannot be reached" in panel.message.text() and "Nothing was saved" in panel.message.text()
        bar = window.statusBar().currentMessage()
        assert bar.startswith("Library:") and "cannot be reached" in bar and "refused" in bar, bar
        assert window.record is not None and window.record.name == "00001_hr"  # the ECG stays on screen
        assert panel.labels.checked_codes() == ["NORM"]  # what was committed, not the refused click
        assert not panel.labels.isEnabled()
    finally:
        pg_cluster.start()
    qtbot.waitUntil(lambda: "Reconnected" in window.statusBar().currentMessage(), timeout=10000)
    assert panel.labels.isEnabled()
    panel.labels.item_for("MI").setCheckState(Qt.Checked)
    stored = controller.store.annotations(panel.record_key)
    assert sorted((a.label, a.author) for a in stored) == [("MI", "alice"), ("NORM", "alice")]
    assert len(controller.store.history(None)) == 2
    window.close()
