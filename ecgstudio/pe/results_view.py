"""Beside the form: each rule's live reading, and the loaded ECG model's probability for a chosen class.

The model's number sits next to the rules but is never presented as one of them: unless the model's
card lists a pulmonary-embolism class and that class is chosen, it carries a "not validated for PE"
warning, because a probability of, say, "myocardial infarction" is not evidence about PE.
"""

from __future__ import annotations

from html import escape
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QComboBox, QGroupBox, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from ecgstudio.pe.form import RuleOutcome, label

_CARD_STYLE = "QLabel {{ background: {bg}; border: 1px solid {border}; border-radius: 4px; padding: 5px; }}"
_DONE = _CARD_STYLE.format(bg="#f4f8fc", border="#c9d8ea")
_WAITING = _CARD_STYLE.format(bg="#fbf7ec", border="#e6d3a3")
_WARNING = "background: #fde2e2; color: #8a1c1c; border: 1px solid #e4a3a3; border-radius: 4px; padding: 5px;"


class RulesView(QGroupBox):
    """One card per rule: its plain-language reading, or the inputs it is waiting for."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__("Clinical decision rules", parent)
        self._column = QVBoxLayout(self)
        self.cards: dict[str, QLabel] = {}

    def show_outcomes(self, outcomes: list[RuleOutcome]) -> None:
        for outcome in outcomes:
            card = self.cards.get(outcome.rule)
            if card is None:
                card = QLabel(wordWrap=True, textFormat=Qt.RichText)
                card.setObjectName(f"rule_{outcome.rule}")
                self._column.addWidget(card)
                self.cards[outcome.rule] = card
            card.setText(_card_html(outcome))
            card.setStyleSheet(_DONE if outcome.reading else _WAITING)


def _card_html(outcome: RuleOutcome) -> str:
    title = f"<b>{escape(outcome.rule)}</b>"
    if outcome.reading:
        return f"{title}<br>{escape(outcome.reading)}"
    needs = ", ".join(escape(label(name, capital=False)) for name in outcome.missing)
    text = f"{title} <span style='color:#9a6700'>— cannot be computed yet</span><br>Needs: {needs}."
    if outcome.caveat:
        text += f"<br><i>{escape(outcome.caveat)}</i>"
    return text


def is_pe_class(code: str, display: str) -> bool:
    """A class a model was trained for that is pulmonary embolism (by code or by name)."""
    return code.strip().upper() == "PE" or "pulmonary embol" in display.lower()


class ModelView(QGroupBox):
    """The loaded model's probability for one class of the open record."""

    classChosen = Signal(str)

    def __init__(self, parent: QWidget | None = None):
        super().__init__("ECG model (not a clinical rule)", parent)
        self._prediction: Any = None
        self.chosen_class = ""
        self.model_label = QLabel(wordWrap=True)
        self.class_box = QComboBox()
        self.class_box.currentIndexChanged.connect(self._class_changed)
        self.probability = QLabel(textFormat=Qt.RichText)
        self.warning = QLabel(wordWrap=True)
        self.warning.setObjectName("notValidatedForPE")
        self.warning.setStyleSheet(_WARNING)
        self.class_row = QWidget()
        row = QHBoxLayout(self.class_row)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(QLabel("Class"))
        row.addWidget(self.class_box, 1)
        column = QVBoxLayout(self)
        column.addWidget(self.model_label)
        column.addWidget(self.class_row)
        column.addWidget(self.probability)
        column.addWidget(self.warning)
        self.clear("No model loaded: choose one in the Models panel to see its output here.")

    def clear(self, message: str) -> None:
        self._prediction = None
        self.model_label.setText(message)
        self.class_box.blockSignals(True)
        self.class_box.clear()
        self.class_box.blockSignals(False)
        self.class_row.hide()
        self.probability.clear()
        self.warning.hide()

    def set_prediction(self, prediction: Any, model_name: str) -> None:
        """Show a ``Prediction`` (``probs``, ``classes``, ``display``, ``thresholds``) of the open record."""
        self._prediction = prediction
        self.model_label.setText(f"Model: {model_name}")
        self.class_box.blockSignals(True)
        self.class_box.clear()
        for code, display in zip(prediction.classes, prediction.display):
            self.class_box.addItem(f"{display} ({code})" if display != code else code, code)
        pe = [c for c, d in zip(prediction.classes, prediction.display) if is_pe_class(c, d)]
        wanted = self.chosen_class if self.chosen_class in prediction.classes else (pe or list(prediction.classes))[0]
        self.class_box.setCurrentIndex(self.class_box.findData(wanted))
        self.class_box.blockSignals(False)
        self.class_row.show()
        self._show()

    def _class_changed(self, _index: int) -> None:
        self.chosen_class = self.class_box.currentData() or ""
        self.classChosen.emit(self.chosen_class)
        self._show()

    def _show(self) -> None:
        p = self._prediction
        if p is None:
            return
        self.chosen_class = self.class_box.currentData()
        i = list(p.classes).index(self.chosen_class)
        prob, threshold = float(p.probs[i]), float(p.thresholds[i])
        side = "at or above" if prob >= threshold else "below"
        self.probability.setText(f"<span style='font-size:15px'><b>{prob:.2f}</b></span> probability of "
                                 f"{escape(p.display[i])} — {side} the model's threshold {threshold:.2f}")
        trained_for_pe = any(is_pe_class(c, d) for c, d in zip(p.classes, p.display))
        if is_pe_class(self.chosen_class, p.display[i]):
            self.warning.hide()
            return
        self.warning.setText(
            "Not validated for pulmonary embolism: this number is the model's output for "
            f"“{p.display[i]}”, not a probability of PE."
            + ("" if trained_for_pe else " The model card lists no PE class: it was not trained for PE."))
        self.warning.show()
