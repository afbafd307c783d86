"""Interval marks on the sheet: the marks the annotation panel gives, cut to the strips that show
their lead, and the live preview while the user drags a new one."""

from __future__ import annotations

import math
from typing import Any

import pyqtgraph as pg
from PySide6.QtCore import QPointF

from ecgstudio.plot.layout import Sheet
from ecgstudio.plot.overlays import DEFAULT_MARK_COLOUR, Mark, MarkItem, as_mark


class MarkLayer:
    def __init__(self, view_box: pg.ViewBox) -> None:
        self.view_box = view_box
        self.marks: list[Mark] = []
        self.items: list[MarkItem] = []
        self._preview: MarkItem | None = None

    def set_marks(self, marks: list[Any]) -> None:
        self.marks = [as_mark(m) for m in marks]

    def redraw(self, sheet: Sheet | None, page_start: float, duration: float) -> None:
        """Draw every mark: across the whole sheet (lead ``None``) or on each strip showing its lead,
        cut to what the strip shows; a mark on a lead no strip shows draws nothing."""
        for item in self.items:
            self.view_box.removeItem(item)
        self.items = []
        if sheet is None:
            return
        for mark in self.marks:
            if mark.lead is None:
                pieces = [(mark.t0, mark.t1, -sheet.height_mm, 0.0)]
            else:
                pieces = []
                for strip in sheet.strips_of(mark.lead):
                    s0, s1 = strip.span(page_start, duration)
                    t0, t1 = max(mark.t0, s0), min(mark.t1, s1)
                    if t1 > t0:
                        pieces.append((t0, t1, *sheet.row_band(strip.row)))
            for i, (t0, t1, y0, y1) in enumerate(pieces):
                self._add(MarkItem(t0, t1, y0, y1, mark.label if i == 0 else "", mark.colour))

    def preview(self, t0: float, t1: float, band: tuple[float, float], label: str) -> None:
        self.clear_preview()
        self._preview = MarkItem(t0, t1, band[0], band[1], label, DEFAULT_MARK_COLOUR)
        self.view_box.addItem(self._preview, ignoreBounds=True)

    def clear_preview(self) -> None:
        if self._preview is not None:
            self.view_box.removeItem(self._preview)
            self._preview = None

    def _add(self, item: MarkItem) -> None:
        self.view_box.addItem(item, ignoreBounds=True)
        self.items.append(item)


def lead_at(sheet: Sheet, point: QPointF, page_start: float, duration: float) -> str | None:
    """The recorded lead drawn under a sheet point, if any."""
    row = math.floor(-point.y() / sheet.pitch_mm)
    for strip in sheet.strips:
        t0, t1 = strip.span(page_start, duration)
        if strip.row == row and strip.present and t0 <= point.x() <= t1:
            return strip.lead
    return None


def lead_band(sheet: Sheet, lead: str | None, point: QPointF) -> tuple[float, float]:
    """Bottom and top (mm) a new mark covers: the row under ``point``, or every row for all leads."""
    if lead is None:
        return -sheet.height_mm, 0.0
    return sheet.row_band(math.floor(-point.y() / sheet.pitch_mm))
