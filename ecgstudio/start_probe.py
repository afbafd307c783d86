"""The start probe: with ``ECGSTUDIO_START_PROBE=1``, ``ecgstudio RECORD`` prints one line the moment its
window is usable, so the start benchmark can time the real start path from outside the process.

Why in the app: a frozen bundle runs no code but its own, so a benchmark cannot inject a watcher into
it as it can into ``python -c``; the same probe in both lets the source tree and the bundle be timed by
one benchmark (``python -m benchmarks app_start [--bundle]``). Usable means what a user waits for:
the main window shown, every feature panel attached, a record read and its sheet laid out and painted.
The line also says whether torch had been imported by then (start-up must stay torch-free) and the CPU
seconds the process used (on shared cores, wall time includes waiting for a core). Without the variable
nothing is installed.
"""

from __future__ import annotations

import os
import sys
import time

VARIABLE = "ECGSTUDIO_START_PROBE"
LINE = "ecgstudio-start-probe: usable"
#: the docks the features attach (ecgstudio.__main__.build_window); the window is not usable without them
PANELS = ("libraryDock", "annotationDock", "modelDock", "explainDock", "peDock", "jobsDock")


def usable(window) -> bool:
    """The window is shown, every panel is attached and a record's sheet is laid out."""
    return (window.isVisible() and window.record is not None and window.view.sheet is not None
            and all(window.panel(name) is not None for name in PANELS))


def watch(window):
    """Print :data:`LINE` once ``window`` is usable, when the probe variable is set (else do nothing)."""
    if os.environ.get(VARIABLE) != "1":
        return None
    from PySide6.QtCore import QTimer

    timer = QTimer(window)

    def check() -> None:
        if usable(window):
            timer.stop()
            window.repaint()  # the sheet painted, not only laid out
            print(f"{LINE} torch={'torch' in sys.modules} cpu_s={time.process_time():.3f}", flush=True)

    timer.timeout.connect(check)
    timer.start(2)
    return timer
