"""Wires the annotation store and panel into the main window: plot marks, library badges, menus, report.

Kept out of ``main_window`` so the window stays a layout of views, and so the annotation feature can
be attached (or not, e.g. when the library file cannot be opened) in one call.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, QStandardPaths
from PySide6.QtWidgets import QFileDialog, QMessageBox

from ecgstudio.annotations.csv_io import export_csv, import_csv
from ecgstudio.annotations.errors import AnnotationError
from ecgstudio.annotations.keys import record_key
from ecgstudio.annotations.panel import AnnotationPanel
from ecgstudio.annotations.store import AnnotationStore
from ecgstudio.annotations.wfdb_io import export_wfdb, import_wfdb
from ecgstudio.store.errors import LibraryError

SETTINGS_KEY = "annotations/library"


def default_library_path() -> Path:
    folder = QStandardPaths.writableLocation(QStandardPaths.AppDataLocation) or str(Path.home() / ".ecgstudio")
    return Path(folder) / "library.sqlite"


class AnnotationController(QObject):
    """Owns the store and the panel for one main window."""

    def __init__(self, window, store: AnnotationStore):
        super().__init__(window)
        self.window = window
        self.store = store
        self.panel = AnnotationPanel(store, window.settings)
        self._path_of: dict[str, str] = {}  # store key -> library key (header path)
        self._current_key: str | None = None
        window.set_annotation_panel(self.panel)
        window.view.intervalDrawn.connect(self.panel.add_interval)
        self.panel.marksChanged.connect(window.view.set_marks)
        self.panel.jumpTo.connect(window.view.show_interval)
        self.panel.statusChanged.connect(self._status_changed)
        window.recordOpened.connect(self._record_opened)
        window.library.scanFinished.connect(lambda _n: self.refresh_statuses())
        window.report_annotations = self.report_annotations
        self._build_menu()

    # ------------------------------------------------------------------ window events
    def _record_opened(self, library_key: str, record) -> None:
        key = record_key(record)
        self._path_of[key] = library_key
        self._current_key = key
        self.panel.set_record(key, record)
        self.window.library.set_annotation_status(library_key, self.panel.annotation_status(key))

    def _status_changed(self, key: str, status: str) -> None:
        if key in self._path_of:
            self.window.library.set_annotation_status(self._path_of[key], status)

    def refresh_statuses(self) -> None:
        """Badges for every listed record this library has seen before."""
        keys = [entry.key for entry in self.window.library.model.entries]
        for key, status in self.store.statuses_by_path(keys).items():
            self.window.library.set_annotation_status(key, "" if status == "none" else status)

    def report_annotations(self) -> list[tuple[str, str | None, float, float, str]]:
        if self._current_key is None:
            return []
        return [(a.label, a.lead, a.t0 or 0.0, a.t1 or 0.0, a.author) for a in self.store.annotations(self._current_key)]

    # ------------------------------------------------------------------ menu
    def _build_menu(self) -> None:
        menu = self.window.menuBar().addMenu("&Annotations")
        menu.addAction("Import &CSV…", self._import_csv)
        menu.addAction("&Export CSV…", self._export_csv)
        menu.addSeparator()
        menu.addAction("Import &WFDB annotations for this record…", self._import_wfdb)
        menu.addAction("Export W&FDB annotations for this record…", self._export_wfdb)
        menu.addSeparator()
        menu.addAction(f"Library file: {self.store.db.path}").setEnabled(False)

    def _run(self, action, done) -> None:
        """Run an import/export, report failures in a dialog and success (``done(result)``) in the status bar."""
        try:
            result = action()
        except (AnnotationError, LibraryError, OSError) as exc:
            QMessageBox.warning(self.window, "Annotations", str(exc))
            return
        self.panel.reload()
        self.refresh_statuses()
        self.window.statusBar().showMessage(done(result), 8000)

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
        if path:
            self._run(lambda: import_wfdb(self.store, path, self._current_key, self.panel.author or "unknown"),
                      _imported)

    def _export_wfdb(self) -> None:
        if self._current_key is None:
            return
        folder = QFileDialog.getExistingDirectory(self.window, "Export WFDB annotations to folder")
        if folder:
            self._run(lambda: export_wfdb(self.store, self._current_key, folder), lambda out: f"Wrote {out}")


def _imported(result) -> str:
    return f"Imported {result.added} annotations ({result.duplicates} already present, {result.skipped} skipped)"


def attach_annotations(window, path: Path | None = None) -> AnnotationController | None:
    """Open the annotation library (QSettings ``annotations/library``, else the user data folder) and wire it.

    A library file that cannot be opened is reported, and the app runs without annotations.
    """
    path = Path(path or window.settings.value(SETTINGS_KEY, "") or default_library_path())
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        store = AnnotationStore(path)
    except (LibraryError, AnnotationError, OSError) as exc:
        QMessageBox.warning(window, "Annotations unavailable", f"Cannot open the annotation library {path}: {exc}")
        return None
    window.settings.setValue(SETTINGS_KEY, str(path))
    return AnnotationController(window, store)
