"""Adjudication: walk a study's disagreements, see each reader's reading side by side, set the consensus.

Selecting a disagreement opens its record in the window (``openRecord``), where the annotation panel
(not blinded while adjudicating) shows every reader's labels and marks on the ECG; the table here puts
the readers' readings of the disputed label next to each other, with any decision already taken.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (QDialog, QHBoxLayout, QLabel, QLineEdit, QListWidget, QPushButton, QTableWidget,
                               QTableWidgetItem, QVBoxLayout, QWidget)

from ecgstudio.store.errors import LibraryError
from ecgstudio.studies.agreement import Disagreement
from ecgstudio.studies.store import Study, StudyError, StudyStore


class AdjudicationDialog(QDialog):
    openRecord = Signal(str)
    decided = Signal()

    def __init__(self, store: StudyStore, study: Study, adjudicator: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle(f"Adjudicate: {study.name}")
        self.store, self.study, self.adjudicator = store, study, adjudicator
        self.disputes: list[Disagreement] = []
        self.list = QListWidget()
        self.list.currentRowChanged.connect(self._show)
        self.readings = QTableWidget(0, 3)
        self.readings.setHorizontalHeaderLabels(["Reader", "Reading", "Annotation id"])
        self.readings.setEditTriggers(QTableWidget.NoEditTriggers)
        self.readings.verticalHeader().hide()
        self.decision = QLabel()
        self.note = QLineEdit(placeholderText="reason for the decision (optional, audited)")
        self.present_button = QPushButton("Consensus: present", clicked=lambda: self.decide(True))
        self.absent_button = QPushButton("Consensus: absent", clicked=lambda: self.decide(False))
        self.message = QLabel()
        self.message.setWordWrap(True)
        buttons = QHBoxLayout()
        buttons.addWidget(self.present_button)
        buttons.addWidget(self.absent_button)
        right = QVBoxLayout()
        right.addWidget(self.readings, 1)
        right.addWidget(self.decision)
        right.addWidget(self.note)
        right.addLayout(buttons)
        right.addWidget(self.message)
        layout = QHBoxLayout(self)
        layout.addWidget(self.list, 1)
        layout.addLayout(right, 2)
        self.resize(760, 420)
        self.reload()

    def reload(self) -> None:
        try:
            self.decisions = self.store.consensus(self.study, self.adjudicator)  # refused to a blinded reader
            agreement = self.store.agreement(self.study)
        except (StudyError, LibraryError) as exc:
            self.message.setText(str(exc))
            return
        self.disputes = [d for a in agreement for d in a.disagreements]
        row = max(self.list.currentRow(), 0)
        self.list.blockSignals(True)
        self.list.clear()
        for d in self.disputes:
            done = self.decisions.get((d.record_key, d.label))
            mark = f"  ✓ {'present' if done.present else 'absent'}" if done else ""
            self.list.addItem(f"{d.label} on {d.record_key[:12]}…{mark}")
        self.list.blockSignals(False)
        if self.disputes:
            self.list.setCurrentRow(min(row, len(self.disputes) - 1))
            self._show(self.list.currentRow())
        else:
            self.message.setText("No disagreements among the finished records.")

    def decide(self, present: bool) -> None:
        row = self.list.currentRow()
        if not 0 <= row < len(self.disputes):
            return
        d = self.disputes[row]
        try:
            self.store.set_consensus(self.study, d.record_key, d.label, present, self.adjudicator, self.note.text())
        except (StudyError, LibraryError) as exc:
            self.message.setText(getattr(exc, "reason", None) or str(exc))
            return
        self.note.clear()
        self.message.setText(f"{d.label}: consensus {'present' if present else 'absent'} (by {self.adjudicator}).")
        self.decided.emit()
        self.reload()
        undecided = [i for i, x in enumerate(self.disputes) if (x.record_key, x.label) not in self.decisions]
        if undecided:
            self.list.setCurrentRow(next((i for i in undecided if i > row), undecided[0]))

    def _show(self, row: int) -> None:
        if not 0 <= row < len(self.disputes):
            return
        d = self.disputes[row]
        ids = self.store.readings_of(self.study, d.record_key, d.label)
        self.readings.setRowCount(len(d.readings))
        for r, (reader, present) in enumerate(d.readings.items()):
            for c, text in enumerate((reader, "present" if present else "absent", str(ids.get(reader) or "–"))):
                self.readings.setItem(r, c, QTableWidgetItem(text))
        done = self.decisions.get((d.record_key, d.label))
        self.decision.setText(f"Decided {'present' if done.present else 'absent'} by {done.decided_by} at "
                              f"{done.decided_at}" if done else "Not decided yet.")
        self.openRecord.emit(d.record_key)
