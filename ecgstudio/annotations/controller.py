"""Wires the annotation store and panel into the host window: plot marks, library badges, menus, report.

Kept out of ``main_window`` so the window stays a layout of views, and so the annotation feature can
be attached (or not, e.g. when the library file cannot be opened) in one call. It uses only the host
interface (:mod:`ecgstudio.host`) and the shared context: the library file, the identity and the open
record's content key (computed once when the record opened).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt, QTimer
from PySide6.QtWidgets import QDialog, QFileDialog, QMessageBox

from ecgstudio.annotations.csv_io import export_csv, import_csv
from ecgstudio.annotations.errors import AnnotationError
from ecgstudio.annotations.keys import KEY_PREFIX, SAMPLED_KEY_PREFIX
from ecgstudio.annotations.model import INTERVAL
from ecgstudio.annotations.reference import ReferenceAnnotations, add_reference_file
from ecgstudio.annotations.panel import AnnotationPanel
from ecgstudio.annotations.store import AnnotationStore
from ecgstudio.annotations.wfdb_io import EXTENSION as WFDB_EXTENSION
from ecgstudio.annotations.wfdb_io import export_wfdb, import_wfdb
from ecgstudio.annotations.library_dialog import LibraryLocationDialog
from ecgstudio.annotations.words import label_in_words
from ecgstudio.context import LIBRARY_KEY, OpenRecord
from ecgstudio.store.errors import LibraryError, display_location

RECONNECT_MS = 3000

if TYPE_CHECKING:
    from ecgstudio.export import ReportAnnotation


class AnnotationController(QObject):
    """Owns the store and the panel for one main window."""

    def __init__(self, window, store: AnnotationStore):
        super().__init__(window)
        self.window = window
        self.store = store
        self.panel = AnnotationPanel(store, window.context.identity)
        self._path_of: dict[str, str] = {}  # store key -> library key (header path)
        self._current_key: str | None = None
        self.dock = window.add_panel("Annotations", "annotationDock", self.panel, Qt.RightDockWidgetArea)
        window.view.intervalDrawn.connect(self.panel.add_interval)
        self.panel.marksChanged.connect(window.view.set_marks)
        self.panel.jumpTo.connect(window.view.show_interval)
        self.panel.statusChanged.connect(self._status_changed)
        self.panel.libraryProblem.connect(self._library_problem)
        self.panel.blindingChanged.connect(lambda _on: self.refresh_statuses())
        window.context.identity.changed.connect(self._reader_changed)
        self._reconnect_timer = QTimer(self, interval=RECONNECT_MS, timeout=self._try_reconnect)
        window.context.recordChanged.connect(self._record_changed)
        window.library.scanFinished.connect(lambda _n: self.refresh_statuses())
        window.add_report_section("annotations", self.report_annotations)
        self._build_menu()

    # ------------------------------------------------------------------ window events
    def _record_changed(self, opened: OpenRecord | None) -> None:
        if opened is None:
            self._current_key = None
            self.panel.clear_record()
            return
        key = opened.content_key
        self._path_of[key] = opened.key
        self._current_key = key
        if key.startswith(SAMPLED_KEY_PREFIX):
            self._keep_earlier_annotations(key, opened.record)
        self.panel.set_record(key, opened.record)
        self.window.library.set_annotation_status(opened.key, self.panel.annotation_status(key))

    def _keep_earlier_annotations(self, key: str, record) -> None:
        """A Holter record annotated while it still had the full ``ecg1:`` key: its annotations move to
        the bounded key (audited, in one transaction), and the status bar says so; if the library
        refuses, the status bar says why and they stay where they were."""
        actor = self.panel.author or self.store.db.user or "ECG Studio"
        try:
            moved = self.store.adopt_earlier_key(key, record, actor, KEY_PREFIX)
        except (AnnotationError, LibraryError) as exc:
            self.window.show_status(f"The earlier annotations of {record.name} were not moved to its new key: {exc}",
                                    20000)
            return
        if moved:
            self.window.show_status(f"{moved} earlier annotation(s) of {record.name} moved to its new Holter record"
                                    " key (long records are now keyed by sampled blocks; see the history)", 20000)

    def _reader_changed(self, _name: str) -> None:
        if self.panel.status_author is not None:  # a blinded list shows the reader's own statuses
            self.refresh_statuses()

    def _status_changed(self, key: str, status: str) -> None:
        if key in self._path_of:
            self.window.library.set_annotation_status(self._path_of[key], status)

    def _library_problem(self, text: str) -> None:
        """A busy or unreachable library: say so in the status bar until it is fine; retry a lost server."""
        bar = self.window.statusBar()
        if text:
            bar.showMessage(f"Library: {text}")
            if not self.store.db.available and not self._reconnect_timer.isActive():
                self._reconnect_timer.start()
        elif bar.currentMessage().startswith("Library:"):
            bar.clearMessage()

    def _try_reconnect(self) -> None:
        if self.store.db.reconnect():
            self._reconnect_timer.stop()
            self.panel.reload()
            self.window.statusBar().showMessage(f"Reconnected to the library {self.store.db}", 8000)

    def refresh_statuses(self) -> None:
        """Badges for every listed record this library has seen before (a blinded reader's own only)."""
        keys = [entry.key for entry in self.window.library.model.entries]
        try:
            statuses = self.store.statuses_by_path(keys, self.panel.status_author)
        except LibraryError as exc:
            self._library_problem(exc.reason)
            return
        for key, status in statuses.items():
            self.window.library.set_annotation_status(key, "" if status == "none" else status)

    def report_annotations(self) -> list[ReportAnnotation]:
        """The record's live annotations for the PDF: labels in words, author and signature; only
        interval marks carry a lead and times."""
        if self._current_key is None:
            return []
        from ecgstudio.export import ReportAnnotation  # the report's code loads when a report is made

        words = {term.code: term.display for term in self.store.vocabulary(include_retired=True)}
        return [ReportAnnotation(label_in_words(a.label, words), a.author, a.lead if a.kind == INTERVAL else None,
                                 a.t0 if a.kind == INTERVAL else None, a.t1 if a.kind == INTERVAL else None,
                                 a.confirmed_by)
                for a in self.store.annotations(self._current_key) if not a.deleted]

    # ------------------------------------------------------------------ menu
    def _build_menu(self) -> None:
        menu = self.window.menu("&Annotations")
        menu.addAction("Import &CSV…", self._import_csv)
        menu.addAction("&Export CSV…", self._export_csv)
        menu.addSeparator()
        menu.addAction("Import &WFDB annotations for this record…", self._import_wfdb)
        menu.addAction("Export W&FDB annotations for this record…", self._export_wfdb)
        menu.addSeparator()
        menu.addAction(f"Library: {self.store.db}" + (f" (as {self.store.db.user})" if self.store.db.is_server
                                                      else "")).setEnabled(False)
        menu.addAction("Library &location…", self._choose_library)

    def _choose_library(self) -> None:
        dialog = LibraryLocationDialog(str(self.window.context.settings.value(LIBRARY_KEY, "")
                                           or self.store.db.location), self.window)
        if dialog.exec() == QDialog.Accepted:
            self.window.context.settings.setValue(LIBRARY_KEY, dialog.location())
            self.window.statusBar().showMessage(
                f"The library {display_location(dialog.location())} opens at the next start", 8000)

    def _run(self, action, done) -> None:
        """Run an import/export, report failures in a dialog and success (``done(result)``) in the status bar."""
        try:
            result = action()
        except (AnnotationError, LibraryError, OSError) as exc:
            QMessageBox.warning(self.window, "Annotations", str(exc))
            return
        self.panel.reload()
        self.refresh_statuses()
        self.window.show_status(done(result))

    def _import_csv(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self.window, "Import annotations", "", "CSV (*.csv)")
        if path:
            self._run(lambda: import_csv(self.store, path, self.panel.author or "unknown"), _imported)

    def _export_csv(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self.window, "Export annotations", "annotations.csv", "CSV (*.csv)")
        if path:
            self._run(lambda: export_csv(self.store, path), lambda n: f"Exported {n} annotations to {path}")

    def _import_wfdb(self) -> None:
        if self._current_key is None:
            return
        path, _ = QFileDialog.getOpenFileName(self.window, "Import WFDB annotations", "", "WFDB annotations (*)")
        if path and not path.endswith(f".{WFDB_EXTENSION}") and self.show_reference_file(path):
            return
        if path:
            self._run(lambda: import_wfdb(self.store, path, self._current_key, self.panel.author or "unknown"),
                      _imported)

    def show_reference_file(self, path: str | Path) -> bool:
        """A PhysioNet reference file (``100.atr``: beat labels, rhythm changes) for the open record:
        shown on the plot as read-only reference marks, not added to anyone's annotations. Returns
        False when the file holds no beats or rhythms (then it is tried as ECG Studio's own)."""
        record = self.window.record
        if record is None:
            return False
        reference = add_reference_file(ReferenceAnnotations(), path, record.fs, record.duration)
        if reference.empty:
            return False
        self.window.reference = reference
        self.window.view.set_reference(reference)
        self.window.statusBar().showMessage(f"Showing {reference.summary()} as read-only reference marks", 10000)
        return True

    def _export_wfdb(self) -> None:
        if self._current_key is None:
            return
        folder = QFileDialog.getExistingDirectory(self.window, "Export WFDB annotations to folder")
        if folder:
            self._run(lambda: export_wfdb(self.store, self._current_key, folder), lambda out: f"Wrote {out}")


def _imported(result) -> str:
    return f"Imported {result.added} annotations ({result.duplicates} already present, {result.skipped} skipped)"


def attach_annotations(host, path: str | Path | None = None) -> AnnotationController | None:
    """Wire annotations into ``host``, stored in the shared library (``path``: another file or server URL).

    A library file that cannot be opened is reported, and the app runs without annotations.
    """
    context = host.context
    if path is not None:
        context.use_library(path)
    try:
        store = AnnotationStore(context.database())
    except (LibraryError, AnnotationError, OSError) as exc:
        QMessageBox.warning(host, "Annotations unavailable",
                            f"Cannot open the annotation library {display_location(context.library_path)}: {exc}")
        return None
    return AnnotationController(host, store)
