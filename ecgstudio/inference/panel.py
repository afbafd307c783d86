"""The model dock: choose a model, read its card, run it on the open record and read the result.

Probabilities are drawn as horizontal bars with the model's own decision threshold marked on each, so a
reader sees both the call and how close it was; a wide uncertainty is drawn as a whisker and listed. The
panel says what a probability means (calibrated on which data), and a record unlike the training data
(:mod:`training.ood`) gets a caution box beside the prediction. A record the model cannot read gets the
reason in words.
"""

from __future__ import annotations

from html import escape
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QRectF, Qt, Signal
from PySide6.QtGui import QColor, QPainter, QPen
from PySide6.QtWidgets import (QCheckBox, QComboBox, QHBoxLayout, QLabel, QPushButton, QSizePolicy, QVBoxLayout,
                               QWidget)

from ecgstudio.models.library import ModelEntry
from training.probability import describe
from training.checkpoint import ModelCard
if TYPE_CHECKING:
    from training.inference import Prediction

POSITIVE_BAR = QColor(200, 60, 50)
NEGATIVE_BAR = QColor(150, 165, 185)
THRESHOLD_INK = QColor(30, 30, 30)
UNCERTAIN_INK = QColor(90, 90, 90)


def card_html(entry: ModelEntry) -> str:
    """What a clinician needs to judge a model: what it calls, from what data, how well, and its input contract."""
    card: ModelCard = entry.card
    labels = card.labels
    data = card.config.get("data", {})
    test = card.metrics.get("test") or {}
    val = card.metrics.get("val") or {}
    rows = [("Classes", escape(", ".join(f"{c} ({d})" for c, d in zip(labels.classes, labels.display)))),
            ("Training data", f"{escape(str(data.get('kind', '?')))} · "
                              f"{escape(str(card.data.get('name', '') or data.get('label_set', '')))}"),
            ("Input", f"{len(card.leads)} leads ({escape(' '.join(card.leads))}) · {card.fs:g} Hz · "
                      f"{card.input_length / card.fs:g} s windows"),
            ("Architecture", f"{escape(card.architecture)} {escape(str(card.model_options))}"),
            ("Parent model", escape(card.parent) if card.parent else "none (trained from scratch)")]
    rows.append(("Probabilities", escape(describe(card.calibration))))
    ece = _ece_text(card.calibration)
    if ece:
        rows.append(("Calibration error", ece))
    if test:
        rows.append(("Test (held out)", _metric_text(test)))
    if val:
        rows.append(("Validation", _metric_text(val)))
    body = "".join(f"<tr><td style='color:#555;padding-right:6px'>{k}</td><td>{v}</td></tr>" for k, v in rows)
    source = "bundled with ECG Studio" if entry.bundled else escape(str(entry.path))
    return f"<b>{escape(entry.name)}</b> <span style='color:#777'>({source})</span><table>{body}</table>"


def _ece_text(calibration: dict | None) -> str:
    """Mean ECE over classes per assessed source, e.g. ``ptbxl100 test split 0.13 · cpsc2018 0.33``."""
    parts = []
    for block in (calibration or {}).get("assessment", {}).values():
        values = [m["ece"]["value"] for m in block["per_class"].values() if m["ece"]["value"] is not None]
        if values:
            parts.append(f"{escape(block['data'])}: ECE {sum(values) / len(values):.2f}")
    return " · ".join(parts)


def _metric_text(scores: dict) -> str:
    summary = scores.get("summary", scores)
    parts = [(k, summary.get(k)) for k in ("auroc_macro", "f1_macro", "map")]
    names = {"auroc_macro": "macro AUROC", "f1_macro": "macro F1", "map": "AUPRC"}
    return " · ".join(f"{names[k]} {v:.3f}" for k, v in parts if isinstance(v, (int, float)))


class ProbabilityBars(QWidget):
    """One bar per class (0..1) with a black tick at the model's threshold; positives in red."""

    ROW = 22

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.prediction: Prediction | None = None
        self.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Fixed)

    def set_prediction(self, prediction: Prediction | None) -> None:
        self.prediction = prediction
        self.setFixedHeight(self.ROW * (len(prediction.classes) if prediction else 0) + 4)
        self.update()

    def paintEvent(self, _event) -> None:
        p = self.prediction
        if p is None:
            return
        painter = QPainter(self)
        painter.setRenderHint(QPainter.Antialiasing)
        name_w, value_w = 58, 44
        bar_w = max(self.width() - name_w - value_w - 8, 20)
        for i, (cls, prob, thr, pos) in enumerate(zip(p.classes, p.probs, p.thresholds, p.positive)):
            y = 2 + i * self.ROW
            painter.setPen(Qt.black)
            font = painter.font()
            font.setBold(bool(pos))
            painter.setFont(font)
            painter.drawText(QRectF(0, y, name_w, self.ROW - 4), Qt.AlignVCenter | Qt.AlignLeft, cls)
            track = QRectF(name_w, y + 3, bar_w, self.ROW - 10)
            painter.fillRect(track, QColor(236, 238, 242))
            painter.fillRect(QRectF(track.left(), track.top(), bar_w * float(prob), track.height()),
                             POSITIVE_BAR if pos else NEGATIVE_BAR)
            spread = p.uncertain(i)
            if spread is not None:  # the validation evidence behind this probability: a whisker across the bar
                painter.setPen(QPen(UNCERTAIN_INK, 1.5))
                mid = track.center().y()
                x0, x1 = track.left() + bar_w * spread[0], track.left() + bar_w * spread[1]
                painter.drawLine(x0, mid, x1, mid)
                painter.drawLine(x0, mid - 3, x0, mid + 3)
                painter.drawLine(x1, mid - 3, x1, mid + 3)
            x = track.left() + bar_w * float(thr)
            painter.setPen(QPen(THRESHOLD_INK, 2))
            painter.drawLine(x, y + 1, x, y + self.ROW - 5)
            painter.setPen(Qt.black)
            painter.drawText(QRectF(name_w + bar_w + 6, y, value_w, self.ROW - 4), Qt.AlignVCenter | Qt.AlignLeft,
                             f"{prob:.2f}")
        painter.end()


class InferencePanel(QWidget):
    modelChosen = Signal(str)
    runRequested = Signal()
    autoRunChanged = Signal(bool)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.chooser = QComboBox()
        self.chooser.currentIndexChanged.connect(lambda _i: self.modelChosen.emit(self.chooser.currentData() or ""))
        self.card = QLabel(textFormat=Qt.RichText, wordWrap=True)
        self.card.setStyleSheet("background:#fbfbfd;border:1px solid #ddd;padding:4px;")
        self.run_button = QPushButton("Run model")
        self.run_button.clicked.connect(self.runRequested)
        self.on_open = QCheckBox("Run on open")
        self.on_open.toggled.connect(self.autoRunChanged)
        self.status = QLabel(wordWrap=True)
        self.bars = ProbabilityBars()
        self.labels = QLabel(textFormat=Qt.RichText, wordWrap=True)
        self.device = QLabel()
        self.device.setStyleSheet("color:#666;")
        self.meaning = QLabel(wordWrap=True, textFormat=Qt.PlainText)
        self.meaning.setStyleSheet("color:#555;font-size:11px;")
        self.caution = QLabel(wordWrap=True, textFormat=Qt.RichText)
        self.caution.setStyleSheet("color:#6b4a00;background:#fff6db;border:1px solid #e8c860;padding:6px;")
        self.caution.hide()
        self.message = QLabel(wordWrap=True, textFormat=Qt.PlainText)
        self.message.setStyleSheet("color:#8a1c1c;background:#fdf1f0;border:1px solid #e6b8b3;padding:6px;")
        self.message.hide()
        self.problems = QLabel(wordWrap=True, textFormat=Qt.PlainText)
        self.problems.setStyleSheet("color:#7a5200;background:#fff8e6;border:1px solid #e8d49a;padding:4px;")
        self.problems.hide()

        buttons = QHBoxLayout()
        buttons.addWidget(self.run_button)
        buttons.addWidget(self.on_open)
        buttons.addStretch(1)
        legend = QLabel("Bars: probability · black tick: the model's threshold (chosen on validation) · "
                        "red: called positive · grey whisker: wide uncertainty (95 % interval of the share of "
                        "validation records near that probability that had the class)")
        legend.setWordWrap(True)
        legend.setStyleSheet("color:#666;font-size:11px;")
        column = QVBoxLayout(self)
        column.addWidget(QLabel("Model"))
        column.addWidget(self.chooser)
        column.addLayout(buttons)  # right under the model chosen: reachable in a short panel
        column.addWidget(self.card)
        column.addWidget(self.problems)
        column.addWidget(self.status)
        column.addWidget(self.message)
        column.addWidget(self.caution)
        column.addWidget(self.bars)
        column.addWidget(self.labels)
        column.addWidget(self.meaning)
        column.addWidget(legend)
        column.addWidget(self.device)
        column.addStretch(1)

    def set_models(self, entries: list[ModelEntry], current: str | None) -> None:
        self.chooser.blockSignals(True)
        self.chooser.clear()
        for entry in entries:
            self.chooser.addItem(entry.label, entry.name)
        index = self.chooser.findData(current) if current else 0
        self.chooser.setCurrentIndex(max(index, 0))
        self.chooser.blockSignals(False)
        self.run_button.setEnabled(bool(entries))
        if not entries:
            self.card.setText("No models found. Add one with <i>Model ▸ Add model file…</i>.")

    def set_problems(self, problems: dict) -> None:
        """Model files in the model folders that cannot be used, each with its reason (plain text: card text is untrusted)."""
        lines = [f"{Path(path).name}: {reason}" for path, reason in sorted(problems.items())]
        self.problems.setText(f"{len(lines)} model file(s) cannot be used:\n" + "\n".join(lines) if lines else "")
        self.problems.setVisible(bool(lines))

    def show_card(self, entry: ModelEntry | None) -> None:
        self.card.setText(card_html(entry) if entry else "")

    def clear_result(self, status: str = "") -> None:
        self.bars.set_prediction(None)
        self.labels.clear()
        self.device.clear()
        self.meaning.clear()
        self.message.hide()
        self.caution.hide()
        self.status.setText(status)

    def set_busy(self, text: str) -> None:
        self.clear_result(text)
        self.run_button.setEnabled(False)

    def show_prediction(self, prediction: Prediction) -> None:
        self.clear_result()
        self.run_button.setEnabled(True)
        self.bars.set_prediction(prediction)
        called = prediction.labels
        text = "<b>Predicted:</b> " + (escape(", ".join(called)) if called else "no class above its threshold")
        wide = [(c, prediction.uncertain(i)) for i, c in enumerate(prediction.classes) if prediction.uncertain(i)]
        if wide:
            text += "<br><span style='color:#555'>Uncertain: " + ", ".join(
                f"{escape(c)} ({lo:.2f}–{hi:.2f})" for c, (lo, hi) in wide) + "</span>"
        self.labels.setText(text)
        self.meaning.setText(f"What the numbers mean: {prediction.meaning}.")
        if prediction.cautions:
            self.caution.setText("<b>Caution — this record is unlike the training data:</b><ul style='margin:0'>"
                                 + "".join(f"<li>{escape(c.message)}</li>" for c in prediction.cautions) + "</ul>")
            self.caution.show()
        windows = (f" · mean of {prediction.n_windows} overlapping {prediction.window_s:g} s windows"
                   if prediction.n_windows > 1 else "")
        self.device.setText(f"Computed on {prediction.device}{windows}")

    def show_error(self, text: str) -> None:
        self.clear_result()
        self.run_button.setEnabled(True)
        self.message.setText(text)
        self.message.show()
