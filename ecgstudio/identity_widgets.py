"""Widgets over the app's one :class:`~ecgstudio.identity.Identity`.

* :class:`AuthorBar` — "Annotating as NAME [Change…]" at the top of a panel that records changes, or,
  while no name is known, an inline line edit asking for it (never a blocking dialog, so a busy
  clinician or a test is not stuck behind a modal box). Every bar follows the same identity.
* :class:`IdentityStatus` — the name in the window's status bar, with a button to change it.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QLabel, QLineEdit, QPushButton, QStackedWidget, QWidget

from ecgstudio.identity import Identity


class AuthorBar(QStackedWidget):
    """"Annotating as NAME  [Change]", or, while no name is known, a line edit asking for it."""

    def __init__(self, identity: Identity, parent: QWidget | None = None):
        super().__init__(parent)
        self.identity = identity
        self.name_edit = QLineEdit()
        self.name_edit.setPlaceholderText("Your name, as it should appear on annotations and forms")
        self.name_edit.returnPressed.connect(self._save)
        save = QPushButton("Save name")
        save.clicked.connect(self._save)
        ask = QWidget()
        ask.setObjectName("authorAsk")
        ask.setStyleSheet("#authorAsk { background: #fff4d6; border: 1px solid #e0b84a; border-radius: 4px; }")
        ask_row = QHBoxLayout(ask)
        ask_row.setContentsMargins(6, 4, 6, 4)
        ask_row.addWidget(QLabel("Who is working?"))
        ask_row.addWidget(self.name_edit, 1)
        ask_row.addWidget(save)
        self._shown_name = QLabel()
        self._shown_name.setTextFormat(Qt.PlainText)
        self.change_button = QPushButton("Change…")
        self.change_button.setFlat(True)
        self.change_button.setToolTip("Work under another name (existing annotations keep their author)")
        self.change_button.clicked.connect(self.ask)
        named = QWidget()
        named_row = QHBoxLayout(named)
        named_row.setContentsMargins(0, 0, 0, 0)
        named_row.addWidget(self._shown_name, 1)
        named_row.addWidget(self.change_button)
        self.addWidget(ask)
        self.addWidget(named)
        identity.changed.connect(self._show)
        self._show(identity.name)

    @property
    def author(self) -> str:
        return self.identity.name

    def set_author(self, name: str) -> None:
        """Store ``name`` as the app's user (empty: ask again)."""
        self.identity.set_name(name)

    def ask(self) -> None:
        """Show the name field, prefilled, to change the name."""
        self.name_edit.setText(self.author)
        self.setCurrentIndex(0)
        self.name_edit.setFocus()
        self.name_edit.selectAll()

    def _save(self) -> None:
        if self.name_edit.text().strip():
            self.set_author(self.name_edit.text())
            self._show(self.author)  # also when the name typed is the one already in use

    def _show(self, name: str) -> None:
        self._shown_name.setText(f"Annotating as {name}" if name else "")
        self.setCurrentIndex(1 if name else 0)


class IdentityStatus(QWidget):
    """The status-bar corner: "Signed as NAME" (or "No name set"), and a field to change it inline."""

    def __init__(self, identity: Identity, parent: QWidget | None = None):
        super().__init__(parent)
        self.identity = identity
        self.label = QLabel()
        self.label.setTextFormat(Qt.PlainText)
        self.edit = QLineEdit(placeholderText="your name")
        self.edit.setMaximumWidth(180)
        self.edit.returnPressed.connect(self._save)
        self.edit.hide()
        self.change_button = QPushButton("Change…")
        self.change_button.setFlat(True)
        self.change_button.clicked.connect(self._ask)
        line = QHBoxLayout(self)
        line.setContentsMargins(0, 0, 0, 0)
        line.addWidget(self.label)
        line.addWidget(self.edit)
        line.addWidget(self.change_button)
        identity.changed.connect(self._show)
        self._show(identity.name)

    def _ask(self) -> None:
        self.edit.setText(self.identity.name)
        self.edit.show()
        self.edit.setFocus()
        self.edit.selectAll()

    def _save(self) -> None:
        if self.edit.text().strip():
            self.identity.set_name(self.edit.text())
        self.edit.hide()

    def _show(self, name: str) -> None:
        self.label.setText(f"Signed as {name}" if name else "No name set")
        self.change_button.setText("Change…" if name else "Set name…")
