"""The reading-study panel: pick a study, read it blinded, see progress and agreement, export, adjudicate.

A thin view over :class:`StudyStore`; the controller connects its signals to the window (open a record,
blind the annotation panel, start a fine-tune). Agreement is recomputed on demand (a 1,000-record study
takes well under a second, see benchmarks/RESULTS.md), not on every keystroke.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QCheckBox, QComboBox, QFileDialog, QGroupBox, QHBoxLayout, QLabel, QPushButton,
                               QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget)

from ecgstudio.store.errors import LibraryError
from ecgstudio.studies.agreement import IntervalAgreement, LabelAgreement
from ecgstudio.studies.report import write_csv, write_html
from ecgstudio.studies.store import Study, StudyError, StudyStore


def _table(headers: list[str]) -> QTableWidget:
    table = QTableWidget(0, len(headers))
    table.setHorizontalHeaderLabels(headers)
    table.setEditTriggers(QTableWidget.NoEditTriggers)
    table.verticalHeader().hide()
    table.horizontalHeader().setStretchLastSection(True)
    return table


def _fill(table: QTableWidget, rows: list[list[str]]) -> None:
    table.setRowCount(len(rows))
    for r, row in enumerate(rows):
        for c, text in enumerate(row):
            table.setItem(r, c, QTableWidgetItem(text))
    table.resizeColumnsToContents()


class StudiesPanel(QWidget):
    """Studies of the library; ``reader`` is who is annotating (their progress, their blinding)."""

    blindingChanged = Signal(bool)        # read the current study blinded (annotation panel shows own labels only)
    openRecord = Signal(str)              # record key to show in the window
    adjudicateRequested = Signal(object)  # Study
    newStudyRequested = Signal()
    fineTuneRequested = Signal(object)    # Study

    def __init__(self, store: StudyStore, reader: str = "", parent: QWidget | None = None):
        super().__init__(parent)
        self.store = store
        self.reader = reader
        self.current_record: str | None = None
        self.agreement: list[LabelAgreement] = []
        self.intervals: list[IntervalAgreement] = []
        self.chooser = QComboBox()
        self.chooser.currentIndexChanged.connect(lambda _i: self.refresh())
        new = QPushButton("New study…", clicked=self.newStudyRequested)
        self.blind = QCheckBox("Read blinded (show only my labels)")
        self.blind.toggled.connect(self.blindingChanged)
        self.finish_button = QPushButton("Finished this record → next", clicked=self.finish_current)
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.progress = _table(["Reader", "Finished", "Of"])
        self.agreement_table = _table(["Label", "Prevalence", "Fleiss' κ (95 % CI)", "Cohen's κ per pair",
                                       "Disagreements"])
        self.compute_button = QPushButton("Compute agreement", clicked=self.compute_agreement)
        self.csv_button = QPushButton("Export CSV…", clicked=lambda: self.export("csv"))
        self.html_button = QPushButton("Export HTML…", clicked=lambda: self.export("html"))
        self.adjudicate_button = QPushButton("Adjudicate…", clicked=lambda: self._emit_study(self.adjudicateRequested))
        self.finetune_button = QPushButton("Fine-tune on this study's consensus…",
                                           clicked=lambda: self._emit_study(self.fineTuneRequested))
        top = QHBoxLayout()
        top.addWidget(self.chooser, 1)
        top.addWidget(new)
        reading = QGroupBox("Reading")
        reading_layout = QVBoxLayout(reading)
        reading_layout.addWidget(self.blind)
        reading_layout.addWidget(self.finish_button)
        reading_layout.addWidget(self.progress)
        agreement = QGroupBox("Agreement (records every reader finished)")
        agreement_layout = QVBoxLayout(agreement)
        agreement_layout.addWidget(self.agreement_table)
        buttons = QHBoxLayout()
        for button in (self.compute_button, self.csv_button, self.html_button):
            buttons.addWidget(button)
        agreement_layout.addLayout(buttons)
        agreement_layout.addWidget(self.adjudicate_button)
        agreement_layout.addWidget(self.finetune_button)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.message)
        layout.addWidget(reading)
        layout.addWidget(agreement, 1)
        self.reload()

    # -- public API ----------------------------------------------------------------------------------

    def study(self) -> Study | None:
        study_id = self.chooser.currentData()
        return None if study_id is None else self.store.study(study_id)

    def reload(self, select: int | None = None) -> None:
        """Re-read the list of studies (after one was created)."""
        self.chooser.blockSignals(True)
        self.chooser.clear()
        for study in self._guard(self.store.studies) or []:
            self.chooser.addItem(f"{study.name} ({len(study.records)} records, {len(study.readers)} readers)", study.id)
        if select is not None:
            self.chooser.setCurrentIndex(max(0, self.chooser.findData(select)))
        self.chooser.blockSignals(False)
        self.refresh()

    def set_reader(self, reader: str) -> None:
        self.reader = reader
        self.refresh()

    def set_current_record(self, record_key: str | None) -> None:
        self.current_record = record_key
        self.refresh()

    def refresh(self) -> None:
        study = self.study()
        has = study is not None
        for widget in (self.blind, self.finish_button, self.compute_button, self.adjudicate_button,
                       self.finetune_button):
            widget.setEnabled(has)
        self.csv_button.setEnabled(bool(self.agreement))
        self.html_button.setEnabled(bool(self.agreement))
        if not has:
            _fill(self.progress, [])
            return
        progress = self._guard(lambda: self.store.progress(study)) or {}
        _fill(self.progress, [[reader, str(done), str(total)] for reader, (done, total) in progress.items()])
        reading = self.reader in study.readers
        blinded = study.blinded and reading  # a reader of a blinded study cannot unblind themself
        if blinded and not self.blind.isChecked():
            self.blind.setChecked(True)
        self.blind.setEnabled(not blinded)
        self.blind.setToolTip("This study is blinded until an administrator lifts it" if blinded else "")
        in_study = self.current_record in study.records
        self.finish_button.setEnabled(reading and in_study)
        if not reading:
            self._say(f"You ({self.reader or 'no name'}) are not a reader of this study.")

    def finish_current(self) -> None:
        """Mark the open record finished for this reader, then open their next unfinished record."""
        study = self.study()
        if study is None or self.current_record is None:
            return
        if self._guard(lambda: self.store.set_finished(study, self.reader, self.current_record)) is False:
            return
        done = self.store.finished(study).get(self.reader, set())
        remaining = [key for key in study.records if key not in done]
        self._say(f"{len(done)} of {len(study.records)} finished." + ("" if remaining else " All done, thank you."))
        self.refresh()
        if remaining:
            self.openRecord.emit(remaining[0])

    def compute_agreement(self) -> list[LabelAgreement]:
        study = self.study()
        if study is None:
            return []
        self.agreement = self._guard(lambda: self.store.agreement(study)) or []
        self.intervals = self._guard(lambda: self.store.interval_agreements(study)) or []
        _fill(self.agreement_table, [
            [a.label, f"{a.prevalence:.2f}" if a.n_records else "–", a.fleiss.text(),
             "; ".join(f"{x}–{y}: {k.text()}" for (x, y), k in a.pairs.items()), str(len(a.disagreements))]
            for a in self.agreement] + [
            [f"{i.label} (marks)", "", "", "; ".join(f"{x}–{y}: overlap {v:.2f}" for (x, y), v in i.pairs.items()
                                                     if v == v), ""] for i in self.intervals])
        n = self.agreement[0].n_records if self.agreement else 0
        self._say(f"Agreement over {n} record(s) finished by every reader.")
        self.refresh()
        return self.agreement

    def export(self, kind: str, path: str | None = None) -> None:
        study = self.study()
        if study is None or not self.agreement:
            return
        if path is None:
            path, _ = QFileDialog.getSaveFileName(self, "Export agreement", f"{study.name}-agreement.{kind}",
                                                  "CSV (*.csv)" if kind == "csv" else "HTML (*.html)")
        if path:
            writer = write_csv if kind == "csv" else write_html
            self._guard(lambda: writer(path, study.name, self.agreement, self.intervals))
            self._say(f"Wrote {path}")

    # -- internals -----------------------------------------------------------------------------------

    def _emit_study(self, signal) -> None:
        study = self.study()
        if study is not None:
            signal.emit(study)

    def _guard(self, call):
        """Run a store call; a refusal or a library problem is shown here, never raised out of a slot."""
        try:
            result = call()
        except (StudyError, LibraryError, OSError) as exc:
            self._say(getattr(exc, "reason", None) or str(exc), error=True)
            return False
        return True if result is None else result

    def _say(self, text: str, error: bool = False) -> None:
        self.message.setStyleSheet(f"color: {'#b00020' if error else '#1d4f91'};")
        self.message.setText(text)
        self.message.setAlignment(Qt.AlignLeft)
