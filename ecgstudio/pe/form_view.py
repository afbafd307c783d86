"""The PE form's inputs: criteria, vital signs, D-dimer and outcome, each with its note underneath.

A note says what is wrong with the value (red) or which rule waits for it (amber), next to the field
the clinician has to fix. Nothing is defaulted: an unanswered criterion is "not recorded", and a D-dimer
without a unit or basis is an error, not a guess. The heart rate read off the ECG is shown as
"from ECG, unconfirmed" until the clinician confirms it; the rules ignore it until then.
"""

from __future__ import annotations

import math
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QComboBox, QGridLayout, QGroupBox, QHBoxLayout, QLabel, QLineEdit, QPushButton,
                               QVBoxLayout, QWidget)

from ecgstudio.pe.form import (BOOL_FIELDS, HR_ECG_CONFIRMED, HR_ECG_UNCONFIRMED, HR_ENTERED, OUTCOMES, PEForm,
                               label)
from training.clinical.ddimer import BASES, UNITS, DDimer
from training.clinical.errors import ClinicalInputError
from training.clinical.rules import PEFindings

ERROR_INK, BLOCKED_INK, SOURCE_INK = "#b3261e", "#9a6700", "#52606d"
_YES_NO = (("not recorded", ""), ("No", "no"), ("Yes", "yes"))  # strings: Qt would confuse None and False
_ANSWER = {"yes": True, "no": False}
_NUMBERS = (("heart_rate", "bpm"), ("age", "years"), ("sao2", "%"))
_UNCHOSEN = {"d_dimer_unit": "choose the unit the laboratory reported: it is never guessed",
             "d_dimer_basis": "choose FEU or DDU as the laboratory reported: the cut-offs differ by a factor of 2"}


class PEFormView(QWidget):
    """Edits one :class:`PEForm`. :meth:`read` returns the form, or the errors per field."""

    changed = Signal()
    #: the clinician asked for the heart rate measured on the ECG
    ecgHeartRateRequested = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.choices: dict[str, QComboBox] = {}
        self.numbers: dict[str, QLineEdit] = {}
        self.notes: dict[str, QLabel] = {}
        self.hr_source = HR_ENTERED
        self._source_text: dict[str, str] = {}  # field -> where its value came from ("from the record header")
        self._errors: dict[str, str] = {}
        self._blocked: dict[str, list[str]] = {}

        criteria = QGroupBox("Clinical criteria")
        grid = QGridLayout(criteria)
        for name in BOOL_FIELDS:
            box = QComboBox()
            for text, value in _YES_NO:
                box.addItem(text, value)
            box.setAccessibleName(label(name))
            box.currentIndexChanged.connect(self._edited)
            self.choices[name] = box
            self._add_row(grid, name, box)

        vitals = QGroupBox("Vital signs")
        grid = QGridLayout(vitals)
        for name, unit in _NUMBERS:
            edit = QLineEdit()
            edit.setPlaceholderText(unit)
            edit.setMaximumWidth(80)
            edit.textEdited.connect(lambda _text, n=name: self._typed(n))
            self.numbers[name] = edit
            field: QWidget = self._heart_rate_row(edit) if name == "heart_rate" else edit
            self._add_row(grid, name, field)
            if name == "heart_rate":  # under its note, so the caption keeps its width in a narrow dock
                grid.addWidget(self.hr_confirm, grid.rowCount(), 1)

        ddimer = QGroupBox("D-dimer")
        grid = QGridLayout(ddimer)
        self.dd_value = QLineEdit()
        self.dd_value.setPlaceholderText("value as reported")
        self.dd_value.textEdited.connect(self._edited)
        self.dd_unit = _combo(("choose unit…", ""), *((u, u) for u in UNITS))
        self.dd_basis = _combo(("choose basis…", ""), *((b, b) for b in BASES))
        for widget in (self.dd_unit, self.dd_basis):
            widget.currentIndexChanged.connect(self._edited)
        for name, text, widget in (("d_dimer", "Value", self.dd_value), ("d_dimer_unit", "Unit", self.dd_unit),
                                   ("d_dimer_basis", "Basis (FEU = 2 × DDU)", self.dd_basis)):
            self._add_row(grid, name, widget, text)

        outcome_box = QGroupBox("Outcome")
        grid = QGridLayout(outcome_box)
        self.outcome = _combo(*((text, code) for code, text in OUTCOMES.items()))
        self.outcome.currentIndexChanged.connect(self._edited)
        self._add_row(grid, "outcome", self.outcome, "PE diagnosis, if known")

        column = QVBoxLayout(self)
        column.setContentsMargins(0, 0, 0, 0)
        for box in (criteria, vitals, ddimer, outcome_box):
            column.addWidget(box)

    # -- rows ----------------------------------------------------------------------------------------

    def _add_row(self, grid: QGridLayout, name: str, field: QWidget, text: str | None = None) -> None:
        row = grid.rowCount()
        caption = QLabel(text or label(name))
        caption.setWordWrap(True)
        caption.setBuddy(field)
        grid.addWidget(caption, row, 0)
        grid.addWidget(field, row, 1)
        note = QLabel()
        note.setWordWrap(True)
        note.setTextFormat(Qt.PlainText)
        note.setObjectName(f"note_{name}")
        note.hide()
        grid.addWidget(note, row + 1, 0, 1, 2)
        grid.setColumnStretch(0, 1)
        self.notes[name] = note

    def _heart_rate_row(self, edit: QLineEdit) -> QWidget:
        self.hr_from_ecg = QPushButton("From ECG")
        self.hr_from_ecg.setToolTip("Fill in the mean heart rate of the detected beats; you confirm it before "
                                    "the rules use it")
        self.hr_from_ecg.clicked.connect(self.ecgHeartRateRequested)
        self.hr_confirm = QPushButton("Confirm heart rate")
        self.hr_confirm.setToolTip("The heart rate from the ECG is right: let the rules use it")
        self.hr_confirm.clicked.connect(self.confirm_heart_rate)
        self.hr_confirm.hide()
        box = QWidget()
        row = QHBoxLayout(box)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(edit)
        row.addWidget(self.hr_from_ecg)
        return box

    # -- heart rate from the ECG ---------------------------------------------------------------------

    def set_ecg_heart_rate(self, bpm: float) -> None:
        """Pre-fill the ECG's mean rate, marked unconfirmed until :meth:`confirm_heart_rate`."""
        self.numbers["heart_rate"].setText(f"{bpm:.0f}")
        self.hr_source = HR_ECG_UNCONFIRMED
        self._edited()

    def confirm_heart_rate(self) -> None:
        if self.hr_source == HR_ECG_UNCONFIRMED:
            self.hr_source = HR_ECG_CONFIRMED
            self._edited()

    def _typed(self, name: str) -> None:
        if name == "heart_rate":
            self.hr_source = HR_ENTERED
        self._source_text.pop(name, None)
        self._edited()

    # -- reading and writing -------------------------------------------------------------------------

    def read(self) -> tuple[PEForm, dict[str, str]]:
        """The form's valid fields, and one reason per bad field (a form with errors must not be saved)."""
        values: dict[str, Any] = {name: _ANSWER[box.currentData()] for name, box in self.choices.items()
                                  if box.currentData()}
        errors: dict[str, str] = {}
        for name, edit in self.numbers.items():
            text = edit.text().strip()
            if not text:
                continue
            try:
                number = float(text.replace(",", "."))
                if not math.isfinite(number):
                    raise ValueError
                PEFindings(**{name: number})  # the rules' own plausibility check
                values[name] = number
            except ValueError:
                errors[name] = f"not a number: {text!r}"
            except ClinicalInputError as exc:
                errors[name] = exc.reason
        d_dimer, dd_errors = self._read_ddimer()
        errors.update(dd_errors)
        if d_dimer is not None:
            values["d_dimer"] = d_dimer
        source = self.hr_source if "heart_rate" in values else HR_ENTERED
        return PEForm(PEFindings(**values), source, self.outcome.currentData()), errors

    def _read_ddimer(self) -> tuple[DDimer | None, dict[str, str]]:
        text = self.dd_value.text().strip()
        if not text:
            return None, {}
        unit, basis = self.dd_unit.currentData(), self.dd_basis.currentData()
        errors: dict[str, str] = {}
        try:
            value = float(text.replace(",", "."))
        except ValueError:
            return None, {"d_dimer": f"not a number: {text!r}"}
        # Each part checked on its own, by DDimer itself, so every bad part gets its own note.
        for trial in ((value, UNITS[0], BASES[0]), (1.0, unit, BASES[0]), (1.0, UNITS[0], basis)):
            try:
                DDimer(*trial)
            except ClinicalInputError as exc:
                errors.setdefault(exc.field, exc.reason)
        for name, chosen in (("d_dimer_unit", unit), ("d_dimer_basis", basis)):
            if not chosen:
                errors[name] = _UNCHOSEN[name]
        return (None if errors else DDimer(value, unit, basis)), errors

    def set_form(self, form: PEForm | None, sources: dict[str, str] | None = None) -> None:
        """Show ``form`` (None: an empty form); ``sources`` notes where pre-filled values came from."""
        widgets = [*self.choices.values(), *self.numbers.values(), self.dd_value, self.dd_unit, self.dd_basis,
                   self.outcome]
        for widget in widgets:
            widget.blockSignals(True)
        findings = form.findings if form else PEFindings()
        for name, box in self.choices.items():
            answer = getattr(findings, name)
            box.setCurrentIndex(0 if answer is None else box.findData("yes" if answer else "no"))
        for name, edit in self.numbers.items():
            value = getattr(findings, name)
            edit.setText("" if value is None else f"{value:g}")
        dd = findings.d_dimer
        self.dd_value.setText("" if dd is None else f"{dd.value:g}")
        self.dd_unit.setCurrentIndex(max(0, self.dd_unit.findData(dd.unit)) if dd else 0)
        self.dd_basis.setCurrentIndex(max(0, self.dd_basis.findData(dd.basis.upper())) if dd else 0)
        self.outcome.setCurrentIndex(self.outcome.findData(form.outcome if form else "unknown"))
        for widget in widgets:
            widget.blockSignals(False)
        self.hr_source = form.heart_rate_source if form else HR_ENTERED
        self._source_text = dict(sources or {})
        self._errors, self._blocked = {}, {}
        self._refresh_notes()

    def show_errors(self, errors: dict[str, str]) -> None:
        self._errors = dict(errors)
        self._refresh_notes()

    def show_blocked(self, blocked: dict[str, list[str]]) -> None:
        """Amber notes on the empty inputs the rules wait for."""
        self._blocked = dict(blocked)
        self._refresh_notes()

    def _edited(self, *_args) -> None:
        _, self._errors = self.read()
        self._refresh_notes()
        self.changed.emit()

    def _refresh_notes(self) -> None:
        unconfirmed = self.hr_source == HR_ECG_UNCONFIRMED and bool(self.numbers["heart_rate"].text().strip())
        self.hr_confirm.setVisible(unconfirmed)
        for name, note in self.notes.items():
            text, ink = self._note(name, unconfirmed)
            note.setText(text)
            note.setStyleSheet(f"color: {ink}; font-size: 11px;")
            note.setVisible(bool(text))

    def _note(self, name: str, hr_unconfirmed: bool) -> tuple[str, str]:
        if name in self._errors:
            return f"⚠ {self._errors[name]}", ERROR_INK
        if name == "heart_rate" and hr_unconfirmed:
            return "From ECG, unconfirmed: check it and press Confirm (the rules ignore it until then)", BLOCKED_INK
        if name == "heart_rate" and self.hr_source == HR_ECG_CONFIRMED:
            return "From ECG, confirmed", SOURCE_INK
        if name in self._source_text:
            return self._source_text[name], SOURCE_INK
        if name in self._blocked and self._is_empty(name):
            return f"Not recorded: needed by {', '.join(self._blocked[name])}", BLOCKED_INK
        return "", SOURCE_INK


    def _is_empty(self, name: str) -> bool:
        if name in self.numbers:
            return not self.numbers[name].text().strip()
        if name in self.choices:
            return not self.choices[name].currentData()
        return not self.dd_value.text().strip()


def _combo(*items: tuple[str, Any]) -> QComboBox:
    box = QComboBox()
    for text, value in items:
        box.addItem(text, value)
    return box
