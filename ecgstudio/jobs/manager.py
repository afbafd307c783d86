"""The job queue: submits, starts, cancels and retries jobs, records them, and registers finished models.

One job runs at a time per device (two trainings on one GPU or on the shared CPU cores only slow each
other down and risk running out of memory); the others wait as ``queued``. Each job gets a folder
under ``jobs_dir``: its config, its log, the exported annotation manifest when it trains on the app's
labels, and — only if it succeeds — the run folder with the model. A finished model is added to the
model library at once; a cancelled or failed one registers nothing.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PySide6.QtCore import QCoreApplication, QObject, Qt, QThread, Signal

from ecgstudio.jobs.annotated import export_labelled
from ecgstudio.jobs.history import JobHistory
from ecgstudio.jobs.runner import EngineWorker
from ecgstudio.jobs.spec import ANNOTATIONS, JobSpec, job_arguments, queue_key
from ecgstudio.store.db import Database
from training.errors import ECGError
from training.progress import Event

QUEUED, RUNNING, DONE, FAILED, CANCELLED = "queued", "running", "done", "failed", "cancelled"
FINISHED = (DONE, FAILED, CANCELLED)


@dataclass
class Job:
    """A job as the monitor shows it: status, progress and what the engine reported so far."""

    id: int
    spec: JobSpec
    folder: Path
    status: str = QUEUED
    message: str = ""
    output_model: str = ""
    pid: int | None = None
    progress: float = 0.0
    eta_s: float | None = None
    started: dict[str, Any] = field(default_factory=dict)
    epochs: list[dict[str, Any]] = field(default_factory=list)
    trials: list[dict[str, Any]] = field(default_factory=list)
    log: list[str] = field(default_factory=list)

    @property
    def log_path(self) -> Path:
        return self.folder / "job.log"

    @property
    def device_key(self) -> str:
        return self.spec.device


class JobManager(QObject):
    jobAdded = Signal(object)
    #: status, progress, message or output of a job changed
    jobChanged = Signal(object)
    #: (job, training.progress.Event) for every engine event, after the job's state took it in
    jobEvent = Signal(object, object)
    #: (job, log line) for every line added to a job's log
    jobLog = Signal(object, str)

    def __init__(self, db: Database, library: Any, jobs_dir: Path, cuda_devices: int = 0,
                 kill_after_s: float = 10.0, parent: QObject | None = None):
        super().__init__(parent)
        self.db = db
        self.history = JobHistory(db)
        self.library = library
        self.jobs_dir = Path(jobs_dir)
        self.cuda_devices = cuda_devices
        self.kill_after_s = kill_after_s
        self.jobs: dict[int, Job] = {}
        self._workers: dict[int, tuple[QThread, EngineWorker]] = {}
        for row in self.history.rows():  # past jobs, for the monitor and for retry
            self.jobs[row.id] = Job(row.id, JobSpec.from_json(row.spec_json), Path(row.folder or jobs_dir),
                                    row.status, row.message, row.output_model or "",
                                    progress=1.0 if row.status == DONE else 0.0)

    # ------------------------------------------------------------------ public
    def submit(self, spec: JobSpec) -> Job:
        """Record the job, prepare its folder and config, and start it when its device is free."""
        spec = spec.copy()
        spec.config["device"] = queue_key(spec.device, self.cuda_devices)
        job_id = self.history.add(spec.kind, spec.title or spec.name, spec.to_json())
        job = Job(job_id, spec, self.jobs_dir / f"job-{job_id:05d}")
        self.jobs[job_id] = job
        self.history.update(job_id, folder=str(job.folder), log_path=str(job.log_path))
        self.jobAdded.emit(job)
        try:
            self._prepare(job)
        except (ECGError, OSError) as exc:
            self._finish(job, FAILED, f"cannot prepare the job: {exc}")
            return job
        self._pump()
        return job

    def cancel(self, job: Job) -> None:
        """A queued job is dropped; a running one is asked to stop (then killed, see :mod:`runner`)."""
        if job.status == QUEUED:
            self._finish(job, CANCELLED, "cancelled before it started")
        elif job.status == RUNNING and job.id in self._workers:
            job.message = "cancelling…"
            self.jobChanged.emit(job)
            self._workers[job.id][1].cancel()

    def retry(self, job: Job) -> Job:
        """The same job again, as a new entry in the history."""
        return self.submit(job.spec)

    def running(self) -> list[Job]:
        return [self.jobs[i] for i in self._workers]

    def shutdown(self, timeout_ms: int = 15000) -> None:
        """Cancel every job and wait for the engines to end, so no child outlives the app."""
        for job in list(self.jobs.values()):
            self.cancel(job)
        for thread, _worker in list(self._workers.values()):
            thread.wait(timeout_ms)
        QCoreApplication.sendPostedEvents(self)  # record the outcomes the workers just reported

    # ------------------------------------------------------------------ internals
    def _prepare(self, job: Job) -> None:
        from training.config import RunConfig, save_config

        config = dict(job.spec.config)
        job.folder.mkdir(parents=True, exist_ok=False)
        if job.spec.source == ANNOTATIONS:
            data = export_labelled(self.db, job.folder / "data")
            config["data"] = {**config["data"], "path": str(data), "kind": "auto"}
        config["output"] = str(job.folder / "partial")
        save_config(RunConfig.from_dict(config), job.folder / "config.toml")

    def _pump(self) -> None:
        busy = {self.jobs[i].device_key for i in self._workers}
        for job in sorted(self.jobs.values(), key=lambda j: j.id):
            if job.status == QUEUED and job.device_key not in busy:
                busy.add(job.device_key)
                self._start(job)

    def _start(self, job: Job) -> None:
        args = job_arguments(job.spec, job.folder / "config.toml")
        worker = EngineWorker(job.id, args, job.log_path, job.folder / "partial", job.folder / "run",
                              self.kill_after_s)
        thread = QThread(self)
        worker.moveToThread(thread)
        thread.started.connect(worker.run)
        worker.started.connect(self._on_started)
        worker.event.connect(self._on_event)
        worker.log.connect(self._on_log)
        worker.finished.connect(self._on_finished)
        worker.finished.connect(thread.quit, Qt.DirectConnection)  # quit is thread-safe; no GUI round trip
        self._workers[job.id] = (thread, worker)
        job.status = RUNNING
        self.history.update(job.id, status=RUNNING)
        self.jobChanged.emit(job)
        thread.start()

    def _on_started(self, job_id: int, pid: int) -> None:
        self.jobs[job_id].pid = pid

    def _on_log(self, job_id: int, line: str) -> None:
        job = self.jobs[job_id]
        job.log.append(line)
        self.jobLog.emit(job, line)

    def _on_event(self, job_id: int, event: Event) -> None:
        job = self.jobs[job_id]
        kind = event.type
        if kind == "start":
            job.started = event.fields
        elif kind == "step":
            job.progress, job.eta_s = _step_progress(job, event), _finite(event.get("eta_s"))
        elif kind == "epoch":
            job.epochs.append(event.fields)
        elif kind == "trial":
            job.trials.append(event.fields)
            job.progress = len(job.trials) / max(int(job.spec.trials), 1)
        line = describe_event(event)
        if line:
            self._on_log(job_id, line)
        self.jobEvent.emit(job, event)

    def _on_finished(self, job_id: int, status: str, message: str, model: str) -> None:
        thread, worker = self._workers.pop(job_id)
        thread.wait()
        worker.deleteLater()
        thread.deleteLater()
        job = self.jobs[job_id]
        if status == DONE and model:
            try:
                entry = self.library.add(model) if self.library is not None else None
            except Exception as exc:  # the model is trained and kept in the job folder; say why it is not listed
                status, message = FAILED, f"trained, but the model library refused it: {exc} (model kept at {model})"
            else:
                model = str(getattr(entry, "path", model))
        self._finish(job, status, message, model if status == DONE else "")
        self._pump()

    def _finish(self, job: Job, status: str, message: str, model: str = "") -> None:
        job.status, job.message, job.output_model = status, message, model
        if status == DONE:
            job.progress, job.eta_s = 1.0, 0.0
        self.history.update(job.id, status=status, message=message, output_model=model or None)
        self.jobChanged.emit(job)


def _finite(value: Any) -> float | None:
    return float(value) if isinstance(value, (int, float)) and math.isfinite(value) else None


def _step_progress(job: Job, event: Event) -> float:
    """Share of all training steps done; HPO jobs count finished trials instead."""
    if job.spec.kind != "fit":
        return job.progress
    epochs = int(job.started.get("epochs") or 1)
    steps = int(event.get("steps") or 1)
    return min(((int(event.get("epoch", 1)) - 1) * steps + int(event.get("step", 0))) / (epochs * steps), 1.0)


def describe_event(event: Event) -> str | None:
    """A log line for the events a researcher reads (steps are shown by the progress bar instead)."""
    kind = event.type
    if kind == "start":
        return (f"started on {event.get('device')}: {event.get('train_records')} training and "
                f"{event.get('val_records')} validation records, {event.get('epochs')} epochs of "
                f"{event.get('steps_per_epoch')} steps")
    if kind == "epoch":
        metrics = " ".join(f"{k}={v:.4f}" for k, v in event.fields.items()
                           if k.startswith(("train_loss", "val_")) and isinstance(v, float))
        return f"epoch {event.get('epoch')}/{event.get('epochs')}: {metrics} (best epoch {event.get('best_epoch')})"
    if kind == "trial":
        value = event.get("value")
        shown = f"{value:.4f}" if isinstance(value, float) else "—"
        return f"trial {event.get('number')}: {event.get('state')} value={shown} {event.get('params')}"
    if kind in ("done", "error", "cancelled"):
        detail = event.get("model") or event.get("best_config") or event.get("message") or ""
        return f"{kind}: {detail}".rstrip(": ")
    return None
