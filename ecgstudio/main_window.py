"""The main window: record library (left), ECG paper view (centre), feature panels (right, bottom).

The window lays out the views, opens records and exports; features (annotations, models, PE, jobs...)
plug in through the small host interface it implements (:mod:`ecgstudio.host`: add a panel, a menu,
a report section, a status widget) and share state through its :class:`~ecgstudio.context.AppContext`.

A selected record is read and fingerprinted on a worker thread (a 24-hour Holter must not freeze the
window); the fingerprint is computed once and shared through :attr:`AppContext.record`. R peaks are
detected in the background after the first paint (:mod:`ecgstudio.record_beats`: over the span on
screen for a Holter-length record). A record that fails to load is marked in the library, its reason replaces the sheet, every feature is told no record is open, and the window stays
usable.
"""

from __future__ import annotations

from html import escape
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

import numpy as np
from PySide6.QtCore import QSettings, Qt, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QDockWidget, QFileDialog, QLabel, QMainWindow, QMenu, QVBoxLayout, QWidget

from ecgstudio.annotations.keys import record_key as content_key
from ecgstudio.annotations.reference import ReferenceAnnotations
from ecgstudio.context import AppContext, OpenRecord
from ecgstudio.help import install_help_menu
from ecgstudio.identity_widgets import IdentityStatus
from ecgstudio.library import LibraryEntry, LibraryPanel, record_key
from ecgstudio.paths import samples_dir
from ecgstudio.plot import EcgView
from ecgstudio.plot.decimate import prebuild
from ecgstudio.plot.display import describe_band
from ecgstudio.plot.display_source import is_mapped
from ecgstudio.plot.overlays import Measurement
from ecgstudio.plot.time_axis import duration_text
from ecgstudio.record_beats import SPAN_BEATS_MAX_S, RecordBeats
from ecgstudio.record_source import source_html
from ecgstudio.view_controls import ViewControls, zoom_text
from ecgstudio.window_state import WindowLayout
from ecgstudio.workers import Task, wait_for_background_work
from training.data import Record
from training.data.formats import file_dialog_filter
from training.errors import RecordError

if TYPE_CHECKING:
    from ecgstudio.export import ReportAnnotation

def record_header_html(record: Record, entry: LibraryEntry | None) -> str:
    """One line over the sheet, as on a printed ECG: who, what, and the diagnoses on file."""
    who = [f"age {record.age:g}" if record.age is not None else "",
           {"M": "male", "F": "female"}.get(record.sex or "", "")]
    diagnoses = "; ".join(entry.diagnoses) if entry and entry.diagnoses else "no diagnosis on file"
    parts = [f"<b>{escape(record.name)}</b>", escape(entry.dataset) if entry else "", ", ".join(w for w in who if w),
             f"<span style='color:#1b4f8a'>{escape(diagnoses)}</span>"]
    source = source_html(record)
    return " · ".join(p for p in parts if p) + (f"<br><small>{source}</small>" if source else "")


def _read(entry: LibraryEntry) -> tuple[Record, str]:
    """Worker thread: the record, its content fingerprint and its drawing pyramids (one pass each), so the
    GUI thread only shows them."""
    from training.data.readers import read_record

    if entry.error:
        raise RecordError(entry.path, entry.error)
    record = read_record(entry.path)
    key = content_key(record)
    if not is_mapped(record):  # a mapped record's overview is built by the view, in bounded chunks
        prebuild(record.signal)
    return record, key


class MainWindow(QMainWindow):
    """The window, and the :class:`~ecgstudio.host.Host` that features plug into."""

    #: (record list key, the Record now shown) after a record opened; see also ``context.recordChanged``
    recordOpened = Signal(str, object)

    def __init__(self, settings: QSettings | None = None, context: AppContext | None = None) -> None:
        super().__init__()
        self.context = context if context is not None else AppContext(settings, self)
        self.settings = self.context.settings
        self.setWindowTitle("ECG Studio")
        self.resize(1500, 920)
        self.window_layout = WindowLayout(self, self.settings)
        self._layout_restored = False
        self.record: Record | None = None
        self.entry: LibraryEntry | None = None
        #: the open record's PhysioNet reference annotations (beats, rhythms, LUDB waves), if any
        self.reference: ReferenceAnnotations | None = None
        self._open_task: Task | None = None
        self._panels: dict[str, QDockWidget] = {}
        self._report_sections: dict[str, Callable[[], Any]] = {}
        #: the controllers of the features plugged in, by name (filled by ``ecgstudio.__main__.build_window``)
        self.features: dict[str, Any] = {}

        self.view = EcgView()
        self.beats = RecordBeats(self.view, self)
        self.beats.changed.connect(self._on_beats)
        self.record_header = QLabel(textFormat=Qt.RichText, wordWrap=True)
        self.record_header.setStyleSheet("padding: 3px 6px; background: #fbfbfd; border-bottom: 1px solid #ddd;")
        central = QWidget()
        column = QVBoxLayout(central)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(0)
        column.addWidget(self.record_header)
        column.addWidget(self.view, 1)
        self.setCentralWidget(central)
        self.controls = ViewControls(self.view, self)
        self.addToolBar(self.controls.toolbar)
        self.library = LibraryPanel()
        self._build_menus()
        self.library_dock = self.add_panel("Records", "libraryDock", self.library, Qt.LeftDockWidgetArea)
        self.resizeDocks([self.library_dock], [400], Qt.Horizontal)

        self.record_status = QLabel()
        self.scale_status = QLabel()
        self.identity_status = IdentityStatus(self.context.identity)
        self.statusBar().addWidget(self.record_status, 1)
        self.statusBar().addPermanentWidget(self.scale_status)
        self.statusBar().addPermanentWidget(self.identity_status)

        self.library.recordSelected.connect(self.open_entry)
        self.view.viewChanged.connect(self._update_scale_status)
        self.view.caliperMeasured.connect(self._show_measurement)
        self.view.recordDamaged.connect(self._record_damaged)
        self._restore()

    # ------------------------------------------------------------------ host interface (ecgstudio.host)
    def add_panel(self, title: str, name: str, widget: QWidget, area: Qt.DockWidgetArea = Qt.RightDockWidgetArea,
                  beside: str | None = None) -> QDockWidget:
        """A dock named ``name`` (its saved place is restored), listed in View; tabbed with ``beside``."""
        dock = QDockWidget(title, self)
        dock.setObjectName(name)
        dock.setWidget(widget)
        if not self.restoreDockWidget(dock):  # True: placed where the last session's saved layout had it
            self.addDockWidget(area, dock)
            if beside in self._panels:
                self.tabifyDockWidget(self._panels[beside], dock)
                self._panels[beside].raise_()
        self._panels[name] = dock
        self._view_menu.addAction(dock.toggleViewAction())
        return dock

    def panel(self, name: str) -> QDockWidget | None:
        return self._panels.get(name)

    def menu(self, title: str) -> QMenu:
        """The menu-bar menu titled ``title`` ("&Model"), created the first time it is asked for."""
        plain = title.replace("&", "")
        for action in self.menuBar().actions():
            if action.menu() is not None and action.text().replace("&", "") == plain:
                return action.menu()
        return self.menuBar().addMenu(title)

    def add_report_section(self, name: str, provider: Callable[[], Any]) -> None:
        """``provider()`` supplies the report's ``name`` section (``"annotations"``: ReportAnnotation rows)."""
        self._report_sections[name] = provider

    def add_status_widget(self, widget: QWidget) -> None:
        self.statusBar().insertPermanentWidget(0, widget)

    def show_status(self, text: str, timeout_ms: int = 8000) -> None:
        self.statusBar().showMessage(text, timeout_ms)

    def report_section(self, name: str) -> Any:
        """What the ``name`` section's provider gives now (``[]`` when no feature registered one)."""
        provider = self._report_sections.get(name)
        return provider() if provider is not None else []

    # ------------------------------------------------------------------ opening
    def open_initial(self, path: Path | None) -> None:
        """Open ``path``, else the folder (and record) of the last session, else the bundled samples."""
        if path is not None:
            self.open_path(path)
            return
        last = self.settings.value("library/folder", "")
        if last and Path(last).exists():
            self.open_path(Path(last), select_key=self.settings.value("library/record", None))
        else:
            self.open_path(samples_dir())

    def open_path(self, path: Path, select_key: str | None = None) -> None:
        """List the records of a folder (recursively), or one record file, and show the first."""
        path = Path(path)
        if not path.exists():
            self.view.show_message(f"Nothing to open at\n{path}")
            self.record_status.setText(f"{path} does not exist")
            return
        if path.is_file() and select_key is None:
            select_key = record_key(path)
        self.settings.setValue("library/folder", str(path.resolve()))
        self.setWindowTitle(f"ECG Studio — {path.name}")
        self.library.open_path(path, select_key)

    def open_entry(self, entry: LibraryEntry) -> None:
        """Read and show one library record on a worker thread; a failure is shown, never raised."""
        self.entry = entry
        self.beats.clear()
        if self._open_task is not None:
            self._open_task.cancel()
        self.settings.setValue("library/record", entry.key)
        self.record_status.setText(f"Opening {entry.name}…")
        task = Task(lambda _task: _read(entry))
        task.done.connect(lambda result: self._opened(task, entry, *result))
        task.failed.connect(lambda exc: self._open_failed(task, entry, exc))
        self._open_task = task.start()

    @property
    def loading(self) -> bool:
        """True while a selected record is still being read."""
        return self._open_task is not None

    def _opened(self, task: Task, entry: LibraryEntry, record: Record, key: str) -> None:
        if task is not self._open_task:
            return  # another record was selected meanwhile
        self._open_task = None
        self.record = record
        self.view.set_record(record)
        self.controls.record_changed(record)
        self.record_header.setText(record_header_html(record, entry))
        self.reference = None
        self._load_reference(entry, record)
        self._update_record_status()
        self.context.set_record(OpenRecord(entry.key, key, record, entry))
        self.recordOpened.emit(entry.key, record)
        self.beats.detect(record)

    def _load_reference(self, entry: LibraryEntry, record: Record) -> None:
        """The record's PhysioNet reference annotations, read off the GUI thread (wfdb loads then)."""
        def read(_task):
            from ecgstudio.annotations.reference import load_reference

            return record, load_reference(entry.path, record.fs, record.duration, record.leads)

        self._reference_task = Task(read)
        self._reference_task.done.connect(self._on_reference)
        self._reference_task.start()

    def _on_reference(self, result: tuple[Record, ReferenceAnnotations]) -> None:
        record, reference = result
        if record is self.record:
            self.reference = reference
            self.view.set_reference(reference)
            self._update_record_status()

    def _open_failed(self, task: Task, entry: LibraryEntry, exc: BaseException) -> None:
        if task is not self._open_task:
            return
        self._open_task = None
        if isinstance(exc, RecordError):
            self._show_failure(entry, exc.reason, exc.path)
        else:  # anything a reader did not anticipate is still the record's fault
            self._show_failure(entry, f"{type(exc).__name__}: {exc}", entry.path)

    def _show_failure(self, entry: LibraryEntry, reason: str, path: Path) -> None:
        self.record, self.reference = None, None
        self.beats.clear()  # no beats are detected for a record no longer shown
        self.context.set_record(None)
        self.library.mark_error(entry.key, reason)
        self.controls.record_changed(None)
        self.view.show_message(f"Cannot open {entry.name}\n\n{reason}\n\n{path}")
        self.record_header.setText(f"<b>{escape(entry.name)}</b> · {escape(entry.dataset)} · "
                                   f"<span style='color:#8a1c1c'>cannot be opened</span>")
        self.record_status.setText(f"Cannot open {entry.name}: {reason}")

    def _record_damaged(self, record: Record, exc: RecordError) -> None:
        """A mapped record failed its checksums (verified in the background): refuse it like a bad read."""
        if record is self.record and self.entry is not None:
            self._show_failure(self.entry, exc.reason, exc.path)

    @property
    def peaks(self) -> np.ndarray | None:
        """The open record's R peaks (sample indices; ``None`` until detected)."""
        return self.beats.peaks

    @property
    def beat_span(self) -> tuple[int, int] | None:
        """The samples [a, b) a mapped record's ``peaks`` cover (``(0, 0)``: the view is too wide); else None."""
        return self.beats.span

    def _on_beats(self) -> None:
        self.view.set_beats(self.peaks)
        self._update_record_status()

    # ------------------------------------------------------------------ navigation, export
    def next_record(self, step: int = 1) -> bool:
        return self.library.select_next(step)

    def export_png(self, path: str | Path, span: tuple[float, float] | None = None) -> bool:
        """The record on paper with its header, lead names, speed and gain: the whole record (the
        span on screen for one longer than a minute) unless ``span`` says which seconds."""
        if self.record is None:
            return False
        from ecgstudio.export.png import default_span, write_record_png
        from training.signal.rpeaks import mean_heart_rate

        t0, t1 = span if span is not None else default_span(self.record.duration, self.view.visible_range())
        rate = mean_heart_rate(self.peaks, self.record.fs) if self.peaks is not None else None
        try:
            write_record_png(path, self.record, t0=t0, t1=t1, signal=self.view.displayed_signal(),
                             speed=self.view.speed, gain=self.view.gain, heart_rate=rate,
                             diagnoses=self.entry.diagnoses if self.entry else (),
                             filter_note=f"display filter {describe_band()}" if self.view.showing_filtered else "",
                             annotations=self.report_section("annotations") or ())
        except (OSError, ValueError) as exc:
            self.statusBar().showMessage(f"Could not export the PNG: {exc}", 8000)
            return False
        return True

    def export_pdf(self, path: str | Path, annotations: list[ReportAnnotation] | None = None) -> Path | None:
        """The one-page report of the current record and page; ``annotations`` default to what the
        ``"annotations"`` report section provides."""
        if self.record is None:
            return None
        from ecgstudio.export import write_ecg_report
        from training.signal.rpeaks import mean_heart_rate

        rate = mean_heart_rate(self.peaks, self.record.fs) if self.peaks is not None else None
        filtered = self.view.showing_filtered
        return write_ecg_report(
            path, self.record, diagnoses=self.entry.diagnoses if self.entry else (),
            annotations=self.report_section("annotations") if annotations is None else annotations, heart_rate=rate,
            page_start=self.view.visible_range()[0], signal=self.view.displayed_signal(),
            filter_note=f"display filter {describe_band()}" if filtered else "", speed=self.view.speed,
            gain=self.view.gain, measurement_line=self.report_section("measurement_line") or "")

    def _ask_export(self, kind: str) -> None:
        if self.record is None:
            return
        suffix = "png" if kind == "png" else "pdf"
        default = str(Path(self.settings.value("export/folder", str(Path.home()))) / f"{self.record.name}.{suffix}")
        title = "Export the record as PNG" if kind == "png" else "Export one-page PDF report"
        path, _ = QFileDialog.getSaveFileName(self, title, default, f"{suffix.upper()} (*.{suffix})")
        if not path:
            return
        self.settings.setValue("export/folder", str(Path(path).parent))
        ok = self.export_png(path) if kind == "png" else self.export_pdf(path) is not None
        self.statusBar().showMessage(f"Saved {path}" if ok else f"Could not save {path}", 5000)

    def _ask_open(self, folder: bool) -> None:
        start = self.settings.value("library/folder", str(samples_dir()))
        if folder:
            chosen = QFileDialog.getExistingDirectory(self, "Open a folder of ECG records", start)
        else:
            chosen, _ = QFileDialog.getOpenFileName(self, "Open an ECG record", start,
                                                    file_dialog_filter())
        if chosen:
            self.open_path(Path(chosen))

    # ------------------------------------------------------------------ status
    def _update_record_status(self) -> None:
        record = self.record
        if record is None:
            return
        parts = [record.name, self.entry.dataset if self.entry else "", f"{record.fs:g} Hz",
                 duration_text(record.duration), f"{record.n_leads} leads"]
        if self.reference is not None and not self.reference.empty:
            parts.append(self.reference.summary())
        if self.peaks is not None:
            from training.signal.rpeaks import mean_heart_rate, rr_intervals_ms

            rate = mean_heart_rate(self.peaks, record.fs)
            where = "" if self.beat_span is None else \
                f" in {self.beat_span[0] / record.fs:.0f}–{self.beat_span[1] / record.fs:.0f} s"
            if self.beat_span == (0, 0):
                parts.append(f"beats: zoom in to {SPAN_BEATS_MAX_S / 60:g} min or less to detect them")
            elif rate is None:
                parts.append(f"no beats detected{where}")
            else:
                rr = rr_intervals_ms(self.peaks, record.fs)
                parts.append(f"HR {rate:.0f} bpm (mean RR {rr.mean():.0f} ms, {self.peaks.size} beats{where})")
        self.record_status.setText(" · ".join(p for p in parts if p))

    def _update_scale_status(self) -> None:
        view = self.view
        if view.sheet is None:
            self.scale_status.setText("")
            return
        t0, t1 = view.visible_range()
        text = f"{view.speed:g} mm/s · {view.gain:g} mm/mV · zoom {zoom_text(round(view.effective_zoom, 2))}"
        if view.scale_note():
            text += f" · {view.scale_note()}"
        if view.filter_on:
            text += f" · filtered {describe_band()}"
            if view.envelope_unfiltered:
                text += " (not in a view this wide: unfiltered envelope)"
        self.scale_status.setText(f"{text} · {max(t0, 0):.1f}–{min(t1, self.record.duration):.1f} s of "
                                  f"{duration_text(self.record.duration)}" if self.record else text)

    def _show_measurement(self, measurement: Measurement) -> None:
        self.statusBar().showMessage(f"Caliper: {measurement.text()}")

    # ------------------------------------------------------------------ construction
    def _build_menus(self) -> None:
        file_menu = self.menuBar().addMenu("&File")
        file_menu.addAction("Open &folder…", QKeySequence.Open, lambda: self._ask_open(folder=True))
        file_menu.addAction("Open &record…", QKeySequence("Ctrl+Shift+O"), lambda: self._ask_open(folder=False))
        file_menu.addSeparator()
        file_menu.addAction("Export record as &PNG…", QKeySequence("Ctrl+E"), lambda: self._ask_export("png"))
        file_menu.addAction("Export PDF &report…", QKeySequence("Ctrl+P"), lambda: self._ask_export("pdf"))
        file_menu.addSeparator()
        file_menu.addAction("&Quit", QKeySequence.Quit, self.close)
        go_menu = self.menuBar().addMenu("&Go")
        for text, keys, step in (("&Next record", ("PgDown", "Alt+Right"), 1),
                                 ("&Previous record", ("PgUp", "Alt+Left"), -1)):
            action = QAction(text, self)
            action.setShortcuts([QKeySequence(k) for k in keys])
            action.setShortcutContext(Qt.WindowShortcut)
            action.triggered.connect(lambda _checked=False, s=step: self.next_record(s))
            go_menu.addAction(action)
        view_menu = self.menuBar().addMenu("&View")
        controls = self.controls
        for action in (*controls.layout_actions.values(), controls.filter, *controls.tool_actions.values()):
            view_menu.addAction(action)
        view_menu.addSeparator()
        self._view_menu = view_menu  # panels add their show/hide entry here (add_panel)

    # ------------------------------------------------------------------ settings
    def _restore(self) -> None:
        self.controls.restore(self.settings)

    def setVisible(self, visible: bool) -> None:
        """The first show restores the saved size and panels — now that every feature has attached
        its panel — and resets them if they would not fit or would cover the menu (window_state)."""
        first = visible and not self._layout_restored
        if first:
            self._layout_restored = True
            install_help_menu(self)  # last in the menu bar, after the features' menus
            notes = self.window_layout.restore()
        super().setVisible(visible)
        if first:
            notes += self.window_layout.check()
            if notes:
                self.statusBar().showMessage("Window layout reset: " + "; ".join(notes), 15000)

    def closeEvent(self, event) -> None:
        self.window_layout.save()
        self.controls.save(self.settings)
        self.settings.sync()
        self.beats.cancel()
        if self._open_task is not None:
            self._open_task.cancel()
        self.library.cancel_scan()
        self.view.source.cancel()
        wait_for_background_work(3000)
        super().closeEvent(event)
