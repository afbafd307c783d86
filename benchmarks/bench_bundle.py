"""The packaged app (issues 10, 21): bundle size and cold start to the first window, on dist/ecgstudio-<version>/.

Measured only when a bundle has been built (``packaging/build.sh``); otherwise the rows say so. The
start is timed from outside, as a user feels it: from spawning the executable to the moment its smoke
test reports the main window open with a sample plotted and its beats detected (the smoke's
``open + plot`` step), which is a little more than the first frame. The OS file cache is not dropped
(that needs root and would slow every other process), so "cold" means a new process, not a cold disk;
the first run after a build is reported apart from the best of the others.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

from benchmarks import Row, benchmark
from training.version import __version__

REPO = Path(__file__).resolve().parent.parent
APP = REPO / "dist" / f"ecgstudio-{__version__}"
EXECUTABLE = APP / "ecgstudio"  # the launcher (glibc check), which starts ecgstudio-bin
#: The smoke's line once the window shows a plotted record (see ecgstudio/smoke.py).
FIRST_WINDOW_LINE = "smoke: open + plot"
MB = 1024 * 1024


def _missing(metrics: tuple[str, ...], unit: str) -> list[Row]:
    note = f"no bundle at {APP.relative_to(REPO)}: run packaging/build.sh first"
    return [Row(metric, float("nan"), unit, note=note) for metric in metrics]


@benchmark("bundle_size")
def bundle_size() -> list[Row]:
    if not EXECUTABLE.is_file():
        return _missing((f"bundle size ({APP.name})",), "MiB")
    files = [p for p in APP.rglob("*") if p.is_file() and not p.is_symlink()]
    size = sum(p.stat().st_size for p in files) / MB
    torch_lib = sum(p.stat().st_size for p in (APP / "_internal" / "torch" / "lib").glob("*")) / MB
    note = f"{len(files)} files; torch/lib {torch_lib:.0f} MiB"
    rows = [Row(f"bundle size ({APP.name})", size, "MiB", "<= 600", note)]
    for artefact, goal in ((f"{APP.name}-linux-x86_64.tar.gz", "<= 250"), (f"ecgstudio_{__version__}_amd64.deb", "")):
        path = APP.parent / artefact
        if path.is_file():
            rows.append(Row(f"{'tarball' if goal else '.deb'} size", path.stat().st_size / MB, "MiB", goal, artefact))
    return rows


def _time_to_first_window(timeout_s: float = 120.0) -> float:
    """Seconds from spawn to the smoke's first-window line; the smoke is then interrupted (it cleans up)."""
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    start = time.perf_counter()
    proc = subprocess.Popen([str(EXECUTABLE), "--smoke"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                            text=True, env=env)
    try:
        for line in proc.stdout:
            if line.startswith(FIRST_WINDOW_LINE):
                return time.perf_counter() - start
            if time.perf_counter() - start > timeout_s:
                break
        raise RuntimeError(f"{EXECUTABLE} --smoke never reported its first window")
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@benchmark("bundle_start")
def bundle_start() -> list[Row]:
    metrics = ("cold start to first window, first run", "cold start to first window, best of 3")
    if not EXECUTABLE.is_file():
        return _missing(metrics, "s")
    first = _time_to_first_window()
    best = min(_time_to_first_window() for _ in range(3))
    note = "spawn -> window open, sample plotted, beats detected (offscreen)"
    return [Row(metrics[0], first, "s", "<= 4", note), Row(metrics[1], best, "s", "<= 4", note)]
