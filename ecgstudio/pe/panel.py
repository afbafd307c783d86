"""The PE work-up dock: the open record's form, the rules' live readings and the ECG model's output.

Rules update on every keystroke; the form reaches the library only on Save (one audited transaction),
and only when every field is valid — otherwise the notes next to the fields say what to fix.
"""

from __future__ import annotations

from html import escape

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QScrollArea, QVBoxLayout, QWidget

from ecgstudio.identity import Identity
from ecgstudio.identity_widgets import AuthorBar
from ecgstudio.pe.ecg_signs_view import EcgSignsView
from ecgstudio.pe.form import PEForm, blocked_rules, evaluate
from ecgstudio.pe.form_view import ERROR_INK, PEFormView
from ecgstudio.pe.results_view import ModelView, RulesView
from ecgstudio.pe.store import MissingAuthorError, PEFormStore
from ecgstudio.store import LibraryError
from training.clinical.errors import ClinicalInputError
from training.clinical.rules import PEFindings

_SAVED_INK = "#1d7a35"


class PEPanel(QScrollArea):
    """The form of one record (``set_record`` first; without a record the form is disabled)."""

    def __init__(self, store: PEFormStore, identity: Identity, parent: QWidget | None = None):
        super().__init__(parent)
        self.store = store
        self.record_key: str | None = None
        #: what the fields held when the record was shown or last saved: unchanged since then is not "dirty"
        self._baseline: tuple[PEForm | None, dict] = (None, {})
        self.author_bar = AuthorBar(identity)
        self.title = QLabel("No record open", textFormat=Qt.RichText, wordWrap=True)
        self.form = PEFormView()
        self.form.changed.connect(self._update)
        self.rules = RulesView()
        self.model = ModelView()
        self.ecg_signs = EcgSignsView()
        self.save_button = QPushButton("Save PE form")
        self.save_button.setToolTip("Store the form with this record in the library (audited)")
        self.save_button.clicked.connect(self.save)
        self.status = QLabel(wordWrap=True)
        self.status.setTextFormat(Qt.PlainText)
        actions = QHBoxLayout()
        actions.addWidget(self.status, 1)
        actions.addWidget(self.save_button)

        body = QWidget()
        column = QVBoxLayout(body)
        column.addWidget(self.author_bar)
        column.addWidget(self.title)
        column.addWidget(self.form)
        column.addLayout(actions)
        column.addWidget(self.rules)
        column.addWidget(self.ecg_signs)
        column.addWidget(self.model)
        column.addStretch(1)
        self.setWidget(body)
        self.setWidgetResizable(True)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
        self.setMinimumWidth(340)
        self._set_enabled(False)
        self._update()

    @property
    def dirty(self) -> bool:
        """True when the user changed the form since it was shown or saved (a pre-filled age is no change)."""
        return self.record_key is not None and self.form.read() != self._baseline

    def set_record(self, key: str, name: str, age: float | None) -> None:
        """Show the stored form of the record, or an empty one with the header's age pre-filled."""
        self.record_key = key
        stored = self.store.load(key)
        self.title.setText(f"<b>Pulmonary embolism work-up</b> · {escape(name)}")
        if stored:
            self.form.set_form(stored.form)
            self._show_status(f"Saved by {stored.updated_by}, {stored.updated_at[:16].replace('T', ' ')} UTC",
                              _SAVED_INK)
        else:
            prefill, note = _age_prefill(age)
            self.form.set_form(prefill, {"age": note} if note else None)
            self._show_status("Not saved yet", "#52606d")
        self._baseline = self.form.read()
        self._set_enabled(True)
        self._update()

    def clear_record(self) -> None:
        """Show no form (no record open, or the selected one failed to open): nothing of the last record stays."""
        self.record_key = None
        self.form.set_form(None)
        self._baseline = (None, {})
        self.title.setText("No record open")
        self._show_status("", "#52606d")
        self._set_enabled(False)
        self._update()

    def save(self) -> bool:
        """Store the form if every field is valid; the notes say what to fix otherwise."""
        if self.record_key is None:
            return False
        form, errors = self.form.read()
        if errors:
            self.form.show_errors(errors)
            self._show_status(f"Not saved: fix the {len(errors)} field(s) marked in red", ERROR_INK)
            return False
        try:
            changed = self.store.save(self.record_key, form, self.author_bar.author)
        except (MissingAuthorError, LibraryError) as exc:  # e.g. the file is locked or read-only
            self._show_status(f"Not saved: {exc}", ERROR_INK)
            return False
        self._baseline = self.form.read()
        self._show_status("Saved" if changed else "No changes to save", _SAVED_INK)
        return True

    def _update(self) -> None:
        form, _ = self.form.read()  # the rules show what the valid fields allow
        outcomes = evaluate(form)
        self.rules.show_outcomes(outcomes)
        self.form.show_blocked(blocked_rules(outcomes))
        if self.record_key is not None and self.dirty:
            self._show_status("Unsaved changes", "#9a6700")

    def _show_status(self, text: str, ink: str) -> None:
        self.status.setText(text)
        self.status.setStyleSheet(f"color: {ink};")

    def _set_enabled(self, on: bool) -> None:
        for widget in (self.form, self.save_button):
            widget.setEnabled(on)



def _age_prefill(age: float | None) -> tuple[PEForm | None, str]:
    """A form with the header's age, and the note saying so (or why the header's age was not used)."""
    if age is None:
        return None, ""
    try:
        return PEForm(PEFindings(age=age)), "From the record header"
    except ClinicalInputError as exc:
        return None, f"The record header's age was not used: {exc.reason}"
