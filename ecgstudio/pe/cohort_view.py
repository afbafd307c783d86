"""The cohort comparison window: a cohort CSV, a model and a class in; accuracy, tests and ROC out.

The run (predicting every record, then the bootstrap) happens in a worker thread with a progress bar
and a Cancel button; the engine's :func:`run_cohort` does the work, so the numbers are the CLI's. A
SYNTHETIC cohort (the demo) puts a red banner over everything, including the exported files' names.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from PySide6.QtCore import QSettings, Qt, Signal
from PySide6.QtWidgets import (QComboBox, QFileDialog, QFormLayout, QHBoxLayout, QLabel, QLineEdit, QProgressBar,
                               QPushButton, QSpinBox, QSplitter, QVBoxLayout, QWidget)

from ecgstudio.pe.cohort_results import ComparisonTables, RocPlot
from ecgstudio.pe.form_view import ERROR_INK
from ecgstudio.pe.results_view import is_pe_class
from ecgstudio.workers import Task
from training.clinical.cohort import CohortError, load_cohort
from training.clinical.cohort_run import CohortCancelled, CohortRun, run_cohort, write_reports
from training.clinical.demo import write_demo_cohort
from training.clinical.errors import ClinicalInputError
from training.errors import ECGError

SYNTHETIC_BANNER = ("SYNTHETIC DEMO COHORT — criteria and outcomes are simulated and unrelated to these ECGs. "
                    "No clinical conclusion may be drawn.")
_BANNER_STYLE = "background: #c92a2a; color: white; font-weight: bold; padding: 8px; border-radius: 3px;"
_FOLDER_KEY = "pe/cohort_folder"


class CohortView(QWidget):
    """Runs :func:`run_cohort` for the chosen inputs and shows the result."""

    finished = Signal(object)  # CohortRun, or the exception that stopped it

    def __init__(self, settings: QSettings, models=None, records: Callable[[], list[Path]] = list,
                 parent: QWidget | None = None):
        super().__init__(parent, Qt.Window)
        self.setWindowTitle("PE cohort comparison — model vs Wells, PEGeD, YEARS")
        self.resize(1250, 760)
        self.settings = settings
        self.models = models
        self.records = records
        self.run: CohortRun | None = None
        self._task: Task | None = None

        self.banner = QLabel(SYNTHETIC_BANNER, wordWrap=True)
        self.banner.setObjectName("syntheticBanner")
        self.banner.setStyleSheet(_BANNER_STYLE)
        self.banner.hide()
        self.cohort_edit = QLineEdit(placeholderText="cohort CSV (columns: docs/COHORT.md)")
        self.cohort_edit.editingFinished.connect(self._cohort_changed)
        browse = QPushButton("Browse…", clicked=self._browse)
        self.demo_button = QPushButton("Generate demo cohort…", clicked=self.ask_demo)
        self.demo_button.setToolTip("Write a SYNTHETIC cohort: simulated criteria attached to the records of "
                                    "the open folder (for trying this view, not for conclusions)")
        self.model_box = QComboBox()
        self.model_box.currentIndexChanged.connect(self._model_changed)
        self.class_box = QComboBox()
        self.class_box.currentIndexChanged.connect(self._class_changed)
        self.boot = QSpinBox(minimum=100, maximum=20000, singleStep=500, value=2000)
        self.seed = QSpinBox(minimum=0, maximum=2**31 - 1, value=0)
        self.notes = {name: _note() for name in ("cohort", "model", "class", "run")}
        self.run_button = QPushButton("Run comparison", clicked=self.start)
        self.cancel_button = QPushButton("Cancel", clicked=self.cancel, enabled=False)
        self.export_button = QPushButton("Export CSV + HTML…", clicked=self._ask_export, enabled=False)
        self.progress = QProgressBar(textVisible=True)
        self.progress.hide()
        self.tables = ComparisonTables()
        self.roc = RocPlot()
        self._layout(browse)
        if models is not None:
            models.modelsChanged.connect(self._fill_models)
        self._fill_models()

    def _layout(self, browse: QPushButton) -> None:
        cohort_row = QHBoxLayout()
        for widget in (self.cohort_edit, browse, self.demo_button):
            cohort_row.addWidget(widget, 1 if widget is self.cohort_edit else 0)
        boot_row = QHBoxLayout()
        for widget in (self.boot, QLabel("resamples, seed"), self.seed):
            boot_row.addWidget(widget)
        boot_row.addStretch(1)
        form = QFormLayout()
        for text, field, note in (("Cohort", cohort_row, "cohort"), ("Model", self.model_box, "model"),
                                  ("Class", self.class_box, "class"), ("Bootstrap", boot_row, None)):
            form.addRow(text, _with_note(field, self.notes[note]) if note else field)
        buttons = QHBoxLayout()
        for widget in (self.run_button, self.cancel_button, self.progress):
            buttons.addWidget(widget, 1 if widget is self.progress else 0)
        buttons.addStretch(0)
        buttons.addWidget(self.export_button)
        split = QSplitter(Qt.Horizontal)
        split.addWidget(self.tables)
        split.addWidget(self.roc)
        split.setSizes([860, 390])
        column = QVBoxLayout(self)
        column.addWidget(self.banner)
        column.addLayout(form)
        column.addLayout(buttons)
        column.addWidget(self.notes["run"])
        column.addWidget(split, 1)

    # -- inputs --------------------------------------------------------------------------------------

    def set_cohort(self, path: str | Path) -> None:
        self.cohort_edit.setText(str(path))
        self._cohort_changed()

    def _cohort_changed(self) -> None:
        """Check the file at once, so a schema problem is shown next to the field before any run."""
        text = self.cohort_edit.text().strip()
        self._set_note("cohort", "")
        self.banner.hide()
        if not text:
            return
        try:
            cohort = load_cohort(text)
        except ClinicalInputError as exc:
            self._set_note("cohort", f"⚠ {exc}")
            return
        self.banner.setVisible(cohort.synthetic)
        self._set_note("cohort", f"{len(cohort.records)} patients, {int(cohort.outcome.sum())} with PE confirmed"
                       + (" — SYNTHETIC" if cohort.synthetic else ""), "#52606d")

    def _browse(self) -> None:
        start = self.settings.value(_FOLDER_KEY, str(Path.home()))
        path, _ = QFileDialog.getOpenFileName(self, "Choose a cohort CSV", start, "Cohort CSV (*.csv)")
        if path:
            self.settings.setValue(_FOLDER_KEY, str(Path(path).parent))
            self.set_cohort(path)

    def generate_demo(self, out_dir: Path, seed: int = 0) -> Path | None:
        """Write a SYNTHETIC cohort for the open folder's records and select it."""
        records = self.records()
        if not records:
            self._set_note("cohort", "⚠ open a folder of records first: the demo cohort attaches simulated "
                                     "criteria to them")
            return None
        try:
            path = write_demo_cohort(records, Path(out_dir), seed)
        except OSError as exc:
            self._set_note("cohort", f"⚠ cannot write the demo cohort in {out_dir}: {exc.strerror or exc}")
            return None
        self.set_cohort(path)
        return path

    def ask_demo(self) -> None:
        start = self.settings.value(_FOLDER_KEY, str(Path.home()))
        folder = QFileDialog.getExistingDirectory(self, "Folder for the SYNTHETIC demo cohort", start)
        if folder:
            self.settings.setValue(_FOLDER_KEY, folder)
            self.generate_demo(Path(folder))

    def _fill_models(self) -> None:
        entries = self.models.models() if self.models is not None else []
        self.model_box.blockSignals(True)
        self.model_box.clear()
        for entry in entries:
            self.model_box.addItem(entry.label, entry)
        self.model_box.blockSignals(False)
        self._model_changed()

    def _model_changed(self, *_args) -> None:
        entry = self.model_box.currentData()
        self.class_box.clear()
        if entry is None:
            self._set_note("model", "⚠ no model available: add one in the Models panel")
            self.run_button.setEnabled(False)
            return
        self._set_note("model", "")
        labels = entry.card.labels
        for code, display in zip(labels.classes, labels.display):
            self.class_box.addItem(f"{display} ({code})" if display != code else code, code)
        pe = [c for c, d in zip(labels.classes, labels.display) if is_pe_class(c, d)]
        if pe:
            self.class_box.setCurrentIndex(self.class_box.findData(pe[0]))
        self.run_button.setEnabled(True)

    def _class_changed(self, *_args) -> None:
        code, text = self.class_box.currentData(), self.class_box.currentText()
        if code is None or is_pe_class(code, text):
            self._set_note("class", "")
            return
        self._set_note("class", "This class is not pulmonary embolism: the model was not trained or validated "
                                "for PE, so the comparison shows how an unrelated output fares.", "#9a6700")

    # -- running -------------------------------------------------------------------------------------

    def start(self) -> bool:
        """Run the comparison in the background; False (with the reason beside its field) if inputs are bad."""
        path, entry, cls = self.cohort_edit.text().strip(), self.model_box.currentData(), self.class_box.currentData()
        if not path:
            self._set_note("cohort", "⚠ choose a cohort CSV first")
            return False
        if entry is None or cls is None:
            return False
        boot, seed = self.boot.value(), self.seed.value()
        self._set_note("run", "")
        self._task = Task(lambda task: run_cohort(
            path, entry.path, cls, boot, seed, progress=lambda done, total: task.progress.emit((done, total)),
            cancelled=task.is_cancelled))
        self._task.progress.connect(self._on_progress)
        self._task.done.connect(self._on_done)
        self._task.failed.connect(self._on_failed)
        self._busy(True)
        self._task.start()
        return True

    def cancel(self) -> None:
        if self._task is not None:
            self._task.cancel()

    def _on_progress(self, value: tuple[int, int]) -> None:
        done, total = value
        self.progress.setRange(0, total)
        self.progress.setValue(done)
        self.progress.setFormat(f"predicting record {done} of {total}" if done < total else "bootstrap statistics…")

    def _on_done(self, run: CohortRun) -> None:
        self._busy(False)
        self.run = run
        comparison = run.comparison
        self.banner.setVisible(comparison.cohort.synthetic)
        self.tables.show_comparison(comparison, run.failures)
        self.roc.show_comparison(comparison)
        skipped = f"; {len(run.failures)} record(s) skipped (see the tab)" if run.failures else ""
        self._set_note("run", f"{run.model}, class {comparison.class_name}: {len(comparison.cohort.outcome)} patients "
                              f"compared, {comparison.n_boot} bootstrap resamples, seed {comparison.seed}{skipped}.",
                       "#52606d")
        self.export_button.setEnabled(True)
        self.finished.emit(run)

    def _on_failed(self, exc: Exception) -> None:
        self._busy(False)
        if isinstance(exc, CohortError):
            self._set_note("cohort", f"⚠ {exc}")
        elif isinstance(exc, ClinicalInputError):
            self._set_note("class" if exc.field == "class" else "run", f"⚠ {exc.reason}")
        elif isinstance(exc, CohortCancelled):
            self._set_note("run", f"Cancelled: {exc}", "#52606d")
        elif isinstance(exc, ECGError):
            self._set_note("model", f"⚠ {exc}")
        else:
            self._set_note("run", f"⚠ the comparison failed: {type(exc).__name__}: {exc}")
        self.finished.emit(exc)

    def _busy(self, on: bool) -> None:
        self.progress.setVisible(on)
        self.progress.setRange(0, 0)
        self.run_button.setEnabled(not on)
        self.cancel_button.setEnabled(on)
        if not on:
            self._task = None

    # -- export --------------------------------------------------------------------------------------

    def export(self, out_dir: Path) -> tuple[Path, Path] | None:
        if self.run is None:
            return None
        try:
            paths = write_reports(self.run.comparison, out_dir)
        except OSError as exc:
            self._set_note("run", f"⚠ cannot write the reports in {out_dir}: {exc.strerror or exc}")
            return None
        self._set_note("run", f"Wrote {paths[0].name} and {paths[1].name} in {out_dir}", "#1d7a35")
        return paths

    def _ask_export(self) -> None:
        start = self.settings.value(_FOLDER_KEY, str(Path.home()))
        folder = QFileDialog.getExistingDirectory(self, "Folder for the CSV and HTML reports", start)
        if folder:
            self.export(Path(folder))

    def _set_note(self, name: str, text: str, ink: str = ERROR_INK) -> None:
        note = self.notes[name]
        note.setText(text)
        note.setStyleSheet(f"color: {ink};")
        note.setVisible(bool(text))


def _note() -> QLabel:
    label = QLabel(wordWrap=True)
    label.setTextFormat(Qt.PlainText)
    label.hide()
    return label


def _with_note(field: QWidget | QHBoxLayout, note: QLabel) -> QWidget:
    """A field with its note underneath, so a hidden note leaves no gap in the form."""
    box = QWidget()
    column = QVBoxLayout(box)
    column.setContentsMargins(0, 0, 0, 0)
    column.setSpacing(2)
    if isinstance(field, QHBoxLayout):
        column.addLayout(field)
    else:
        column.addWidget(field)
    column.addWidget(note)
    return box
