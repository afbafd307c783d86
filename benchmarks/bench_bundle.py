"""The packaged app (issues 10, 21): bundle size and start, on dist/ecgstudio-<version>/.

Measured only when a bundle has been built (``packaging/build.sh``); otherwise the rows say so. The
start is the real start path, timed from outside as a user feels it: the bundle's launcher starts the
app on a sample under an X server (Xvfb, the xcb plugin a workstation uses), and the clock stops when
the main window is mapped; ``main()`` attaches every panel before it shows the window, so a mapped
window has them. A second figure stops when the title names the sample (the record is being opened).
Each run starts with no settings (a first start). The OS file cache is not dropped (that needs root
and would slow every other process), so "cold" means a new process, not a cold disk.
"""

from __future__ import annotations

import os
import shutil
import signal
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from benchmarks import Row, benchmark
from training.version import __version__

REPO = Path(__file__).resolve().parent.parent
APP = REPO / "dist" / f"ecgstudio-{__version__}"
EXECUTABLE = APP / "ecgstudio"  # the launcher (glibc check), which starts ecgstudio-bin
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
    for artefact, goal in ((f"{APP.name}-linux-x86_64.tar.xz", "<= 250"), (f"ecgstudio_{__version__}_amd64.deb", "")):
        path = APP.parent / artefact
        if path.is_file():
            rows.append(Row(f"{'tarball' if goal else '.deb'} size", path.stat().st_size / MB, "MiB", goal, artefact))
    return rows


SAMPLE = REPO / "resources" / "samples" / "cpsc2018" / "A0001.hea"
RUNS = 5


def _free_display() -> str:
    number = 90
    while Path(f"/tmp/.X11-unix/X{number}").exists() or Path(f"/tmp/.X{number}-lock").exists():
        number += 1
    return f":{number}"


def _visible_window(env: dict[str, str], title: str) -> bool:
    found = subprocess.run(["xdotool", "search", "--onlyvisible", "--name", title], env=env,
                           capture_output=True, text=True)
    return bool(found.stdout.strip())


def _time_to_window(env: dict[str, str], timeout_s: float = 120.0) -> tuple[float, float]:
    """Seconds from spawning the launcher to (1) the main window mapped on the X server (the app attaches
    every panel before it shows the window) and (2) its title naming the sample (the record is being
    opened). Polled every 20 ms with xdotool from outside: no code in the app."""
    start = time.perf_counter()
    proc = subprocess.Popen([str(EXECUTABLE), str(SAMPLE)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            env=env)
    shown = None
    try:
        while time.perf_counter() - start < timeout_s:
            if proc.poll() is not None:
                raise RuntimeError(f"{EXECUTABLE} exited with {proc.returncode} before its window showed")
            if shown is None and _visible_window(env, "^ECG Studio"):
                shown = time.perf_counter() - start
            if shown is not None and _visible_window(env, f"{SAMPLE.name}$"):
                return shown, time.perf_counter() - start
            time.sleep(0.02)
        raise RuntimeError(f"{EXECUTABLE} showed no window in {timeout_s:.0f} s")
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@benchmark("bundle_start")
def bundle_start() -> list[Row]:
    """The real start path from the bundle, on an X server (Xvfb), first-start settings, median of 5."""
    metrics = ("bundle launch -> window with panels shown, median of 5",
               "bundle launch -> window titled with the sample, median of 5")
    if not EXECUTABLE.is_file():
        return _missing(metrics, "s")
    display = _free_display()
    xvfb = subprocess.Popen(["Xvfb", display, "-screen", "0", "1920x1080x24", "-nolisten", "tcp"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(200):  # Qt aborts when the display is not there yet; Xvfb takes a while on a loaded machine
            if subprocess.run(["xdotool", "getdisplaygeometry"], env={"DISPLAY": display},
                              capture_output=True).returncode == 0:
                break
            time.sleep(0.1)
        with tempfile.TemporaryDirectory() as home:
            env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "DISPLAY": display, "HOME": home,
                   "XDG_CONFIG_HOME": f"{home}/.config", "XDG_DATA_HOME": f"{home}/.local/share",
                   "XDG_CACHE_HOME": f"{home}/.cache", "QT_QPA_PLATFORM": "xcb", "LANG": "C.UTF-8"}
            runs = []
            for _ in range(RUNS):
                shutil.rmtree(f"{home}/.config", ignore_errors=True)  # every run a first start
                runs.append(_time_to_window(env))
    finally:
        xvfb.terminate()
        xvfb.wait(10)
    load = os.getloadavg()[0]
    shown, titled = [r[0] for r in runs], [r[1] for r in runs]
    note = (f"{APP.name}/ecgstudio {SAMPLE.relative_to(REPO)} on Xvfb; runs {', '.join(f'{t:.2f}' for t in shown)} s; "
            f"load average {load:.1f} on {os.cpu_count()} cores")
    return [Row(metrics[0], statistics.median(shown), "s", "<= 2", note),
            Row(metrics[1], statistics.median(titled), "s", "",
                f"runs {', '.join(f'{t:.2f}' for t in titled)} s")]
