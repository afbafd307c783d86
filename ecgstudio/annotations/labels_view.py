"""Record-level labels as a checklist: the vocabulary grouped by source, then free-text labels.

A tick is the current author's label; other readers' labels are named beside the term, so a second
reader sees them without their ticks being mistaken for their own. The view only reports what the
user did (``labelToggled``, ``freeTextAdded``); the panel changes the store.
"""

from __future__ import annotations

from collections import defaultdict

from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFont
from PySide6.QtWidgets import (QHBoxLayout, QLineEdit, QListWidget, QListWidgetItem, QPushButton, QVBoxLayout,
                               QWidget)

from ecgstudio.annotations.model import CINC_SOURCE, LABEL, PTBXL_SOURCE, Annotation, Term

FREE_TEXT = "Free text"
_SECTION_TITLES = {PTBXL_SOURCE: "PTB-XL superclasses", CINC_SOURCE: "CinC 2021 scored diagnoses"}
_CODE = Qt.UserRole
_SECTION = Qt.UserRole + 1


#: The checklist is at least this many rows tall (it was 3–4 rows and hid what was ticked).
MIN_LIST_ROWS = 9
_SWALLOWED_KEYS = (Qt.Key_Space, Qt.Key_Select)


class LabelList(QWidget):
    """Checkable vocabulary + free text for one record; ``labelToggled(code, checked)`` on a tick."""

    labelToggled = Signal(str, bool)
    freeTextAdded = Signal(str)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.filter_edit = QLineEdit()
        self.filter_edit.setPlaceholderText("Filter labels…")
        self.filter_edit.setClearButtonEnabled(True)
        self.filter_edit.textChanged.connect(self._apply_filter)
        self.list = QListWidget()
        self.list.setAlternatingRowColors(True)
        self.list.setTextElideMode(Qt.ElideRight)  # long CinC names end in "…"; the tooltip has them whole
        self.list.setHorizontalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
        self.list.itemChanged.connect(self._on_item_changed)
        # Space on a checkable list ticks the current row: a stray press labelled a record with a
        # diagnosis nobody chose. Ticks come from a click on the box (or the item's own toggle) only.
        self.list.installEventFilter(self)
        self.list.setMinimumHeight(MIN_LIST_ROWS * self.list.fontMetrics().height() + 12)
        self.free_text_edit = QLineEdit()
        self.free_text_edit.setPlaceholderText("Another label (free text)…")
        self.free_text_edit.returnPressed.connect(self._add_free_text)
        self.add_button = QPushButton("Add")
        self.add_button.clicked.connect(self._add_free_text)
        free_row = QHBoxLayout()
        free_row.addWidget(self.free_text_edit, 1)
        free_row.addWidget(self.add_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.filter_edit)
        layout.addWidget(self.list, 1)
        layout.addLayout(free_row)

    def show_labels(self, terms: list[Term], annotations: list[Annotation], author: str) -> None:
        """Rebuild the checklist from the vocabulary and the record's live labels."""
        by_label: dict[str, list[Annotation]] = defaultdict(list)
        for annotation in annotations:
            if annotation.kind == LABEL and not annotation.deleted:
                by_label[annotation.label].append(annotation)
        sections: dict[str, list[tuple[str, str]]] = defaultdict(list)
        for term in terms:
            sections[term.source].append((term.code, _term_text(term)))
        known = {term.code for term in terms}
        sections[FREE_TEXT] = [(label, label) for label in sorted(by_label, key=str.casefold) if label not in known]
        self.list.blockSignals(True)
        self.list.clear()
        for source, entries in sections.items():
            if entries:
                self._add_section(_SECTION_TITLES.get(source, source))
            for code, text in entries:
                self._add_term(code, text, by_label.get(code, []), author)
        self.list.blockSignals(False)
        self._apply_filter(self.filter_edit.text())

    def eventFilter(self, watched, event) -> bool:
        if watched is self.list and event.type() == QEvent.KeyPress and event.key() in _SWALLOWED_KEYS:
            return True
        return super().eventFilter(watched, event)

    def checked_codes(self) -> list[str]:
        return [item.data(_CODE) for item in self._term_items() if item.checkState() == Qt.Checked]

    def item_for(self, code: str) -> QListWidgetItem | None:
        return next((item for item in self._term_items() if item.data(_CODE) == code), None)

    def _term_items(self) -> list[QListWidgetItem]:
        items = (self.list.item(row) for row in range(self.list.count()))
        return [item for item in items if item.data(_CODE) is not None]

    def _add_section(self, title: str) -> None:
        item = QListWidgetItem(title.upper())
        item.setFlags(Qt.NoItemFlags)
        item.setData(_SECTION, True)
        font = item.font()
        font.setPointSizeF(font.pointSizeF() * 0.85)
        font.setWeight(QFont.DemiBold)
        item.setFont(font)
        item.setForeground(QBrush(QColor("#5b6470")))
        item.setBackground(QBrush(QColor("#eef1f5")))
        self.list.addItem(item)

    def _add_term(self, code: str, text: str, labels: list[Annotation], author: str) -> None:
        mine = next((a for a in labels if a.author == author), None)
        others = sorted({a.author for a in labels if a.author != author}, key=str.casefold)
        suffix = []
        if mine is not None and mine.confirmed:
            suffix.append("✔ signed")
        if others:
            suffix.append(("also " if mine else "by ") + ", ".join(others))
        item = QListWidgetItem(text + (f"   — {'; '.join(suffix)}" if suffix else ""))
        item.setFlags(Qt.ItemIsEnabled | Qt.ItemIsSelectable | Qt.ItemIsUserCheckable)
        item.setCheckState(Qt.Checked if mine else Qt.Unchecked)
        item.setData(_CODE, code)
        tips = [f"{a.author}: {'signed ' + a.confirmed_at[:16].replace('T', ' ') if a.confirmed else 'not signed'}"
                + (f" — {a.note}" if a.note else "") for a in labels]
        item.setToolTip("\n".join([f"Code {code}" if code != text else text] + tips))
        self.list.addItem(item)

    def _on_item_changed(self, item: QListWidgetItem) -> None:
        if item.data(_CODE) is not None:
            self.labelToggled.emit(item.data(_CODE), item.checkState() == Qt.Checked)

    def _add_free_text(self) -> None:
        text = " ".join(self.free_text_edit.text().split())
        if text:
            self.free_text_edit.clear()
            self.freeTextAdded.emit(text)

    def _apply_filter(self, text: str) -> None:
        needle = text.strip().casefold()
        header: QListWidgetItem | None = None
        header_visible = False
        for row in range(self.list.count()):
            item = self.list.item(row)
            if item.data(_SECTION):
                if header is not None:
                    header.setHidden(not header_visible)
                header, header_visible = item, False
                continue
            hidden = bool(needle) and needle not in item.text().casefold() and needle not in item.data(_CODE).casefold()
            item.setHidden(hidden)
            header_visible = header_visible or not hidden
        if header is not None:
            header.setHidden(not header_visible)


def _term_text(term: Term) -> str:
    """"NORM — normal ECG" for short codes; CinC display names already carry their abbreviation."""
    if term.code.isdigit() or "|" in term.code or term.display == term.code:
        return term.display
    return f"{term.code} — {term.display}"
