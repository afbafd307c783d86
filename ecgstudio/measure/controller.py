"""Wires the measurements into the main window: computed in the background when a record opens, shown
in the measurement dock, drawn as onset/offset markers (View menu toggle), corrected with the caliper
(stored through the annotation store, with author and audit trail), printed on the PDF report and
exported as CSV.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QFileDialog

from ecgstudio.annotations.errors import AnnotationError
from ecgstudio.measure.corrections import CORRECTION_LABELS, Correction, corrected_global, corrections_from
from ecgstudio.measure.export import measurement_row, write_measurement_csv
from ecgstudio.measure.panel import MeasurementPanel, cart_line
from ecgstudio.plot.fiducial_layer import FiducialLayer
from ecgstudio.workers import Task
from training.measure.fiducials import WAVES

MARKERS_KEY = "measure/markers"


class MeasureController(QObject):
    #: (library key, Measurements) once the open record is measured
    measured = Signal(str, object)

    def __init__(self, window, annotations=None) -> None:
        """``window``: the host (:mod:`ecgstudio.host`); ``annotations``: an AnnotationController."""
        super().__init__(window)
        self.window = window
        self.annotations = annotations
        self.panel = MeasurementPanel()
        self.dock = window.add_panel("Measurements", "measureDock", self.panel, Qt.BottomDockWidgetArea)
        self.layer = FiducialLayer(window.view)
        self.result = None  # training.measure.Measurements of the open record, once measured
        self.library_key: str | None = None
        self.store_key: str | None = None
        self.corrections: dict[str, Correction] = {}
        self._task: Task | None = None
        self.markers_action = QAction("Measurement &markers", self, checkable=True)
        self.markers_action.setShortcut(QKeySequence("Ctrl+M"))
        self.markers_action.setChecked(str(window.settings.value(MARKERS_KEY, "true")).lower() == "true")
        self.markers_action.toggled.connect(self.set_markers_visible)
        self.layer.set_visible(self.markers_action.isChecked())
        window.context.recordChanged.connect(self._record_changed)
        window.view.caliperMeasured.connect(lambda m: self.panel.show_caliper(m.t0, m.t1))
        self.panel.correctionRequested.connect(self.correct)
        window.add_report_section("measurement_line", self.report_line)
        if annotations is not None:
            annotations.panel.marksChanged.connect(lambda _marks: self._reload_corrections())
        self._build_menu()

    # ------------------------------------------------------------------ record
    def _record_changed(self, opened) -> None:
        """``opened``: the context's OpenRecord (None when no record is shown)."""
        if self._task is not None:
            self._task.cancel()
            self._task = None
        self.result, self.corrections = None, {}
        self.layer.clear()
        self.panel.clear_caliper()
        if opened is None:
            self.library_key = self.store_key = None
            self.panel.show_message("No record open.")
            return
        record = opened.record
        self.library_key, self.store_key = opened.key, opened.content_key
        self.panel.show_message(f"Measuring {record.name}…")
        self._task = Task(lambda task: (record, _measure(record)))
        self._task.done.connect(self._on_measured)
        self._task.failed.connect(lambda exc: self.panel.show_message(f"Could not measure: {exc}"))
        self._task.start()

    def _on_measured(self, result: tuple) -> None:
        record, m = result
        if record is not self.window.record:
            return
        self._task, self.result = None, m
        self.layer.set_times(marker_times(m))
        self._reload_corrections()
        self.measured.emit(self.library_key or "", m)

    def _reload_corrections(self) -> None:
        if self.annotations is not None and self.store_key is not None:
            self.corrections = corrections_from(self.annotations.store.annotations(self.store_key))
        self._show()

    def _show(self) -> None:
        m = self.result
        if m is None:
            return
        device = getattr(self.window.record, "device_measurements", None)
        self.panel.show_measurements(self.values(), m.quality, m.lead_amplitudes, self.corrections, device)

    def values(self) -> dict[str, float | None]:
        """The global measurements shown: the automatic ones with the clinician's corrections."""
        return corrected_global(self.result.global_, self.corrections) if self.result else {}

    # ------------------------------------------------------------------ corrections
    def correct(self, key: str, t0: float, t1: float) -> bool:
        """Store the caliper span as the clinician's ``key`` interval (an annotation)."""
        if self.annotations is None or self.store_key is None:
            self.panel.caliper_label.setText("Corrections need the annotation library, which is not open.")
            return False
        author = self.window.context.identity.name
        if not author:
            self.panel.caliper_label.setText("Say who you are (status bar) to store a correction.")
            return False
        try:
            self.annotations.store.add_interval(self.store_key, None, t0, t1, CORRECTION_LABELS[key], author,
                                                note="measurement correction")
        except AnnotationError as exc:
            self.panel.caliper_label.setText(str(exc))
            return False
        self.annotations.panel.reload()
        self._reload_corrections()
        self.window.show_status(f"{CORRECTION_LABELS[key]} {1000 * (t1 - t0):.0f} ms stored by {author}", 6000)
        return True

    # ------------------------------------------------------------------ outputs
    def set_markers_visible(self, visible: bool) -> None:
        self.window.settings.setValue(MARKERS_KEY, "true" if visible else "false")
        self.layer.set_visible(visible)

    def report_line(self) -> str:
        """The measurement line of the PDF report ("" before the record is measured)."""
        if self.result is None or self.result.quality.get("refused"):
            return ""
        line = cart_line(self.values())
        if self.corrections:
            line += "   (corrected: " + ", ".join(f"{k.replace('_ms', '').upper()} by {c.author}"
                                             for k, c in self.corrections.items()) + ")"
        return line

    def export_csv(self, path: str | Path) -> Path | None:
        if self.result is None or self.window.record is None:
            return None
        row = measurement_row(str(self.window.record.path), self.result, self.corrections)
        return write_measurement_csv(path, [row])

    def _ask_export(self) -> None:
        if self.result is None:
            self.window.show_status("The open record is not measured yet", 5000)
            return
        path, _ = QFileDialog.getSaveFileName(self.window, "Export measurements", f"{self.result.record}_measurements.csv",
                                              "CSV (*.csv)")
        if path:
            self.export_csv(path)
            self.window.show_status(f"Saved {path}", 5000)

    def _build_menu(self) -> None:
        menu = self.window.menu("&Measure")
        menu.addAction(self.dock.toggleViewAction())
        menu.addAction(self.markers_action)
        self.window.menu("&View").addAction(self.markers_action)
        menu.addAction("&Export measurements CSV…", self._ask_export)


def _measure(record):
    """The engine's measurement, imported on first use (the window starts without scipy.signal)."""
    from training.measure import measure

    return measure(record)


def marker_times(m) -> dict[str, np.ndarray]:
    """Onset and offset times (s) of each wave over the beats, for the marker layer."""
    out = {}
    for wave, (on, _peak, off) in WAVES.items():
        values = m.delineation[:, [on, off]].ravel() / m.fs if m.n_beats else np.zeros(0)
        out[wave] = values[np.isfinite(values)]
    return out


def attach_measure(window, annotations=None, pe=None) -> MeasureController:
    """Measure every record the window opens; ``annotations`` (an AnnotationController) stores
    corrections; ``pe`` (a PEController) shows the ECG's PE signs and Daniel score of each record."""
    controller = MeasureController(window, annotations)
    if pe is not None:
        signs = pe.panel.ecg_signs
        window.context.recordChanged.connect(
            lambda opened: signs.show_waiting(f"Measuring {opened.record.name}…" if opened else "No record open."))
        controller.measured.connect(lambda _key, m: signs.show_measurements(m))
    return controller
