"""Wires the PE feature into the host window: the form dock beside the record, the model's output, the
cohort comparison window and its menu.

Kept out of ``main_window`` like the annotations, so the feature attaches in one call and the app
still runs when the library file cannot be opened. Forms are stored under the open record's content
key from the shared context (computed once when the record opened), signed with the app's identity.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, Qt
from PySide6.QtWidgets import QMessageBox

from ecgstudio.context import OpenRecord
from ecgstudio.pe.panel import PEPanel
from ecgstudio.pe.store import PEFormStore
from ecgstudio.store import Database, LibraryError
from ecgstudio.store.errors import display_location

CLASS_KEY = "pe/model_class"


class PEController(QObject):
    """Owns the PE store, the form dock and the cohort window of one main window."""

    def __init__(self, window, store: PEFormStore, inference=None, models=None):
        super().__init__(window)
        self.window = window
        self.store = store
        self.inference = inference
        self.models = models
        self.library_key: str | None = None
        self.panel = PEPanel(store, window.context.identity)
        self.panel.model.chosen_class = str(window.settings.value(CLASS_KEY, "") or "")
        self.panel.model.classChosen.connect(lambda code: window.settings.setValue(CLASS_KEY, code))
        self.panel.form.ecgHeartRateRequested.connect(self.fill_heart_rate_from_ecg)
        self.dock = window.add_panel("PE work-up", "peDock", self.panel, Qt.RightDockWidgetArea, beside="annotationDock")
        self.cohort_view = None  # a CohortView, built when first asked for (it loads the engine)
        window.context.recordChanged.connect(self._record_changed)
        if inference is not None:
            inference.predicted.connect(self._predicted)
        self._build_menu()

    def _record_changed(self, opened: OpenRecord | None) -> None:
        if self.panel.dirty:
            self.window.show_status("The PE form of the previous record was not saved; "
                                    "its unsaved changes were discarded")
        if opened is None:
            self.library_key = None
            self.panel.clear_record()
            self.panel.model.clear("")
            return
        self.library_key = opened.key
        record = opened.record
        self.panel.set_record(opened.content_key, record.name, record.age)
        waiting = "Waiting for the model's reading of this record…" if self.inference is not None else \
            "No model attached: the model's output appears here once one runs on this record."
        self.panel.model.clear(waiting)

    def _predicted(self, library_key: str, prediction) -> None:
        if library_key == self.library_key:
            model = getattr(self.inference, "current_model", None)
            self.panel.model.set_prediction(prediction, getattr(model, "name", None) or "the loaded model")

    def fill_heart_rate_from_ecg(self) -> None:
        """The mean rate of the beats detected on the open record, for the clinician to confirm."""
        from training.signal.rpeaks import mean_heart_rate

        record, peaks = self.window.record, self.window.peaks
        rate = mean_heart_rate(peaks, record.fs) if record is not None and peaks is not None else None
        if rate is None:
            reason = "beats are still being detected" if record is not None and peaks is None else \
                "fewer than two beats were detected on this record"
            self.panel.form.show_errors({"heart_rate": f"no heart rate from the ECG: {reason}"})
            return
        self.panel.form.set_ecg_heart_rate(rate)

    def open_cohort_view(self):
        """The cohort comparison window (a :class:`~ecgstudio.pe.cohort_view.CohortView`), shown."""
        from ecgstudio.pe.cohort_view import CohortView

        if self.cohort_view is None:
            self.cohort_view = CohortView(self.window.settings, self.models, self._folder_records, self.window)
        self.cohort_view.show()
        self.cohort_view.raise_()
        return self.cohort_view

    def _folder_records(self) -> list[Path]:
        return [entry.path for entry in self.window.library.model.entries if entry.error is None]

    def _build_menu(self) -> None:
        menu = self.window.menu("&PE")
        menu.addAction(self.dock.toggleViewAction())
        menu.addAction("&Cohort comparison…", self.open_cohort_view)
        menu.addAction("Generate &demo cohort (SYNTHETIC)…", lambda: self.open_cohort_view().ask_demo())
        menu.addSeparator()
        menu.addAction(f"Library: {self.store.db}").setEnabled(False)


def attach_pe(host, library: Database | str | Path | None = None, inference=None,
              models=None) -> PEController | None:
    """Wire the PE forms into ``host``, stored in the shared library file (or ``library``: a
    :class:`Database` or a path).

    ``inference`` (an InferenceController) feeds the model's output to the form; ``models`` (a
    ModelLibrary, default the context's) lists the models of the cohort comparison. A library that
    cannot be opened is reported, and the app runs without the PE feature.
    """
    context = host.context
    if isinstance(library, (str, Path)):
        context.use_library(library)
    try:
        store = PEFormStore(library if isinstance(library, Database) else context.database())
    except (LibraryError, OSError) as exc:
        QMessageBox.warning(host, "PE forms unavailable", f"Cannot open the library {display_location(context.library_path)}: {exc}")
        return None
    return PEController(host, store, inference, models if models is not None else context.models)
