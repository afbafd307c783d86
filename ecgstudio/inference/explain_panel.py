"""The explanation dock: which class, how to cut the ECG into segments, and what LIME found.

Shows the surrogate's R² (how faithfully LIME's linear model mimics the network here) and the rank
agreement with occlusion beside the segment list: a low value of either means "read the heat map with
caution". Clicking a segment brings it on screen.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QComboBox, QDoubleSpinBox, QFormLayout, QHBoxLayout, QLabel, QListWidget,
                               QListWidgetItem, QProgressBar, QPushButton, QSpinBox, QVBoxLayout, QWidget)

from ecgstudio.plot.heat_layer import NEGATIVE_INK, POSITIVE_INK
if TYPE_CHECKING:  # the explainers (scikit-learn, torch) load when the user first explains
    from training.explain import ExplainConfig
    from training.explain_record import RecordExplanation

TOP_SEGMENTS = 10


def predicted_class(probs, positive) -> int:
    """The class to explain first: the most probable of those the model called positive, else the
    most probable one (what the model leans to), never simply the first (NORM)."""
    probs, positive = np.asarray(probs, dtype=float), np.asarray(positive, dtype=bool)
    candidates = np.where(positive, probs, -np.inf) if positive.any() else probs
    return int(np.argmax(candidates))


class ExplainPanel(QWidget):
    explainRequested = Signal(int, object)  # class index, ExplainConfig
    cancelRequested = Signal()
    jumpTo = Signal(float, float)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.class_box = QComboBox()
        self.segmentation = QComboBox()
        self.segmentation.addItem("Fixed windows", "window")
        self.segmentation.addItem("Heart beats", "beats")
        self.window_s = QDoubleSpinBox(minimum=0.1, maximum=5.0, singleStep=0.1, value=0.5, suffix=" s")
        self.segmentation.currentIndexChanged.connect(
            lambda _i: self.window_s.setEnabled(self.segmentation.currentData() == "window"))
        self.baseline = QComboBox()
        for text, key in (("Zero (flat line)", "zero"), ("Lead mean", "mean"), ("Smoothed signal", "smooth")):
            self.baseline.addItem(text, key)
        self.n_samples = QSpinBox(minimum=50, maximum=20000, singleStep=250, value=1000)
        self.explain_button = QPushButton("Explain")
        self.explain_button.clicked.connect(self._request)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.clicked.connect(self.cancelRequested)
        self.cancel_button.setEnabled(False)
        self.progress = QProgressBar()
        self.progress.hide()
        self.note = QLabel(wordWrap=True)
        self.note.setStyleSheet("color:#555;")
        self.quality = QLabel(wordWrap=True, textFormat=Qt.RichText)
        self.segments = QListWidget()
        self.segments.itemActivated.connect(self._jump)
        self.segments.itemClicked.connect(self._jump)
        legend = QLabel(f"<span style='background:{POSITIVE_INK.name()};color:white'>&nbsp;red&nbsp;</span> "
                        "supports the class &nbsp; "
                        f"<span style='background:{NEGATIVE_INK.name()};color:white'>&nbsp;blue&nbsp;</span> "
                        "speaks against it; stronger colour = larger weight", textFormat=Qt.RichText, wordWrap=True)

        form = QFormLayout()
        form.addRow("Class", self.class_box)
        form.addRow("Segments", self.segmentation)
        form.addRow("Window width", self.window_s)
        form.addRow("Masked with", self.baseline)
        form.addRow("Perturbations", self.n_samples)
        buttons = QHBoxLayout()
        buttons.addWidget(self.explain_button)
        buttons.addWidget(self.cancel_button)
        buttons.addStretch(1)
        column = QVBoxLayout(self)
        column.addLayout(form)
        column.addLayout(buttons)
        column.addWidget(self.progress)
        column.addWidget(legend)
        column.addWidget(self.note)
        column.addWidget(self.quality)
        column.addWidget(QLabel("Strongest segments (click to show):"))
        column.addWidget(self.segments, 1)
        self.set_classes((), ())

    def set_classes(self, classes: tuple[str, ...], display: tuple[str, ...]) -> None:
        current = self.class_box.currentData()
        self.class_box.clear()
        for i, (cls, name) in enumerate(zip(classes, display)):
            self.class_box.addItem(f"{cls} – {name}", i)
        index = self.class_box.findData(current)
        self.class_box.setCurrentIndex(max(index, 0))
        self.explain_button.setEnabled(bool(classes))

    def select_class(self, index: int) -> None:
        """Point the class box at class ``index`` (the model's prediction, after a run)."""
        row = self.class_box.findData(index)
        if row >= 0:
            self.class_box.setCurrentIndex(row)

    def config(self) -> ExplainConfig:
        from training.explain import ExplainConfig

        return ExplainConfig(segmentation=self.segmentation.currentData(), window_s=round(self.window_s.value(), 3),
                             baseline=self.baseline.currentData(), n_samples=self.n_samples.value())

    def _request(self) -> None:
        if self.class_box.count():
            self.explainRequested.emit(int(self.class_box.currentData()), self.config())

    def set_running(self, running: bool) -> None:
        self.explain_button.setEnabled(not running and self.class_box.count() > 0)
        self.cancel_button.setEnabled(running)
        self.progress.setVisible(running)
        if running:
            self.progress.setRange(0, 0)
            self.segments.clear()
            self.quality.clear()
            self.note.setText("Explaining…")

    def set_progress(self, done: int, total: int) -> None:
        self.progress.setRange(0, total)
        self.progress.setValue(done)

    def clear(self, note: str = "") -> None:
        self.segments.clear()
        self.quality.clear()
        self.note.setText(note)

    def show_explanation(self, result: RecordExplanation, class_name: str) -> None:
        from training.explain_record import AGREEMENT_K

        self.set_running(False)
        start, end = result.window
        where = (f"Explained the {result.window_s:g} s window {start:.1f}–{end:.1f} s, where {class_name} is most "
                 f"probable ({result.n_windows} windows in this record)." if result.n_windows > 1 else
                 f"Explained the model's whole {result.window_s:g} s input.")
        self.note.setText(f"{where} Model probability {result.lime.probability:.2f}.")
        r2 = result.lime.score
        agree = result.agreement
        caution = " <span style='color:#8a1c1c'>(low: read with caution)</span>" if (r2 or 0) < 0.3 else ""
        self.quality.setText(f"LIME surrogate R² <b>{r2:.2f}</b>{caution}<br>Agreement with occlusion: "
                             f"Spearman ρ <b>{agree.spearman:.2f}</b>, top-{AGREEMENT_K} overlap "
                             f"<b>{agree.top_overlap:.0%}</b>")
        self.segments.clear()
        for lead, t0, t1, weight in result.top(TOP_SEGMENTS):
            item = QListWidgetItem(f"{lead:>4}  {t0:.2f}–{t1:.2f} s  {weight:+.3f}")
            item.setToolTip("supports the class" if weight > 0 else "speaks against the class")
            item.setData(Qt.UserRole, (t0, t1))
            item.setForeground(POSITIVE_INK.darker(130) if weight > 0 else NEGATIVE_INK.darker(130))
            self.segments.addItem(item)

    def _jump(self, item: QListWidgetItem) -> None:
        t0, t1 = item.data(Qt.UserRole)
        self.jumpTo.emit(float(t0), float(t1))
