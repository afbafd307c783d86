"""The annotation panel: the open record's labels and interval marks, and the controls to change them.

It is a thin view over :class:`AnnotationStore`: every user action is one store call (one transaction,
audited) followed by a refresh from the store, so what is shown is always what is committed. Errors
the store raises (not the author, interval outside the record...) appear inline, never as dialogs; so
do a busy library (another process holds the write lock) and a lost server: the change is refused,
nothing is half-written, and the record's last committed annotations stay on screen.

Wiring (done by the main window): plot ``intervalDrawn(lead, t0, t1)`` -> :meth:`add_interval`;
:attr:`marksChanged` -> plot ``set_marks``; :attr:`jumpTo` -> plot zoom; :attr:`statusChanged` -> library list.
"""

from __future__ import annotations

from html import escape
from typing import Any

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QGroupBox, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from ecgstudio.identity import Identity
from ecgstudio.identity_widgets import AuthorBar
from ecgstudio.annotations.errors import AnnotationError
from ecgstudio.annotations.history_view import HistoryTable, record_history
from ecgstudio.annotations.intervals_view import IntervalEditor, IntervalTable
from ecgstudio.annotations.labels_view import LabelList
from ecgstudio.annotations.model import LABEL, STATUS_CONFIRMED, STATUS_LABELLED, STATUS_NONE, Annotation, marks_of
from ecgstudio.annotations.store import AnnotationStore
from ecgstudio.store.errors import LibraryError, LibraryUnavailable
from ecgstudio.annotations.words import label_in_words

_STATUS_TEXT = {STATUS_NONE: ("not annotated", "#6b7280"), STATUS_LABELLED: ("annotated, not all signed", "#b26a00"),
                STATUS_CONFIRMED: ("all signed", "#1d7a35")}


class AnnotationPanel(QWidget):
    """Labels and interval marks of one record. ``set_record`` first; without it the controls are off."""

    marksChanged = Signal(list)          # list[Mark]: lead (None = all), t0, t1, label, colour, ...
    jumpTo = Signal(float, float)        # t0, t1 seconds of a double-clicked mark
    statusChanged = Signal(str, str)     # record_key, "none" | "labelled" | "confirmed"
    libraryProblem = Signal(str)         # the library is busy or unreachable (for the status bar); "" when fine
    blindingChanged = Signal(bool)       # blinded reading on/off: the library list's statuses must follow

    def __init__(self, store: AnnotationStore, identity: Identity, parent: QWidget | None = None):
        super().__init__(parent)
        self.store = store
        self.record_key: str | None = None
        self._leads: tuple[str, ...] = ()
        self._duration = 0.0
        self._annotations: list[Annotation] = []
        self._vocabulary: list = []
        #: Code → words for every term, retired ones too; read with the annotations so that a message
        #: about a refused change never needs the (possibly unreachable) library.
        self._term_words: dict[str, str] = {}
        self._blinded = False
        self.author_bar = AuthorBar(identity)
        identity.changed.connect(lambda _name: self._refresh())
        self.title = QLabel("No record open")
        self.title.setTextFormat(Qt.RichText)
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.hide()
        self.labels = LabelList()
        self.labels.labelToggled.connect(self._toggle_label)
        self.labels.freeTextAdded.connect(lambda text: self._toggle_label(text, True))
        #: the labels applied to this record, by whom and whether signed, at a glance
        self.applied = QLabel(textFormat=Qt.RichText, wordWrap=True)
        self.undo_button = _button("Undo", "Undo the last label change (Ctrl+Z)", self.undo)
        self.undo_button.hide()
        self._undo: tuple[str, str, int | None] | None = None  # ("added"|"removed", code, annotation id)
        QShortcut(QKeySequence.Undo, self, self.undo, context=Qt.WidgetWithChildrenShortcut)
        self.history = HistoryTable()
        self.confirm_labels_button = QPushButton("Sign my labels")
        self.confirm_labels_button.setToolTip("Confirm your labels on this record as final")
        self.confirm_labels_button.clicked.connect(self.confirm_my_labels)
        self.editor = IntervalEditor()
        self.editor.saved.connect(self._save_interval)
        self.table = IntervalTable()
        self.table.jumpRequested.connect(self.jumpTo)
        self.table.editRequested.connect(self.edit_selected)
        self.table.deleteRequested.connect(self.delete_selected)
        self.table.itemSelectionChanged.connect(self._update_buttons)
        self.table.itemSelectionChanged.connect(self._show_history)
        self.edit_button = _button("Edit", "Change the selected mark (F2)", self.edit_selected)
        self.delete_button = _button("Delete", "Delete the selected mark; it stays in the history (Del)",
                                     self.delete_selected)
        self.confirm_button = _button("Sign", "Confirm the selected mark as final (Ctrl+Enter)", self.confirm_selected)
        QShortcut(QKeySequence("Ctrl+Return"), self.table, self.confirm_selected, context=Qt.WidgetShortcut)
        self._layout()
        self._refresh()

    # -- public API ----------------------------------------------------------------------------------

    @property
    def author(self) -> str:
        return self.author_bar.author

    def set_author(self, name: str) -> None:
        self.author_bar.set_author(name)

    def set_record(self, record_key: str, info: Any) -> None:
        """Show ``record_key``'s annotations; ``info`` is its ``RecordInfo`` (name, fs, n_samples, leads, path)."""
        self.editor.cancel()
        self._show_message("")
        try:
            self.store.register_record(record_key, info)
        except (AnnotationError, LibraryError) as exc:
            self._show_message(_reason(exc), error=True)
        self.record_key = record_key
        self._leads = tuple(info.leads)
        self._duration = info.n_samples / info.fs
        self.title.setToolTip(f"Record key {record_key}")
        self._refresh()

    def clear_record(self) -> None:
        """Show no record (e.g. when the selected one failed to load)."""
        self.editor.cancel()
        self.record_key, self._leads, self._duration = None, (), 0.0
        self._refresh()

    def set_blinded(self, blinded: bool) -> None:
        """Show only the annotating author's own annotations (blinded reading in a study), or everyone's."""
        self._blinded = blinded
        self._refresh()
        self.blindingChanged.emit(blinded)

    @property
    def status_author(self) -> str | None:
        """Whose annotations a status counts: the reader's own while blinded (no hint of the others'
        labels, not even "labelled"), everyone's otherwise."""
        return self.author if self._blinded else None  # blinded without a name: "" counts nobody's

    def reload(self) -> None:
        """Re-read the store, after an import or a change made outside this panel."""
        self._refresh()

    def annotation_status(self, record_key: str) -> str:
        """``"none"``, ``"labelled"`` or ``"confirmed"`` for the library's record list."""
        return self.store.status(record_key, self.status_author)

    @Slot(object, float, float)
    def add_interval(self, lead: str | None, t0: float, t1: float) -> None:
        """Open the inline editor for a new interval (from a plot drag); Enter in it saves."""
        if self.record_key is None:
            return
        self._show_message("" if self.author else "Enter your name above to save this interval.")
        self.editor.begin(self._leads, self._duration, lead, min(t0, t1), max(t0, t1))
        if not self.author:
            self.author_bar.name_edit.setFocus()

    def edit_selected(self) -> None:
        a = self.table.selected()
        if a is not None and self._may_change(a, "edit"):
            self.editor.begin(self._leads, self._duration, a.lead, a.t0, a.t1, a.label, a.note, editing_id=a.id)

    def delete_selected(self) -> None:
        a = self.table.selected()
        if a is not None and self._may_change(a, "delete"):
            self._change(lambda: self.store.delete(a.id, self.author), f"Deleted “{a.label}” (kept in the history).")

    def confirm_selected(self) -> None:
        a = self.table.selected()
        if a is not None and self._may_change(a, "sign"):
            self._change(lambda: self.store.confirm(a.id, self.author), f"Signed “{a.label}”.", keep_id=a.id)

    def confirm_my_labels(self) -> None:
        mine = [a for a in self._annotations if a.kind == LABEL and a.author == self.author and not a.confirmed]

        def sign_each() -> None:
            for a in mine:
                self.store.confirm(a.id, self.author)
        if mine:
            self._change(sign_each, f"Signed {len(mine)} label(s).")

    # -- reacting to the views -----------------------------------------------------------------------

    def _toggle_label(self, code: str, checked: bool) -> None:
        if self.record_key is None:
            return
        if not self.author:
            self._show_message("Enter your name above before labelling.", error=True)
            self._refresh()
            return
        words = self._words()
        if checked:
            if self._change(lambda: self.store.add_label(self.record_key, code, self.author),
                            f"Added the label “{label_in_words(code, words)}”."):
                mine = next(x for x in self._annotations if x.kind == LABEL and x.label == code
                            and x.author == self.author and not x.deleted)
                self._offer_undo("added", code, mine.id)
            return
        mine = next((a for a in self._annotations if a.kind == LABEL and a.label == code and a.author == self.author),
                    None)
        if mine is not None and self._change(lambda: self.store.delete(mine.id, self.author),
                                             f"Removed the label “{label_in_words(code, words)}” "
                                             "(kept in the history)."):
            self._offer_undo("removed", code, None)

    def undo(self) -> None:
        """Take back the last label change (tick or untick), itself an audited change."""
        if self._undo is None or self.record_key is None:
            return
        what, code, annotation_id = self._undo
        self._undo = None
        self.undo_button.hide()
        words = self._words()
        if what == "added" and annotation_id is not None:
            self._change(lambda: self.store.delete(annotation_id, self.author),
                         f"Undone: the label “{label_in_words(code, words)}” is removed.")
        elif what == "removed":
            self._change(lambda: self.store.add_label(self.record_key, code, self.author),
                         f"Undone: the label “{label_in_words(code, words)}” is back.")

    def _offer_undo(self, what: str, code: str, annotation_id: int | None) -> None:
        self._undo = (what, code, annotation_id)
        self.undo_button.show()

    def _words(self) -> dict[str, str]:
        return self._term_words

    def _show_applied(self) -> None:
        labels = [a for a in self._annotations if a.kind == LABEL and not a.deleted]
        if self.record_key is None:
            self.applied.setText("")
            return
        if not labels:
            self.applied.setText("<span style='color:#6b7280'>No label applied yet.</span>")
            return
        words = self._words()
        parts = [f"<b>{escape(label_in_words(a.label, words))}</b> — {escape(a.author)}"
                 + (" <span style='color:#1d7a35'>✔ signed</span>" if a.confirmed else "") for a in labels]
        self.applied.setText("Applied: " + "; ".join(parts))

    def _show_history(self) -> None:
        if self.record_key is None:
            self.history.show_history([])
            return
        selected = self.table.selected()
        every = self.store.annotations(self.record_key, include_deleted=True)
        chosen = [a for a in every if selected is not None and a.id == selected.id] or every
        self.history.show_history(record_history(self.store, chosen), self._words())

    def _save_interval(self) -> None:
        lead, t0, t1, label, note = self.editor.values()
        editing = self.editor.editing_id
        if editing is None:
            done = self._change(lambda: self.store.add_interval(self.record_key, lead, t0, t1, label, self.author,
                                                                note=note))
        else:
            done = self._change(lambda: self.store.edit(editing, self.author, label=label, lead=lead, t0=t0,
                                                        t1=t1, note=note), keep_id=editing)
        if done:
            self.editor.editing_id = None
            self.editor.hide()
            self.table.setFocus()

    # -- internals -----------------------------------------------------------------------------------

    def _change(self, action, success: str = "", keep_id: int | None = None) -> bool:
        """Run one store change; show its error inline instead of raising. Returns whether it worked."""
        try:
            result = action()
        except (AnnotationError, LibraryError) as exc:
            self._show_message(_reason(exc), error=True)
            self._refresh()
            return False
        self._show_message(success)
        new_id = getattr(result, "id", None) if keep_id is None else keep_id
        self._refresh(keep_id=new_id)
        return True

    def _refresh(self, keep_id: int | None = None) -> None:
        has_record = self.record_key is not None
        try:
            annotations = self.store.annotations(self.record_key) if has_record else []
            if self._blinded:
                annotations = [a for a in annotations if a.author == self.author]
            vocabulary = self.store.vocabulary() if has_record else []
            words = {term.code: term.display for term in self.store.vocabulary(include_retired=True)}
            suggestions = self.store.interval_labels(self.status_author)
            status = self.store.status(self.record_key, self.status_author) if has_record else STATUS_NONE
            name = (self.store.record_meta(self.record_key) or {}).get("name", "") if has_record else ""
        except LibraryError as exc:  # keep showing what was last read; say why nothing changes
            self.libraryProblem.emit(_reason(exc))
            if not self.message.text():  # keep the message of the change that just failed
                self._show_message(_reason(exc), error=True)
            self.labels.show_labels(self._vocabulary, self._annotations, self.author)  # undo the refused click
            if isinstance(exc, LibraryUnavailable):
                for widget in (self.labels, self.table, self.editor):
                    widget.setEnabled(False)
            return
        self.libraryProblem.emit("")
        self._annotations, self._vocabulary, self._term_words = annotations, vocabulary, words
        self.labels.show_labels(vocabulary, self._annotations, self.author)
        marks = marks_of(self._annotations)
        self.table.show_intervals(self._annotations, {m.label: m.colour for m in marks}, keep_id)
        self.editor.set_suggestions(suggestions)
        self.editor.set_can_save(bool(self.author), "" if self.author else "Enter your name above first")
        for widget in (self.labels, self.table):
            widget.setEnabled(has_record)
        self.editor.setEnabled(True)
        if has_record:
            text, colour = _STATUS_TEXT[status]
            self.title.setText(f"<b>{escape(name)}</b> &nbsp;<span style='color:{colour}'>● {text}</span>")
        else:
            self.title.setText("No record open")
        self._update_buttons()
        self._show_applied()
        self._show_history()
        self.marksChanged.emit(marks)
        if has_record:
            self.statusChanged.emit(self.record_key, status)

    def _update_buttons(self) -> None:
        selected = self.table.selected()
        mine = selected is not None and bool(self.author) and selected.author == self.author
        for button in (self.edit_button, self.delete_button, self.confirm_button):
            button.setEnabled(mine)
        self.confirm_button.setEnabled(mine and not selected.confirmed)
        unsigned = any(a.kind == LABEL and a.author == self.author and not a.confirmed for a in self._annotations)
        self.confirm_labels_button.setEnabled(bool(self.author) and unsigned)

    def _may_change(self, a: Annotation, verb: str) -> bool:
        if a.author != self.author:
            self._show_message(f"Only {a.author} can {verb} this mark; you are annotating as "
                               f"{self.author or '(no name)'}.", error=True)
            return False
        return True

    def _show_message(self, text: str, error: bool = False) -> None:
        self.message.setStyleSheet(f"color: {'#b00020' if error else '#1d4f91'};")
        self.message.setText(text)
        self.message.setVisible(bool(text))

    def _layout(self) -> None:
        labels_box = QGroupBox("Record labels")
        labels_layout = QVBoxLayout(labels_box)
        labels_layout.addWidget(self.applied)
        labels_layout.addWidget(self.labels, 1)
        label_buttons = QHBoxLayout()
        label_buttons.addWidget(self.undo_button)
        label_buttons.addStretch(1)
        label_buttons.addWidget(self.confirm_labels_button)
        labels_layout.addLayout(label_buttons)
        hint = QLabel("Drag across the ECG to mark an interval; double-click a mark to go to it.")
        hint.setWordWrap(True)
        hint.setStyleSheet("color: #5b6470;")
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        for button in (self.edit_button, self.delete_button, self.confirm_button):
            buttons.addWidget(button)
        intervals_box = QGroupBox("Interval marks")
        intervals_layout = QVBoxLayout(intervals_box)
        intervals_layout.addWidget(hint)
        intervals_layout.addWidget(self.editor)
        intervals_layout.addWidget(self.table, 1)
        intervals_layout.addLayout(buttons)
        layout = QVBoxLayout(self)
        layout.addWidget(self.author_bar)
        layout.addWidget(self.title)
        layout.addWidget(self.message)
        layout.addWidget(labels_box, 1)
        layout.addWidget(intervals_box, 1)
        history_box = QGroupBox("History (who, what, when)")
        history_box.setToolTip("Every change to this record's annotations, from the audit trail; "
                               "select a mark to see only its history")
        QVBoxLayout(history_box).addWidget(self.history)
        layout.addWidget(history_box, 1)


def _reason(exc: Exception) -> str:
    """What the panel says: a library error's reason in the user's words, without the location prefix."""
    if isinstance(exc, LibraryError):
        return exc.reason[:1].upper() + exc.reason[1:] + ("" if exc.reason.endswith(".") else ".")
    return str(exc)


def _button(text: str, tooltip: str, slot) -> QPushButton:
    button = QPushButton(text)
    button.setToolTip(tooltip)
    button.clicked.connect(slot)
    return button
