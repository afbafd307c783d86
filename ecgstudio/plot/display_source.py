"""What the traces draw: the record's own samples, or a display-filtered copy of them.

The copy is made once per record and kept while the record is shown, so toggling the filter is
instant after the first time. Long records are filtered in the background; the traces switch when
the copy is ready (``changed``). The record's samples are never modified.

A memory-mapped (Holter-length) record is never copied: what is drawn is a
:class:`~ecgstudio.plot.lazy_display.LazyDisplay`, which reads and filters the span on screen on demand.
Its overview pyramid is built in the background (one chunked pass over the file that also verifies the
header's checksums); the traces switch to the display that has it when it is ready (``changed``), and a
mismatch is reported (``damaged``).
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QObject, Signal

from ecgstudio.plot.decimate import prebuild
from ecgstudio.plot.display import BACKGROUND_FILTER_SAMPLES, display_filtered
from ecgstudio.plot.lazy_display import LazyDisplay, Pyramid
from ecgstudio.workers import Task
from training.data import Record
from training.data.lazy import LazySignal
from training.errors import RecordError


def is_mapped(record: Record | None) -> bool:
    """Whether ``record``'s samples are memory-mapped (read per span) rather than in memory."""
    return record is not None and isinstance(record.signal, LazySignal)


class DisplaySource(QObject):
    #: ``[leads, samples]`` to draw from now on (emitted when a background filtering finishes)
    changed = Signal(object)
    #: (record, RecordError): a mapped record's samples do not match its header's checksums
    damaged = Signal(object, object)

    def __init__(self) -> None:
        super().__init__()
        self.record: Record | None = None
        self.filter_on = False
        self._filtered: np.ndarray | None = None
        self._task: Task | None = None
        self._lazy: dict[bool, LazyDisplay] = {}  # a mapped record's displays, by filter state

    def set_record(self, record: Record | None) -> np.ndarray | None:
        """Switch to ``record``; returns what to draw now (filtered at once if it is short)."""
        self.cancel()
        self.record, self._filtered = record, None
        self._lazy = {}
        if is_mapped(record):
            self._lazy = {on: LazyDisplay(record.signal, record.fs, filtered=on) for on in (False, True)}
            self._task = Task(lambda task: (record, Pyramid.build(record.signal, task.is_cancelled)))
            self._task.done.connect(self._on_pyramid)
            self._task.failed.connect(lambda exc: self._on_damaged(record, exc))
            self._task.start()
        return self.current()

    def is_filtered(self, display) -> bool:
        """Whether ``display`` (what :meth:`current` gave) is display-filtered."""
        if isinstance(display, LazyDisplay):
            return display.filtered
        return self.record is not None and display is not None and display is not self.record.signal

    def set_filter(self, enabled: bool) -> np.ndarray | None:
        """Turn display filtering on or off; returns what to draw now."""
        self.filter_on = enabled
        return self.current()

    def current(self) -> np.ndarray | None:
        """The filtered copy when filtering is on and it is ready, else the record's samples (and a
        background filtering is started for a long record)."""
        record = self.record
        if self._lazy:
            return self._lazy[self.filter_on]
        if record is None or not self.filter_on:
            return None if record is None else record.signal
        if self._filtered is None and record.signal.size <= BACKGROUND_FILTER_SAMPLES:
            self._filtered = display_filtered(record.signal, record.fs)
        if self._filtered is not None:
            return self._filtered
        if self._task is None:
            self._task = Task(lambda task: (record, _filtered_and_prebuilt(record)))
            self._task.done.connect(self._on_filtered)
            self._task.start()
        return record.signal

    def cancel(self) -> None:
        """Drop a filtering still running (a new record, the window closing)."""
        if self._task is not None:
            self._task.cancel()
            self._task = None

    def _on_pyramid(self, result: tuple[Record, Pyramid | None]) -> None:
        record, pyramid = result
        if record is not self.record or pyramid is None:
            return
        self._task = None
        self._lazy = {on: display.with_pyramid(pyramid) for on, display in self._lazy.items()}
        self.changed.emit(self._lazy[self.filter_on])

    def _on_damaged(self, record: Record, exc: BaseException) -> None:
        if record is self.record:
            self._task = None
            self.damaged.emit(record, exc if isinstance(exc, RecordError) else RecordError(record.path, str(exc)))

    def _on_filtered(self, result: tuple[Record, np.ndarray]) -> None:
        record, filtered = result
        if record is not self.record:
            return
        self._filtered, self._task = filtered, None
        if self.filter_on:
            self.changed.emit(filtered)


def _filtered_and_prebuilt(record: Record) -> np.ndarray:
    """Worker thread: the filtered copy and its drawing pyramids, so swapping it in costs the GUI nothing."""
    filtered = display_filtered(record.signal, record.fs)
    prebuild(filtered)
    return filtered
