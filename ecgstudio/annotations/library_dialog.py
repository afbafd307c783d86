"""The library-location setting: a SQLite file of one's own, or the team's PostgreSQL server URL.

A location is checked before it is saved (the dialog opens it, and names the user the server sees),
and takes effect at the next start: the annotation, PE and job features all share the one library.
"""

from __future__ import annotations

from PySide6.QtWidgets import (QDialog, QDialogButtonBox, QFileDialog, QHBoxLayout, QLabel, QLineEdit, QPushButton,
                               QVBoxLayout, QWidget)

from ecgstudio.store.db import Database
from ecgstudio.store.errors import LibraryError, display_location
from ecgstudio.store.location import ENV_VAR


class LibraryLocationDialog(QDialog):
    """Edit one location; :meth:`location` after ``exec()`` returns what to save."""

    def __init__(self, current: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Annotation library")
        self.edit = QLineEdit(current)
        self.edit.setPlaceholderText("/path/to/library.sqlite   or   postgresql://alice@server/ecg")
        self.edit.setMinimumWidth(460)
        browse = QPushButton("File…", clicked=self._browse)
        self.test_button = QPushButton("Test", clicked=self.test)
        self.result = QLabel()
        self.result.setWordWrap(True)
        hint = QLabel("A file keeps the library on this workstation (or a shared folder). A team server URL "
                      "connects you as your own database user; ask your administrator for it. "
                      f"The {ENV_VAR} environment variable and the --library option take precedence. "
                      "The new library opens at the next start.")
        hint.setWordWrap(True)
        hint.setStyleSheet("color: #5b6470;")
        row = QHBoxLayout()
        row.addWidget(self.edit, 1)
        row.addWidget(browse)
        row.addWidget(self.test_button)
        buttons = QDialogButtonBox(QDialogButtonBox.Save | QDialogButtonBox.Cancel)
        buttons.accepted.connect(self._accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(row)
        layout.addWidget(self.result)
        layout.addWidget(hint)
        layout.addWidget(buttons)

    def location(self) -> str:
        return self.edit.text().strip()

    def test(self) -> bool:
        """Open the library once; say whom the server sees, or why it cannot be opened."""
        location = self.location()
        if not location:
            self._say("Enter a file path or a postgresql:// URL.", ok=False)
            return False
        try:
            db = Database(location)
        except LibraryError as exc:
            self._say(exc.reason, ok=False)
            return False
        who = f" as {db.user}" if db.user else ""
        db.close()
        self._say(f"Opened {display_location(location)}{who}.", ok=True)
        return True

    def _accept(self) -> None:
        if self.test():
            self.accept()

    def _browse(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Library file", self.location(), "ECG Studio library (*.sqlite *.ecglib)",
                                              options=QFileDialog.DontConfirmOverwrite)
        if path:
            self.edit.setText(path)

    def _say(self, text: str, ok: bool) -> None:
        self.result.setStyleSheet(f"color: {'#1d7a35' if ok else '#b00020'};")
        self.result.setText(text)
