"""Training jobs from the app: dialog, real engine child processes on the CPU, monitor, history, model library."""

from __future__ import annotations

import multiprocessing
import os
import socket

import pytest
from PySide6.QtCore import QSettings

from ecgstudio.jobs import attach_jobs
from ecgstudio.jobs.history import JobHistory
from ecgstudio.jobs.spec import JobSpec, job_arguments
from training.checkpoint import load_card
from ecgstudio.main_window import MainWindow
from ecgstudio.store.db import Database
from fit_helpers import tiny_config
from ecgstudio.inference.controller import attach_inference
from ecgstudio.models.library import SETTINGS_KEY as MODELS_DIR_KEY
from ecgstudio.models.library import ModelLibrary
from training.inference import Predictor

SMOKE = "Smoke test (1 epoch, tiny model)"


@pytest.fixture
def settings(tmp_path) -> QSettings:
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.IniFormat)
    settings.setValue(MODELS_DIR_KEY, str(tmp_path / "models"))
    return settings


@pytest.fixture
def library(settings, tmp_path) -> ModelLibrary:
    return ModelLibrary(settings, bundled_dir=tmp_path / "no-bundled-models")


def library_paths(library: ModelLibrary) -> list[str]:
    return [str(entry.path) for entry in library.models()]


@pytest.fixture
def window(qtbot, settings):
    window = MainWindow(settings)
    qtbot.addWidget(window)
    yield window
    window.close()


@pytest.fixture
def jobs(window, library, tmp_path):
    controller = attach_jobs(window, tmp_path / "library.sqlite", library)
    controller.manager.kill_after_s = 5.0
    yield controller
    controller.shutdown()


def wait_finished(qtbot, job, timeout: int = 90_000) -> None:
    qtbot.waitUntil(lambda: job.status in ("done", "failed", "cancelled"), timeout=timeout)


def gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def test_a_job_started_from_the_dialog_trains_reports_progress_and_registers_its_model(
        jobs, library, qtbot, ptbxl_root, tmp_path):
    inference = attach_inference(jobs.window, library)
    dialog = jobs.open_dialog()
    dialog.apply_preset("PTB-XL superclasses, ResNet1d-18")
    dialog.apply_preset(SMOKE)
    dialog.path.setText(str(ptbxl_root))
    dialog.name.setText("smoke")
    dialog.device.setCurrentIndex(dialog.device.findData("cpu"))
    events: list[str] = []
    jobs.manager.jobEvent.connect(lambda _job, event: events.append(event.type))
    dialog.start_button.click()
    assert not dialog.isVisible()
    job = jobs.monitor.selected_job()
    assert job is not None and not jobs.dock.isHidden()
    wait_finished(qtbot, job)

    assert job.status == "done", job.message
    assert {"start", "step", "epoch", "metrics", "done"} <= set(events)
    assert job.progress == 1.0 and len(job.epochs) == 1
    assert job.output_model in library_paths(library)
    assert not (job.folder / "partial").exists()
    chooser = inference.panel.chooser
    assert "smoke" in [chooser.itemData(i) for i in range(chooser.count())]  # listed at once
    prediction = Predictor.from_path(job.output_model, "cpu").predict_path(
        ptbxl_root / "records100" / "00000" / "00001_lr")
    assert prediction.classes == ("NORM", "MI", "STTC", "CD", "HYP") and prediction.probs.shape == (5,)
    row = JobHistory(jobs.db).rows()[-1]
    assert (row.status, row.output_model) == ("done", job.output_model) and row.finished_at
    jobs.window.resize(1300, 800)
    jobs.monitor.grab().save(str(tmp_path / "monitor.png"))

    spec = job.spec.copy()  # fine-tune the head of the model just trained
    spec.config["finetune"] = {"parent": job.output_model, "mode": "head", "backbone_lr_scale": 0.1}
    tuned = jobs.submit(spec)
    wait_finished(qtbot, tuned)
    assert tuned.status == "done", tuned.message
    assert tuned.output_model in library_paths(library)
    assert load_card(tuned.output_model).parent is not None


def test_cancel_stops_the_engine_registers_nothing_and_leaves_no_model(jobs, library, qtbot, ptbxl_root, tmp_path):
    config = tiny_config(ptbxl_root, tmp_path / "unused", train={"epochs": 40, "batch_size": 16, "patience": 0})
    job = jobs.submit(JobSpec(config.to_dict(), title="long run"))
    queued = jobs.submit(JobSpec(config.to_dict(), title="waits for the CPU"))
    assert queued.status == "queued"  # one job per device
    qtbot.waitUntil(lambda: job.progress > 0 and job.pid is not None, timeout=60_000)
    jobs.monitor.select(queued)
    jobs.monitor.cancel_button.click()
    assert queued.status == "cancelled"
    jobs.monitor.select(job)
    jobs.monitor.cancel_button.click()
    wait_finished(qtbot, job, 30_000)

    assert job.status == "cancelled" and job.output_model == ""
    assert gone(job.pid)
    assert library_paths(library) == []
    assert not (job.folder / "partial").exists() and not (job.folder / "run").exists()
    assert not list(job.folder.rglob("*.safetensors"))
    assert [r.status for r in JobHistory(jobs.db).rows()] == ["cancelled", "cancelled"]
    assert jobs.monitor.retry_button.isEnabled()


def test_a_config_the_engine_refuses_fails_with_the_engine_message(jobs, library, qtbot, ptbxl_root, tmp_path):
    # PTB-XL records hold no CPSC2018 code: valid to the form, refused by the engine when it reads the data
    config = tiny_config(ptbxl_root, tmp_path / "unused", data={"kind": "cinc", "label_set": "cpsc2018"})
    job = jobs.submit(JobSpec(config.to_dict()))
    wait_finished(qtbot, job)
    assert job.status == "failed"
    assert "no record has a label of the 'cpsc2018' set" in job.message
    assert job.message in jobs.monitor.title.text()
    assert library_paths(library) == [] and not list(job.folder.rglob("*.safetensors"))


def test_the_dialog_shows_each_problem_beside_its_field_and_starts_nothing(jobs, qtbot, tmp_path):
    dialog = jobs.open_dialog()
    dialog.path.setText(str(tmp_path / "missing"))
    dialog.name.setText("bad name!")
    dialog.lr.setText("fast")
    dialog.kind.setCurrentIndex(1)  # HPO
    dialog.start_button.click()
    assert dialog.isVisible() and jobs.manager.jobs == {}
    errors = {key: field.error.text() for key, field in dialog.fields.items() if field.error.isVisibleTo(dialog)}
    assert "no such folder" in errors["data.path"]
    assert "letters, digits" in errors["name"]
    assert "not a number: 'fast'" in errors["optim.lr"]
    dialog.grab().save(str(tmp_path / "dialog.png"))

    dialog.source.setCurrentIndex(2)  # the app's own labelled records: none in this library yet
    assert not dialog.validate()
    assert "no record in the annotation library" in dialog.fields["data.path"].error.text()


def test_hpo_jobs_call_the_engine_search_with_trials_and_storage(tmp_path):
    spec = JobSpec({"name": "m"}, kind="hpo", trials=7, storage="sqlite:///s.db")
    args = job_arguments(spec, tmp_path / "c.toml")
    assert args[-9:] == ["hpo", "--config", str(tmp_path / "c.toml"), "--trials", "7", "--storage",
                         "sqlite:///s.db", "--progress", "jsonl"]


def _run_a_job_then_exit(library: str) -> None:
    history = JobHistory(Database(library))
    history.update(history.add("fit", "closed", JobSpec({"name": "m"}).to_json()), status="running")
    os._exit(0)  # the app dies during the job


def test_history_marks_only_this_workstations_jobs_of_closed_apps_as_failed(tmp_path):
    library = str(tmp_path / "library.sqlite")
    child = multiprocessing.get_context("fork").Process(target=_run_a_job_then_exit, args=(library,))
    child.start()
    child.join(60)
    db = Database(library)
    mine = JobHistory(db)  # this app, still running its job
    mine.update(mine.add("fit", "alive", "{}"), status="running")
    with db.transaction() as conn:  # a job another workstation of a shared library runs, and one from before
        conn.execute("INSERT INTO jobs (kind, title, spec_json, status, created_at, host, pid, process_start)"
                     " VALUES ('fit', 'elsewhere', '{}', 'running', 'now', 'another-workstation', ?, NULL)",
                     (os.getpid(),))
        conn.execute("INSERT INTO jobs (kind, title, spec_json, status, created_at) VALUES"
                     " ('fit', 'old', '{}', 'running', 'now')")
    rows = {row.title: row for row in JobHistory(db).rows()}  # another start on this workstation
    assert rows["closed"].status == "failed" and "closed" in rows["closed"].message
    assert rows["closed"].host == socket.gethostname() and rows["closed"].pid == child.pid
    assert (rows["alive"].status, rows["elsewhere"].status) == ("running", "running")
    assert rows["old"].status == "failed"  # a library file's jobs from before were this workstation's


