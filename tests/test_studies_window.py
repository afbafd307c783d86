"""A reading study end to end in the window (pytest-qt): three readers read blinded and finish their records,
agreement is computed and exported, the adjudicator resolves every disagreement, and a fine-tune on the
study's consensus runs as a real training job from the jobs dialog."""

from __future__ import annotations

import csv
import shutil

import pytest
from PySide6.QtCore import QSettings, Qt

from ecgstudio.identity import IDENTITY_KEY as AUTHOR_KEY
from ecgstudio.annotations.controller import attach_annotations
from ecgstudio.jobs import attach_jobs
from ecgstudio.library import record_key as library_key
from ecgstudio.library.model import ANNOTATIONS
from ecgstudio.main_window import MainWindow
from ecgstudio.models.library import SETTINGS_KEY as MODELS_DIR_KEY
from ecgstudio.models.library import ModelLibrary
from ecgstudio.studies.controller import attach_studies
from training.data.manifest import read_manifest

#: reader -> labels per record index (0..5): readers agree on most, disagree on records 2 and 5
READINGS = {
    "ann": [["NORM"], ["MI"], ["NORM"], ["STTC"], ["NORM"], ["MI", "STTC"]],
    "ben": [["NORM"], ["MI"], ["MI"], ["STTC"], ["NORM"], ["MI", "STTC"]],
    "cat": [["NORM"], ["MI"], ["NORM"], ["STTC"], ["NORM"], ["MI"]],
}


@pytest.fixture
def records(tmp_path, ptbxl_root):
    folder = tmp_path / "study_records"
    folder.mkdir()
    for header in sorted((ptbxl_root / "records500" / "00000").glob("*_hr.hea"))[:6]:
        for suffix in (".hea", ".dat"):
            shutil.copy(header.with_suffix(suffix), folder / header.with_suffix(suffix).name)
    return folder


def test_three_readers_agreement_adjudication_and_a_fine_tune_on_the_consensus(qtbot, tmp_path, records):
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.IniFormat)
    settings.setValue(MODELS_DIR_KEY, str(tmp_path / "models"))
    settings.setValue(AUTHOR_KEY, "admin")
    window = MainWindow(settings)
    qtbot.addWidget(window)
    annotations = attach_annotations(window, tmp_path / "library.sqlite")
    jobs = attach_jobs(window, annotations.store.db, ModelLibrary(settings))
    jobs.manager.kill_after_s = 5.0
    studies = attach_studies(window, annotations, jobs)
    window.show()
    with qtbot.waitSignal(window.library.scanFinished, timeout=20000):
        window.open_path(records)
    study = studies.create_from_folder("triage", records, ["NORM", "MI", "STTC"], list(READINGS))
    studies.dock.show()
    studies.panel.reload(select=study.id)
    assert len(study.records) == 6
    panel = annotations.panel

    for reader, labels in READINGS.items():
        panel.set_author(reader)
        studies.panel.blind.setChecked(True)
        studies.open_record(study.records[0])
        for index in range(6):
            qtbot.waitUntil(lambda: panel.record_key == study.records[index], timeout=10000)
            assert panel.labels.checked_codes() == []  # blinded: the other readers' labels are not shown
            for code in labels[index]:
                panel.labels.item_for(code).setCheckState(Qt.Checked)
            assert sorted(panel.labels.checked_codes()) == sorted(labels[index])
            studies.panel.finish_button.click()
        assert "All done" in studies.panel.message.text()
    assert studies.store.progress(study) == {reader: (6, 6) for reader in READINGS}

    studies.panel.compute_button.click()
    rows = {studies.panel.agreement_table.item(r, 0).text(): studies.panel.agreement_table.item(r, 4).text()
            for r in range(studies.panel.agreement_table.rowCount())}
    assert rows == {"NORM": "1", "MI": "1", "STTC": "1"}
    studies.panel.export("csv", str(tmp_path / "agreement.csv"))
    studies.panel.export("html", str(tmp_path / "agreement.html"))
    with open(tmp_path / "agreement.csv", newline="") as fh:
        assert len([r for r in csv.DictReader(fh) if r["statistic"] == "cohen_kappa"]) == 9
    assert "Reader agreement: triage" in (tmp_path / "agreement.html").read_text()

    panel.set_author("dr.adj")
    dialog = studies.adjudicate(study)
    assert dialog.list.count() == 3 and not studies.panel.blind.isChecked()
    for _ in range(3):
        current = dialog.disputes[dialog.list.currentRow()]
        assert dialog.readings.rowCount() == 3  # each reader's reading side by side
        qtbot.waitUntil(lambda: panel.record_key == current.record_key, timeout=10000)  # shown on the ECG
        (dialog.absent_button if current.label == "MI" else dialog.present_button).click()
    decisions = studies.store.consensus(study)
    assert {c.decided_by for c in decisions.values()} == {"dr.adj"} and len(decisions) == 3
    assert studies.store.consensus_labels(study)[study.records[5]] == ("MI", "STTC")

    job_dialog = studies.fine_tune(study)
    assert job_dialog.path.text().endswith("study-1-consensus") and job_dialog.finetune.isChecked()
    assert len(read_manifest(job_dialog.path.text())) == 6
    job_dialog.epochs.setValue(1)
    job_dialog.monitor.setCurrentText("loss")  # six records leave too few per class for a validation AUROC
    job_dialog.device.setCurrentIndex(job_dialog.device.findData("cpu"))
    job_dialog.start_button.click()
    job = jobs.monitor.selected_job()
    assert job is not None, [f.error.text() for f in job_dialog.fields.values() if f.error.text()]
    qtbot.waitUntil(lambda: job.status in ("done", "failed", "cancelled"), timeout=180_000)
    assert job.status == "done", job.message
    jobs.shutdown()
    window.close()


def test_a_blinded_reader_sees_no_badge_status_or_completion_from_the_other_readers(qtbot, tmp_path, records):
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.IniFormat)
    settings.setValue(AUTHOR_KEY, "ann")
    window = MainWindow(settings)
    qtbot.addWidget(window)
    annotations = attach_annotations(window, tmp_path / "library.sqlite")
    studies = attach_studies(window, annotations)
    window.show()
    with qtbot.waitSignal(window.library.scanFinished, timeout=20000):
        window.open_path(records)
    study = studies.create_from_folder("blind", records, ["NORM", "MI"], ["ann", "ben"])
    studies.dock.show()
    studies.panel.reload(select=study.id)
    panel, model = annotations.panel, window.library.model
    studies.open_record(study.records[0])
    qtbot.waitUntil(lambda: panel.record_key == study.records[0], timeout=10000)
    panel.labels.item_for("MI").setCheckState(Qt.Checked)  # ann labels the record and marks a beat
    panel.add_interval("II", 1.0, 1.2)
    panel.editor.label_edit.setText("ann's private beat name")
    panel.editor.save_button.click()
    first = model.row_of(library_key(sorted(records.glob("*.hea"))[0]))  # the study's first record, in the list

    def shown() -> tuple[str, str, list[str]]:
        """The list's badge, the panel's status line and the interval-name completions, as a user sees them."""
        return (model.index(first, ANNOTATIONS).data(), panel.title.text(),
                panel.editor.label_edit.completer().model().stringList())

    assert shown()[0] == "annotated" and "annotated, not all signed" in shown()[1]
    panel.set_author("ben")  # a reader of the blinded study: read blinded, and it cannot be switched off
    assert studies.panel.blind.isChecked() and not studies.panel.blind.isEnabled()
    text, title, completions = shown()
    assert text == "" and "not annotated" in title and completions == []  # nothing of ann's leaks to ben
    assert panel.labels.checked_codes() == []
    studies.store.set_consensus(study, study.records[0], "MI", True, "dr.adj")  # decided early, ann's reading
    studies.panel.adjudicate_button.click()  # ben may not adjudicate: it unblinds and shows the consensus
    assert "blinded" in studies.panel.message.text() and studies.adjudication is None
    assert studies.panel.blind.isChecked() and panel.labels.checked_codes() == [] and shown()[0] == ""
    studies.panel.finetune_button.click()  # nor export the consensus as a dataset
    assert "blinded" in studies.panel.message.text() and not any(annotations.store.db.workdir.glob("studies/*"))
    studies.store.set_blinded(study, False, "admin")  # after adjudication an administrator lifts it
    studies.panel.reload(select=study.id)
    assert studies.panel.blind.isEnabled()
    studies.panel.blind.setChecked(False)
    text, title, completions = shown()
    assert text == "annotated" and completions == ["ann's private beat name"]
    window.close()
