"""The audit trail made visible: every change to the open record's annotations — who, what, when —
newest first, for the whole record or the one annotation picked.

The store writes an audit row with each change (create, edit, delete, confirm = sign) in the same
transaction; this view only reads them. Values are said in words: the label's name, the interval's
lead and times, and for an edit what changed from what to what.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableWidget, QTableWidgetItem

from ecgstudio.annotations.model import INTERVAL, Annotation
from ecgstudio.annotations.words import label_in_words
from ecgstudio.store import AuditEntry

COLUMNS = ("When (UTC)", "Who", "What")
_VERBS = {"create": "added", "edit": "edited", "delete": "deleted", "confirm": "signed",
          "rekey": "moved to the record's new key:"}
#: Fields whose change an edit row names.
_EDITABLE = ("label", "lead", "t0", "t1", "note")


def describe_annotation(values: dict, words: dict[str, str] | None = None) -> str:
    """``label “normal ECG”`` or ``mark “ST depression” on V5, 7.60–9.00 s``."""
    label = label_in_words(str(values.get("label", "")), words)
    if values.get("kind") == INTERVAL:
        return (f"mark “{label}” on {values.get('lead') or 'all leads'}, "
                f"{float(values.get('t0') or 0):.2f}–{float(values.get('t1') or 0):.2f} s")
    return f"label “{label}”"


def describe_entry(entry: AuditEntry, words: dict[str, str] | None = None) -> str:
    """One audit row in words: what was done to which annotation, and for an edit, what changed."""
    values = entry.new or entry.old or {}
    text = f"{_VERBS.get(entry.action, entry.action)} {describe_annotation(values, words)}"
    if entry.action == "edit" and entry.old and entry.new:
        changes = [f"{field} {_value(entry.old.get(field))} → {_value(entry.new.get(field))}"
                   for field in _EDITABLE if entry.old.get(field) != entry.new.get(field)]
        if changes:
            text += " (" + ", ".join(changes) + ")"
    return text


def _value(value: object) -> str:
    if value is None or value == "":
        return "—"
    return f"{value:.2f}" if isinstance(value, float) else str(value)


class HistoryTable(QTableWidget):
    """Audit rows of a record's annotations, newest first."""

    def __init__(self) -> None:
        super().__init__(0, len(COLUMNS))
        self.setHorizontalHeaderLabels(COLUMNS)
        self.setEditTriggers(QAbstractItemView.NoEditTriggers)
        self.setSelectionMode(QAbstractItemView.NoSelection)
        self.setWordWrap(True)
        self.verticalHeader().hide()
        header = self.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.Stretch)
        self.setMinimumHeight(110)

    def show_history(self, entries: list[AuditEntry], words: dict[str, str] | None = None) -> None:
        rows = sorted(entries, key=lambda e: e.id, reverse=True)
        self.setRowCount(len(rows))
        for row, entry in enumerate(rows):
            cells = (entry.at[:19].replace("T", " "), entry.actor, describe_entry(entry, words))
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setToolTip(text)
                item.setTextAlignment(Qt.AlignLeft | Qt.AlignVCenter)
                self.setItem(row, column, item)
        self.resizeRowsToContents()

    def texts(self) -> list[tuple[str, str, str]]:
        """(when, who, what) of every row shown, top to bottom."""
        return [tuple(self.item(r, c).text() for c in range(len(COLUMNS))) for r in range(self.rowCount())]


def record_history(store, annotations: list[Annotation]) -> list[AuditEntry]:
    """Every audit row of ``annotations`` (pass deleted ones too: their deletion is history)."""
    return [entry for annotation in annotations for entry in store.history(annotation.id)]
