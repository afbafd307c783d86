"""What is drawn over the traces: interval marks, the caliper and the beat ruler (R peaks, RR).

Marks come from the annotation panel as simple tuples or objects; the caliper measures what the
user drags; the ruler shows the R peaks the engine detected with the RR interval between each pair.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QPainter

from ecgstudio.plot.items import label_font, paint_text

CALIPER_INK = QColor(25, 80, 190)
BEAT_INK = QColor(40, 90, 150)
LABEL_BACKGROUND = QColor(255, 255, 255, 215)
DEFAULT_MARK_COLOUR = "#2f7ed8"


class Mark(NamedTuple):
    """An interval mark: on one lead (``lead``) or all leads (``None``), from ``t0`` to ``t1`` s."""

    lead: str | None
    t0: float
    t1: float
    label: str = ""
    colour: Any = DEFAULT_MARK_COLOUR


def as_mark(mark: Any) -> Mark:
    """Accept a ``Mark``, a tuple ``(lead, t0, t1[, label[, colour]])`` or an object with attributes
    ``lead, t0, t1`` and optionally ``label``/``text`` and ``colour``/``color``."""
    if isinstance(mark, tuple):
        return Mark(*mark)
    label = getattr(mark, "label", None) or getattr(mark, "text", "") or ""
    colour = getattr(mark, "colour", None) or getattr(mark, "color", None) or DEFAULT_MARK_COLOUR
    return Mark(getattr(mark, "lead", None), float(mark.t0), float(mark.t1), str(label), colour)


class MarkItem(pg.GraphicsObject):
    """A translucent band over ``[t0, t1]`` between ``y0`` and ``y1`` mm, labelled at its bottom-left."""

    def __init__(self, t0: float, t1: float, y0: float, y1: float, label: str, colour: Any) -> None:
        super().__init__()
        self.rect = QRectF(min(t0, t1), min(y0, y1), abs(t1 - t0), abs(y1 - y0))
        self.label = label
        self.colour = QColor(colour) if not isinstance(colour, QColor) else colour
        if not self.colour.isValid():
            self.colour = QColor(DEFAULT_MARK_COLOUR)
        self.setZValue(5)

    def boundingRect(self) -> QRectF:
        return self.rect

    def paint(self, painter: QPainter, *_args) -> None:
        fill = QColor(self.colour)
        fill.setAlpha(50)
        painter.fillRect(self.rect, fill)
        edge = QColor(self.colour)
        edge.setAlpha(170)
        painter.setPen(pg.mkPen(edge, width=1.5))
        painter.drawLine(self.rect.topLeft(), self.rect.bottomLeft())
        painter.drawLine(self.rect.topRight(), self.rect.bottomRight())
        if self.label:  # bottom-left: the top-left corner is where print-layout lead labels sit
            bottom_left = QPointF(self.rect.left(), self.rect.top())  # y grows upwards: top() is the bottom
            paint_text(painter, bottom_left, self.label, self.colour.darker(140), anchor=(-0.05, 1.05),
                       font=label_font(size=9), background=LABEL_BACKGROUND)


@dataclass(frozen=True)
class Measurement:
    """What a caliper spans: time (ms), the heart rate that interval implies, and amplitude (mV)."""

    t0: float
    t1: float
    dt_ms: float
    dmv: float

    @property
    def bpm(self) -> float | None:
        return 60000.0 / self.dt_ms if self.dt_ms > 0 else None

    def text(self) -> str:
        rate = f"{self.bpm:.0f} bpm" if self.bpm is not None else "– bpm"
        return f"Δt {self.dt_ms:.0f} ms · {rate} · ΔV {self.dmv:+.2f} mV"


class CaliperItem(pg.GraphicsObject):
    """Two time lines from a drag's start to its end, the amplitude step between the two points and
    the measurement written above."""

    def __init__(self) -> None:
        super().__init__()
        self.p0 = self.p1 = QPointF()
        self.gain = 10.0
        self.band = (0.0, 0.0)
        self.setZValue(30)
        self.hide()

    def set_points(self, p0: QPointF, p1: QPointF, gain: float, band: tuple[float, float]) -> None:
        """Sheet points (s, mm) of the drag; ``gain`` (mm/mV) converts height; ``band`` is the
        sheet's bottom and top (mm) the time lines span."""
        self.prepareGeometryChange()
        self.p0, self.p1, self.gain, self.band = QPointF(p0), QPointF(p1), gain, band
        self.show()
        self.update()

    def measurement(self) -> Measurement:
        t0, t1 = sorted((self.p0.x(), self.p1.x()))
        return Measurement(t0, t1, (t1 - t0) * 1000.0, (self.p1.y() - self.p0.y()) / self.gain)

    def boundingRect(self) -> QRectF:
        x0, x1 = sorted((self.p0.x(), self.p1.x()))
        return QRectF(x0, self.band[0], max(x1 - x0, 1e-6), self.band[1] - self.band[0] + 12).adjusted(-1, -1, 1, 1)

    def paint(self, painter: QPainter, *_args) -> None:
        painter.setRenderHint(QPainter.Antialiasing, True)
        bottom, top = self.band
        painter.setPen(pg.mkPen(CALIPER_INK, width=1.2, style=Qt.DashLine))
        for x in (self.p0.x(), self.p1.x()):
            painter.drawLine(QPointF(x, bottom), QPointF(x, top))
        painter.setPen(pg.mkPen(CALIPER_INK, width=1.6))
        painter.drawLine(self.p0, QPointF(self.p1.x(), self.p0.y()))
        painter.drawLine(QPointF(self.p1.x(), self.p0.y()), self.p1)
        at = QPointF((self.p0.x() + self.p1.x()) / 2, max(self.p0.y(), self.p1.y()) + 2)
        paint_text(painter, at, self.measurement().text(), CALIPER_INK, anchor=(0.5, 1),
                   font=label_font(size=10), background=LABEL_BACKGROUND)


class BeatRuler(pg.GraphicsObject):
    """Along the top of the sheet: a tick at each R peak and the RR interval (ms) between neighbours,
    written only where there is room for it (and not at all when beats are typically too close)."""

    MIN_GAP_PX = 32.0

    def __init__(self) -> None:
        super().__init__()
        self.times = np.zeros(0)
        self.y_mm = 0.0
        self.setZValue(25)

    def set_beats(self, times_s: np.ndarray, y_mm: float) -> None:
        self.prepareGeometryChange()
        self.times, self.y_mm = np.asarray(times_s, dtype=np.float64), y_mm
        self.update()

    def boundingRect(self) -> QRectF:
        if self.times.size == 0:
            return QRectF()
        return QRectF(self.times[0] - 1, self.y_mm - 1, self.times[-1] - self.times[0] + 2, 8)

    def paint(self, painter: QPainter, *_args) -> None:
        view, px_w = self.viewRect(), self.pixelWidth()
        if view is None or px_w <= 0 or self.times.size == 0:
            return
        i0 = max(int(np.searchsorted(self.times, view.left())) - 1, 0)
        i1 = min(int(np.searchsorted(self.times, view.right())) + 1, self.times.size)
        visible = self.times[i0:i1]
        painter.setRenderHint(QPainter.Antialiasing, True)
        painter.setPen(pg.mkPen(BEAT_INK, width=1.5))
        tick = 1.6
        for t in visible:
            painter.drawLine(QPointF(t, self.y_mm), QPointF(t, self.y_mm + tick))
        gaps_px = np.diff(visible) / px_w
        if gaps_px.size == 0 or np.median(gaps_px) < self.MIN_GAP_PX:
            return  # too dense to read: label none rather than a random few
        font = label_font(bold=False, size=8)
        for a, b in zip(visible[:-1], visible[1:]):
            if (b - a) / px_w >= self.MIN_GAP_PX:
                paint_text(painter, QPointF((a + b) / 2, self.y_mm + tick), f"{(b - a) * 1000:.0f}",
                           BEAT_INK, anchor=(0.5, 0.75), font=font)
