"""The sheet's ViewBox: turns mouse gestures into requests, and leaves the ranges to ``EcgView``.

pyqtgraph's own ViewBox would zoom both axes and drift the paper off true scale. Here the wheel asks
for a time zoom or a page turn (or, with Shift, a vertical scroll), and a left drag either pans, measures with the
caliper or draws an interval mark, depending on the tool. A middle drag always pans.
"""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import QPointF, Qt, Signal

PAN, CALIPER, MARK = "pan", "caliper", "mark"
TOOLS = (PAN, CALIPER, MARK)


class EcgViewBox(pg.ViewBox):
    #: (dt seconds, dy mm) to move the visible sheet by.
    sigPanRequested = Signal(float, float)
    #: (wheel steps, time under the mouse, Shift held): positive steps roll away from the user.
    sigWheel = Signal(float, float, bool)
    #: (start, current, finished, shift held) of a caliper or mark drag, in sheet coordinates.
    sigToolDrag = Signal(QPointF, QPointF, bool, bool)

    def __init__(self) -> None:
        super().__init__(enableMenu=False, defaultPadding=0.0)
        self.tool = PAN
        self.setMouseEnabled(x=False, y=False)
        self.disableAutoRange()

    def wheelEvent(self, ev, axis=None) -> None:
        ev.accept()
        shift = bool(ev.modifiers() & Qt.ShiftModifier)
        self.sigWheel.emit(ev.delta() / 120.0, self.mapToView(ev.pos()).x(), shift)

    def mouseDragEvent(self, ev, axis=None) -> None:
        ev.accept()
        if ev.button() == Qt.MiddleButton or (ev.button() == Qt.LeftButton and self.tool == PAN):
            delta = self.mapToView(ev.lastPos()) - self.mapToView(ev.pos())
            self.sigPanRequested.emit(delta.x(), delta.y())
        elif ev.button() == Qt.LeftButton:
            start = self.mapToView(ev.buttonDownPos(Qt.LeftButton))
            shift = bool(ev.modifiers() & Qt.ShiftModifier)
            self.sigToolDrag.emit(start, self.mapToView(ev.pos()), ev.isFinish(), shift)

    def mouseClickEvent(self, ev) -> None:
        ev.ignore()
