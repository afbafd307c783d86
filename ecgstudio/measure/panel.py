"""The measurement panel: the cart's first line, the global measurements (ours, the clinician's
corrections, the device's own when the file carries them), lead quality, and the per-lead amplitudes.

A view only: :class:`~ecgstudio.measure.controller.MeasureController` computes and stores; the panel
shows and asks (``correctionRequested`` when the clinician turns the caliper span into a correction).
"""

from __future__ import annotations

from html import escape

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QComboBox, QHBoxLayout, QHeaderView, QLabel, QPushButton, QTableWidget,
                               QTableWidgetItem, QVBoxLayout, QWidget)

from ecgstudio.measure.corrections import CORRECTION_LABELS, Correction
from training.measure.amplitudes import AMPLITUDE_KEYS

#: Rows of the global table: (key, label, unit, digits).
GLOBAL_ROWS = (("hr_bpm", "Heart rate", "bpm", 0), ("rr_ms", "RR mean", "ms", 0), ("rr_sd_ms", "RR SD", "ms", 0),
               ("p_ms", "P duration", "ms", 0), ("pr_ms", "PR", "ms", 0), ("qrs_ms", "QRS", "ms", 0),
               ("qt_ms", "QT", "ms", 0), ("qtc_bazett_ms", "QTc Bazett", "ms", 0),
               ("qtc_fridericia_ms", "QTc Fridericia", "ms", 0), ("qtc_framingham_ms", "QTc Framingham", "ms", 0),
               ("qtc_hodges_ms", "QTc Hodges", "ms", 0), ("qtc_ms", "QTc, device's formula", "ms", 0),
               ("p_axis_deg", "P axis", "°", 0),
               ("qrs_axis_deg", "QRS axis", "°", 0), ("t_axis_deg", "T axis", "°", 0))
LEAD_COLUMNS = dict(zip(AMPLITUDE_KEYS, ("P", "Q", "R", "S", "R′", "ST J", "ST J+60", "T")))
CORRECTABLE = {"qrs_ms": "QRS (onset → offset)", "pr_ms": "PR (P onset → QRS onset)",
               "qt_ms": "QT (QRS onset → T end)", "p_ms": "P (onset → offset)"}


def value_text(value: float | None, digits: int = 0) -> str:
    if value is None:
        return "—"
    text = f"{value:.{digits}f}"
    return text[1:] if text.startswith("-") and float(text) == 0 else text  # no "-0.00"


def cart_line(values: dict[str, float | None]) -> str:
    """``HR 72 bpm  PR 160 ms  QRS 92 ms  QT/QTcB 380/417 ms  P-R-T axes 45 30 40`` as a cart prints it."""
    v = lambda key: value_text(values.get(key))  # noqa: E731
    return (f"HR {v('hr_bpm')} bpm   PR {v('pr_ms')} ms   P {v('p_ms')} ms   QRS {v('qrs_ms')} ms   "
            f"QT/QTcB {v('qt_ms')}/{v('qtc_bazett_ms')} ms   QTcF {v('qtc_fridericia_ms')} ms   "
            f"P-R-T axes {v('p_axis_deg')} {v('qrs_axis_deg')} {v('t_axis_deg')}")


class MeasurementPanel(QWidget):
    #: (interval key, t0, t1): the clinician asks to store the caliper span as this interval
    correctionRequested = Signal(str, float, float)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.cart_label = QLabel("No record open.", textFormat=Qt.RichText, wordWrap=True)
        self.cart_label.setTextInteractionFlags(Qt.TextSelectableByMouse)
        self.cart_label.setStyleSheet("font-family: monospace; font-size: 13px; padding: 4px;")
        self.quality_label = QLabel(textFormat=Qt.RichText, wordWrap=True)
        self.global_table = QTableWidget(len(GLOBAL_ROWS), 2)
        self.global_table.setHorizontalHeaderLabels(["ECG Studio", "Device"])
        self.global_table.setVerticalHeaderLabels([f"{label} ({unit})" for _, label, unit, _ in GLOBAL_ROWS])
        self.global_table.setEditTriggers(QTableWidget.NoEditTriggers)
        self.global_table.horizontalHeader().setSectionResizeMode(QHeaderView.Stretch)
        self.lead_table = QTableWidget(0, len(LEAD_COLUMNS))
        self.lead_table.setHorizontalHeaderLabels([f"{name} mV" for name in LEAD_COLUMNS.values()])
        self.lead_table.setEditTriggers(QTableWidget.NoEditTriggers)
        self.lead_table.horizontalHeader().setSectionResizeMode(QHeaderView.Stretch)
        self.correct_choice = QComboBox()
        for key, text in CORRECTABLE.items():
            self.correct_choice.addItem(text, key)
        self.correct_button = QPushButton("Set from caliper")
        self.correct_button.setEnabled(False)
        self.correct_button.setToolTip("Drag the caliper over the interval on the ECG, then store it as your "
                                       "measurement (an annotation with your name and its history)")
        self.caliper_label = QLabel("Caliper: drag it over an interval to correct it.")
        self.caliper_label.setStyleSheet("color: #555;")
        self._span: tuple[float, float] | None = None
        self.correct_button.clicked.connect(self._request_correction)

        correct_row = QHBoxLayout()
        correct_row.addWidget(QLabel("Correct:"))
        correct_row.addWidget(self.correct_choice, 1)
        correct_row.addWidget(self.correct_button)
        tables = QHBoxLayout()
        tables.addWidget(self.global_table, 2)
        tables.addWidget(self.lead_table, 3)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.cart_label)
        layout.addWidget(self.quality_label)
        layout.addLayout(tables, 1)
        layout.addLayout(correct_row)
        layout.addWidget(self.caliper_label)

    # ------------------------------------------------------------------ showing
    def show_message(self, text: str) -> None:
        self.cart_label.setText(escape(text))
        self.quality_label.setText("")
        self.global_table.clearContents()
        self.lead_table.setRowCount(0)

    def show_measurements(self, values: dict[str, float | None], quality: dict, leads: dict[str, dict],
                          corrections: dict[str, Correction], device: dict | None) -> None:
        """``values``: the global measurements with corrections applied; ``device``: the file's own."""
        if quality.get("refused"):
            self.show_message(f"Not measured: {quality['refused']}")
            return
        self.cart_label.setText(f"<b>{escape(cart_line(values))}</b>")
        paced = set(quality.get("not_comparable") or ())
        for row, (key, label, _unit, digits) in enumerate(GLOBAL_ROWS):
            text = value_text(values.get(key), digits)
            item = QTableWidgetItem(f"{text} (paced)" if key in paced and values.get(key) is not None else text)
            if key in paced:
                item.setToolTip("Paced beats: not comparable with intrinsic conduction or its normal ranges")
            if key in corrections:
                item.setText(f"{text} ✎ {corrections[key].author}")
                item.setToolTip(f"{CORRECTION_LABELS[key]} by {corrections[key].author} (annotation "
                                f"#{corrections[key].annotation_id}); replaces the automatic value")
                item.setForeground(Qt.darkBlue)
            self.global_table.setItem(row, 0, item)
            self.global_table.setItem(row, 1, QTableWidgetItem(value_text((device or {}).get(key), digits)))
        self.global_table.setColumnHidden(1, not device)
        self.quality_label.setText(quality_html(quality))
        self.lead_table.setRowCount(len(leads))
        self.lead_table.setVerticalHeaderLabels(list(leads))
        for row, values_of_lead in enumerate(leads.values()):
            for col, key in enumerate(LEAD_COLUMNS):
                self.lead_table.setItem(row, col, QTableWidgetItem(value_text(values_of_lead.get(key), 2)))

    def show_caliper(self, t0: float, t1: float) -> None:
        self._span = (min(t0, t1), max(t0, t1))
        self.caliper_label.setText(f"Caliper: {self._span[0]:.3f}–{self._span[1]:.3f} s "
                                   f"({(self._span[1] - self._span[0]) * 1000:.0f} ms)")
        self.correct_button.setEnabled(self._span[1] > self._span[0])

    def clear_caliper(self) -> None:
        self._span = None
        self.correct_button.setEnabled(False)
        self.caliper_label.setText("Caliper: drag it over an interval to correct it.")

    def _request_correction(self) -> None:
        if self._span is not None:
            self.correctionRequested.emit(self.correct_choice.currentData(), *self._span)


def quality_html(quality: dict) -> str:
    parts = []
    excluded = quality.get("excluded_leads") or {}
    if excluded:
        parts.append("Excluded leads: " + ", ".join(f"{escape(k)} ({escape(v)})" for k, v in excluded.items()))
    if quality.get("limb_reversal_suspected"):
        parts.append("<span style='color:#a00'><b>Limb-lead reversal suspected</b>: check the arm electrodes "
                     "before trusting the axes</span>")
    if quality.get("paced"):
        parts.append("<span style='color:#a00'><b>Paced rhythm</b>: pacing spikes before "
                     f"{quality.get('pacing_spikes')} beat(s); QRS, QT and axes are those of paced beats</span>")
    if quality.get("n_ventricular"):
        parts.append(f"{quality['n_ventricular']} ventricular beat(s) left out of the medians")
    parts += [escape(n) for n in quality.get("notes", []) if "reversal" not in n and "pacing spikes" not in n]
    beats = quality.get("n_beats")
    if beats is not None:
        parts.append(f"{beats} beats · P waves {escape(str(quality.get('p_waves', '—')))}")
    return " · ".join(parts)
