"""Start-up (issues 15 §7, 21): the real ``ecgstudio`` start path, from the source tree or the bundle.

``python -m benchmarks app_start`` starts ``python -m ecgstudio SAMPLE`` (the source tree, as the
``ecgstudio`` command of a venv does); ``python -m benchmarks app_start --bundle`` starts the bundle's
launcher ``dist/ecgstudio-<version>/ecgstudio SAMPLE`` (its glibc check, then the frozen app), as a user
or the .deb's ``/usr/bin/ecgstudio`` does. Both run with the start probe on (``ecgstudio.start_probe``):
the app prints one line the moment its window is usable — shown, every feature panel attached, the
sample read, its sheet laid out and painted. The clock is this process's: spawn -> that line, so the
launcher, the interpreter (or the frozen loader unpacking nothing: one folder) and every import are in
it. Each run is a first start (empty settings in a fresh home folder). Median of 5.

Qt draws on an X server (Xvfb, the xcb plugin a workstation uses) when Xvfb is installed, else
offscreen; the note says which. The OS file cache is not dropped (that needs root and slows every other
process), so "cold" means a new process, not a cold disk. The CPU seconds the app had used by then are
reported beside the wall time: on shared cores, wall time includes waiting for one.
"""

from __future__ import annotations

import os
import selectors
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

from benchmarks import Row, benchmark
from ecgstudio.start_probe import LINE, VARIABLE
from training.version import __version__

REPO = Path(__file__).resolve().parent.parent
SAMPLE = REPO / "resources" / "samples" / "cpsc2018" / "A0001.hea"
BUNDLE = REPO / "dist" / f"ecgstudio-{__version__}"
LAUNCHER = BUNDLE / "ecgstudio"  # the launcher (glibc check), which execs ecgstudio-bin
RUNS = 5
TIMEOUT_S = 180.0


def _free_display() -> str:
    number = 90
    while Path(f"/tmp/.X11-unix/X{number}").exists() or Path(f"/tmp/.X{number}-lock").exists():
        number += 1
    return f":{number}"


@contextmanager
def _display():
    """``{"DISPLAY": ..., "QT_QPA_PLATFORM": "xcb"}`` on a private Xvfb, or offscreen Qt without Xvfb."""
    if shutil.which("Xvfb") is None:
        yield {"QT_QPA_PLATFORM": "offscreen"}, "offscreen Qt (no Xvfb)"
        return
    display = _free_display()
    xvfb = subprocess.Popen(["Xvfb", display, "-screen", "0", "1920x1080x24", "-nolisten", "tcp"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        socket = Path(f"/tmp/.X11-unix/X{display[1:]}")
        deadline = time.monotonic() + 30  # Qt aborts when the display is not there yet
        while not socket.exists() and time.monotonic() < deadline and xvfb.poll() is None:
            time.sleep(0.05)
        if not socket.exists():
            raise RuntimeError(f"Xvfb {display} did not start")
        yield {"DISPLAY": display, "QT_QPA_PLATFORM": "xcb"}, "xcb on Xvfb"
    finally:
        xvfb.terminate()
        xvfb.wait(10)


def _command(bundle: bool) -> list[str]:
    if bundle:
        return [str(LAUNCHER), str(SAMPLE)]
    return [sys.executable, "-m", "ecgstudio", str(SAMPLE)]


def time_start(bundle: bool, display: dict[str, str], home: str) -> tuple[float, float, bool]:
    """Wall seconds from spawn to the probe's line, the app's CPU seconds by then, and whether torch was
    imported. The app is stopped once it has answered."""
    shutil.rmtree(home, ignore_errors=True)
    os.makedirs(home)
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": home, "LANG": "C.UTF-8",
           "XDG_CONFIG_HOME": f"{home}/.config", "XDG_DATA_HOME": f"{home}/.local/share",
           "XDG_CACHE_HOME": f"{home}/.cache", VARIABLE: "1", **display}
    if not bundle:
        env["PYTHONPATH"] = str(REPO)  # this checkout's packages, not the venv's editable install
    start = time.perf_counter()
    proc = subprocess.Popen(_command(bundle), cwd=REPO, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True)
    try:
        with selectors.DefaultSelector() as selector:
            selector.register(proc.stdout, selectors.EVENT_READ)
            while time.perf_counter() - start < TIMEOUT_S:
                if not selector.select(timeout=1.0):
                    continue
                line = proc.stdout.readline()
                if not line:
                    raise RuntimeError(f"{_command(bundle)[0]} exited with {proc.wait()} before its window was usable")
                if line.startswith(LINE):
                    wall = time.perf_counter() - start
                    fields = dict(field.split("=", 1) for field in line.split()[2:])
                    return wall, float(fields["cpu_s"]), fields["torch"] == "True"
        raise RuntimeError(f"{_command(bundle)[0]} showed no usable window in {TIMEOUT_S:.0f} s")
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def time_engine_help(bundle: bool) -> float:
    command = ([str(BUNDLE / "ecgstudio-bin"), "--engine", "--help"] if bundle
               else [sys.executable, "-m", "training", "--help"])
    start = time.perf_counter()
    subprocess.run(command, cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO)}, capture_output=True,
                   check=True, timeout=120)
    return time.perf_counter() - start


@benchmark("app_start", bundle_target=True)
def app_start(bundle: bool = False) -> list[Row]:
    target = f"{BUNDLE.name}/ecgstudio" if bundle else "python -m ecgstudio"
    if bundle and not LAUNCHER.is_file():
        note = f"no bundle at {BUNDLE.relative_to(REPO)}: run packaging/build.sh first"
        return [Row(f"{target}: launch to usable window, median of {RUNS}", float("nan"), "s", "<= 2", note)]
    with _display() as (display, platform), tempfile.TemporaryDirectory() as tmp:
        runs = [time_start(bundle, display, f"{tmp}/home") for _ in range(RUNS)]
    helps = [time_engine_help(bundle) for _ in range(RUNS)]
    load = os.getloadavg()[0]
    walls, cpus = [r[0] for r in runs], [r[1] for r in runs]
    note = (f"spawn -> window shown with its panels and {SAMPLE.relative_to(REPO)} plotted; first start; {platform}; "
            f"runs {', '.join(f'{t:.2f}' for t in walls)} s; torch {'imported' if any(r[2] for r in runs) else 'not imported'}"
            f" by then; load average {load:.1f} on {os.cpu_count()} cores")
    engine = f"{BUNDLE.name}/ecgstudio-bin --engine --help" if bundle else "python -m training --help"
    return [Row(f"{target}: launch to usable window, median of {RUNS} (wall)", statistics.median(walls), "s", "<= 2",
                note),
            Row(f"{target}: launch to usable window, median of {RUNS} (CPU)", statistics.median(cpus), "s", "",
                "the app's user + system seconds by then: its cost without waiting for a shared core"),
            Row(f"{engine}, median of {RUNS} (wall)", statistics.median(helps), "s", "<= 0.5",
                f"runs {', '.join(f'{t:.2f}' for t in helps)} s; load average {load:.1f}")]
