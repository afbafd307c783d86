"""Start-up (issue 15 §7): the real ``ecgstudio`` start path, and the engine's ``--help``.

``app_start`` spawns a fresh interpreter that runs :func:`ecgstudio.__main__.main` on a bundled sample
exactly as the ``ecgstudio`` command does (every feature attached, first-start settings in an empty
home folder, offscreen Qt). A timer in that process watches for the usable window: shown, every
feature panel attached, the sample's sheet drawn. The figure is spawn -> that moment, measured by this
process, so interpreter start and every import are in it. Median of 5 runs. The CPU seconds the child
used (user + system) are reported beside the wall time: on a machine other jobs share, wall time
includes waiting for a core, CPU time does not.
"""

from __future__ import annotations

import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks import Row, benchmark

REPO = Path(__file__).resolve().parent.parent
SAMPLE = REPO / "resources" / "samples" / "cpsc2018" / "A0001.hea"
PANELS = ("libraryDock", "annotationDock", "modelDock", "explainDock", "peDock", "jobsDock")

#: runs in the child: the app's own main(), plus a watcher that reports the first usable window
_CHILD = f"""
import os, sys
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication
app = QApplication(sys.argv[:1])

def usable():
    for w in app.topLevelWidgets():
        if (type(w).__name__ == "MainWindow" and w.isVisible() and w.record is not None
                and w.view.sheet is not None and all(w.panel(n) is not None for n in {PANELS!r})):
            w.repaint()  # the sheet painted, not only laid out
            print("USABLE", "torch" in sys.modules, flush=True)
            os._exit(0)

watch = QTimer()
watch.timeout.connect(usable)
watch.start(2)
from ecgstudio.__main__ import main
main([{str(SAMPLE)!r}])
"""


def _env(home: str) -> dict[str, str]:
    return {**os.environ, "QT_QPA_PLATFORM": "offscreen", "HOME": home, "XDG_CONFIG_HOME": f"{home}/.config",
            "XDG_DATA_HOME": f"{home}/.local/share", "PYTHONPATH": str(REPO)}


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _timed(args: list[str], home: str) -> tuple[float, float, subprocess.CompletedProcess]:
    """Wall and CPU seconds of one child process."""
    cpu, start = _children_cpu(), time.perf_counter()
    proc = subprocess.run(args, cwd=REPO, env=_env(home), capture_output=True, text=True, timeout=120)
    return time.perf_counter() - start, _children_cpu() - cpu, proc


def time_app_start() -> tuple[float, float, bool]:
    """Wall and CPU seconds from spawn to the usable window, and whether torch had been imported by then."""
    with tempfile.TemporaryDirectory() as home:
        wall, cpu, proc = _timed([sys.executable, "-c", _CHILD], home)
    line = next((ln for ln in proc.stdout.splitlines() if ln.startswith("USABLE")), None)
    if line is None:
        raise RuntimeError(f"the app never showed a usable window:\n{proc.stdout}\n{proc.stderr[-2000:]}")
    return wall, cpu, line.split()[1] == "True"


def time_engine_help() -> tuple[float, float]:
    wall, cpu, proc = _timed([sys.executable, "-m", "training", "--help"], tempfile.gettempdir())
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr)
    return wall, cpu


@benchmark("app_start")
def app_start() -> list[Row]:
    runs = [time_app_start() for _ in range(5)]
    walls, cpus = [r[0] for r in runs], [r[1] for r in runs]
    torch_loaded = any(r[2] for r in runs)
    helps = [time_engine_help() for _ in range(5)]
    load = os.getloadavg()[0]
    note = (f"spawn -> main() window shown with its {len(PANELS)} panels and the sample plotted; first-start "
            f"settings; offscreen; wall runs {', '.join(f'{t:.2f}' for t in walls)} s; torch "
            f"{'imported' if torch_loaded else 'not imported'} by then; load average {load:.1f}")
    return [Row("launch to usable window, median of 5 (wall)", statistics.median(walls), "s", "<= 2", note),
            Row("launch to usable window, median of 5 (CPU)", statistics.median(cpus), "s", "",
                "user + system seconds of the child: the start's cost without waiting for a shared core"),
            Row("python -m training --help, median of 5 (wall)", statistics.median(h[0] for h in helps), "s",
                "<= 0.5", f"wall runs {', '.join(f'{h[0]:.2f}' for h in helps)} s; load average {load:.1f}"),
            Row("python -m training --help, median of 5 (CPU)", statistics.median(h[1] for h in helps), "s", "",
                "user + system seconds")]
