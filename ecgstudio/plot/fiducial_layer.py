"""Onset/offset markers of the automatic measurements on the sheet: short ticks at each beat's global
P, QRS and T onsets and offsets on every strip that shows that time.

Kept apart from :class:`~ecgstudio.plot.ecg_view.EcgView`: the layer follows the view through its
public ``viewChanged`` signal and ``sheet`` / ``page_start`` / ``record``, so the view needs no change.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtGui import QColor

#: Wave -> colour of its ticks (P blue, QRS red, T green, as delineation figures usually draw them).
WAVE_COLOURS = {"P": QColor(30, 90, 200), "QRS": QColor(200, 30, 40), "T": QColor(20, 140, 60)}
#: Tick height as a fraction of the row pitch, centred on the strip's baseline.
TICK_FRACTION = 0.7


class FiducialLayer:
    """Draws ``{wave: onset/offset times (s)}`` on an :class:`EcgView`; hidden until :meth:`set_visible`."""

    def __init__(self, view) -> None:
        self.view = view
        self.times: dict[str, np.ndarray] = {}
        self.visible = False
        self.items: dict[str, pg.PlotCurveItem] = {}
        for wave, colour in WAVE_COLOURS.items():
            item = pg.PlotCurveItem(pen=pg.mkPen(colour, width=1.6), connect="pairs")
            item.setZValue(25)
            self.items[wave] = item
        view.viewChanged.connect(self.redraw)

    def set_times(self, times: dict[str, np.ndarray]) -> None:
        self.times = {wave: np.asarray(t, dtype=float) for wave, t in times.items()}
        self.redraw()

    def clear(self) -> None:
        self.set_times({})

    def set_visible(self, visible: bool) -> None:
        self.visible = bool(visible)
        self.redraw()

    def tick_count(self) -> int:
        """Ticks drawn now (for tests and the status bar)."""
        return sum(len(item.xData) // 2 for item in self.items.values() if item.xData is not None and
                   item.scene() is not None)

    def redraw(self) -> None:
        view, vb = self.view, self.view.vb
        sheet, record = getattr(view, "sheet", None), view.record
        for wave, item in self.items.items():
            if item.scene() is not None:
                vb.removeItem(item)
            times = self.times.get(wave)
            if not self.visible or sheet is None or record is None or times is None or times.size == 0:
                continue
            xs, ys = [], []
            half = TICK_FRACTION * sheet.pitch_mm / 2
            for strip in sheet.strips:
                if not strip.present:
                    continue
                t0, t1 = strip.span(view.page_start, record.duration)
                shown = times[(times >= t0) & (times <= t1)]
                base = sheet.baseline_mm(strip.row)
                for t in shown:
                    xs += [t, t]
                    ys += [base - half, base + half]
            if xs:
                item.setData(np.asarray(xs), np.asarray(ys))
                vb.addItem(item, ignoreBounds=True)
