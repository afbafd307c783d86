"""ECG view speed (issue 5, 15 §7): opening and first paint of a PTB-XL record against a fair minimal
pyqtgraph viewer, and frame times panning an hour-long 12-lead record (offscreen Qt raster painting, the
same code path as on screen)."""

from __future__ import annotations

import dataclasses
import os
import statistics
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np  # noqa: E402 - Qt's platform must be chosen before Qt loads
import wfdb  # noqa: E402

from benchmarks import Row, benchmark  # noqa: E402
from benchmarks.shared import SHARED  # noqa: E402

WINDOW = (1600, 900)


def _app():
    import ecgstudio  # noqa: F401 - applies the PySide6 refcount guard before Qt objects are made
    from PySide6.QtWidgets import QApplication
    return QApplication.instance() or QApplication([])


def _paint(widget) -> None:
    """Paint the widget now, synchronously, as the screen would on the next frame."""
    widget.repaint()


@benchmark("gui_open")
def gui_open() -> list[Row]:
    app = _app()
    from ecgstudio.plot import EcgView
    from training.data import read_record

    paths = [p.with_suffix("") for p in sorted((SHARED / "ptbxl" / "records500").rglob("*.hea"))[:20]]
    view = EcgView()
    view.resize(*WINDOW)
    view.show()
    bare, curves = _fair_viewer()
    app.processEvents()
    ours, plain = [], []
    for path in paths * 2:
        start = time.perf_counter()
        view.set_record(read_record(path))
        _paint(view.canvas.viewport())
        ours.append(time.perf_counter() - start)

        start = time.perf_counter()
        rec = wfdb.rdrecord(str(path))
        t = np.arange(rec.sig_len) / rec.fs
        for i, curve in enumerate(curves):
            curve.setData(t, rec.p_signal[:, i])
        _paint(bare.viewport())
        plain.append(time.perf_counter() - start)
        app.processEvents()
    ours_ms, plain_ms = 1000 * statistics.median(ours), 1000 * statistics.median(plain)
    view.close()
    bare.close()
    return [
        Row("open + first paint, ECG view", ours_ms, "ms", "≤ 150 ms",
            f"median of {len(ours)}: read_record + 12-lead paper sheet, {WINDOW[0]}x{WINDOW[1]}"),
        Row("wfdb.rdrecord + one paint, minimal pyqtgraph viewer", plain_ms, "ms", "",
            "fair baseline: 12 plots built once, curves reused (setData), clip to view, peak downsampling"),
        Row("ratio ours / minimal viewer", ours_ms / plain_ms, "x", "≤ 0.5"),
    ]


def _fair_viewer():
    """The minimal fast pyqtgraph viewer a developer would write: plots and curves made once and reused."""
    import pyqtgraph as pg

    bare = pg.GraphicsLayoutWidget()
    bare.resize(*WINDOW)
    bare.show()
    curves = []
    for i in range(12):
        plot = bare.addPlot(row=i, col=0)
        plot.setClipToView(True)
        plot.setDownsampling(auto=True, mode="peak")
        curves.append(plot.plot(pen="k"))
    return bare, curves


@benchmark("gui_pan_1h")
def gui_pan_1h() -> list[Row]:
    app = _app()
    from ecgstudio.plot import EcgView
    from training.data import read_record

    tile = read_record(SHARED / "ptbxl" / "records500" / "00000" / "00009_hr")
    repeats = 360  # 10 s x 360 = 1 hour, built in memory by tiling a real PTB-XL record
    signal = np.tile(tile.signal, (1, repeats))
    record = dataclasses.replace(tile, name="00009_hr x360", n_samples=signal.shape[1], signal=signal)
    view = EcgView()
    view.resize(*WINDOW)
    view.show()
    start = time.perf_counter()
    view.set_record(record)
    _paint(view.canvas.viewport())
    first_ms = 1000 * (time.perf_counter() - start)
    app.processEvents()
    rows = [Row("1-h 12-lead record: set_record + first paint", first_ms, "ms", "",
                "3600 s x 500 Hz x 12 leads (21.6 M samples), PTB-XL 00009_hr tiled 360x in memory")]
    for label, time_scale in (("true scale (25 mm/s)", 1.0), ("1 min on screen", None), ("whole hour on screen", 0.0)):
        if time_scale is None:
            x0, x1 = view.visible_range()
            view.zoom_time(60.0 / (x1 - x0))
        elif time_scale == 0.0:
            view.zoom_time(1e9)
        frames = _pan_frames(view, record.duration, 240)
        span = view.visible_range()[1] - view.visible_range()[0]
        rows.append(Row(f"pan frame, {label}: median", 1000 * statistics.median(frames), "ms",
                        "≤ 16 ms" if time_scale == 1.0 else "", f"{span:.0f} s visible, 240 frames"))
        rows.append(Row(f"pan frame, {label}: p95", 1000 * float(np.percentile(frames, 95)), "ms"))
    view.close()
    return rows


def _pan_frames(view, duration: float, n: int) -> list[float]:
    """Wall time of ``n`` pan steps (each: move the view a little, paint synchronously)."""
    x0, x1 = view.visible_range()
    step = (x1 - x0) / 40  # a brisk drag: the view moves 1/40 of its width per frame
    frames = []
    for k in range(n):
        start = time.perf_counter()
        view.vb.sigPanRequested.emit(step if (k // 60) % 2 == 0 else -step, 0.0)
        view.canvas.viewport().repaint()
        frames.append(time.perf_counter() - start)
    return frames
