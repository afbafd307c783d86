"""Small input widgets of the job dialog, each with a red message line under it for its problems.

Why a wrapper per field: a researcher fixing a config must see which field is wrong where it is, not
in a message box that hides the form.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (QComboBox, QHBoxLayout, QLabel, QListWidget, QListWidgetItem, QVBoxLayout,
                               QWidget)

from training.data.record import STANDARD_LEADS

ERROR_STYLE = "color: #b00020; font-size: 11px;"
LEAD_CHOICES = {
    "all 12 leads": STANDARD_LEADS,
    "limb leads (I, II, III, aVR, aVL, aVF)": STANDARD_LEADS[:6],
    "I, II": ("I", "II"),
    "II": ("II",),
}


class Field(QWidget):
    """An input widget with its problem message (hidden while there is none) below it."""

    def __init__(self, editor: QWidget, hint: str = ""):
        super().__init__()
        self.editor = editor
        self.error = QLabel(wordWrap=True)
        self.error.setStyleSheet(ERROR_STYLE)
        self.error.setTextInteractionFlags(Qt.TextSelectableByMouse)
        self.error.hide()
        column = QVBoxLayout(self)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(1)
        column.addWidget(editor)
        if hint:
            note = QLabel(hint, wordWrap=True)
            note.setStyleSheet("color: #666; font-size: 11px;")
            column.addWidget(note)
        column.addWidget(self.error)

    def set_error(self, message: str) -> None:
        self.error.setText(message)
        self.error.setVisible(bool(message))
        self.editor.setStyleSheet("QLineEdit, QComboBox, QAbstractSpinBox, QListWidget"
                                  " { border: 1px solid #b00020; }" if message else "")


def row(*widgets: QWidget, stretch_last: bool = False) -> QWidget:
    """Widgets side by side, as one form row."""
    box = QWidget()
    line = QHBoxLayout(box)
    line.setContentsMargins(0, 0, 0, 0)
    for i, widget in enumerate(widgets):
        line.addWidget(widget, 1 if stretch_last and i == len(widgets) - 1 else 0)
    if not stretch_last:
        line.addStretch(1)
    return box


class LeadsBox(QComboBox):
    """Common lead subsets, or any comma-separated list typed in."""

    def __init__(self):
        super().__init__()
        self.setEditable(True)
        for name in LEAD_CHOICES:
            self.addItem(name)

    def leads(self) -> list[str]:
        text = self.currentText().strip()
        if text in LEAD_CHOICES:
            return list(LEAD_CHOICES[text])
        return [lead.strip() for lead in text.split(",") if lead.strip()]

    def set_leads(self, leads: list[str]) -> None:
        for name, subset in LEAD_CHOICES.items():
            if tuple(leads) == tuple(subset):
                self.setCurrentText(name)
                return
        self.setCurrentText(", ".join(leads))


class ChecklistBox(QListWidget):
    """A short list of names to tick (augmentations)."""

    def __init__(self, names: list[str]):
        super().__init__()
        for name in names:
            item = QListWidgetItem(name.replace("_", " "))
            item.setData(Qt.UserRole, name)
            item.setCheckState(Qt.Unchecked)
            self.addItem(item)
        self.setFixedHeight(len(names) * 18 + 6)

    def checked(self) -> list[str]:
        return [self.item(i).data(Qt.UserRole) for i in range(self.count())
                if self.item(i).checkState() == Qt.Checked]

    def set_checked(self, names: list[str]) -> None:
        for i in range(self.count()):
            item = self.item(i)
            item.setCheckState(Qt.Checked if item.data(Qt.UserRole) in names else Qt.Unchecked)
