"""Reference annotations on the sheet: beat symbols along the top (abnormal beats in colour), rhythm
episodes as labelled bands above them, and LUDB's P/QRS/T waves shaded on their own lead's row.

Drawn from :class:`~ecgstudio.annotations.reference.ReferenceAnnotations` on the visible part only;
symbols are left out where beats are too close to read (abnormal ones are kept).
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPointF, QRectF
from PySide6.QtGui import QColor, QPainter

from ecgstudio.annotations.reference import NORMAL_BEATS, ReferenceAnnotations
from ecgstudio.plot.items import ViewSizedItem, label_font, paint_text
from ecgstudio.plot.layout import Sheet
from ecgstudio.plot.navigation import SHEET_TOP_MM

#: Paper (mm) the reference band adds above the sheet's usual top margin.
REFERENCE_BAND_MM = 8.0
BAND = (SHEET_TOP_MM, SHEET_TOP_MM + REFERENCE_BAND_MM)
_RHYTHM_COLOURS = ("#4c78a8", "#f58518", "#54a24b", "#b279a2", "#e45756", "#72b7b2", "#9d755d")
_WAVE_COLOURS = {"P wave": QColor(60, 110, 220, 55), "QRS": QColor(220, 60, 60, 55), "T wave": QColor(40, 160, 80, 55)}
_ABNORMAL_INK, _NORMAL_INK = QColor(190, 30, 30), QColor(70, 70, 90)
MIN_SYMBOL_GAP_PX = 9.0


class ReferenceLayer(ViewSizedItem):
    def __init__(self) -> None:
        super().__init__()
        self.reference: ReferenceAnnotations | None = None
        self.sheet: Sheet | None = None
        self.page_start, self.duration = 0.0, 0.0
        self._beat_t = np.zeros(0)
        self._colours: dict[str, QColor] = {}
        self.setZValue(22)

    def set_reference(self, reference: ReferenceAnnotations | None) -> None:
        self.reference = None if reference is None or reference.empty else reference
        beats = self.reference.beats if self.reference else []
        self._beat_t = np.array([b.t for b in beats], dtype=np.float64)
        labels = sorted({e.label for e in self.reference.rhythms}) if self.reference else []
        self._colours = {label: QColor(_RHYTHM_COLOURS[i % len(_RHYTHM_COLOURS)]) for i, label in enumerate(labels)}
        self.update()

    def set_sheet(self, sheet: Sheet | None, page_start: float, duration: float) -> None:
        self.sheet, self.page_start, self.duration = sheet, page_start, duration
        self.update()

    def paint(self, painter: QPainter, *_args) -> None:
        view, px_w = self.viewRect(), self.pixelWidth()
        if self.reference is None or view is None or px_w <= 0:
            return
        painter.setRenderHint(QPainter.Antialiasing, True)
        self._paint_waves(painter, view)
        self._paint_rhythms(painter, view, px_w)
        self._paint_beats(painter, view, px_w)

    def _paint_rhythms(self, painter: QPainter, view: QRectF, px_w: float) -> None:
        low, high = BAND
        for episode in self.reference.rhythms:
            t0, t1 = max(episode.t0, view.left()), min(episode.t1, view.right())
            if t1 <= t0:
                continue
            colour = QColor(self._colours[episode.label])
            colour.setAlpha(40)
            painter.fillRect(QRectF(t0, low + 4.0, t1 - t0, high - low - 4.0), colour)
            if (t1 - t0) / px_w > 40:
                paint_text(painter, QPointF(t0, high), episode.label, self._colours[episode.label],
                           font=label_font(bold=True, size=7.5), max_width_px=(t1 - t0) / px_w)

    def _paint_beats(self, painter: QPainter, view: QRectF, px_w: float) -> None:
        i0 = max(int(np.searchsorted(self._beat_t, view.left())) - 1, 0)
        i1 = min(int(np.searchsorted(self._beat_t, view.right())) + 1, self._beat_t.size)
        if i1 <= i0:
            return
        gaps = np.diff(self._beat_t[i0:i1]) / px_w
        dense = gaps.size > 0 and float(np.median(gaps)) < MIN_SYMBOL_GAP_PX
        font = label_font(bold=True, size=7)
        y = BAND[0] + 3.5
        for beat in self.reference.beats[i0:i1]:
            normal = beat.symbol in NORMAL_BEATS
            if dense and normal:
                continue
            paint_text(painter, QPointF(beat.t, y), beat.symbol, _NORMAL_INK if normal else _ABNORMAL_INK,
                       anchor=(0.5, 1.0), font=font)

    def _paint_waves(self, painter: QPainter, view: QRectF) -> None:
        if self.sheet is None or not self.reference.waves:
            return
        for wave in self.reference.waves:
            if wave.t1 < view.left() or wave.t0 > view.right():
                continue
            for strip in self.sheet.strips_of(wave.lead):
                s0, s1 = strip.span(self.page_start, self.duration)
                t0, t1 = max(wave.t0, s0), min(wave.t1, s1)
                if t1 > t0:
                    bottom, top = self.sheet.row_band(strip.row)
                    inset = 0.15 * (top - bottom)
                    painter.fillRect(QRectF(t0, bottom + inset, t1 - t0, top - bottom - 2 * inset),
                                     _WAVE_COLOURS.get(wave.label, QColor(120, 120, 120, 50)))
