"""The library panel: filter box, diagnosis filter, the record table, and the scan that fills it.

Opening a folder lists records from their headers only, in a worker thread, so a folder of
thousands of records fills in while the window stays responsive.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from PySide6.QtCore import QItemSelectionModel, Qt, Signal
from PySide6.QtWidgets import (QAbstractItemView, QComboBox, QHeaderView, QLabel, QLineEdit, QTableView,
                               QVBoxLayout, QWidget)

from ecgstudio.library.model import (ANNOTATIONS, DATASET, DIAGNOSIS, DURATION, ENTRY_ROLE, FS, LEADS, RECORD,
                                     LibraryFilter, LibraryModel)
from ecgstudio.library.scan import LibraryEntry, scan
from ecgstudio.workers import Task

ALL_DIAGNOSES = "All diagnoses"
#: Columns left to right as shown.
VISUAL_ORDER = (RECORD, ANNOTATIONS, DIAGNOSIS, FS, DURATION, LEADS, DATASET)
#: Diagnoses are elided beyond this (the tooltip has them all).
DIAGNOSIS_WIDTH_PX = 220


class LibraryPanel(QWidget):
    #: the user (or a next/previous key) selected a record
    recordSelected = Signal(object)
    #: a scan ended; the number of records listed
    scanFinished = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = LibraryModel()
        self.proxy = LibraryFilter()
        self.proxy.setSourceModel(self.model)
        self.root: Path | None = None
        self.scanning = False
        self._task: Task | None = None
        self._select_when_listed: str | None = None

        self.text_filter = QLineEdit(placeholderText="Filter: name, diagnosis, 500 Hz, 10 s, >5 min…",
                                     clearButtonEnabled=True)
        self.text_filter.textChanged.connect(self._filter_changed)
        self.diagnosis_filter = QComboBox()
        self.diagnosis_filter.addItem(ALL_DIAGNOSES)
        self.diagnosis_filter.currentIndexChanged.connect(self._filter_changed)
        self.table = QTableView()
        self.table.setModel(self.proxy)
        self.table.setSelectionBehavior(QAbstractItemView.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.NoEditTriggers)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(-1, Qt.AscendingOrder)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(22)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.Interactive)
        header.setStretchLastSection(False)
        for column, width in enumerate((84, 70, 40, 76, 40, DIAGNOSIS_WIDTH_PX, 90)):
            self.table.setColumnWidth(column, width)
        # what a reader looks for first sits first: a narrow panel hid the diagnosis and the
        # annotation status off its right edge (the model's column order is unchanged)
        for visual, column in enumerate(VISUAL_ORDER):
            header.moveSection(header.visualIndex(column), visual)
        self.table.selectionModel().currentRowChanged.connect(self._current_changed)
        self.summary = QLabel()
        self.summary.setStyleSheet("color: #555;")

        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.text_filter)
        layout.addWidget(self.diagnosis_filter)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.summary)

    # ------------------------------------------------------------ opening
    def open_path(self, path: Path, select_key: str | None = None) -> None:
        """List the record ``path`` or every record below the folder ``path`` (in the background);
        then select ``select_key`` if listed, else the first record."""
        self.cancel_scan()
        self.root = Path(path)
        self.model.clear()
        self._select_when_listed = select_key
        self.scanning = True
        root = self.root
        self._task = Task(lambda task: scan(root, task.progress.emit, task.is_cancelled))
        self._task.progress.connect(self._on_batch)
        self._task.done.connect(self._on_scanned)
        self._task.failed.connect(self._on_scan_failed)
        self._task.start()
        self._update_summary()

    def cancel_scan(self) -> None:
        if self._task is not None:
            self._task.cancel()
            self._task, self.scanning = None, False

    def _on_batch(self, entries: list[LibraryEntry]) -> None:
        if self.sender() is not self._task:
            return  # a cancelled scan's last batch
        self.model.append(entries)
        if self.current_entry() is None:
            wanted = self._select_when_listed
            if wanted is None or any(e.key == wanted for e in entries):
                self.select_key(wanted or entries[0].key)
        self._update_summary()

    def _on_scanned(self, count: int) -> None:
        if self.sender() is not self._task:
            return
        self._task, self.scanning = None, False
        if self.current_entry() is None and self.model.entries:
            self.select_key(self.model.entries[0].key)
        self._refill_diagnoses()
        self._update_summary()
        self.scanFinished.emit(count)

    def _on_scan_failed(self, exc: Exception) -> None:
        if self.sender() is not self._task:
            return
        self._task, self.scanning = None, False
        self.summary.setText(f"Cannot list {self.root}: {exc}")
        self.scanFinished.emit(len(self.model.entries))

    # ------------------------------------------------------------ selection
    def current_entry(self) -> LibraryEntry | None:
        index = self.table.selectionModel().currentIndex()
        return index.data(ENTRY_ROLE) if index.isValid() else None

    def select_key(self, key: str) -> bool:
        row = self.model.row_of(key)
        if row is None:
            return False
        index = self.proxy.mapFromSource(self.model.index(row, RECORD))
        if not index.isValid():  # filtered out: show it anyway rather than silently not opening it
            self.text_filter.clear()
            self.diagnosis_filter.setCurrentIndex(0)
            index = self.proxy.mapFromSource(self.model.index(row, RECORD))
        self.table.selectionModel().setCurrentIndex(
            index, QItemSelectionModel.ClearAndSelect | QItemSelectionModel.Rows)
        self.table.scrollTo(index)
        return True

    def select_next(self, step: int) -> bool:
        """Move the selection ``step`` rows down (negative: up) among the rows shown."""
        current = self.table.selectionModel().currentIndex()
        row = current.row() + step if current.isValid() else 0
        if not 0 <= row < self.proxy.rowCount():
            return False
        self.table.selectionModel().setCurrentIndex(
            self.proxy.index(row, RECORD), QItemSelectionModel.ClearAndSelect | QItemSelectionModel.Rows)
        self.table.scrollTo(self.proxy.index(row, RECORD))
        return True

    def _current_changed(self, current, _previous) -> None:
        if current.isValid():
            self.recordSelected.emit(current.data(ENTRY_ROLE))

    # ------------------------------------------------------------ hooks
    def set_annotation_status(self, key: str, text: str) -> None:
        """Fill the "Annotations" column for the record ``key`` (see ``record_key``)."""
        self.model.set_annotation_status(key, text)

    def mark_error(self, key: str, reason: str) -> None:
        self.model.mark_error(key, reason)
        self._update_summary()

    # ------------------------------------------------------------ filters
    def _filter_changed(self) -> None:
        self.proxy.set_text(self.text_filter.text())
        choice = self.diagnosis_filter.currentData()
        self.proxy.set_diagnosis(choice)
        self._update_summary()

    def _refill_diagnoses(self) -> None:
        counts = Counter(d for entry in self.model.entries for d in entry.diagnoses)
        chosen = self.diagnosis_filter.currentData()
        self.diagnosis_filter.blockSignals(True)
        self.diagnosis_filter.clear()
        self.diagnosis_filter.addItem(ALL_DIAGNOSES, None)
        for diagnosis, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
            self.diagnosis_filter.addItem(f"{diagnosis} — {n}", diagnosis)
        self.diagnosis_filter.setCurrentIndex(max(self.diagnosis_filter.findData(chosen), 0))
        self.diagnosis_filter.blockSignals(False)
        self.table.resizeColumnToContents(RECORD)
        self.table.setColumnWidth(DIAGNOSIS, max(self.table.columnWidth(DIAGNOSIS), DIAGNOSIS_WIDTH_PX))

    def _update_summary(self) -> None:
        total = len(self.model.entries)
        errors = sum(1 for e in self.model.entries if self.model.error_of(e))
        shown = self.proxy.rowCount()
        text = f"{shown} of {total} records" if shown != total else f"{total} records"
        if errors:
            text += f" · {errors} cannot be opened"
        if self.scanning:
            text += " · listing…"
        self.summary.setText(text)
