"""Issue 15 §1: a researcher fine-tunes the bundled model from Model ▸ Train / fine-tune…, as in the window.

Everything goes through the public widgets (menu action, combo boxes by keyboard, typed text, the Start
button); the engine runs for real in a child process, one epoch on the CPSC2018 records.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QSettings, Qt

from ecgstudio.inference.controller import attach_inference
from ecgstudio.jobs import attach_jobs
from ecgstudio.main_window import MainWindow
from ecgstudio.models.library import SETTINGS_KEY as MODELS_DIR_KEY
from ecgstudio.models.library import ModelLibrary, bundled_models_dir
from training.checkpoint import load_card
from tests.gestures import choose, menu_action, type_into

BUNDLED = "ptbxl_superclass_resnet1d18"
RECIPE = "Fine-tune head on CPSC2018"


@pytest.fixture
def app(qtbot, tmp_path):
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.IniFormat)
    settings.setValue(MODELS_DIR_KEY, str(tmp_path / "models"))
    window = MainWindow(settings)
    qtbot.addWidget(window)
    library = ModelLibrary(settings, parent=window)
    inference = attach_inference(window, library)
    jobs = attach_jobs(window, tmp_path / "library.sqlite", library)
    window.show()
    yield window, inference, jobs
    jobs.shutdown()
    window.close()


def start_finetune(qtbot, window, jobs, data: Path, name: str, mode: str | None):
    """Open the dialog from the menu, fill in what a researcher chooses, Start; returns the job."""
    menu_action(window, "Model", "Train / fine-tune").trigger()
    dialog = jobs.dialog
    assert dialog.isVisible()
    if mode is None:  # a later opening: the form remembers the last job; only the mode and name change
        return dialog
    choose(qtbot, dialog.preset, RECIPE)
    assert dialog.finetune.isChecked()
    choose(qtbot, dialog.parent_model, BUNDLED)
    type_into(qtbot, dialog.path, str(data))
    choose(qtbot, dialog.device, "CPU")
    type_into(qtbot, dialog.epochs, "1")
    type_into(qtbot, dialog.name, name)
    return dialog


def run_job(qtbot, dialog, jobs):
    qtbot.mouseClick(dialog.start_button, Qt.LeftButton)
    assert not dialog.isVisible(), dialog.general_error.text() + " | " + " | ".join(
        f"{k}: {f.error.text()}" for k, f in dialog.fields.items() if f.error.text())
    job = jobs.monitor.selected_job()
    qtbot.waitUntil(lambda: job.status in ("done", "failed", "cancelled"), timeout=120_000)
    assert job.status == "done", job.message
    return job


def test_finetune_the_bundled_model_from_the_dialog_head_then_full(app, qtbot, shared_data):
    window, inference, jobs = app
    parent = str(bundled_models_dir() / BUNDLED)
    dialog = start_finetune(qtbot, window, jobs, shared_data / "cpsc2018", "cpsc_head", "head")
    # the architecture and input contract come from the parent's card, locked; nothing to re-enter
    assert dialog.arch.currentText() == "resnet1d18" and not dialog.arch.isEnabled()
    assert not dialog.width.isEnabled() and not dialog.fs.isEnabled()
    assert "dropout 0.2" in dialog.inherited.text() and "new head is built for cpsc2018" in dialog.inherited.text()
    head = run_job(qtbot, dialog, jobs)

    card = load_card(head.output_model)
    assert card.parent == parent and card.finetune["mode"] == "head"
    assert card.model_options == {"width": 32, "dropout": 0.2} and len(card.classes) == 9  # a new 9-class head
    chooser = inference.panel.chooser
    assert chooser.findData("cpsc_head") >= 0  # listed in the model list at once

    dialog = start_finetune(qtbot, window, jobs, shared_data / "cpsc2018", "", None)
    assert dialog.path.text() == str(shared_data / "cpsc2018")  # remembered from the last job
    assert dialog.epochs.value() == 1 and dialog.finetune.isChecked()
    assert dialog.parent_model.currentText() in (BUNDLED, parent)
    choose(qtbot, dialog.mode, "full network")
    type_into(qtbot, dialog.name, "cpsc_full")
    full = run_job(qtbot, dialog, jobs)
    full_card = load_card(full.output_model)
    assert full_card.parent == parent and full_card.finetune["mode"] == "full"

    # the fine-tuned model runs on a record from the Model panel
    window.open_path(shared_data / "cpsc2018" / "A0001.hea")
    qtbot.waitUntil(lambda: window.record is not None, timeout=10_000)
    choose(qtbot, chooser, "cpsc_full")
    assert "Parent model" in inference.panel.card.text() and BUNDLED in inference.panel.card.text()
    qtbot.mouseClick(inference.panel.run_button, Qt.LeftButton)
    qtbot.waitUntil(lambda: "Predicted" in inference.panel.labels.text() or inference.panel.message.isVisible(),
                    timeout=30_000)
    assert not inference.panel.message.isVisible(), inference.panel.message.text()
    assert "Computed on cpu" in inference.panel.device.text()
