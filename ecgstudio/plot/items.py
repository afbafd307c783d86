"""pyqtgraph items drawn on the ECG sheet: paper grid, lead traces, absent leads, calibration pulses
and labels.

Every item paints only what lies in the visible part of the view, so the cost of a frame follows
the window size and not the record length. Text is drawn in screen pixels (readable at any zoom).
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QPainter, QPen, QTransform

from ecgstudio.plot.decimate import decimator_for
from ecgstudio.plot.paper import (MAJOR_MM, MIN_LINE_SPACING_PX, MINOR_MM, PaperScale, calibration_pulse,
                                  grid_positions, pulse_offsets_mm, split_major)

PAPER = QColor(255, 247, 245)
#: Around the paper (past the record's end, below the print page).
DESK = QColor(232, 232, 236)
MINOR_LINE = QColor(248, 212, 212)
MAJOR_LINE = QColor(230, 145, 145)
INK = QColor(20, 20, 30)
ABSENT_INK = QColor(150, 150, 150)
LABEL_FONT_PT = 10
#: Traces are 1-px cosmetic lines: Qt's raster engine draws those on a fast path, while any wider
#: anti-aliased pen goes through its stroker, ~200x slower for a 3000-point trace (seconds per frame).
#: A second pass, offset by ``TRACE_BOLD_OFFSET_PX``, gives the bolder ink of a paper ECG at 2x cost.
TRACE_WIDTH_PX = 1.0
TRACE_BOLD_OFFSET_PX = 0.6


def paint_text(painter: QPainter, at: QPointF, text: str, color: QColor, *, anchor: tuple[float, float] = (0, 0),
               font: QFont | None = None, background: QColor | None = None,
               max_width_px: float | None = None) -> QRectF:
    """Draw ``text`` in screen pixels at the item point ``at``; ``anchor`` is the fraction of the text
    box (0..1, 0..1 from top-left) that lands on ``at``; text wider than ``max_width_px`` is elided.
    Returns the box in device pixels."""
    device = painter.transform().map(at)
    font = font or QFont()
    metrics = QFontMetricsF(font)
    if max_width_px is not None:
        text = metrics.elidedText(text, Qt.ElideRight, max(max_width_px - 4, 8.0))
    w, h = metrics.horizontalAdvance(text) + 4, metrics.height()
    box = QRectF(device.x() - anchor[0] * w, device.y() - anchor[1] * h, w, h)
    painter.save()
    painter.resetTransform()
    if background is not None:
        painter.fillRect(box, background)
    painter.setFont(font)
    painter.setPen(color)
    painter.drawText(box, Qt.AlignCenter, text)
    painter.restore()
    return box


def label_font(bold: bool = True, italic: bool = False, size: float = LABEL_FONT_PT) -> QFont:
    font = QFont()
    font.setPointSizeF(size)
    font.setBold(bold)
    font.setItalic(italic)
    return font


class ViewSizedItem(pg.GraphicsObject):
    """An item as large as the visible view: it draws what is on screen and nothing else."""

    def boundingRect(self) -> QRectF:
        rect = self.viewRect()
        return QRectF() if rect is None else rect

    def viewRangeChanged(self) -> None:
        self.prepareGeometryChange()
        super().viewRangeChanged()


class PaperGrid(ViewSizedItem):
    """ECG paper: 1 mm minor and 5 mm major lines, anchored at t = 0 and y = 0 mm.

    ``x_mm_per_unit`` says how many paper mm one x unit is: the paper speed for a time axis, 1 for an
    axis already in mm (the calibration gutter). Paper covers ``extent`` only (the record, the print
    page); the view's own background shows around it. Lines denser than a few pixels are left out.
    """

    def __init__(self, x_mm_per_unit: float) -> None:
        super().__init__()
        self.x_mm_per_unit = x_mm_per_unit
        self.extent: QRectF | None = None
        self.setZValue(-100)

    def set_x_mm_per_unit(self, value: float) -> None:
        self.x_mm_per_unit = value
        self.update()

    def set_extent(self, extent: QRectF | None) -> None:
        """Where the paper is, in view coordinates (``None``: everywhere)."""
        if extent != self.extent:
            self.extent = extent
            self.update()

    def paint(self, painter: QPainter, *_args) -> None:
        rect = self.viewRect()
        px_w, px_h = self.pixelWidth(), self.pixelHeight()
        if rect is None or px_w <= 0 or px_h <= 0:
            return
        if self.extent is not None:
            rect = rect.intersected(self.extent)
            if rect.isEmpty():
                return
        painter.fillRect(rect, PAPER)
        painter.setRenderHint(QPainter.Antialiasing, False)
        x_step = MINOR_MM / self.x_mm_per_unit
        for major, colour in ((False, MINOR_LINE), (True, MAJOR_LINE)):
            scale = MAJOR_MM / MINOR_MM if major else 1.0
            xs = self._lines(rect.left(), rect.right(), x_step, x_step * scale / px_w, major)
            ys = self._lines(rect.top(), rect.bottom(), MINOR_MM, MINOR_MM * scale / px_h, major)
            path = _segments(xs, ys, rect)
            if path is not None:
                painter.setPen(pg.mkPen(colour, width=1))
                painter.drawPath(path)

    @staticmethod
    def _lines(lo: float, hi: float, step: float, spacing_px: float, major: bool) -> np.ndarray:
        if spacing_px < MIN_LINE_SPACING_PX:
            return np.zeros(0)
        minor, majors = split_major(grid_positions(lo, hi, step), step)
        return majors if major else minor


def _segments(xs: np.ndarray, ys: np.ndarray, rect: QRectF):
    """One path of vertical lines at ``xs`` and horizontal lines at ``ys`` across ``rect``."""
    if xs.size + ys.size == 0:
        return None
    px = np.concatenate([np.repeat(xs, 2), np.tile([rect.left(), rect.right()], ys.size)])
    py = np.concatenate([np.tile([rect.top(), rect.bottom()], xs.size), np.repeat(ys, 2)])
    return pg.arrayToQPath(px, py, connect="pairs", finiteCheck=False)


class TraceItem(pg.GraphicsObject):
    """One lead drawn on its row: ``baseline + gain * (mV - centre)`` mm over a span of record time.

    ``samples`` is a view of the record's (or the display-filtered) lead, never copied; each paint
    decimates the visible samples to the pixel width. ``centre`` (the lead's median) keeps a lead
    with a DC offset on its row, as a paper machine's high-pass would.
    """

    def __init__(self, lead: str, samples: np.ndarray, fs: float, baseline_mm: float, gain: float,
                 centre: float = 0.0, pen: QPen | None = None, bold: bool = True, follows_gain: bool = True) -> None:
        super().__init__()
        self.lead, self.fs, self.baseline_mm, self.gain, self.centre = lead, fs, baseline_mm, gain, centre
        #: False for a non-voltage channel (blood pressure, pleth) drawn fitted to its row instead.
        self.follows_gain = follows_gain
        self.pen = pen or pg.mkPen(INK, width=TRACE_WIDTH_PX)
        self.bold = bold
        #: Sheet heights (mm) the trace is kept within, so a wild signal cannot cover the whole sheet.
        self.clip_mm: tuple[float, float] | None = None
        self._span = (0.0, samples.size / fs)
        self._cache: tuple[tuple, object] | None = None
        self.set_samples(samples)

    @property
    def samples(self) -> np.ndarray:
        return self._decimator.samples

    def set_samples(self, samples: np.ndarray) -> None:
        self.prepareGeometryChange()
        self._decimator = decimator_for(samples)
        self._low, self._high = self._decimator.extremes()
        self._cache = None
        self.update()

    def set_span(self, t0: float, t1: float) -> None:
        """Show only record time ``[t0, t1]`` (a print-layout column); the whole record by default."""
        self.prepareGeometryChange()
        self._span = (t0, t1)
        self.update()

    def set_gain(self, gain: float) -> None:
        self.prepareGeometryChange()
        self.gain = gain
        self.update()

    def sheet_y(self, mv):
        """Sheet height (mm) at which a value of ``mv`` millivolts is drawn (scalars or arrays)."""
        return self.baseline_mm + self.gain * (mv - self.centre)

    def boundingRect(self) -> QRectF:
        t0, t1 = self._span
        y0, y1 = self.sheet_y(self._low), self.sheet_y(self._high)
        if self.clip_mm is not None:
            y0, y1 = max(y0, self.clip_mm[0]), min(y1, self.clip_mm[1])
        return QRectF(t0, y0, max(t1 - t0, 0.0), max(y1 - y0, 1e-3)).adjusted(0, -1, 0, 1)

    def paint(self, painter: QPainter, *_args) -> None:
        view, px_w = self.viewRect(), self.pixelWidth()
        if view is None or px_w <= 0:
            return
        lo, hi = max(view.left(), self._span[0]), min(view.right(), self._span[1])
        if hi <= lo:
            return
        i0 = max(int(math.floor(lo * self.fs)), int(round(self._span[0] * self.fs)))
        i1 = min(int(math.ceil(hi * self.fs)) + 1, int(round(self._span[1] * self.fs)) + 1)
        n_bins = max(1, int((hi - lo) / px_w))
        key = (i0, i1, n_bins, self.gain, self.centre, self.clip_mm, id(self._decimator))
        if self._cache is None or self._cache[0] != key:
            x, v = self._decimator.envelope(i0, i1, n_bins)
            if x.size == 0:  # a Holter view wider than a screen read, before its overview pyramid is ready
                return
            polygon = pg.functions.create_qpolygonf(x.size)
            points = pg.functions.ndarray_from_qpolygonf(polygon)
            points[:, 0] = x / self.fs
            points[:, 1] = self.sheet_y(v)
            if self.clip_mm is not None:
                np.clip(points[:, 1], *self.clip_mm, out=points[:, 1])
            self._cache = (key, polygon)
        painter.setRenderHint(QPainter.Antialiasing, True)
        painter.setPen(self.pen)
        painter.drawPolyline(self._cache[1])
        if self.bold:
            offset = TRACE_BOLD_OFFSET_PX
            painter.setTransform(painter.transform() * QTransform.fromTranslate(offset, offset))
            painter.drawPolyline(self._cache[1])


class AbsentItem(pg.GraphicsObject):
    """The place of a lead the record lacks: a dashed baseline and "<lead> not recorded"."""

    def __init__(self, lead: str, baseline_mm: float, t0: float, t1: float) -> None:
        super().__init__()
        self.lead, self.baseline_mm = lead, baseline_mm
        self._span = (t0, t1)

    def set_span(self, t0: float, t1: float) -> None:
        self.prepareGeometryChange()
        self._span = (t0, t1)
        self.update()

    def boundingRect(self) -> QRectF:
        return QRectF(self._span[0], self.baseline_mm - 1, self._span[1] - self._span[0], 2)

    def paint(self, painter: QPainter, *_args) -> None:
        view = self.viewRect()
        if view is None:
            return
        lo, hi = max(view.left(), self._span[0]), min(view.right(), self._span[1])
        if hi <= lo:
            return
        painter.setPen(pg.mkPen(ABSENT_INK, width=1, style=Qt.DashLine))
        painter.drawLine(QPointF(lo, self.baseline_mm), QPointF(hi, self.baseline_mm))
        at = QPointF(lo + 3 * self.pixelWidth(), self.baseline_mm)
        paint_text(painter, at, f"{self.lead} not recorded", ABSENT_INK, anchor=(0, 1.1),
                   font=label_font(bold=False, italic=True, size=LABEL_FONT_PT - 1))


class SheetLabels(pg.GraphicsObject):
    """Lead labels at given sheet points (top-left anchored), e.g. each print-layout column start,
    and the short bars that separate print-layout columns."""

    def __init__(self) -> None:
        super().__init__()
        self._labels: list[tuple[float, float, str, bool]] = []
        self._bars: list[tuple[float, float]] = []
        self.setZValue(20)

    def set_labels(self, labels: list[tuple[float, float, str, bool]], bars: list[tuple[float, float]] = ()) -> None:
        """``(x, y_mm, text, present)`` per label; ``(x, baseline_mm)`` per column separator."""
        self.prepareGeometryChange()
        self._labels, self._bars = labels, list(bars)
        self.update()

    def boundingRect(self) -> QRectF:
        points = [(x, y) for x, y, *_ in self._labels] + self._bars
        if not points:
            return QRectF()
        xs, ys = [x for x, _ in points], [y for _, y in points]
        return QRectF(min(xs), min(ys) - 10, max(xs) - min(xs) + 2, max(ys) - min(ys) + 20)

    def paint(self, painter: QPainter, *_args) -> None:
        painter.setPen(pg.mkPen(INK, width=1.5))
        for x, baseline in self._bars:
            painter.drawLine(QPointF(x, baseline - 3), QPointF(x, baseline + 3))
        for x, y, text, present in self._labels:
            paint_text(painter, QPointF(x, y), text, INK if present else ABSENT_INK,
                       font=label_font(italic=not present), background=QColor(255, 247, 245, 200))


class GutterRow(NamedTuple):
    baseline_mm: float
    #: the lead name (stacked rows) or None (print rows, labelled on the sheet)
    label: str | None
    present: bool
    #: None for a voltage lead (drawn at the gain, with a calibration pulse); else its unit, the
    #: trace being fitted to its row instead
    fitted_unit: str | None = None


class CalibrationGutter(pg.GraphicsObject):
    """The strip left of the traces: per row, the lead name (stacked rows) and the 1 mV / 200 ms
    calibration pulse at the current speed and gain. Coordinates are paper mm on both axes."""

    LABEL_MM = 11.0

    def __init__(self) -> None:
        super().__init__()
        self._rows: list[GutterRow] = []
        self._scale = PaperScale()

    @property
    def scale(self) -> PaperScale:
        return self._scale

    def set_rows(self, rows: list[GutterRow], scale: PaperScale) -> None:
        self.prepareGeometryChange()
        self._rows, self._scale = rows, scale
        self.update()

    def _pulse_offsets(self) -> list[float]:
        return pulse_offsets_mm([row.baseline_mm for row in self._rows], self._scale)

    def label_mm(self) -> float:
        """Paper width of the lead-name column: ``LABEL_MM``, or more where the widest name in
        pixels would not fit at this zoom ("aVR" clipped to "a…" on a zoomed-out sheet)."""
        metrics = QFontMetricsF(label_font())
        widest = max((metrics.horizontalAdvance(row.label) for row in self._rows if row.label), default=0.0)
        return max(self.LABEL_MM, (widest + 10.0) / max(self._scale.px_per_mm, 1e-9))

    def width_mm(self, with_labels: bool) -> float:
        stagger = max(self._pulse_offsets(), default=0.0)
        return (self.label_mm() if with_labels else 1.0) + 0.2 * self._scale.speed + 6.0 + stagger

    def boundingRect(self) -> QRectF:
        if not self._rows:
            return QRectF()
        ys = [row.baseline_mm for row in self._rows]
        return QRectF(0, min(ys) - 3, self.width_mm(True) + 1, max(ys) - min(ys) + self._scale.gain + 6)

    def paint(self, painter: QPainter, *_args) -> None:
        with_labels = any(row.label for row in self._rows)
        x0 = self.label_mm() if with_labels else 1.0
        label_px = (x0 - 1.0) / max(self.pixelWidth(), 1e-9)
        painter.setRenderHint(QPainter.Antialiasing, True)
        for row, offset in zip(self._rows, self._pulse_offsets()):
            ink = INK if row.present else ABSENT_INK
            if row.label:
                paint_text(painter, QPointF(0.8, row.baseline_mm), row.label, ink, anchor=(0, 0.5),
                           font=label_font(italic=not row.present), max_width_px=label_px)
            if row.fitted_unit:  # no pulse: the unit says the trace is scaled to its row, not in mV
                paint_text(painter, QPointF(x0, row.baseline_mm), row.fitted_unit, ABSENT_INK, anchor=(0, 0.5),
                           font=label_font(bold=False, italic=True, size=LABEL_FONT_PT - 2),
                           max_width_px=self.width_mm(with_labels) / max(self.pixelWidth(), 1e-9) - label_px)
            elif row.present:
                xs, ys = calibration_pulse(x0 + offset, row.baseline_mm, self._scale)
                painter.setPen(pg.mkPen(INK, width=1.3))
                painter.drawPolyline([QPointF(x, y) for x, y in zip(xs, ys)])
