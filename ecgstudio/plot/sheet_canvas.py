"""The graphics of the sheet: the calibration gutter and the paper ViewBox side by side, the time
axis under the paper, and the items every record shares (grids, labels, caliper, beat ruler).

Only construction lives here; :class:`~ecgstudio.plot.ecg_view.EcgView` decides what they show.
"""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import Qt

from ecgstudio.plot.items import DESK, CalibrationGutter, PaperGrid, SheetLabels
from ecgstudio.plot.overlays import BeatRuler, CaliperItem
from ecgstudio.plot.time_axis import TimeAxis
from ecgstudio.plot.viewbox import EcgViewBox


class SheetCanvas(pg.GraphicsLayoutWidget):
    def __init__(self, speed: float) -> None:
        super().__init__()
        self.setBackground("w")
        self.setFocusPolicy(Qt.StrongFocus)
        self.ci.layout.setContentsMargins(0, 0, 0, 0)
        self.ci.layout.setSpacing(0)
        self.gutter = pg.ViewBox(enableMenu=False, defaultPadding=0.0)
        self.gutter.setMouseEnabled(x=False, y=False)
        self.vb = EcgViewBox()
        self.axis = TimeAxis("bottom")
        self.axis.linkToView(self.vb)
        self.ci.addItem(self.gutter, row=0, col=0)
        self.ci.addItem(self.vb, row=0, col=1)
        self.ci.addItem(self.axis, row=1, col=1)
        for box in (self.vb, self.gutter):
            box.setBackgroundColor(DESK)
        self.grid, self.gutter_grid = PaperGrid(speed), PaperGrid(1.0)
        self.vb.addItem(self.grid, ignoreBounds=True)
        self.gutter.addItem(self.gutter_grid, ignoreBounds=True)
        self.gutter_item = CalibrationGutter()
        self.gutter.addItem(self.gutter_item)
        self.labels, self.caliper, self.ruler = SheetLabels(), CaliperItem(), BeatRuler()
        for item in (self.labels, self.caliper, self.ruler):
            self.vb.addItem(item, ignoreBounds=True)

    def width_px(self) -> float:
        """Gutter and paper together (the gutter's own width lags a change of it)."""
        return self.ci.geometry().width()

    def set_gutter_width(self, px: float) -> None:
        """Resize the gutter and lay the paper out again at once, so mappings are right immediately."""
        if abs(self.gutter.width() - px) > 0.5:
            self.gutter.setFixedWidth(px)
            self.ci.layout.activate()
