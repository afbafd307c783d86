"""The job monitor: every job with its status, and the selected job's progress, curves, trials and log.

Why per-epoch curves and a per-step bar: a step event arrives many times a second, and redrawing plots
that often would cost the window its responsiveness; the bar and its ETA are cheap, the curves change
once per epoch.
"""

from __future__ import annotations

import math

import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (QAbstractItemView, QHBoxLayout, QHeaderView, QLabel, QPlainTextEdit, QProgressBar,
                               QPushButton, QSplitter, QTableWidget, QTableWidgetItem, QTabWidget, QVBoxLayout,
                               QWidget)

from ecgstudio.jobs.manager import FINISHED, QUEUED, RUNNING, Job, JobManager
from training.progress import Event

STATUS_COLOURS = {"queued": "#6b6b6b", "running": "#1b4f8a", "done": "#1e7a34", "failed": "#b00020",
                  "cancelled": "#8a6d1b"}
_COLUMNS = ("#", "Job", "Device", "Status", "Progress")


def eta_text(seconds: float | None) -> str:
    if seconds is None:
        return ""
    seconds = int(round(seconds))
    if seconds >= 3600:
        return f"ETA {seconds // 3600} h {seconds % 3600 // 60:02d} min"
    return f"ETA {seconds // 60} min {seconds % 60:02d} s" if seconds >= 60 else f"ETA {seconds} s"


class JobMonitor(QWidget):
    def __init__(self, manager: JobManager, parent: QWidget | None = None):
        super().__init__(parent)
        self.manager = manager
        self._rows: dict[int, int] = {}
        self.table = QTableWidget(0, len(_COLUMNS))
        self.table.setHorizontalHeaderLabels(_COLUMNS)
        self.table.verticalHeader().hide()
        self.table.setSelectionBehavior(QAbstractItemView.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.NoEditTriggers)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.Stretch)
        self.table.itemSelectionChanged.connect(self._show_selected)

        self.title = QLabel("No job selected", textFormat=Qt.RichText, wordWrap=True)
        self.progress = QProgressBar(textVisible=True)
        self.cancel_button = QPushButton("Cancel", clicked=lambda: self._act(manager.cancel))
        self.retry_button = QPushButton("Retry", clicked=lambda: self._act(manager.retry))
        self.loss_plot = self._plot("Loss", "epoch")
        self.metric_plot = self._plot("Validation metric", "epoch")
        self.trials = QTableWidget(0, 4)
        self.trials.setHorizontalHeaderLabels(("Trial", "State", "Value", "Parameters"))
        self.trials.horizontalHeader().setStretchLastSection(True)
        self.trials.verticalHeader().hide()
        self.trials.setEditTriggers(QAbstractItemView.NoEditTriggers)
        self.log = QPlainTextEdit(readOnly=True)
        self.log.setMaximumBlockCount(5000)
        self.log.setStyleSheet("font-family: monospace; font-size: 11px;")

        curves = QWidget()
        plots = QHBoxLayout(curves)
        plots.setContentsMargins(0, 0, 0, 0)
        plots.addWidget(self.loss_plot)
        plots.addWidget(self.metric_plot)
        self.tabs = QTabWidget()
        self.tabs.addTab(curves, "Curves")
        self.tabs.addTab(self.trials, "Trials")
        self.tabs.addTab(self.log, "Log")
        bar = QHBoxLayout()
        bar.addWidget(self.progress, 1)
        bar.addWidget(self.cancel_button)
        bar.addWidget(self.retry_button)
        details = QWidget()
        column = QVBoxLayout(details)
        column.setContentsMargins(4, 0, 0, 0)
        column.addWidget(self.title)
        column.addLayout(bar)
        column.addWidget(self.tabs, 1)
        splitter = QSplitter(Qt.Horizontal)
        splitter.addWidget(self.table)
        splitter.addWidget(details)
        splitter.setSizes([360, 640])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addWidget(splitter)

        manager.jobAdded.connect(self._job_added)
        manager.jobChanged.connect(self._job_changed)
        manager.jobEvent.connect(self._job_event)
        manager.jobLog.connect(self._job_log)
        for job in sorted(manager.jobs.values(), key=lambda j: j.id):
            self._job_added(job, select=False)
        self._show_selected()

    @staticmethod
    def _plot(title: str, xlabel: str) -> pg.PlotWidget:
        plot = pg.PlotWidget(background="w")
        plot.setTitle(title, color="#333", size="10pt")
        plot.setLabel("bottom", xlabel)
        plot.showGrid(x=True, y=True, alpha=0.3)
        plot.addLegend(offset=(-10, 10), labelTextColor="#333")
        plot.setMinimumHeight(160)
        return plot

    # ------------------------------------------------------------------ selection
    def selected_job(self) -> Job | None:
        rows = self.table.selectionModel().selectedRows()
        if not rows:
            return None
        job_id = self.table.item(rows[0].row(), 0).data(Qt.UserRole)
        return self.manager.jobs.get(job_id)

    def select(self, job: Job) -> None:
        self.table.selectRow(self._rows[job.id])

    def _act(self, action) -> None:
        job = self.selected_job()
        if job is not None:
            action(job)

    # ------------------------------------------------------------------ manager signals
    def _job_added(self, job: Job, select: bool = True) -> None:
        row = self.table.rowCount()
        self.table.insertRow(row)
        self._rows[job.id] = row
        for column in range(len(_COLUMNS)):
            self.table.setItem(row, column, QTableWidgetItem())
        self.table.item(row, 0).setData(Qt.UserRole, job.id)
        self._job_changed(job)
        if select:
            self.select(job)

    def _job_changed(self, job: Job) -> None:
        row = self._rows[job.id]
        values = (str(job.id), job.spec.title or job.spec.name, job.device_key, job.status,
                  f"{job.progress:.0%}" if job.status != QUEUED else "")
        for column, value in enumerate(values):
            self.table.item(row, column).setText(value)
        self.table.item(row, 3).setForeground(QColor(STATUS_COLOURS[job.status]))
        self.table.item(row, 1).setToolTip(job.message)
        if job is self.selected_job():
            self._show_status(job)

    def _job_event(self, job: Job, event: Event) -> None:
        kind = event.type
        if kind in ("step", "trial"):
            self.table.item(self._rows[job.id], 4).setText(f"{job.progress:.0%}")
        if job is not self.selected_job():
            return
        if kind == "step":
            self._show_progress(job)
        elif kind == "epoch":
            self._draw_curves(job)
        elif kind == "trial":
            self._add_trial(event)

    def _job_log(self, job: Job, line: str) -> None:
        if job is self.selected_job():
            self.log.appendPlainText(line)

    # ------------------------------------------------------------------ details
    def _show_selected(self) -> None:
        job = self.selected_job()
        self.log.clear()
        self.trials.setRowCount(0)
        if job is None:
            self.title.setText("No job selected — start one with Model ▸ Train / fine-tune…")
            self.progress.setValue(0)
            self.progress.setFormat("")
            for button in (self.cancel_button, self.retry_button):
                button.setEnabled(False)
            self._draw_curves(None)
            return
        self.log.setPlainText("\n".join(job.log))
        for event in job.trials:
            self._add_trial(event)
        self.tabs.setTabVisible(1, job.spec.kind != "fit")
        self._draw_curves(job)
        self._show_status(job)

    def _show_status(self, job: Job) -> None:
        colour = STATUS_COLOURS[job.status]
        text = f"<b>{job.spec.title or job.spec.name}</b> · <span style='color:{colour}'>{job.status}</span>"
        if job.message:
            text += f"<br><span style='color:{colour if job.status == 'failed' else '#444'}'>{job.message}</span>"
        if job.output_model:
            text += f"<br><span style='color:#444'>model: {job.output_model}</span>"
        self.title.setText(text)
        self.cancel_button.setEnabled(job.status in (QUEUED, RUNNING))
        self.retry_button.setEnabled(job.status in FINISHED)
        self._show_progress(job)

    def _show_progress(self, job: Job) -> None:
        self.progress.setValue(int(round(job.progress * 100)))
        eta = eta_text(job.eta_s) if job.status == RUNNING else ""
        self.progress.setFormat(f"%p%  {eta}".strip() if job.status != QUEUED else "waiting for the device")

    def _draw_curves(self, job: Job | None) -> None:
        self.loss_plot.clear()
        self.metric_plot.clear()
        if job is None or not job.epochs:
            return
        x = [e["epoch"] for e in job.epochs]
        step = max(1, math.ceil(len(x) / 10))  # whole epochs only on the axis
        for plot in (self.loss_plot, self.metric_plot):
            plot.getAxis("bottom").setTickSpacing(step, step)
            plot.setXRange(0.5, max(x) + 0.5, padding=0)
        for key, colour, name in (("train_loss", "#1b4f8a", "training"), ("val_loss", "#d9822b", "validation")):
            y = [e.get(key) if e.get(key) is not None else float("nan") for e in job.epochs]
            self.loss_plot.plot(x, y, pen=pg.mkPen(colour, width=2), symbol="o", symbolSize=6,
                                symbolBrush=colour, name=name)
        monitor = job.started.get("monitor", "auroc_macro")
        key = f"val_{monitor}" if f"val_{monitor}" in job.epochs[-1] else "val_auroc_macro"
        y = [e.get(key) if e.get(key) is not None else float("nan") for e in job.epochs]
        self.metric_plot.plot(x, y, pen=pg.mkPen("#1e7a34", width=2), symbol="o", symbolSize=6,
                              symbolBrush="#1e7a34", name=key.removeprefix("val_").replace("_", " "))

    def _add_trial(self, event: Event) -> None:
        row = self.trials.rowCount()
        self.trials.insertRow(row)
        value = event.get("value")
        params = ", ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}"
                           for k, v in (event.get("params") or {}).items())
        for column, text in enumerate((str(event.get("number", row)), str(event.get("state", "")),
                                       f"{value:.4f}" if isinstance(value, (int, float)) else "—", params)):
            self.trials.setItem(row, column, QTableWidgetItem(text))
