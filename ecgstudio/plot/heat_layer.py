"""A per-lead heat overlay: signed weights of (lead, t0, t1) segments drawn as tinted bands on the strips.

Used for explanations (LIME, occlusion): red where a segment pushes the model towards the class, blue
where it pushes away, the opacity proportional to the weight's size relative to the largest one. The
explained window is outlined with dashed lines so a reader sees which part of a long record the model
looked at.

The layer follows the view by itself (it listens to ``viewChanged`` and redraws only when the sheet or the
page changes), so :class:`~ecgstudio.plot.ecg_view.EcgView` needs no knowledge of it.
"""

from __future__ import annotations

from typing import NamedTuple

import pyqtgraph as pg
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QPainter

POSITIVE_INK = QColor(214, 39, 40)   # towards the class
NEGATIVE_INK = QColor(31, 119, 180)  # against the class
WINDOW_INK = QColor(90, 90, 90)
MAX_ALPHA = 120
#: segments weaker than this fraction of the strongest are not drawn (they would be invisible noise)
MIN_FRACTION = 0.05


class HeatSegment(NamedTuple):
    lead: str
    t0: float
    t1: float
    weight: float


class HeatItem(pg.GraphicsObject):
    """All tinted bands of the layer in one item (hundreds of rectangles paint faster as one object)."""

    def __init__(self) -> None:
        super().__init__()
        self.bands: list[tuple[QRectF, QColor]] = []
        self.frames: list[tuple[float, float, float]] = []  # x, y0, y1 of dashed window edges
        self._bounds = QRectF()
        self.setZValue(4)  # under marks (5) and the caliper, over the paper grid

    def set_content(self, bands: list[tuple[QRectF, QColor]], frames: list[tuple[float, float, float]]) -> None:
        self.prepareGeometryChange()
        self.bands, self.frames = bands, frames
        bounds = QRectF()
        for rect, _ in bands:
            bounds = bounds.united(rect)
        for x, y0, y1 in frames:
            bounds = bounds.united(QRectF(x, min(y0, y1), 1e-3, abs(y1 - y0)))
        self._bounds = bounds
        self.update()

    def boundingRect(self) -> QRectF:
        return self._bounds

    def paint(self, painter: QPainter, *_args) -> None:
        for rect, colour in self.bands:
            painter.fillRect(rect, colour)
        if self.frames:
            pen = pg.mkPen(WINDOW_INK, width=1.2, style=Qt.DashLine)
            pen.setCosmetic(True)
            painter.setPen(pen)
            for x, y0, y1 in self.frames:
                painter.drawLine(QPointF(x, y0), QPointF(x, y1))


def heat_colour(weight: float, scale: float) -> QColor:
    colour = QColor(POSITIVE_INK if weight > 0 else NEGATIVE_INK)
    colour.setAlpha(int(round(MAX_ALPHA * min(abs(weight) / scale, 1.0))))
    return colour


class HeatLayer:
    """Keeps the segments and redraws them on the strips that show their lead."""

    def __init__(self, view) -> None:
        self.view = view
        self.item = HeatItem()
        view.vb.addItem(self.item, ignoreBounds=True)
        self.segments: list[HeatSegment] = []
        self.window: tuple[float, float] | None = None
        #: (lead, t0, t1, weight) of each band drawn, for tests and tooltips
        self.drawn: list[HeatSegment] = []
        self._placed: tuple | None = None
        view.viewChanged.connect(self.redraw)

    def set_segments(self, segments: list[tuple[str, float, float, float]],
                     window: tuple[float, float] | None = None) -> None:
        """Show these signed segments (record seconds); ``window`` is the explained span, outlined."""
        self.segments = [HeatSegment(*s) for s in segments]
        self.window = window
        self._placed = None
        self.redraw()

    def clear(self) -> None:
        self.set_segments([], None)

    def redraw(self) -> None:
        view = self.view
        sheet = view.sheet if view.record is not None else None
        duration = view.record.duration if view.record is not None else 0.0
        page_start = view.page_start if sheet is not None else 0.0
        placed = (id(sheet), page_start, id(self.segments), self.window)
        if placed == self._placed:
            return
        self._placed = placed
        bands: list[tuple[QRectF, QColor]] = []
        frames: list[tuple[float, float, float]] = []
        self.drawn = []
        scale = max((abs(s.weight) for s in self.segments), default=0.0)
        if sheet is not None and scale > 0:
            for seg in self.segments:
                if abs(seg.weight) < MIN_FRACTION * scale:
                    continue
                for strip in sheet.strips_of(seg.lead):
                    s0, s1 = strip.span(page_start, duration)
                    t0, t1 = max(seg.t0, s0), min(seg.t1, s1)
                    if t1 > t0:
                        y0, y1 = sheet.row_band(strip.row)
                        bands.append((QRectF(t0, y0, t1 - t0, y1 - y0), heat_colour(seg.weight, scale)))
                        self.drawn.append(HeatSegment(seg.lead, t0, t1, seg.weight))
        if sheet is not None and self.window is not None:
            for strip in sheet.strips:
                s0, s1 = strip.span(page_start, duration)
                y0, y1 = sheet.row_band(strip.row)
                frames.extend((x, y0, y1) for x in self.window if s0 <= x <= s1)
        self.item.set_content(bands, frames)
