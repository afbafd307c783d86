"""Who is annotating: a name kept in QSettings, asked for once, inline, never in a blocking dialog.

Every annotation and audit row carries this name, so it is asked before the first change rather than
defaulting to the login name (shared lab machines) — and inline so a test or a busy clinician is
never stuck behind a modal box.
"""

from __future__ import annotations

from PySide6.QtCore import QSettings, Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QLineEdit, QPushButton, QStackedWidget, QWidget

AUTHOR_KEY = "annotations/author"


def load_author(settings: QSettings) -> str:
    return str(settings.value(AUTHOR_KEY, "") or "").strip()


def save_author(settings: QSettings, name: str) -> None:
    settings.setValue(AUTHOR_KEY, name.strip())
    settings.sync()


class AuthorBar(QStackedWidget):
    """"Annotating as NAME  [Change]", or, while no name is known, a line edit asking for it."""

    authorChanged = Signal(str)

    def __init__(self, settings: QSettings, parent: QWidget | None = None):
        super().__init__(parent)
        self._settings = settings
        self.name_edit = QLineEdit()
        self.name_edit.setPlaceholderText("Your name, as it should appear on annotations")
        self.name_edit.returnPressed.connect(self._save)
        save = QPushButton("Save name")
        save.clicked.connect(self._save)
        ask = QWidget()
        ask.setObjectName("authorAsk")
        ask.setStyleSheet("#authorAsk { background: #fff4d6; border: 1px solid #e0b84a; border-radius: 4px; }")
        ask_row = QHBoxLayout(ask)
        ask_row.setContentsMargins(6, 4, 6, 4)
        ask_row.addWidget(QLabel("Who is annotating?"))
        ask_row.addWidget(self.name_edit, 1)
        ask_row.addWidget(save)
        self._shown_name = QLabel()
        self._shown_name.setTextFormat(Qt.PlainText)
        change = QPushButton("Change…")
        change.setFlat(True)
        change.setToolTip("Annotate under another name (existing annotations keep their author)")
        change.clicked.connect(self._ask)
        named = QWidget()
        named_row = QHBoxLayout(named)
        named_row.setContentsMargins(0, 0, 0, 0)
        named_row.addWidget(self._shown_name, 1)
        named_row.addWidget(change)
        self.addWidget(ask)
        self.addWidget(named)
        self._show(load_author(settings))

    @property
    def author(self) -> str:
        return load_author(self._settings)

    def set_author(self, name: str) -> None:
        """Store ``name`` as the annotating author (empty: ask again)."""
        save_author(self._settings, name)
        self._show(self.author)
        self.authorChanged.emit(self.author)

    def _save(self) -> None:
        if self.name_edit.text().strip():
            self.set_author(self.name_edit.text())

    def _ask(self) -> None:
        self.name_edit.setText(self.author)
        self.setCurrentIndex(0)
        self.name_edit.setFocus()
        self.name_edit.selectAll()

    def _show(self, name: str) -> None:
        self._shown_name.setText(f"Annotating as {name}" if name else "")
        self.setCurrentIndex(1 if name else 0)
