"""Run slow engine calls (folder scans, filtering and R-peak detection of long records) off the GUI
thread, and hand their results back on it.

A :class:`Task` is created and connected on the GUI thread; its work function runs in Qt's global
thread pool and reports through the task's signals, which Qt queues back to the GUI thread. The
caller keeps the task until ``finished`` and may :meth:`Task.cancel` it; the work function checks
:meth:`Task.is_cancelled` between steps.
"""

from __future__ import annotations

import threading
from typing import Any, Callable

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal


class Task(QObject):
    #: something the work function wants shown before it ends (e.g. a batch of scanned records)
    progress = Signal(object)
    #: the work function's result
    done = Signal(object)
    #: the exception it raised
    failed = Signal(object)
    #: emitted last, after ``done`` or ``failed``
    finished = Signal()

    def __init__(self, work: Callable[["Task"], Any]) -> None:
        super().__init__()
        self._work = work
        self._cancel = threading.Event()

    def start(self) -> "Task":
        QThreadPool.globalInstance().start(_Runner(self))
        return self

    def cancel(self) -> None:
        self._cancel.set()

    def is_cancelled(self) -> bool:
        return self._cancel.is_set()

    def _run(self) -> None:
        try:
            try:
                result = self._work(self)
            except Exception as exc:  # reported to the GUI, which shows it; never kills the pool thread
                self.failed.emit(exc)
            else:
                self.done.emit(result)
            self.finished.emit()
        except RuntimeError:  # the task's Qt object was deleted with its window: nobody is listening
            pass


class _Runner(QRunnable):
    def __init__(self, task: Task) -> None:
        super().__init__()
        self._task = task

    def run(self) -> None:
        self._task._run()


def wait_for_background_work(timeout_ms: int = 5000) -> bool:
    """Block until queued background work ends (on quit, so no thread outlives the window)."""
    return QThreadPool.globalInstance().waitForDone(timeout_ms)
