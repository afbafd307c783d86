"""Interval marks: a table of the record's marks and the inline editor that adds or changes one.

The editor is part of the panel, not a dialog, so a drag on the plot opens it without blocking the
app (or a test): the label field takes focus, Enter saves, Escape cancels.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor, QKeyEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (QAbstractItemView, QComboBox, QCompleter, QDoubleSpinBox, QFormLayout, QFrame,
                               QHBoxLayout, QHeaderView, QLabel, QLineEdit, QPushButton, QTableWidget,
                               QTableWidgetItem, QWidget)

from ecgstudio.annotations.model import INTERVAL, Annotation

ALL_LEADS = "All leads"
COLUMNS = ("Lead", "Start", "End", "Label", "Author", "✔")
_SECONDS = "Seconds from the start of the record"
_COLUMN_TIPS = ("The lead marked, or all leads", _SECONDS, _SECONDS, "", "Who made the mark",
                "Signed (confirmed) by its author")


class IntervalTable(QTableWidget):
    """One row per live interval; Enter or double-click asks to jump there, F2 edit, Delete delete."""

    jumpRequested = Signal(float, float)
    editRequested = Signal()
    deleteRequested = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(0, len(COLUMNS), parent)
        self.setHorizontalHeaderLabels(COLUMNS)
        for column, tip in enumerate(_COLUMN_TIPS):
            self.horizontalHeaderItem(column).setToolTip(tip)
        self.setSelectionBehavior(QAbstractItemView.SelectRows)
        self.setSelectionMode(QAbstractItemView.SingleSelection)
        self.setEditTriggers(QAbstractItemView.NoEditTriggers)
        self.setAlternatingRowColors(True)
        self.verticalHeader().setVisible(False)
        self.setTextElideMode(Qt.ElideRight)
        header = self.horizontalHeader()
        header.setMinimumSectionSize(36)
        for column in (0, 1, 2, 5):
            header.setSectionResizeMode(column, QHeaderView.ResizeToContents)
        header.setSectionResizeMode(3, QHeaderView.Stretch)  # the label matters most: it takes the spare room
        header.setSectionResizeMode(4, QHeaderView.Interactive)
        self.setWordWrap(False)
        self.cellDoubleClicked.connect(lambda row, _column: self._jump(row))
        self._intervals: list[Annotation] = []

    def show_intervals(self, annotations: list[Annotation], colours: dict[str, str], keep_id: int | None = None) -> None:
        """Fill the table with the live intervals, a swatch of each label's plot colour beside it,
        keeping (or moving to) ``keep_id``'s row."""
        keep_id = self.selected_id() if keep_id is None else keep_id
        self._intervals = [a for a in annotations if a.kind == INTERVAL and not a.deleted]
        self.setRowCount(len(self._intervals))
        for row, a in enumerate(self._intervals):
            signed = "✔" if a.confirmed else ""
            cells = (a.lead or "All", f"{a.t0:.3f} s", f"{a.t1:.3f} s", a.label, a.author, signed)
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if column in (1, 2):
                    item.setTextAlignment(Qt.AlignRight | Qt.AlignVCenter)
                if column == 5:
                    item.setTextAlignment(Qt.AlignCenter)
                    item.setForeground(QColor("#1d7a35"))
                item.setToolTip(_tooltip(a))
                self.setItem(row, column, item)
            self.item(row, 3).setData(Qt.DecorationRole, QColor(colours[a.label]))
        ids = [a.id for a in self._intervals]
        if keep_id in ids:
            self.selectRow(ids.index(keep_id))

    def resizeEvent(self, event) -> None:
        """Give the author column what the label (which stretches) can spare, between 60 and 150 px."""
        super().resizeEvent(event)
        fixed = sum(self.columnWidth(column) for column in (0, 1, 2, 5))
        self.setColumnWidth(4, min(150, max(60, self.viewport().width() - fixed - 110)))

    def selected(self) -> Annotation | None:
        rows = self.selectionModel().selectedRows()
        return self._intervals[rows[0].row()] if rows else None

    def selected_id(self) -> int | None:
        selected = self.selected()
        return selected.id if selected else None

    def keyPressEvent(self, event: QKeyEvent) -> None:
        key = event.key()
        if key in (Qt.Key_Return, Qt.Key_Enter) and not event.modifiers() and self.currentRow() >= 0:
            self._jump(self.currentRow())
        elif key == Qt.Key_F2:
            self.editRequested.emit()
        elif key in (Qt.Key_Delete, Qt.Key_Backspace):
            self.deleteRequested.emit()
        else:
            super().keyPressEvent(event)

    def _jump(self, row: int) -> None:
        if 0 <= row < len(self._intervals):
            self.jumpRequested.emit(self._intervals[row].t0, self._intervals[row].t1)


class IntervalEditor(QFrame):
    """Inline form for one interval: lead, start, end, label (with completion) and note."""

    saved = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("intervalEditor")
        self.setStyleSheet("#intervalEditor { background: #f3f7fc; border: 1px solid #9db7d8; border-radius: 4px; }")
        self.editing_id: int | None = None
        self.title = QLabel()
        self.lead_combo = QComboBox()
        self.start_spin, self.end_spin = _seconds_box(), _seconds_box()
        self.label_edit = QLineEdit()
        self.label_edit.setPlaceholderText("e.g. PVC, ST elevation, artefact")
        self.label_edit.returnPressed.connect(self._save)
        self.label_edit.textChanged.connect(self._update_save)
        self.note_edit = QLineEdit()
        self.note_edit.setPlaceholderText("Optional note")
        self.note_edit.returnPressed.connect(self._save)
        self.save_button = QPushButton("Save")
        self.save_button.setDefault(True)
        self.save_button.clicked.connect(self._save)
        cancel = QPushButton("Cancel")
        cancel.clicked.connect(self.cancel)
        QShortcut(QKeySequence(Qt.Key_Escape), self, self.cancel, context=Qt.WidgetWithChildrenShortcut)
        times = QHBoxLayout()
        times.addWidget(self.start_spin)
        times.addWidget(QLabel("to"))
        times.addWidget(self.end_spin)
        times.addStretch(1)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(cancel)
        buttons.addWidget(self.save_button)
        form = QFormLayout(self)
        form.setContentsMargins(8, 6, 8, 6)
        form.addRow(self.title)
        form.addRow("Lead", self.lead_combo)
        form.addRow("Time", times)
        form.addRow("Label", self.label_edit)
        form.addRow("Note", self.note_edit)
        form.addRow(buttons)
        self._can_save = True
        self.hide()

    def set_suggestions(self, labels: list[str]) -> None:
        completer = QCompleter(labels, self)
        completer.setCaseSensitivity(Qt.CaseInsensitive)
        completer.setFilterMode(Qt.MatchContains)
        self.label_edit.setCompleter(completer)

    def set_can_save(self, allowed: bool, reason: str = "") -> None:
        """Saving needs an author; the form stays open meanwhile so the drawn interval is not lost."""
        self._can_save = allowed
        self.save_button.setToolTip(reason)
        self._update_save()

    def begin(self, leads: tuple[str, ...], duration: float, lead: str | None, t0: float, t1: float,
              label: str = "", note: str = "", editing_id: int | None = None) -> None:
        """Open the form for a new interval (``editing_id`` None) or for changing one."""
        self.editing_id = editing_id
        self.title.setText("<b>Edit interval</b>" if editing_id else "<b>New interval</b> — name it and press Enter")
        self.lead_combo.clear()
        self.lead_combo.addItem(ALL_LEADS, None)
        for name in leads:
            self.lead_combo.addItem(name, name)
        self.lead_combo.setCurrentIndex(max(self.lead_combo.findData(lead), 0))
        for spin in (self.start_spin, self.end_spin):
            spin.setMaximum(duration if duration > 0 else 1e9)
        self.start_spin.setValue(t0)
        self.end_spin.setValue(t1)
        self.label_edit.setText(label)
        self.note_edit.setText(note)
        self.show()
        self.label_edit.setFocus()
        self.label_edit.selectAll()

    def values(self) -> tuple[str | None, float, float, str, str]:
        """(lead or None for all leads, t0, t1, label, note) as entered."""
        return (self.lead_combo.currentData(), self.start_spin.value(), self.end_spin.value(),
                self.label_edit.text().strip(), self.note_edit.text().strip())

    def cancel(self) -> None:
        self.editing_id = None
        self.hide()

    def _save(self) -> None:
        if self.save_button.isEnabled():
            self.saved.emit()

    def _update_save(self) -> None:
        self.save_button.setEnabled(self._can_save and bool(self.label_edit.text().strip()))


def _seconds_box() -> QDoubleSpinBox:
    box = QDoubleSpinBox()
    box.setDecimals(3)
    box.setSingleStep(0.01)
    box.setSuffix(" s")
    box.setKeyboardTracking(False)
    return box


def _tooltip(a: Annotation) -> str:
    lines = [f"{a.label} on {a.lead or 'all leads'}, {a.t0:.3f}–{a.t1:.3f} s ({(a.t1 - a.t0) * 1000:.0f} ms)",
             f"by {a.author}, created {a.created_at[:16].replace('T', ' ')} UTC"]
    if a.confirmed:
        lines.append(f"signed {a.confirmed_at[:16].replace('T', ' ')} UTC")
    if a.note:
        lines.append(f"Note: {a.note}")
    return "\n".join(lines)
