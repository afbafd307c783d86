"""EcgView: a record on ECG paper at true scale, in the stacked (12x1) or print (3x4) layout.

The sheet is one ViewBox in seconds (x) and paper millimetres (y), with a calibration gutter at its
left and the whole record in an overview strip below. The view owns the ranges: from the paper
speed, gain and the screen's pixels per mm it computes what is visible, so 1 mm of paper is 1 mm of
screen at 100 % and the grid stays square at any zoom. In the stacked layout the wheel compresses
time (for long records); the print layout always shows 10-s pages.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QApplication, QLabel, QStackedLayout, QVBoxLayout, QWidget

#: Qt's "no maximum" for a widget's size.
QWIDGETSIZE_MAX = (1 << 24) - 1

from ecgstudio.plot.display import fitted_gain, lead_centres
from ecgstudio.plot.display_source import DisplaySource
from ecgstudio.plot.items import AbsentItem, GutterRow, TraceItem
from ecgstudio.plot.lazy_display import RAW_SPAN_LIMIT, LazyDisplay
from ecgstudio.plot.layout import PAGE_S, PRINT, STACKED, TRACE_REACH_ROWS, Sheet, Strip, plan_sheet, rhythm_lead
from ecgstudio.plot.mark_layer import MarkLayer, lead_at, lead_band
from ecgstudio.plot.navigation import SheetNavigator
from ecgstudio.plot.overlays import Measurement
from ecgstudio.plot.overview import OverviewStrip
from ecgstudio.plot.paper import MM_PER_INCH, PaperScale, screen_px_per_mm
from ecgstudio.plot.reference_layer import REFERENCE_BAND_MM, ReferenceLayer
from ecgstudio.plot.sheet_canvas import SheetCanvas
from ecgstudio.plot.viewbox import CALIPER, MARK, PAN, TOOLS
from training.data import Record

#: Height (mm, above the first row) of the beat ruler's R-peak ticks.
RULER_Y_MM = 2.0


class EcgView(QWidget):
    #: (lead name or None for all leads, t0 s, t1 s): the user dragged an interval with the mark tool.
    intervalDrawn = Signal(object, float, float)
    #: a :class:`~ecgstudio.plot.overlays.Measurement`: the user finished a caliper drag.
    caliperMeasured = Signal(object)
    #: the visible range, scale, layout or filter changed (for status bars).
    viewChanged = Signal()
    #: (record, RecordError): the memory-mapped record shown fails its checksums (found in the background)
    recordDamaged = Signal(object, object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.record: Record | None = None
        self.sheet: Sheet | None = None
        self.layout_name, self.tool = STACKED, PAN
        self.speed, self.gain = 25.0, 10.0
        self.zoom: float | None = None
        self.source = DisplaySource()
        self.source.changed.connect(self._set_display)
        self.source.damaged.connect(self.recordDamaged)
        self.nav: SheetNavigator | None = None
        screen = QApplication.primaryScreen()
        self.base_px_per_mm = self._screen_px_per_mm(screen) if screen else 96.0 / MM_PER_INCH
        self._ppm = self.base_px_per_mm
        self._display: np.ndarray | None = None
        self._centres = np.zeros(0)
        self._items: list[tuple[TraceItem | AbsentItem, Strip]] = []
        self._placed: tuple | None = None
        self._applying = self._reapply = False
        self._build_widgets()

    # ----------------------------------------------------------------- public API
    def set_record(self, record: Record | None) -> None:
        """Show ``record`` from its start (``None`` clears the sheet)."""
        self.record, self.nav = record, None
        display = self.source.set_record(record)
        self.caliper.hide()
        self.ruler.set_beats(np.zeros(0), RULER_Y_MM)
        self.marks.set_marks([])
        self.reference_layer.set_reference(None)
        if record is None:
            self.show_message("No record open")
            return
        self._stack.setCurrentIndex(0)
        self._clear_items()
        self._display, self._centres = display, lead_centres(display)
        self.overview.set_signal(display[record.leads.index(rhythm_lead(record.leads))], record.fs)
        self.overview.setVisible(record.duration > PAGE_S + 1e-6)  # one page needs no map
        self._sheet_page.layout().activate()  # lay the canvas out now: the ranges depend on its height
        self._rebuild()

    def show_message(self, text: str) -> None:
        """Replace the sheet by ``text`` (a record that failed to load, an empty folder)."""
        self.record, self.sheet, self._display, self.nav = None, None, None, None
        self.source.set_record(None)
        self._clear_items()
        self.overview.set_signal(None, 1.0)
        self._message.setText(text)
        self._stack.setCurrentIndex(1)
        self.viewChanged.emit()

    def set_layout(self, layout: str) -> None:
        self.layout_name = layout
        self.caliper.hide()
        self._rebuild()

    def set_speed(self, mm_per_s: float) -> None:
        self.speed = float(mm_per_s)
        if self.nav is not None:
            self.nav.speed = self.speed
        self.canvas.grid.set_x_mm_per_unit(self.speed)
        self._update_gutter()
        self._apply_ranges()

    def set_gain(self, mm_per_mv: float) -> None:
        self.gain = float(mm_per_mv)
        for item, _ in self._items:
            if isinstance(item, TraceItem) and item.follows_gain:
                item.set_gain(self.gain)
        self.caliper.hide()
        self._update_gutter()
        self.viewChanged.emit()

    def set_zoom(self, zoom: float | None) -> None:
        """Magnification relative to true size (1.0); ``None`` fits the sheet to the window. Choosing
        a zoom also undoes the wheel's time compression: the paper is back at its speed."""
        self.zoom = zoom
        if self.nav is not None:
            self.nav.time_scale = 1.0
        self._apply_ranges()

    def set_tool(self, tool: str) -> None:
        if tool not in TOOLS:
            raise ValueError(f"tool must be one of {TOOLS}, got {tool!r}")
        self.tool = self.vb.tool = tool
        self.canvas.setCursor(Qt.OpenHandCursor if tool == PAN else Qt.CrossCursor)

    @property
    def filter_on(self) -> bool:
        return self.source.filter_on

    def set_filter(self, enabled: bool) -> None:
        """Band-pass the displayed traces (display only; ``record.signal`` is never changed)."""
        display = self.source.set_filter(enabled)
        if display is not None and display is not self._display:
            self._set_display(display)
        self.viewChanged.emit()

    def set_marks(self, marks: list) -> None:
        """Draw interval marks: each ``(lead or None, t0, t1, label, colour)`` or an object with those
        attributes (see :func:`~ecgstudio.plot.overlays.as_mark`). Replaces the marks shown before."""
        self.marks.set_marks(marks)
        self._draw_marks()

    def set_reference(self, reference) -> None:
        """Show a record's reference annotations (``ReferenceAnnotations``: beat symbols along the top,
        rhythm bands, LUDB waves on their leads); ``None`` or an empty one hides them."""
        self.reference_layer.set_reference(reference)
        if self.nav is not None:
            self._fit_reference_band(self.nav)
            self._apply_ranges()

    def _fit_reference_band(self, nav: SheetNavigator) -> None:
        nav.top_extra_mm = REFERENCE_BAND_MM if self.reference_layer.reference is not None else 0.0
        nav.y_top = nav.band()[1]

    def set_beats(self, peaks: np.ndarray | None) -> None:
        """R-peak sample indices of the current record (drawn as the beat ruler with RR intervals)."""
        times = np.zeros(0) if peaks is None or self.record is None else np.asarray(peaks) / self.record.fs
        self.ruler.set_beats(times, RULER_Y_MM)

    def set_caliper(self, t0: float, t1: float, y0_mm: float | None = None, y1_mm: float | None = None) -> Measurement:
        """Place the caliper from ``t0`` to ``t1`` s (on the first row's baseline unless given)."""
        base = self.sheet.baseline_mm(0) if self.sheet else 0.0
        p0 = QPointF(t0, base if y0_mm is None else y0_mm)
        p1 = QPointF(t1, base if y1_mm is None else y1_mm)
        self.caliper.set_points(p0, p1, self.gain, self.nav.band() if self.nav else (0.0, 0.0))
        measurement = self.caliper.measurement()
        self.caliperMeasured.emit(measurement)
        return measurement

    def go_to(self, t: float) -> None:
        """Bring time ``t`` (s) to the left edge (stacked) or start the page there (print)."""
        if self.nav is not None:
            self.nav.go_to(t)
            self._apply_ranges()

    def show_interval(self, t0: float, t1: float) -> None:
        """Bring ``[t0, t1]`` s on screen (e.g. a mark picked in the annotation panel): centred, with
        time compressed if it is wider than the view (stacked), or on a page starting just before it."""
        if self.nav is None:
            return
        if self.nav.paged:
            self.nav.go_to(t0 - 0.5)
        else:
            span = self._span()
            wanted = max(t1 - t0, 0.0) / 0.8
            if wanted > span:
                self.nav.zoom_time(wanted / span, None, span)
                span = wanted
            self.nav.go_to((t0 + t1) / 2 - span / 2)
        self._apply_ranges()

    def zoom_time(self, factor: float, anchor: float | None = None) -> None:
        """Show ``factor`` times as much time (stacked layout), keeping ``anchor`` (default: the
        centre of the view) in place; the print layout always shows its 10-s page."""
        if self.nav is not None and self.nav.zoom_time(factor, anchor, self._span()):
            self._apply_ranges()

    def displayed_signal(self) -> np.ndarray | None:
        """``[leads, samples]`` as drawn: the record's samples, or their display-filtered copy."""
        return self._display

    @property
    def showing_filtered(self) -> bool:
        return self.source.is_filtered(self._display)

    @property
    def envelope_unfiltered(self) -> bool:
        """True when the filter is on but this view is too wide for a mapped record's spans, so its traces
        are the unfiltered overview pyramid (see :mod:`ecgstudio.plot.lazy_display`)."""
        display = self._display
        if not isinstance(display, LazyDisplay) or not display.filtered:
            return False
        x0, x1 = self.visible_range()
        return (x1 - x0) * display.fs > RAW_SPAN_LIMIT

    def visible_range(self) -> tuple[float, float]:
        x0, x1 = self.vb.viewRange()[0]
        return float(x0), float(x1)

    def message(self) -> str:
        """The text shown in place of the sheet (a record that failed, an empty folder), ``""`` when the
        sheet is shown."""
        return self._message.text() if self._stack.currentIndex() == 1 else ""

    def curves(self) -> list[tuple[str, np.ndarray]]:
        """(lead, samples drawn) of every trace on the sheet, in sheet order."""
        return [(item.lead, item.samples) for item, _ in self._items if isinstance(item, TraceItem)]

    @property
    def time_scale(self) -> float:
        """Screen seconds per paper second: 1 at the paper speed, < 1 when time is compressed."""
        return self.nav.time_scale if self.nav else 1.0

    @property
    def to_scale(self) -> bool:
        """Whether the screen shows time at the paper speed (false while the wheel compresses it)."""
        return abs(self.time_scale - 1.0) <= 1e-6

    def scale_note(self) -> str:
        """What a speed label must add to stay true: ``""`` at the paper speed, else "not to scale"
        with the speed the screen really shows."""
        if self.to_scale:
            return ""
        return f"not to scale: time ×{self.time_scale:.3g} ({self.speed * self.time_scale:.3g} mm/s on screen)"

    @property
    def page_start(self) -> float:
        return self.nav.page_start if self.nav else 0.0

    @property
    def scale(self) -> PaperScale:
        return PaperScale(self.speed, self.gain, self._ppm)

    @property
    def effective_zoom(self) -> float:
        return self._ppm / self.base_px_per_mm

    def measured_mm_per_s(self) -> float:
        """Screen mm per second of record, measured through the view's own mapping."""
        a, b = self.vb.mapViewToDevice(QPointF(0, 0)), self.vb.mapViewToDevice(QPointF(1, 0))
        return (b.x() - a.x()) / self._ppm

    def measured_mm_per_mv(self) -> float:
        """Screen mm per millivolt of a drawn trace, measured through the view's own mapping."""
        trace = next((item for item, _ in self._items if isinstance(item, TraceItem) and item.follows_gain), None)
        if trace is None:
            return float("nan")
        a = trace.mapToDevice(QPointF(0, trace.sheet_y(0.0)))
        b = trace.mapToDevice(QPointF(0, trace.sheet_y(1.0)))
        return abs(b.y() - a.y()) / self._ppm

    def export_png(self, path: str | Path) -> bool:
        """Save the sheet as shown (calibration gutter, traces, overlays) as a PNG."""
        return self.canvas.grab().save(str(path), "PNG")

    # ----------------------------------------------------------------- building
    def _build_widgets(self) -> None:
        self.canvas = SheetCanvas(self.speed)
        self.vb, self.caliper, self.ruler = self.canvas.vb, self.canvas.caliper, self.canvas.ruler
        self.marks = MarkLayer(self.vb)
        self.reference_layer = ReferenceLayer()
        self.vb.addItem(self.reference_layer, ignoreBounds=True)
        self.overview = OverviewStrip()
        self._message = QLabel(alignment=Qt.AlignCenter, wordWrap=True)
        self._message.setStyleSheet("color: #8a1c1c; font-size: 14pt; padding: 40px;")
        sheet_page = QWidget()
        column = QVBoxLayout(sheet_page)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(2)
        column.addWidget(self.canvas, 1)
        column.addWidget(self.overview)
        column.addStretch(0)  # what a short sheet leaves free goes below the strip, not into grey desk
        self._sheet_page = sheet_page
        self._stack = QStackedLayout(self)
        self._stack.addWidget(sheet_page)
        self._stack.addWidget(self._message)
        self.vb.sigResized.connect(self._apply_ranges)
        self.vb.sigPanRequested.connect(self._pan)
        self.vb.sigWheel.connect(self._wheel)
        self.vb.sigToolDrag.connect(self._tool_drag)
        self.overview.windowMoved.connect(self._overview_moved)
        self.overview.windowStretched.connect(self._overview_stretched)
        self.overview.centreRequested.connect(self._overview_centre)
        keys = {Qt.Key_Left: lambda: self._step(-1), Qt.Key_Right: lambda: self._step(1),
                Qt.Key_Home: lambda: self.go_to(0.0), Qt.Key_End: lambda: self.go_to(math.inf),
                Qt.Key_Plus: lambda: self.zoom_time(1 / 1.25), Qt.Key_Minus: lambda: self.zoom_time(1.25),
                Qt.Key_Escape: self.caliper.hide}
        for key, slot in keys.items():
            QShortcut(QKeySequence(key), self.canvas, slot, context=Qt.WidgetShortcut)

    def _set_display(self, signal: np.ndarray) -> None:
        self._display = signal
        self._centres = lead_centres(signal)
        for item, _ in self._items:
            if isinstance(item, TraceItem):
                i = self.record.leads.index(item.lead)
                item.centre = float(self._centres[i])
                item.set_samples(signal[i])
        self.overview.set_signal(signal[self.record.leads.index(rhythm_lead(self.record.leads))], self.record.fs)
        self._apply_ranges()

    def _clear_items(self) -> None:
        for item, _ in self._items:
            self.vb.removeItem(item)
        self._items, self._placed = [], None
        self.canvas.labels.set_labels([])
        self._draw_marks()

    def _rebuild(self) -> None:
        self._clear_items()
        if self.record is None:
            return
        record = self.record
        self.sheet = plan_sheet(self.layout_name, record.leads)
        old = self.nav  # a new layout keeps the place in the record
        self.nav = SheetNavigator(self.sheet, record.duration, self.speed)
        if old is not None:
            self.nav.time_scale = old.time_scale
            self.nav.go_to(old.t_left)
        self._fit_reference_band(self.nav)
        pitch = self.sheet.pitch_mm
        for strip in self.sheet.strips:
            baseline = self.sheet.baseline_mm(strip.row)
            if strip.present:
                i = record.leads.index(strip.lead)
                voltage = record.units[i] == "mV"
                gain = self.gain if voltage else fitted_gain(self._display[i], pitch)
                item = TraceItem(strip.lead, self._display[i], record.fs, baseline, gain, float(self._centres[i]),
                                 follows_gain=voltage)
                item.clip_mm = (baseline - TRACE_REACH_ROWS * pitch, baseline + TRACE_REACH_ROWS * pitch)
            else:
                item = AbsentItem(strip.lead, baseline, 0.0, record.duration)
            self.vb.addItem(item, ignoreBounds=True)
            self._items.append((item, strip))
        self._update_gutter()
        self._apply_ranges()

    def _update_gutter(self) -> None:
        if self.sheet is None:
            return
        stacked = self.sheet.layout == STACKED
        rows = []
        for row, lead in enumerate(self.sheet.row_leads):
            present = any(s.present for s in self.sheet.strips if s.row == row)
            unit = self.record.units[self.record.leads.index(lead)] if present and lead else "mV"
            rows.append(GutterRow(self.sheet.baseline_mm(row), lead if stacked else None, present,
                                  None if unit == "mV" else unit))
        self.canvas.gutter_item.set_rows(rows, self.scale)

    def _place_strips(self) -> None:
        """Give each strip its record time for the current page, and label the print columns."""
        placed = (id(self.sheet), len(self._items), self.nav.page_start if self.nav.paged else 0.0)
        if placed == self._placed:
            return
        self._placed = placed
        duration = self.record.duration
        labels, bars = [], []
        for item, strip in self._items:
            t0, t1 = strip.span(self.nav.page_start, duration)
            item.set_span(t0, t1)
            if self.sheet.layout == PRINT:
                top = self.sheet.row_band(strip.row)[1]
                labels.append((t0 + 0.03, top - 1.0, strip.lead, strip.present))
                if strip.start_s > 0:
                    bars.append((t0, self.sheet.baseline_mm(strip.row)))
        self.canvas.labels.set_labels(labels, bars)
        self.reference_layer.set_sheet(self.sheet, self.nav.page_start, duration)
        self._draw_marks()

    # ----------------------------------------------------------------- ranges
    def _gutter_mm(self) -> float:
        return self.canvas.gutter_item.width_mm(with_labels=self.sheet is not None and self.sheet.layout == STACKED)

    def _span(self) -> float:
        x0, x1 = self.visible_range()
        return x1 - x0

    def _available_height(self) -> float:
        """Pixels the paper could have: the page minus the overview strip and the time axis (the
        canvas itself may be held shorter than that, see ``_fit_canvas_height``)."""
        strip = self.overview.height() + self._sheet_page.layout().spacing() if self.overview.isVisible() else 0
        axis = self.canvas.height() - self.vb.height()
        return self._sheet_page.height() - strip - axis

    def _fit_canvas_height(self, available: float) -> float:
        """Hold the canvas to the sheet's height when the sheet is shorter than the room, so the time
        axis stays under the paper and no grey desk is left between; returns the paper's pixels."""
        bottom, top = self.nav.band()
        needed = math.ceil((top - bottom) * self._ppm)
        axis = self.canvas.height() - self.vb.height()
        cap = needed + axis if needed < available - 1 else QWIDGETSIZE_MAX
        if cap != self.canvas.maximumHeight():
            self.canvas.setMaximumHeight(cap)
            self._sheet_page.layout().activate()
        return min(needed, available)

    def _apply_ranges(self) -> None:
        """Set both view boxes from the navigator, the zoom and the widget's size in pixels."""
        if self._applying:  # a resize caused by our own gutter change: redo once we are done
            self._reapply = True
            return
        height = self._available_height()
        if self.nav is None or self.vb.width() < 2 or height < 2:
            return
        self._applying, self._reapply = True, False
        try:
            self.overview.stretchable = not self.nav.paged
            total = self.canvas.width_px()
            self._ppm = (self.nav.fit_px_per_mm(total, height, self._gutter_mm(), self.base_px_per_mm)
                         if self.zoom is None else self.base_px_per_mm * self.zoom)
            height = self._fit_canvas_height(height)
            if abs(self.canvas.gutter_item.scale.px_per_mm - self._ppm) > 1e-9:
                self._update_gutter()  # the lead names need their pixels at the new zoom
            gutter_px = round(self._gutter_mm() * self._ppm)
            self.canvas.set_gutter_width(gutter_px)
            width = max(total - gutter_px, 2.0)
            x_range, y_range = self.nav.ranges(width, height, self._ppm)
            self.vb.setRange(xRange=x_range, yRange=y_range, padding=0)
            self.canvas.gutter.setRange(xRange=(0, gutter_px / self._ppm), yRange=y_range, padding=0)
            bottom, top = self.nav.band()
            paper = self.nav.paper()
            self.canvas.grid.set_extent(QRectF(paper[0], bottom, paper[1] - paper[0], top - bottom))
            self.canvas.gutter_grid.set_extent(QRectF(-1.0, bottom, 1e4, top - bottom))
            self._place_strips()
            self.overview.set_window(*self.nav.window(x_range[1] - x_range[0]))
        finally:
            self._applying = False
        if self._reapply:
            self._apply_ranges()
            return
        self.viewChanged.emit()

    # ----------------------------------------------------------------- gestures
    def _pan(self, dt: float, dy: float) -> None:
        if self.nav is not None:
            self.nav.pan(dt, dy, self._span())
            self._apply_ranges()

    def _wheel(self, steps: float, anchor: float, shift: bool) -> None:
        if self.nav is None:
            return
        if shift:
            self.nav.scroll(5.0 * steps)
        elif self.nav.paged:
            self.nav.turn(-steps)
        else:
            self.nav.zoom_time(1.25 ** (-steps), anchor, self._span())
        self._apply_ranges()

    def _step(self, direction: int) -> None:
        if self.nav is not None:
            self.nav.step(direction, self._span())
            self._apply_ranges()

    def _overview_moved(self, t0: float) -> None:
        self.go_to(t0)

    def _overview_stretched(self, t0: float, t1: float) -> None:
        if self.nav is not None:
            self.nav.stretch_window(t0, t1, self._span())
            self._apply_ranges()

    def _overview_centre(self, t: float) -> None:
        if self.nav is not None:
            self.go_to(t - (self.sheet.page_s or self._span()) / 2)

    def _tool_drag(self, start: QPointF, current: QPointF, finished: bool, shift: bool) -> None:
        if self.nav is None:
            return
        if self.tool == CALIPER:
            self.caliper.set_points(start, current, self.gain, self.nav.band())
            if finished:
                measurement = self.caliper.measurement()
                if measurement.dt_ms < 2.0:
                    self.caliper.hide()
                else:
                    self.caliperMeasured.emit(measurement)
        elif self.tool == MARK:
            duration = self.record.duration
            lead = None if shift else lead_at(self.sheet, start, self.nav.page_start, duration)
            t0, t1 = sorted((start.x(), current.x()))
            self.marks.clear_preview()
            if not finished:
                self.marks.preview(t0, t1, lead_band(self.sheet, lead, start), lead or "all leads")
            elif t1 - t0 >= 0.02:
                self.intervalDrawn.emit(lead, max(t0, 0.0), min(t1, duration))

    def _draw_marks(self) -> None:
        self.marks.redraw(self.sheet, self.page_start, self.record.duration if self.record else 0.0)

    # ----------------------------------------------------------------- screen
    @staticmethod
    def _screen_px_per_mm(screen) -> float:
        return screen_px_per_mm(screen.physicalDotsPerInch(), screen.logicalDotsPerInch(), screen.devicePixelRatio())

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if self.screen() is not None:
            self.base_px_per_mm = self._screen_px_per_mm(self.screen())
        self._apply_ranges()
