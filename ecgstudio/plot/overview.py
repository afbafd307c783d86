"""The whole record in one thin strip, with the part on screen as a draggable window.

For a 10-s ECG it is a reminder of where the page sits; for an hours-long Holter it is the way to
travel: drag the window, stretch its edges to zoom, or click anywhere to centre the view there.

The strip handles the gestures itself (the blue region only draws): a drag that grabs the window
moves it whole and stops at the record's ends, so the window never shrinks against an edge; only a
drag that grabs an edge stretches it, and never below ``MIN_WINDOW_PX``. A window too narrow to tell
its edges from its body (a long record zoomed in) is always moved.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor

from ecgstudio.plot.display import spread_samples
from ecgstudio.plot.items import TraceItem

STRIP_HEIGHT_PX = 56
#: A press this close (pixels) to an edge of a window at least ``EDGE_GRAB_MIN_PX`` wide grabs the edge.
EDGE_GRAB_PX = 5.0
EDGE_GRAB_MIN_PX = 4 * EDGE_GRAB_PX
#: Stretching stops at this width (pixels of the strip).
MIN_WINDOW_PX = 3.0


@dataclass
class _Drag:
    mode: str  # "move", "left" or "right"
    t_press: float
    t0: float
    t1: float


def moved_window(t0: float, t1: float, dt: float, duration: float) -> tuple[float, float]:
    """``[t0, t1]`` shifted by ``dt`` and kept whole inside ``[0, duration]``."""
    width = t1 - t0
    start = min(max(t0 + dt, 0.0), max(duration - width, 0.0))
    return start, start + width


def stretched_window(t0: float, t1: float, edge: str, t: float, duration: float,
                     min_width: float) -> tuple[float, float]:
    """``[t0, t1]`` with its ``edge`` ("left"/"right") dragged to ``t``, inside the record and at
    least ``min_width`` wide."""
    if edge == "left":
        return min(max(t, 0.0), t1 - min_width), t1
    return t0, max(min(t, duration), t0 + min_width)


class _StripViewBox(pg.ViewBox):
    sigClicked = Signal(float)
    sigDragged = Signal(object, bool)  # the drag event, finished

    def mouseClickEvent(self, ev) -> None:
        if ev.button() == Qt.LeftButton:
            ev.accept()
            self.sigClicked.emit(self.mapToView(ev.pos()).x())

    def mouseDragEvent(self, ev, axis=None) -> None:
        if ev.button() != Qt.LeftButton:
            ev.ignore()
            return
        ev.accept()
        self.sigDragged.emit(ev, ev.isFinish())

    def wheelEvent(self, ev, axis=None) -> None:
        ev.ignore()


class OverviewStrip(pg.GraphicsView):
    #: t0: the user moved the window (whole) to start at ``t0`` s.
    windowMoved = Signal(float)
    #: (t0, t1): the user stretched the window by one of its edges (a time zoom).
    windowStretched = Signal(float, float)
    #: time the user clicked, to centre the view on.
    centreRequested = Signal(float)

    def __init__(self) -> None:
        super().__init__(background=QColor(246, 246, 248))
        self.setFixedHeight(STRIP_HEIGHT_PX)
        self.vb = _StripViewBox(enableMenu=False, defaultPadding=0.0)
        self.vb.setMouseEnabled(x=False, y=False)
        self.setCentralItem(self.vb)
        self.vb.sigClicked.connect(self.centreRequested)
        self.vb.sigDragged.connect(self._on_drag)
        self.region = pg.LinearRegionItem(brush=pg.mkBrush(47, 126, 216, 60), pen=pg.mkPen(47, 126, 216, 200, width=2),
                                          movable=False)
        self.region.setZValue(10)
        self.region.setAcceptedMouseButtons(Qt.NoButton)  # the view box handles every gesture
        for line in self.region.lines:
            line.setAcceptedMouseButtons(Qt.NoButton)
        self.vb.addItem(self.region)
        self._trace: TraceItem | None = None
        self._duration = 0.0
        self._drag: _Drag | None = None
        #: False on paged sheets: their window is a page, which moves but does not stretch.
        self.stretchable = True
        self.setToolTip("Whole record: drag the blue window to move, drag its edges to zoom, click to jump")

    @property
    def window_range(self) -> tuple[float, float]:
        t0, t1 = self.region.getRegion()
        return float(t0), float(t1)

    @property
    def samples(self) -> np.ndarray | None:
        """The lead drawn in the strip (``None`` when empty), as the sheet's ``curves()`` gives its traces."""
        return self._trace.samples if self._trace is not None else None

    def set_signal(self, samples: np.ndarray | None, fs: float) -> None:
        """Show ``samples`` (one lead, mV) of a record sampled at ``fs``; ``None`` clears the strip."""
        if self._trace is not None:
            self.vb.removeItem(self._trace)
            self._trace = None
        self._drag = None
        if samples is None or samples.size == 0:
            self._duration = 0.0
            return
        self._duration = samples.size / fs
        low, mid, high = np.nanpercentile(spread_samples(samples, 200_000), [0.5, 50, 99.5])
        pen = pg.mkPen(80, 80, 90, width=1)
        self._trace = TraceItem("overview", samples, fs, 0.0, 1.0, float(mid), pen, bold=False)
        self.vb.addItem(self._trace)
        pad = max(high - low, 0.1) * 0.15
        self.vb.setRange(xRange=(0, self._duration), yRange=(low - mid - pad, high - mid + pad), padding=0)

    def set_window(self, t0: float, t1: float) -> None:
        """Show the window where the sheet is (no signal: the sheet told us)."""
        self.region.setRegion((t0, t1))

    # ------------------------------------------------------------------ gestures
    def _px_per_s(self) -> float:
        return max(self.vb.width(), 1.0) / max(self._duration, 1e-9)

    def _on_drag(self, ev, finished: bool) -> None:
        if self._duration <= 0:
            return
        t = self.vb.mapSceneToView(ev.scenePos()).x()
        if ev.isStart() or self._drag is None:
            self._drag = self._start_drag(self.vb.mapSceneToView(ev.buttonDownScenePos()).x())
        drag = self._drag
        if drag.mode == "move":
            t0, _ = moved_window(drag.t0, drag.t1, t - drag.t_press, self._duration)
            self.windowMoved.emit(t0)
        else:
            t0, t1 = stretched_window(drag.t0, drag.t1, drag.mode, t, self._duration,
                                      MIN_WINDOW_PX / self._px_per_s())
            self.windowStretched.emit(t0, t1)
        if finished:
            self._drag = None

    def _start_drag(self, t_press: float) -> _Drag:
        t0, t1 = self.window_range
        px = self._px_per_s()
        if self.stretchable and (t1 - t0) * px >= EDGE_GRAB_MIN_PX:
            for mode, edge in (("left", t0), ("right", t1)):
                if abs(t_press - edge) * px <= EDGE_GRAB_PX:
                    return _Drag(mode, t_press, t0, t1)
        if not t0 <= t_press <= t1:  # grabbed outside the window: it jumps under the pointer first
            t0, t1 = moved_window(t0, t1, t_press - (t0 + t1) / 2, self._duration)
            self.windowMoved.emit(t0)
        return _Drag("move", t_press, t0, t1)
