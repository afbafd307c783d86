"""The whole record in one thin strip, with the part on screen as a draggable window.

For a 10-s ECG it is a reminder of where the page sits; for an hours-long Holter it is the way to
travel: drag the window, stretch its edges to zoom, or click anywhere to centre the view there.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor

from ecgstudio.plot.items import TraceItem

STRIP_HEIGHT_PX = 56


class _ClickableViewBox(pg.ViewBox):
    sigClicked = Signal(float)

    def mouseClickEvent(self, ev) -> None:
        if ev.button() == Qt.LeftButton:
            ev.accept()
            self.sigClicked.emit(self.mapToView(ev.pos()).x())

    def mouseDragEvent(self, ev, axis=None) -> None:
        ev.ignore()

    def wheelEvent(self, ev, axis=None) -> None:
        ev.ignore()


class OverviewStrip(pg.GraphicsView):
    #: (t0, t1) the user dragged the window to.
    windowChanged = Signal(float, float)
    #: time the user clicked, to centre the view on.
    centreRequested = Signal(float)

    def __init__(self) -> None:
        super().__init__(background=QColor(246, 246, 248))
        self.setFixedHeight(STRIP_HEIGHT_PX)
        self.vb = _ClickableViewBox(enableMenu=False, defaultPadding=0.0)
        self.vb.setMouseEnabled(x=False, y=False)
        self.setCentralItem(self.vb)
        self.vb.sigClicked.connect(self.centreRequested)
        self.region = pg.LinearRegionItem(brush=pg.mkBrush(47, 126, 216, 60), pen=pg.mkPen(47, 126, 216, 200, width=2),
                                          hoverBrush=pg.mkBrush(47, 126, 216, 90))
        self.region.setZValue(10)
        self.region.sigRegionChanged.connect(self._on_region)
        self.vb.addItem(self.region)
        self._trace: TraceItem | None = None
        self._quiet = False
        self.setToolTip("Whole record: drag the blue window to move, drag its edges to zoom, click to jump")

    def set_signal(self, samples: np.ndarray | None, fs: float) -> None:
        """Show ``samples`` (one lead, mV) of a record sampled at ``fs``; ``None`` clears the strip."""
        if self._trace is not None:
            self.vb.removeItem(self._trace)
            self._trace = None
        if samples is None or samples.size == 0:
            return
        step = max(1, samples.size // 200_000)
        low, mid, high = np.percentile(samples[::step], [0.5, 50, 99.5])
        pen = pg.mkPen(80, 80, 90, width=1)
        self._trace = TraceItem("overview", samples, fs, 0.0, 1.0, float(mid), pen, bold=False)
        self.vb.addItem(self._trace)
        pad = max(high - low, 0.1) * 0.15
        self.vb.setRange(xRange=(0, samples.size / fs), yRange=(low - mid - pad, high - mid + pad), padding=0)
        self._quiet = True  # new bounds may clip the window: that is not the user moving it
        try:
            self.region.setBounds((0, samples.size / fs))
        finally:
            self._quiet = False

    def set_window(self, t0: float, t1: float) -> None:
        """Move the window to what the sheet shows, without echoing it back as a user change."""
        self._quiet = True
        try:
            self.region.setRegion((t0, t1))
        finally:
            self._quiet = False

    def _on_region(self) -> None:
        if not self._quiet:
            t0, t1 = self.region.getRegion()
            self.windowChanged.emit(float(t0), float(t1))
