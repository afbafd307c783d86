"""A 24-hour 12-lead 500 Hz record (built from real beats, ~1 GiB on disk) through the engine and the window.

Each measurement runs in a fresh child process, so its peak resident memory is that path's alone.

* ``huge_record`` (engine): opening the record (header, checks, mapping), the first 10 s screen of all
  leads, a 1-minute span of one lead deep into the record, and the signal check before a model runs.
* ``huge_predict``: the bundled model's prediction over the whole record (every 10-s window, half
  overlapping), as ``python -m training predict`` makes it.
* ``huge_window`` (the user's path): the whole window as ``ecgstudio`` builds it (every feature
  attached, offscreen, 1600x1000), opening the record as selecting it in the library does. First
  paint is from the request to the sheet drawn with the record's first screen (the record read, its
  content key, every feature told, one frame rendered); it is the median of ``RUNS`` fresh processes.
  The child then waits for the background work (overview pyramid with the checksum pass, beats of
  the span on screen, the measurement of the first 5 minutes), jumps to 16.7 h, zooms out to the
  whole record and turns the display filter on, painting each, and reports its peak resident memory
  (``VmHWM``: ``ru_maxrss`` would report the parent's size, which survives ``exec`` on Linux), and
  counts the ink pixels of each painted sheet, so a blank sheet cannot pass for a fast one. Goals of issue #19: first paint <= 1.5 s, peak resident memory <= 1.5x the file size.

The record is built once per run in a temporary folder (~5 s) and removed afterwards.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from benchmarks import Row, benchmark
from benchmarks.long_record import build_long_record
from benchmarks.shared import SHARED

RUNS = 3
HOURS = 24

_PEAK_RSS = r"""
def peak_rss():
    with open("/proc/self/status") as fh:
        return next(int(line.split()[1]) * 1024 for line in fh if line.startswith("VmHWM:"))
"""

_ENGINE = _PEAK_RSS + r"""
import json, sys, time
from training.data import read_record
from training.signal.quality import lead_problems
t0 = time.perf_counter(); record = read_record(sys.argv[1]); t1 = time.perf_counter()
screen = record.signal[:, :5000]; t2 = time.perf_counter()
minute = record.signal[1, 30_000_000:30_030_000]; t3 = time.perf_counter()
problems = lead_problems(record); t4 = time.perf_counter()
record.signal.verify_checksums(); t5 = time.perf_counter()
print(json.dumps({"open": t1 - t0, "screen": t2 - t1, "minute": t3 - t2, "check": t4 - t3, "verify": t5 - t4,
                  "problems": len(problems), "kind": type(record.signal).__name__,
                  "rss": peak_rss()}))
"""

_PREDICT = _PEAK_RSS + r"""
import json, sys, time
import torch
torch.set_num_threads(1)
from ecgstudio.paths import resources_dir
from training.data import read_record
from training.inference import Predictor
predictor = Predictor.from_path(resources_dir() / "models" / "ptbxl_superclass_resnet1d18", "cpu")
before = peak_rss()
t0 = time.perf_counter()
prediction = predictor.predict(read_record(sys.argv[1]))
print(json.dumps({"seconds": time.perf_counter() - t0, "windows": prediction.n_windows, "before": before,
                  "rss": peak_rss()}))
"""

_WINDOW = _PEAK_RSS + r"""
import json, os, sys, time
os.environ["QT_QPA_PLATFORM"] = "offscreen"
from pathlib import Path
import ecgstudio
import pyqtgraph as pg
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication
from ecgstudio.__main__ import build_window
from ecgstudio.workers import wait_for_background_work

header, folder = Path(sys.argv[1]), Path(sys.argv[2])
app = QApplication.instance() or QApplication([])
settings = QSettings(str(folder / "settings.ini"), QSettings.IniFormat)
settings.setValue("annotations/library", str(folder / "library.sqlite"))
settings.setValue("models/user_dir", str(folder / "models"))
window = build_window(settings)
window.resize(1600, 1000)
window.show()
app.processEvents()
before = peak_rss()

def until(condition, limit=120.0):
    start = time.perf_counter()
    while not condition():
        if time.perf_counter() - start > limit:
            raise SystemExit("timed out")
        app.processEvents()
        time.sleep(0.002)

INK = []

def painted():
    start = time.perf_counter()
    image = window.view.canvas.grab().toImage()
    took = time.perf_counter() - start
    pixels = pg.functions.ndarray_from_qimage(image.convertToFormat(image.Format.Format_RGB32))
    INK.append(int((pixels[..., :3].max(axis=-1) < 90).sum()))  # the traces' ink (20, 20, 30), not the grid
    return took

t0 = time.perf_counter()
window.open_path(header)
until(lambda: window.record is not None)
painted()
paint = time.perf_counter() - t0
view = window.view
until(lambda: getattr(view.displayed_signal(), "pyramid", None) is not None)
overview = time.perf_counter() - t0
until(lambda: window.peaks is not None)
beats = time.perf_counter() - t0
measure = window.features["measure"]
until(lambda: measure.result is not None)
wait_for_background_work(60000)
view.go_to(16.7 * 3600)
app.processEvents()
deep = painted()
view.zoom_time(window.record.duration / (view.visible_range()[1] - view.visible_range()[0]))
app.processEvents()
whole = painted()
view.set_filter(True)
app.processEvents()
filtered = painted()
view.zoom_time(1e-3)
app.processEvents()
filtered_screen = painted()
wait_for_background_work(60000)
print(json.dumps({"paint": paint, "overview": overview, "beats": beats, "deep": deep, "whole": whole,
                  "filtered_whole": filtered, "filtered_screen": filtered_screen, "before": before,
                  "key": window.context.record.content_key[:6], "kind": type(window.record.signal).__name__,
                  "ink": INK, "rss": peak_rss()}), flush=True)
os._exit(0)
"""


def _child(code: str, *args: str) -> dict:
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    out = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, check=True, env=env)
    return json.loads(out.stdout.strip().splitlines()[-1])


def _record(folder: Path) -> tuple[Path, int, str]:
    header = build_long_record(SHARED, folder, HOURS * 3600)
    size = header.with_suffix(".dat").stat().st_size
    return header, size, f"{HOURS} h x 12 leads x 500 Hz, {size / 2**30:.2f} GiB format 16"


@benchmark("huge_record")
def huge_record() -> list[Row]:
    with tempfile.TemporaryDirectory() as folder:
        header, size, note = _record(Path(folder))
        m = _child(_ENGINE, str(header))
    return [
        Row("open (header, checks, map)", m["open"], "s", note=f"{note}, {m['kind']}"),
        Row("first 10 s screen, 12 leads", m["screen"], "s"),
        Row("1 min of lead II at 16.7 h", m["minute"], "s"),
        Row("signal check (64 spans per lead)", m["check"], "s", note=f"{m['problems']} lead(s) refused"),
        Row("checksum verification (chunked pass)", m["verify"], "s"),
        Row("peak resident memory / file size", m["rss"] / size, "x", goal="<= 1.5"),
    ]


@benchmark("huge_predict")
def huge_predict() -> list[Row]:
    """The bundled model on the whole 24-h record (CLI ``predict``'s path), one torch thread."""
    with tempfile.TemporaryDirectory() as folder:
        header, size, note = _record(Path(folder))
        m = _child(_PREDICT, str(header))
    return [
        Row("Predictor.predict, whole record", m["seconds"], "s", note=f"{note}; {m['windows']} windows, 1 thread"),
        Row("peak resident memory / file size", m["rss"] / size, "x", goal="<= 1.5",
            note=f"{m['rss'] / 2**20:.0f} MiB; {m['before'] / 2**20:.0f} MiB with torch and the model loaded"),
    ]


@benchmark("huge_window")
def huge_window() -> list[Row]:
    with tempfile.TemporaryDirectory() as folder:
        header, size, note = _record(Path(folder) / "record")
        runs = []
        for i in range(RUNS):
            (Path(folder) / f"app{i}").mkdir()
            runs.append(_child(_WINDOW, str(header), str(Path(folder) / f"app{i}")))
    paints = [r["paint"] for r in runs]
    last = runs[-1]
    rss = max(r["rss"] for r in runs)
    spread = f"median of {RUNS} fresh processes (min {min(paints):.2f}, max {max(paints):.2f})"
    return [
        Row("first paint (open -> first screen drawn)", statistics.median(paints), "s", goal="<= 1.5",
            note=f"{note}; {spread}; key {last['key']}, {last['kind']}"),
        Row("overview pyramid + checksums ready", statistics.median(r["overview"] for r in runs), "s",
            note="background, after first paint"),
        Row("beats of the screen detected", statistics.median(r["beats"] for r in runs), "s", note="background"),
        Row("paint at 16.7 h", last["deep"], "s", note=f"ink pixels per paint: {last['ink']}"),
        Row("paint of the whole 24 h", last["whole"], "s", note="from the pyramid"),
        Row("paint of the whole 24 h, filter on", last["filtered_whole"], "s"),
        Row("paint of a screen, filter on", last["filtered_screen"], "s", note="span filtered on demand"),
        Row("peak resident memory", rss / 2**20, "MiB",
            note=f"the window before opening: {max(r['before'] for r in runs) / 2**20:.0f} MiB"),
        Row("peak resident memory / file size", rss / size, "x", goal="<= 1.5"),
    ]
