"""A new reading study: name, the records (a folder's records, read once to know them), labels, readers."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (QDialog, QDialogButtonBox, QFileDialog, QFormLayout, QHBoxLayout, QLabel, QLineEdit,
                               QListWidget, QListWidgetItem, QPushButton, QWidget)

from ecgstudio.annotations.model import Term


class NewStudyDialog(QDialog):
    def __init__(self, vocabulary: list[Term], folder: str = "", parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("New reading study")
        self.name = QLineEdit(placeholderText="e.g. PTB-XL triage, spring 2026")
        self.folder = QLineEdit(folder)
        browse = QPushButton("Browse…", clicked=self._browse)
        folder_row = QHBoxLayout()
        folder_row.addWidget(self.folder, 1)
        folder_row.addWidget(browse)
        self.readers = QLineEdit(placeholderText="names as they annotate, comma-separated (on a server: user names)")
        self.labels = QListWidget()
        for term in vocabulary:
            item = QListWidgetItem(f"{term.code} — {term.display}" if term.display != term.code else term.code)
            item.setData(Qt.UserRole, term.code)
            item.setFlags(item.flags() | Qt.ItemIsUserCheckable)
            item.setCheckState(Qt.Unchecked)
            self.labels.addItem(item)
        self.problem = QLabel()
        self.problem.setStyleSheet("color: #b00020;")
        buttons = QDialogButtonBox(QDialogButtonBox.Ok | QDialogButtonBox.Cancel)
        buttons.accepted.connect(self._accept)
        buttons.rejected.connect(self.reject)
        form = QFormLayout(self)
        form.addRow("Name", self.name)
        form.addRow("Records in folder", folder_row)
        form.addRow("Readers", self.readers)
        form.addRow("Labels", self.labels)
        form.addRow(self.problem)
        form.addRow(buttons)

    def values(self) -> tuple[str, Path, list[str], list[str]]:
        codes = [self.labels.item(i).data(Qt.UserRole) for i in range(self.labels.count())
                 if self.labels.item(i).checkState() == Qt.Checked]
        readers = [r.strip() for r in self.readers.text().split(",") if r.strip()]
        return self.name.text().strip(), Path(self.folder.text().strip()), codes, readers

    def _accept(self) -> None:
        name, folder, codes, readers = self.values()
        problem = ("name the study" if not name else "choose a folder of records" if not folder.is_dir()
                   else "tick at least one label" if not codes else "name at least two readers" if len(readers) < 2
                   else "")
        self.problem.setText(problem)
        if not problem:
            self.accept()

    def _browse(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Records of the study", self.folder.text())
        if folder:
            self.folder.setText(folder)
