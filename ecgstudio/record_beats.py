"""The open record's R peaks, detected off the GUI thread after the first paint.

An in-memory record's beats are detected once over the whole record. A memory-mapped (Holter-length)
record's are detected for the span on screen with a margin, again whenever the view moves (up to
``SPAN_BEATS_MAX_S`` on screen), so nothing reads the whole of such a record on opening; ``span``
says which samples the beats cover. Results for a record or a span no longer shown are dropped.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import QObject, QTimer, Signal

from ecgstudio.plot.display_source import is_mapped
from ecgstudio.workers import Task
from training.data import Record

if TYPE_CHECKING:
    from ecgstudio.plot import EcgView

#: Records longer than this get their R peaks from at most ``LONG_RECORD_BEAT_LEADS`` leads.
LONG_RECORD_S = 300.0
LONG_RECORD_BEAT_LEADS = 3
#: A memory-mapped record's beats are detected for the view when it shows at most this many seconds,
#: with ``SPAN_BEATS_MARGIN_S`` more on each side (the detector's thresholds follow ~18 s of energy).
SPAN_BEATS_MAX_S = 600.0
SPAN_BEATS_MARGIN_S = 10.0
#: Quiet time after the view moves before a mapped record's beats are detected for the new span.
SPAN_BEATS_DELAY_MS = 150


def beat_leads(record: Record) -> list[int]:
    """Leads to detect beats on: every voltage lead (not blood pressure or pleth channels), a few
    for long records, where twelve would only cost time."""
    leads = [i for i, unit in enumerate(record.units) if unit == "mV"] or list(range(record.n_leads))
    return leads[:LONG_RECORD_BEAT_LEADS] if record.duration > LONG_RECORD_S else leads


class RecordBeats(QObject):
    """The beats of the record in ``record``: ``peaks`` (sample indices, ``None`` until detected) and,
    for a mapped record, the samples ``span`` [a, b) they were detected over (``(0, 0)``: the view is too
    wide to detect any). ``changed`` is emitted when new beats are in."""

    changed = Signal()

    def __init__(self, view: EcgView, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.view = view
        self.record: Record | None = None
        self.peaks: np.ndarray | None = None
        self.span: tuple[int, int] | None = None
        self._task: Task | None = None
        self._timer = QTimer(self, singleShot=True, interval=SPAN_BEATS_DELAY_MS)
        self._timer.timeout.connect(self._detect_view)
        view.viewChanged.connect(self._view_moved)

    def clear(self) -> None:
        """No record: stop any detection and forget the beats."""
        self.cancel()
        self.record, self.peaks, self.span = None, None, None

    def detect(self, record: Record) -> None:
        """Start detecting ``record``'s beats (it is shown in the view)."""
        self.clear()
        self.record = record
        if is_mapped(record):
            self._detect_view()
        else:
            self._start(None)

    def cancel(self) -> None:
        self._timer.stop()
        if self._task is not None:
            self._task.cancel()
            self._task = None

    def _view_moved(self) -> None:
        if is_mapped(self.record):
            self._timer.start()

    def _detect_view(self) -> None:
        """Beats of the span on screen (with margins) of a mapped record, unless those shown cover it."""
        record = self.record
        if not is_mapped(record):
            return
        t0, t1 = self.view.visible_range()
        t0, t1 = max(t0, 0.0), min(t1, record.duration)
        if t1 - t0 > SPAN_BEATS_MAX_S:
            a = b = 0
        else:
            a = max(0, int((t0 - SPAN_BEATS_MARGIN_S) * record.fs))
            b = min(record.n_samples, int((t1 + SPAN_BEATS_MARGIN_S) * record.fs) + 1)
        if self.span is not None and self.span[0] <= a and b <= self.span[1] and (a < b or self.span == (0, 0)):
            return  # the beats shown already cover this view
        self._start((a, b))

    def _start(self, span: tuple[int, int] | None) -> None:
        record = self.record
        if self._task is not None:
            self._task.cancel()

        def detect(task: Task) -> tuple[Task, np.ndarray, tuple[int, int] | None]:
            from training.signal.rpeaks import detect_rpeaks  # scipy, loaded off the GUI thread

            leads = beat_leads(record)
            if span is None:
                peaks = detect_rpeaks(record.signal if len(leads) == record.n_leads else record.signal[leads],
                                      record.fs)
            elif span[0] == span[1]:
                peaks = np.zeros(0, dtype=np.int64)
            else:
                peaks = span[0] + detect_rpeaks(record.signal[leads, span[0]:span[1]], record.fs)
            return task, peaks, span

        self._task = Task(detect)
        self._task.done.connect(self._detected)  # a bound method: dropped with this object (a closed window)
        self._task.start()

    def _detected(self, result: tuple[Task, np.ndarray, tuple[int, int] | None]) -> None:
        task, peaks, span = result
        if task is not self._task:
            return  # another record, or the view moved on: newer beats are on their way
        self._task, self.peaks, self.span = None, peaks, span
        self.changed.emit()
