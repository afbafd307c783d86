"""Wires model inference and explanations into the main window: two docks, a menu, the heat overlay.

Loading a model, predicting and explaining all run in :class:`~ecgstudio.workers.Task` off the GUI
thread, and so does the signal check behind the dock's caution when a record opens (64 span reads of
a Holter record, 0.2-0.5 s, used to delay its first paint); a run asked for meanwhile, or the run on
open, starts when the check has passed. Loaded predictors are kept per model file, explanations per (record, model, class, settings),
so switching back and forth costs nothing. Results for a record that is no longer shown are dropped.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QFileDialog, QMessageBox, QScrollArea

from ecgstudio.inference.explain_panel import ExplainPanel, predicted_class
from ecgstudio.inference.panel import InferencePanel
from ecgstudio.models.library import ModelEntry, ModelLibrary
from ecgstudio.plot.heat_layer import HeatLayer
from ecgstudio.workers import Task
from training.errors import ECGError
from training.signal.quality import lead_problems

if TYPE_CHECKING:  # the engine (torch, scikit-learn) loads on a worker thread when a model first runs
    from training.explain_record import RecordExplanation
    from training.inference import Prediction, Predictor

MODEL_KEY = "models/current"
AUTORUN_KEY = "models/run_on_open"


def error_text(exc: BaseException) -> str:
    """A sentence for the panel: engine errors carry their reason; anything else is named."""
    if isinstance(exc, ECGError):
        return getattr(exc, "reason", None) or str(exc)
    return f"{type(exc).__name__}: {exc}"


def signal_caution(record) -> str:
    """A caution naming the leads whose samples cannot be an ECG (models refuse them), or ``""``."""
    problems = lead_problems(record) if record is not None else []
    if not problems:
        return ""
    shown = "; ".join(str(p) for p in problems[:3]) + (f"; {len(problems) - 3} more" if len(problems) > 3 else "")
    return f"Caution: {len(problems)} lead(s) are not a usable ECG ({shown}). No model will read them."


def scrolled(widget) -> QScrollArea:
    """The panel in a scroll area, so a short dock scrolls instead of overlapping its rows."""
    area = QScrollArea()
    area.setWidget(widget)
    area.setWidgetResizable(True)
    area.setFrameShape(QScrollArea.NoFrame)
    return area


class InferenceController(QObject):
    #: (record library key, Prediction) after every successful run
    predicted = Signal(str, object)
    #: (record library key, RecordExplanation)
    explained = Signal(str, object)

    def __init__(self, window, library: ModelLibrary) -> None:
        super().__init__(window)
        self.window, self.library = window, library
        self.current_model: ModelEntry | None = None
        self.panel = InferencePanel()
        self.explain_panel = ExplainPanel()
        self.heat = HeatLayer(window.view)
        self.dock = window.add_panel("Model", "modelDock", scrolled(self.panel), Qt.RightDockWidgetArea)
        self.explain_dock = window.add_panel("Explain", "explainDock", self.explain_panel, Qt.RightDockWidgetArea,
                                             beside="modelDock")
        self._predictors: dict[Path, Predictor] = {}
        self._explanations: dict[tuple, RecordExplanation] = {}
        self._key: str | None = None
        self._task: Task | None = None
        self._check_task: Task | None = None  # the open record's signal check, until it reports
        self._run_when_checked = False
        self._explain_task: Task | None = None

        self.panel.on_open.setChecked(window.settings.value(AUTORUN_KEY, False, type=bool))
        self.panel.modelChosen.connect(self.choose_model)
        self.panel.runRequested.connect(self.run)
        self.panel.autoRunChanged.connect(lambda on: window.settings.setValue(AUTORUN_KEY, on))
        self.explain_panel.explainRequested.connect(self.explain)
        self.explain_panel.cancelRequested.connect(self.cancel_explanation)
        self.explain_panel.jumpTo.connect(window.view.show_interval)
        library.modelsChanged.connect(self._models_changed)
        window.context.recordChanged.connect(self._record_changed)
        self._build_menu()
        self._models_changed()

    # ------------------------------------------------------------------ models
    def _models_changed(self) -> None:
        entries = self.library.models()
        wanted = self.current_model.name if self.current_model else self.window.settings.value(MODEL_KEY, "")
        self.panel.set_models(entries, wanted)
        self.panel.set_problems(self.library.problems)
        self.choose_model(self.panel.chooser.currentData() or "")

    def choose_model(self, name: str) -> None:
        entry = self.library.find(name) if name else None
        if entry == self.current_model and entry is not None:
            return
        self.current_model = entry
        self.panel.show_card(entry)
        self.explain_panel.set_classes(entry.card.labels.classes if entry else (),
                                       entry.card.labels.display if entry else ())
        if entry is not None:
            self.window.settings.setValue(MODEL_KEY, entry.name)
        self._reset_results()

    def add_model(self, path: str | Path) -> ModelEntry | None:
        try:
            entry = self.library.add(path)
        except ECGError as exc:
            QMessageBox.warning(self.window, "Cannot add model", error_text(exc))
            return None
        self.panel.chooser.setCurrentIndex(self.panel.chooser.findData(entry.name))
        return entry

    def _predictor(self, entry: ModelEntry) -> Predictor:
        """Runs on a worker thread; a dict assignment is atomic, so the cache needs no lock."""
        from training.inference import Predictor

        if entry.path not in self._predictors:
            self._predictors[entry.path] = Predictor.from_path(entry.path)
        return self._predictors[entry.path]

    # ------------------------------------------------------------------ records
    def _record_changed(self, opened) -> None:
        self._key = opened.key if opened is not None else None
        self.cancel_explanation()
        self._reset_results()
        self._check_task, self._run_when_checked = None, False
        if opened is None:
            return
        self._run_when_checked = self.panel.on_open.isChecked()
        self.panel.status.setText("Checking the signal…")
        record = opened.record
        task = Task(lambda _t: signal_caution(record))
        task.done.connect(lambda caution: self._checked(task, caution))
        task.failed.connect(lambda exc: self._checked(
            task, f"Caution: the signal could not be checked ({error_text(exc)}). No model will read it."))
        self._check_task = task.start()

    def _checked(self, task: Task, caution: str) -> None:
        """The check's caution, shown; a waiting run (asked for, or on open) starts only when it found
        nothing, so no prediction is shown for a record whose caution has not arrived."""
        if task is not self._check_task:
            return  # another record was opened meanwhile
        self._check_task = None
        run, self._run_when_checked = self._run_when_checked, False
        if run and not caution:
            self.run()
            return
        self.panel.clear_result(caution)
        self.panel.run_button.setEnabled(True)  # a run asked for while checking may be asked for again

    def _reset_results(self) -> None:
        self.panel.clear_result("")
        self.explain_panel.clear()
        self.heat.clear()

    def run(self) -> None:
        record, entry, key = self.window.record, self.current_model, self._key
        if record is None or entry is None:
            self.panel.show_error("Open a record and choose a model first.")
            return
        if self._check_task is not None:
            self._run_when_checked = True
            self.panel.set_busy(f"Checking the signal before {entry.name} runs…")
            return
        self.panel.set_busy(f"Running {entry.name}…")
        task = Task(lambda _t: self._predictor(entry).predict(record))
        task.done.connect(lambda pred: self._on_prediction(key, entry, pred))
        task.failed.connect(lambda exc: self._on_failure(key, entry, exc))
        self._task = task.start()

    def _current(self, key: str | None, entry: ModelEntry) -> bool:
        return key == self._key and entry == self.current_model

    def _on_prediction(self, key: str, entry: ModelEntry, prediction: Prediction) -> None:
        if not self._current(key, entry):
            return
        self.panel.show_prediction(prediction)
        self.explain_panel.select_class(predicted_class(prediction.probs, prediction.positive))
        self.predicted.emit(key, prediction)

    def _on_failure(self, key: str, entry: ModelEntry, exc: BaseException) -> None:
        if self._current(key, entry):
            self.panel.show_error(f"{entry.name} cannot read this record: {error_text(exc)}")

    # ------------------------------------------------------------------ explanations
    def explain(self, class_index: int, config) -> None:
        record, entry, key = self.window.record, self.current_model, self._key
        if record is None or entry is None:
            self.explain_panel.clear("Open a record and choose a model first.")
            return
        self.cancel_explanation()
        cache_key = (key, str(entry.path), class_index, config)
        if cache_key in self._explanations:
            self._show_explanation(key, entry, class_index, self._explanations[cache_key])
            return
        self.explain_panel.set_running(True)

        def work(task: Task) -> RecordExplanation:
            from training.explain_record import explain_record

            def progress(done: int, total: int) -> bool:
                task.progress.emit((done, total))
                return not task.is_cancelled()
            return explain_record(self._predictor(entry), record, class_index, config, progress)

        task = Task(work)
        task.progress.connect(lambda p: self.explain_panel.set_progress(*p))
        task.done.connect(lambda res: self._explained(cache_key, key, entry, class_index, res))
        task.failed.connect(lambda exc: self._explain_failed(key, entry, exc))
        self._explain_task = task.start()

    def cancel_explanation(self) -> None:
        if self._explain_task is not None:
            self._explain_task.cancel()
            self._explain_task = None
            self.explain_panel.set_running(False)
            self.explain_panel.clear("Cancelled.")

    def _explained(self, cache_key: tuple, key: str, entry: ModelEntry, class_index: int,
                   result: RecordExplanation) -> None:
        self._explanations[cache_key] = result
        self._explain_task = None
        if self._current(key, entry):
            self._show_explanation(key, entry, class_index, result)

    def _show_explanation(self, key: str, entry: ModelEntry, class_index: int, result: RecordExplanation) -> None:
        self.explain_panel.show_explanation(result, entry.card.labels.display[class_index])
        self.heat.set_segments(result.segments(), result.window if result.n_windows > 1 else None)
        self.window.view.show_interval(*result.window)
        self.explained.emit(key, result)

    def _explain_failed(self, key: str, entry: ModelEntry, exc: BaseException) -> None:
        from training.explain import Cancelled

        self._explain_task = None
        if isinstance(exc, Cancelled) or not self._current(key, entry):
            return
        self.explain_panel.set_running(False)
        self.explain_panel.clear(f"Cannot explain: {error_text(exc)}")

    # ------------------------------------------------------------------ menu
    def _build_menu(self) -> None:
        menu = self.window.menu("&Model")  # the jobs feature adds to it
        menu.addAction("&Run on this record", self.run)
        menu.addAction("&Add model file…", self._ask_add)
        menu.addAction("Re&scan model folders", self.library.refresh)
        menu.addSeparator()
        menu.addAction(self.dock.toggleViewAction())
        menu.addAction(self.explain_dock.toggleViewAction())

    def _ask_add(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self.window, "Add a model", str(Path.home()),
                                              "ECG Studio models (*.safetensors *.json)")
        if path:
            self.add_model(path)


def attach_inference(host, library: ModelLibrary | None = None) -> InferenceController:
    """Add the model and explanation panels to ``host``, over the context's model library (or ``library``)."""
    if library is not None:
        host.context.use_models(library)
    return InferenceController(host, host.context.models)
