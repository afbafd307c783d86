"""Beside the rules and the model: the ECG's own PE signs and the Daniel ECG score of the open record,
each with the measurement that triggered it (computed by :mod:`training.clinical.ecg_signs` from the
automatic measurements; the same measurements the measurement panel shows)."""

from __future__ import annotations

from html import escape

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QGroupBox, QLabel, QVBoxLayout, QWidget

from training.clinical.ecg_signs import DanielScore, daniel_score, pe_signs

_MARK = {True: ("●", "#b3261e", "present"), False: ("○", "#52606d", "absent"), None: ("?", "#9a6700", "not measurable")}


class EcgSignsView(QGroupBox):
    """The PE signs (present / absent / not measurable, with evidence) and the Daniel score."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__("ECG signs of PE (from the automatic measurements)", parent)
        self.signs_label = QLabel("No record measured yet.", wordWrap=True, textFormat=Qt.RichText)
        self.signs_label.setObjectName("ecg_signs")
        self.daniel_label = QLabel(wordWrap=True, textFormat=Qt.RichText)
        self.daniel_label.setObjectName("daniel_score")
        self.daniel: DanielScore | None = None
        column = QVBoxLayout(self)
        column.addWidget(self.signs_label)
        column.addWidget(self.daniel_label)

    def show_waiting(self, text: str) -> None:
        self.daniel = None
        self.signs_label.setText(escape(text))
        self.daniel_label.setText("")

    def show_measurements(self, measurements) -> None:
        if measurements.quality.get("refused"):
            self.show_waiting(f"No ECG signs: the record was not measured ({measurements.quality['refused']}).")
            return
        rows = []
        for sign in pe_signs(measurements):
            mark, colour, word = _MARK[sign.present]
            rows.append(f"<tr><td style='color:{colour}'>{mark}</td><td><b>{escape(sign.name)}</b></td>"
                        f"<td style='color:{colour}'>{word}</td><td>{escape(sign.evidence)}</td></tr>")
        self.signs_label.setText("<table cellspacing='2'>" + "".join(rows) + "</table>")
        self.daniel = daniel_score(measurements)
        items = "".join(f"<tr><td>{escape(i.criterion)}</td><td align='right'><b>{i.points}</b></td>"
                        f"<td>{escape(i.evidence)}</td></tr>" for i in self.daniel.items)
        note = f" · {self.daniel.unmeasured} criterion(s) not measurable (scored 0)" if self.daniel.unmeasured else ""
        self.daniel_label.setText(
            f"<b>Daniel ECG score: {self.daniel.total} / {DanielScore.MAX}</b>{escape(note)}"
            f"<br><i>Daniel et al., Chest 2001; higher scores go with more severe pulmonary hypertension "
            f"(≥ 10: 23.5 % sensitive, 97.7 % specific for PA pressure > 50 mmHg)</i>"
            f"<table cellspacing='2'>{items}</table>")
