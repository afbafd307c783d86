"""The main window: a list of records found under a path and the selected record's leads.

Reading goes through ``training.data``; a record that fails to load is listed with its error and
the window stays up.
"""

from __future__ import annotations

from pathlib import Path

import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (QFileDialog, QListWidget, QListWidgetItem, QMainWindow, QSplitter,
                               QStatusBar)

from training.data import read_record
from training.errors import RecordError


def find_records(path: Path) -> list[Path]:
    """Header files of every record at or below ``path`` (a file, or a folder searched recursively)."""
    if path.is_file():
        return [path.with_suffix(".hea")]
    return sorted(path.rglob("*.hea"))


class MainWindow(QMainWindow):
    def __init__(self) -> None:
        super().__init__()
        self.setWindowTitle("ECG Studio")
        self.resize(1280, 860)
        self.records = QListWidget()
        self.records.currentItemChanged.connect(self._on_select)
        self.plot = pg.GraphicsLayoutWidget()
        self.plot.setBackground("w")
        splitter = QSplitter(Qt.Horizontal)
        splitter.addWidget(self.records)
        splitter.addWidget(self.plot)
        splitter.setSizes([260, 1020])
        self.setCentralWidget(splitter)
        self.setStatusBar(QStatusBar())
        menu = self.menuBar().addMenu("&File")
        menu.addAction("Open &folder…", self._ask_folder, "Ctrl+O")
        menu.addAction("&Quit", self.close, "Ctrl+Q")
        self.current = None

    def open_path(self, path: Path) -> None:
        self.records.clear()
        for header in find_records(Path(path)):
            item = QListWidgetItem(header.stem)
            item.setData(Qt.UserRole, str(header))
            item.setToolTip(str(header))
            self.records.addItem(item)
        self.statusBar().showMessage(f"{self.records.count()} records under {path}")
        if self.records.count():
            self.records.setCurrentRow(0)

    def _ask_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Open a folder of ECG records")
        if folder:
            self.open_path(Path(folder))

    def _on_select(self, item: QListWidgetItem | None) -> None:
        if item is None:
            return
        try:
            record = read_record(item.data(Qt.UserRole))
        except RecordError as exc:
            item.setForeground(Qt.red)
            item.setToolTip(str(exc))
            self.statusBar().showMessage(f"Cannot open: {exc}")
            return
        self.current = record
        self.plot.clear()
        t_max = min(record.duration, 10.0)
        n = int(t_max * record.fs)
        t = [i / record.fs for i in range(n)]
        first = None
        for i, lead in enumerate(record.leads):
            p = self.plot.addPlot(row=i, col=0)
            p.plot(t, record.signal[i, :n], pen=pg.mkPen("k", width=1))
            p.setLabel("left", lead)
            p.hideAxis("bottom") if i < record.n_leads - 1 else p.setLabel("bottom", "time (s)")
            if first is None:
                first = p
            else:
                p.setXLink(first)
        self.statusBar().showMessage(
            f"{record.name}: {record.n_leads} leads, {record.fs:g} Hz, {record.duration:.1f} s")
