"""A PNG of the whole record, or of a chosen span, on ECG paper: every lead on its own row with its
name and calibration pulse, under a header with the record's facts, the paper speed and the gain.

It replaces the screen grab that exported only what the window happened to show (0–7.4 s of a 15 s
record, no header, no scale). Drawn with the report's own sheet and header code, at true paper
proportions (``PX_PER_MM`` pixels per paper millimetre).
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterable

import numpy as np
from PySide6.QtGui import QColor, QImage, QPainter

from ecgstudio.export.report import (MARGIN, PAGE_W, SHEET_TOP, ReportAnnotation, _header, _Page, _sheet,
                                    as_report_annotation)
from ecgstudio.plot.layout import STACKED, Sheet, plan_sheet
from ecgstudio.plot.paper import PaperScale, calibration_width_mm
from training.data import Record

#: 6 px per paper mm is about 150 dpi: 1-mm squares stay distinct.
PX_PER_MM = 6.0
#: Records up to this long are exported whole by default; longer ones export the span on screen.
WHOLE_RECORD_MAX_S = 60.0
#: A PNG wider than this many pixels is refused (a 30-min record at 25 mm/s would be 270,000 px).
MAX_WIDTH_PX = 32_000
#: Rows are drawn this far apart (mm): the stacked screen pitch leaves room for the gain.
ROW_PITCH_MM = 20.0


def default_span(duration: float, visible: tuple[float, float]) -> tuple[float, float]:
    """The whole record when it is short enough, else the part on screen."""
    if duration <= WHOLE_RECORD_MAX_S:
        return 0.0, duration
    return max(visible[0], 0.0), min(visible[1], duration)


def write_record_png(path: str | Path, record: Record, *, t0: float = 0.0, t1: float | None = None,
                     signal: np.ndarray | None = None, speed: float = 25.0, gain: float = 10.0,
                     diagnoses: Iterable[str] = (), heart_rate: float | None = None, filter_note: str = "",
                     annotations: Iterable[ReportAnnotation] = ()) -> Path:
    """Draw ``record`` from ``t0`` to ``t1`` s (default: its end) to the PNG ``path``."""
    path = Path(path)
    t1 = record.duration if t1 is None else min(t1, record.duration)
    t0 = min(max(t0, 0.0), t1)
    span = t1 - t0
    if span <= 0:
        raise ValueError(f"nothing to export between {t0:g} and {t1:g} s")
    scale = PaperScale(speed, gain)
    planned = plan_sheet(STACKED, record.leads)
    sheet = Sheet(planned.layout, planned.rows, max(planned.pitch_mm, ROW_PITCH_MM), planned.strips)
    width_mm = max(2 * MARGIN + calibration_width_mm(scale) + 2 + span * speed, PAGE_W)  # room for the header
    height_mm = SHEET_TOP + sheet.height_mm + MARGIN
    width_px, height_px = round(width_mm * PX_PER_MM), round(height_mm * PX_PER_MM)
    if width_px > MAX_WIDTH_PX:
        raise ValueError(f"{span:.0f} s at {speed:g} mm/s would be {width_px:,} pixels wide; "
                         f"choose a span of at most {MAX_WIDTH_PX / PX_PER_MM / speed:.0f} s")
    image = QImage(width_px, height_px, QImage.Format_RGB32)
    image.fill(QColor("white"))
    painter = QPainter(image)
    try:
        painter.setRenderHint(QPainter.Antialiasing, True)
        page = _Page(painter, PX_PER_MM)
        _header(page, record, list(diagnoses), heart_rate, scale, t0, span, filter_note, page_w=width_mm)
        _sheet(page, record, record.signal if signal is None else signal, sheet, scale, t0, span,
               [as_report_annotation(a) for a in annotations], max_width=width_mm - 2 * MARGIN)
    finally:
        painter.end()
    if not image.save(str(path), "PNG"):
        raise OSError(f"cannot write {path}")
    return path
