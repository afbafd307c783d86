"""A one-page A4 landscape ECG report: the record on paper grid (3x4 + lead-II rhythm strip, or the
record's own leads), its metadata and diagnoses, and the annotations the caller passes in.

Drawn with QPainter straight onto a QPdfWriter in millimetres, with the same sheet plan, grid and
calibration pulse as the screen, so print and screen agree to the millimetre.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Iterable

import numpy as np
from PySide6.QtCore import QMarginsF, QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QPageLayout, QPageSize, QPainter, QPdfWriter, QPen, QPolygonF

from ecgstudio.plot.display import fitted_gain, lead_centres
from ecgstudio.plot.layout import PRINT, TRACE_REACH_ROWS, Sheet, plan_sheet
from ecgstudio.plot.overlays import DEFAULT_MARK_COLOUR
from ecgstudio.plot.time_axis import duration_text
from ecgstudio.plot.paper import (MINOR_MM, PaperScale, calibration_pulse, calibration_width_mm, grid_positions,
                                  split_major)
from training.data import Record

@dataclass(frozen=True)
class ReportAnnotation:
    """One annotation as the report prints it: the label in words, who made it and who signed it;
    an interval mark also has its lead and times (a record label has none: it is about the whole
    record, and the report used to print it as a fake "0.00–0.00 s")."""

    label: str
    author: str
    lead: str | None = None
    t0: float | None = None
    t1: float | None = None
    signed_by: str | None = None

    @property
    def is_interval(self) -> bool:
        return self.t0 is not None and self.t1 is not None

    def line(self) -> str:
        signed = f"signed by {self.signed_by}" if self.signed_by else "not signed"
        if self.is_interval:
            return (f"{self.t0:.2f}–{self.t1:.2f} s · {self.lead or 'all leads'} · {self.label} — "
                    f"{self.author}, {signed}")
        return f"Record label: {self.label} — {self.author}, {signed}"


def as_report_annotation(item: ReportAnnotation | tuple) -> ReportAnnotation:
    """Accept the older ``(label, lead, t0, t1, author)`` tuples too (an interval each)."""
    if isinstance(item, ReportAnnotation):
        return item
    label, lead, t0, t1, author = item
    return ReportAnnotation(label, author, lead, t0, t1)

PAGE_W, PAGE_H, MARGIN = 297.0, 210.0, 10.0
HEADER_MM = 24.0
SHEET_TOP = MARGIN + HEADER_MM
SHEET_MAX_H = 128.0
RESOLUTION_DPI = 600
GRID_MINOR, GRID_MAJOR, INK = QColor(246, 190, 190), QColor(222, 110, 110), QColor(15, 15, 25)


def write_ecg_report(path: str | Path, record: Record, *, diagnoses: Iterable[str] = (),
                     annotations: Iterable[ReportAnnotation] = (), heart_rate: float | None = None,
                     page_start: float = 0.0, signal: np.ndarray | None = None, filter_note: str = "",
                     speed: float = 25.0, gain: float = 10.0, measurement_line: str = "") -> Path:
    """Write the report of ``record`` to ``path`` and return it.

    ``signal`` is what to draw (e.g. the display-filtered copy; the record's samples by default),
    ``page_start`` where the 10-s page starts, ``annotations`` the marks to list and shade,
    ``measurement_line`` the automatic measurements as a cart prints them under the header.
    """
    path = Path(path)
    writer = QPdfWriter(str(path))
    writer.setPageSize(QPageSize(QPageSize.A4))
    writer.setPageOrientation(QPageLayout.Landscape)
    writer.setPageMargins(QMarginsF(0, 0, 0, 0))
    writer.setResolution(RESOLUTION_DPI)
    writer.setTitle(f"ECG report {record.name}")
    writer.setCreator("ECG Studio")
    annotations = [as_report_annotation(a) for a in annotations]
    painter = QPainter(writer)
    try:
        painter.setRenderHint(QPainter.Antialiasing, True)
        page = _Page(painter, RESOLUTION_DPI / 25.4)
        scale = PaperScale(speed, gain)
        sheet = plan_sheet(PRINT, record.leads)
        pitch = min(sheet.pitch_mm, SHEET_MAX_H / sheet.rows)
        sheet = Sheet(sheet.layout, sheet.rows, pitch, sheet.strips, sheet.page_s)
        page_s = sheet.page_s or min(10.0, record.duration)
        page_start = min(max(page_start, 0.0), max(record.duration - page_s, 0.0))
        _header(page, record, list(diagnoses), heart_rate, scale, page_start, page_s, filter_note)
        if measurement_line:
            page.text(MARGIN, MARGIN + 17, measurement_line, 8, bold=True, width=230)
        _sheet(page, record, record.signal if signal is None else signal, sheet, scale, page_start, page_s, annotations)
        _annotation_table(page, annotations, SHEET_TOP + sheet.height_mm + 8)
    finally:
        painter.end()
    return path


class _Page:
    """Millimetre drawing on a painter whose device has ``px_per_mm`` pixels per mm."""

    def __init__(self, painter: QPainter, px_per_mm: float) -> None:
        self.painter, self.k = painter, px_per_mm

    def pen(self, colour: QColor, width_mm: float, style=Qt.SolidLine) -> None:
        self.painter.setPen(QPen(colour, width_mm * self.k, style))

    def line(self, x0: float, y0: float, x1: float, y1: float) -> None:
        self.painter.drawLine(QPointF(x0 * self.k, y0 * self.k), QPointF(x1 * self.k, y1 * self.k))

    def polyline(self, xs, ys) -> None:
        xs, ys = np.asarray(xs, dtype=np.float64) * self.k, np.asarray(ys, dtype=np.float64) * self.k
        self.painter.drawPolyline(QPolygonF([QPointF(x, y) for x, y in zip(xs, ys)]))

    def fill(self, x: float, y: float, w: float, h: float, colour: QColor) -> None:
        self.painter.fillRect(QRectF(x * self.k, y * self.k, w * self.k, h * self.k), colour)

    def text(self, x: float, y: float, text: str, size_pt: float = 8, *, bold: bool = False,
             width: float | None = None, align=Qt.AlignLeft, colour: QColor = INK) -> float:
        """Text with its top-left at (x, y) mm, wrapped to ``width`` mm; returns its height in mm."""
        font = QFont()
        font.setPointSizeF(size_pt)
        font.setBold(bold)
        self.painter.setFont(font)
        self.painter.setPen(colour)
        box = QRectF(x * self.k, y * self.k, (width or PAGE_W - x - MARGIN) * self.k, 60 * self.k)
        used = self.painter.boundingRect(box, int(align | Qt.TextWordWrap), text)
        self.painter.drawText(box, int(align | Qt.TextWordWrap), text)
        return used.height() / self.k


def _header(page: _Page, record: Record, diagnoses: list[str], heart_rate: float | None, scale: PaperScale,
            page_start: float, page_s: float, filter_note: str, page_w: float = PAGE_W) -> None:
    page.text(MARGIN, MARGIN, record.name, 14, bold=True, width=120)
    facts = [f"{record.fs:g} Hz", duration_text(record.duration), f"{record.n_leads} leads"]
    if record.age is not None:
        facts.append(f"age {record.age:g}")
    if record.sex:
        facts.append({"M": "male", "F": "female"}.get(record.sex, record.sex))
    if record.start is not None:
        facts.append(f"recorded {record.start:%Y-%m-%d %H:%M}")
    if heart_rate is not None:
        facts.append(f"HR {heart_rate:.0f} bpm")
    page.text(MARGIN, MARGIN + 7, " · ".join(facts), 9, width=180)
    page.text(MARGIN, MARGIN + 12, "Diagnoses: " + ("; ".join(diagnoses) if diagnoses else "none given"), 8, width=200)
    shown = f"{page_start:.1f}–{page_start + page_s:.1f} s"
    right = f"{scale.speed:g} mm/s · {scale.gain:g} mm/mV · {shown}\n{filter_note or 'unfiltered'}\n" \
            f"ECG Studio · {datetime.now():%Y-%m-%d %H:%M}\n{record.path}"
    page.text(page_w - MARGIN - 95, MARGIN, right, 7, width=95, align=Qt.AlignRight)


def _sheet(page: _Page, record: Record, signal: np.ndarray, sheet: Sheet, scale: PaperScale, page_start: float,
           page_s: float, annotations: list[ReportAnnotation], max_width: float = PAGE_W - 2 * MARGIN) -> None:
    gutter = calibration_width_mm(scale) + 2
    left, top = MARGIN, SHEET_TOP
    width = min(gutter + page_s * scale.speed, max_width)
    height = sheet.height_mm
    page.fill(left, top, width, height, QColor(255, 247, 245))
    xs, ys = grid_positions(0, width, MINOR_MM), grid_positions(0, height, MINOR_MM)
    for major, colour, pen_mm in ((False, GRID_MINOR, 0.08), (True, GRID_MAJOR, 0.15)):
        page.pen(colour, pen_mm)
        for x in split_major(xs, MINOR_MM)[major]:
            page.line(left + x, top, left + x, top + height)
        for y in split_major(ys, MINOR_MM)[major]:
            page.line(left, top + y, left + width, top + y)
    x_of = lambda t: left + gutter + (t - page_start) * scale.speed  # noqa: E731 - one-line mapping
    y_of = lambda mm: top - mm  # noqa: E731 - sheet mm go up, page mm go down
    shade = QColor(DEFAULT_MARK_COLOUR)
    shade.setAlpha(45)
    for rows, t0, t1 in _annotation_pieces(sheet, annotations, page_start, page_s, record.duration):
        for row in rows:
            bottom, row_top = sheet.row_band(row)
            page.fill(x_of(t0), y_of(row_top), (t1 - t0) * scale.speed, row_top - bottom, shade)
    centres = lead_centres(signal)
    voltage_rows = {s.row for s in sheet.strips if s.present and record.units[record.leads.index(s.lead)] == "mV"}
    for row in sorted(voltage_rows):
        px, py = calibration_pulse(left + 1, sheet.baseline_mm(row), scale)
        page.pen(INK, 0.25)
        page.polyline(px, [y_of(y) for y in py])
    for strip in sheet.strips:
        t0, t1 = strip.span(page_start, record.duration)
        t0, t1 = max(t0, page_start), min(t1, page_start + page_s)  # continuous strips: this page only
        label_y = y_of(sheet.row_band(strip.row)[1]) + 1
        page.text(x_of(t0) + 0.8, label_y, strip.lead, 7, bold=True,
                  colour=INK if strip.present else QColor(150, 150, 150))
        if strip.start_s > 0:  # the short bar that separates print-layout columns
            page.pen(INK, 0.3)
            baseline = y_of(sheet.baseline_mm(strip.row))
            page.line(x_of(t0), baseline - 3, x_of(t0), baseline + 3)
        if not strip.present or t1 <= t0:
            continue
        i = record.leads.index(strip.lead)
        s0, s1 = int(round(t0 * record.fs)), int(round(t1 * record.fs))
        v = signal[i, s0:s1]
        t = np.arange(s0, s1) / record.fs
        gain = scale.gain if record.units[i] == "mV" else fitted_gain(signal[i], sheet.pitch_mm)
        baseline = sheet.baseline_mm(strip.row)
        reach = TRACE_REACH_ROWS * sheet.pitch_mm
        page.pen(INK, 0.22)
        page.polyline(x_of(t), y_of(np.clip(baseline + gain * (v - centres[i]), baseline - reach, baseline + reach)))


def _annotation_pieces(sheet: Sheet, annotations: list[ReportAnnotation], page_start: float, page_s: float,
                       duration: float) -> list[tuple[list[int], float, float]]:
    """(rows, t0, t1) to shade: each annotation clipped to the page, and to the strips showing its lead."""
    pieces = []
    page_end = page_start + page_s
    for note in annotations:
        if not note.is_interval:
            continue  # a record label shades nothing
        lead, t0, t1 = note.lead, note.t0, note.t1
        if lead is None:
            if min(t1, page_end) > max(t0, page_start):
                pieces.append((list(range(sheet.rows)), max(t0, page_start), min(t1, page_end)))
            continue
        for strip in sheet.strips_of(lead):
            s0, s1 = strip.span(page_start, duration)
            a, b = max(t0, s0, page_start), min(t1, s1, page_end)
            if b > a:
                pieces.append(([strip.row], a, b))
    return pieces


def _annotation_table(page: _Page, annotations: list[ReportAnnotation], top: float) -> None:
    page.text(MARGIN, top, f"Annotations ({len(annotations)})", 9, bold=True)
    annotations = sorted(annotations, key=lambda a: (a.is_interval, a.t0 or 0.0))  # record labels first
    if not annotations:
        page.text(MARGIN, top + 5, "No annotations.", 8)
        return
    room = int((PAGE_H - MARGIN - top - 5) // 4)
    columns = 2 if len(annotations) > room else 1
    shown = annotations[: room * columns]
    for n, note in enumerate(shown):
        x = MARGIN + (n // room) * 138
        y = top + 5 + (n % room) * 4
        page.text(x, y, note.line(), 7.5, width=134)
    if len(annotations) > len(shown):
        page.text(PAGE_W - MARGIN - 40, PAGE_H - MARGIN - 4, f"+{len(annotations) - len(shown)} more", 7.5,
                  width=40, align=Qt.AlignRight)
