"""Issue 15: the researcher's workflow end to end, through the public widgets of the window the
``ecgstudio`` command builds (every feature attached): open a folder, pick a record in the list, say
who you are, run the bundled model, explain its call, fine-tune it on the folder from the dialog, and run
the new model on the record."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QFileDialog

from ecgstudio.__main__ import build_window
from ecgstudio.context import LIBRARY_KEY
from ecgstudio.models.library import SETTINGS_KEY as MODELS_DIR_KEY
from tests.gestures import choose, menu_action, type_into
from tests.test_finetune_dialog import BUNDLED, RECIPE


@pytest.fixture
def folder(shared_data) -> Path:
    return shared_data / "cpsc2018"  # 150 records: one epoch of a head fine-tune takes seconds


def test_researcher_opens_runs_explains_finetunes_and_runs_the_new_model(qtbot, tmp_path, folder, monkeypatch):
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.IniFormat)
    settings.setValue(LIBRARY_KEY, str(tmp_path / "library.sqlite"))
    settings.setValue(MODELS_DIR_KEY, str(tmp_path / "models"))
    window = build_window(settings)
    qtbot.addWidget(window)
    window.resize(1500, 950)
    window.show()
    inference, jobs = window.features["inference"], window.features["jobs"]

    # File ▸ Open folder… (the folder chooser answers with the CPSC2018 folder)
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *a, **k: str(folder))
    with qtbot.waitSignal(window.library.scanFinished, timeout=20_000):
        menu_action(window, "File", "Open folder").trigger()
    table = window.library.table
    row = table.model().index(2, 0)
    qtbot.mouseClick(table.viewport(), Qt.LeftButton, pos=table.visualRect(row).center())
    qtbot.waitUntil(lambda: not window.loading and window.record is not None and window.record.name == "A0003",
                    timeout=10_000)

    # who is working: asked once, shown in the status bar
    status = window.identity_status
    qtbot.mouseClick(status.change_button, Qt.LeftButton)
    qtbot.keyClicks(status.edit, "Dr. Ruiz")
    qtbot.keyClick(status.edit, Qt.Key_Return)
    assert status.label.text() == "Signed as Dr. Ruiz"

    # run the bundled model, then explain the class it is asked about
    choose(qtbot, inference.panel.chooser, BUNDLED)
    qtbot.mouseClick(inference.panel.run_button, Qt.LeftButton)
    qtbot.waitUntil(lambda: "Predicted" in inference.panel.labels.text(), timeout=60_000)
    explain = inference.explain_panel
    type_into(qtbot, explain.n_samples, "200")  # fewer perturbations than the default, to keep the test short
    with qtbot.waitSignal(inference.explained, timeout=60_000):
        qtbot.mouseClick(explain.explain_button, Qt.LeftButton)
    assert explain.segments.count() > 0 and "Spearman" in explain.quality.text()

    # Model ▸ Train / fine-tune…: the recipe, the bundled parent, this folder, one epoch
    menu_action(window, "Model", "Train / fine-tune").trigger()
    dialog = jobs.dialog
    choose(qtbot, dialog.preset, RECIPE)
    choose(qtbot, dialog.parent_model, BUNDLED)
    type_into(qtbot, dialog.path, str(folder))
    choose(qtbot, dialog.device, "CPU")
    type_into(qtbot, dialog.epochs, "1")
    type_into(qtbot, dialog.name, "cpsc_ruiz")
    qtbot.mouseClick(dialog.start_button, Qt.LeftButton)
    assert not dialog.isVisible()
    job = jobs.monitor.selected_job()
    assert window.panel("jobsDock").isVisible()
    qtbot.waitUntil(lambda: job.status in ("done", "failed", "cancelled"), timeout=120_000)
    assert job.status == "done", job.message
    assert jobs.monitor.progress.value() == jobs.monitor.progress.maximum()

    # the new model is in the list, names its parent, and runs on the open record
    choose(qtbot, inference.panel.chooser, "cpsc_ruiz")
    assert BUNDLED in inference.panel.card.text()
    qtbot.mouseClick(inference.panel.run_button, Qt.LeftButton)
    qtbot.waitUntil(lambda: "Predicted" in inference.panel.labels.text() or inference.panel.message.isVisible(),
                    timeout=60_000)
    assert not inference.panel.message.isVisible(), inference.panel.message.text()
    jobs.shutdown()
    window.close()
