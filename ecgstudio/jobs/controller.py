"""Wires training jobs into the host window: the "Train / fine-tune…" menu entry, the dialog, the monitor dock.

Kept out of ``main_window`` like the annotation feature, so the window stays a layout of views and jobs
can be attached (or not, when the library file cannot be opened) in one call. The job history lives in
the shared library file; finished models join the context's model library.
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import Any

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import QMessageBox

from ecgstudio.jobs.annotated import labelled_records
from ecgstudio.jobs.manager import Job, JobManager
from ecgstudio.jobs.monitor import JobMonitor
from ecgstudio.jobs.spec import JobSpec
from ecgstudio.store.db import Database
from ecgstudio.store.errors import LibraryError


def cuda_devices() -> list[tuple[str, str]]:
    """(label, device) for each GPU torch can see (imports torch: called when a job is first set up)."""
    import torch

    return [(f"GPU {i}: {torch.cuda.get_device_name(i)}", f"cuda:{i}") for i in range(torch.cuda.device_count())]


class JobsController(QObject):
    """Owns the job manager and monitor of one main window."""

    def __init__(self, window, db: Database, library: Any, jobs_dir: Path):
        super().__init__(window)
        self.window = window
        self.db = db
        self.library = library
        self.manager = JobManager(db, library, jobs_dir, parent=self)
        self.monitor = JobMonitor(self.manager)
        self.dock = window.add_panel("Training jobs", "jobsDock", self.monitor, Qt.BottomDockWidgetArea)
        self.dock.hide()
        self.dialog = None  # the JobDialog last opened
        self._build_menu()
        window.installEventFilter(self)

    @cached_property
    def devices(self) -> list[tuple[str, str]]:
        """The GPUs jobs can run on, asked of torch the first time a job is set up (not at start-up)."""
        devices = cuda_devices()
        self.manager.cuda_devices = len(devices)
        return devices

    def open_dialog(self, spec: JobSpec | None = None):
        """Show the job form (a :class:`~ecgstudio.jobs.dialog.JobDialog`, prefilled from ``spec``, else the
        last job started); a valid "Start" submits it."""
        from ecgstudio.jobs.dialog import JobDialog

        models = [(getattr(m, "name", Path(str(getattr(m, "path", m))).stem), str(getattr(m, "path", m)))
                  for m in (self.library.models() if self.library is not None else [])]
        self.dialog = JobDialog(self.window, models, lambda: len(labelled_records(self.db)), self.devices, spec,
                                self.window.settings)
        self.dialog.submitted.connect(self.submit)
        self.dialog.open()
        return self.dialog

    def submit(self, spec: JobSpec) -> Job:
        _ = self.devices  # the queue needs the GPU count
        job = self.manager.submit(spec)
        self.dock.show()
        self.dock.raise_()
        self.monitor.select(job)
        return job

    def shutdown(self) -> None:
        """Stop every job (gracefully, then by force) so no engine process outlives the window."""
        self.manager.shutdown()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.window and event.type() == QEvent.Close:
            self.shutdown()
        return False

    def _build_menu(self) -> None:
        menu = self.window.menu("&Model")  # the inference feature's menu
        menu.addSeparator()
        menu.addAction("&Train / fine-tune…", lambda: self.open_dialog())
        menu.addAction(self.dock.toggleViewAction())


def attach_jobs(host, database_or_path: Database | str | Path | None = None, library: Any = None
                ) -> JobsController | None:
    """Wire training jobs into ``host``: history in the shared library file (or ``database_or_path``),
    finished models into the context's model library (or ``library``).

    Jobs live in a ``jobs`` folder beside the library file. A file that cannot be opened is reported,
    and the app runs without training.
    """
    context = host.context
    if isinstance(database_or_path, (str, Path)):
        context.use_library(database_or_path)
    try:
        db = database_or_path if isinstance(database_or_path, Database) else context.database()
        return JobsController(host, db, library if library is not None else context.models, db.workdir / "jobs")
    except (LibraryError, OSError) as exc:
        QMessageBox.warning(host, "Training unavailable", f"Cannot open the job history: {exc}")
        return None
