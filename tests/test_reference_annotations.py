"""PhysioNet reference annotations (issue #15 §5): MIT-BIH beat labels and rhythm changes and LUDB's
per-lead P/QRS/T waves are read beside the record, drawn on the sheet, and a reference file chosen in
Annotations ▸ Import WFDB is shown as read-only reference marks instead of being refused."""

from __future__ import annotations

import shutil

import numpy as np
from PySide6.QtCore import QPoint, QPointF

from ecgstudio.annotations.reference import load_reference
from tests.app_window import shown_app
from tests.gestures import wheel
from training.data import read_header


def test_mitbih_100_has_its_2274_labels_and_208_its_rhythm_changes(shared_data):
    info = read_header(shared_data / "formats" / "100.hea")
    ref = load_reference(shared_data / "formats" / "100.hea", info.fs, info.n_samples / info.fs, info.leads)
    assert len(ref.beats) + len(ref.rhythms) == 2274  # 2,273 beats and the one rhythm note
    assert {b.symbol for b in ref.beats} == {"N", "A", "V"} and ref.rhythms[0].label == "normal sinus rhythm"
    header = shared_data / "formats" / "mitdb_208" / "208.hea"
    info = read_header(header)
    ref = load_reference(header, info.fs, info.n_samples / info.fs, info.leads)
    labels = {e.label for e in ref.rhythms}
    assert {"normal sinus rhythm", "ventricular trigeminy"} <= labels
    assert all(a.t1 <= b.t0 + 1e-9 for a, b in zip(ref.rhythms, ref.rhythms[1:]))  # consecutive episodes


def test_ludb_waves_are_read_per_lead(shared_data):
    header = shared_data / "ludb" / "data" / "1.hea"
    info = read_header(header)
    ref = load_reference(header, info.fs, info.n_samples / info.fs, info.leads)
    assert {w.lead for w in ref.waves} == set(info.leads)
    assert {w.label for w in ref.waves} == {"P wave", "QRS", "T wave"}
    qrs = [w for w in ref.waves if w.lead == "II" and w.label == "QRS"]
    assert all(0.04 < w.t1 - w.t0 < 0.2 for w in qrs)


def _sheet_band_ink(window) -> int:
    """Red pixels between the top of the sheet and the first row (mm 0), where beat symbols go."""
    image = window.view.canvas.grab().toImage()
    vb = window.view.vb
    top = int(max(vb.mapToScene(QPointF(0, 0)).y(), 0))
    first_row = int(vb.mapViewToScene(QPointF(vb.viewRange()[0][0], 0.0)).y())
    return sum(1 for y in range(top, max(first_row, top + 1)) for x in range(0, image.width(), 2)
               if (c := image.pixelColor(x, y)).red() > 150 and c.green() < 80 and c.blue() < 80)


def test_reference_marks_are_drawn_and_an_atr_import_is_not_refused(qtbot, tmp_path, shared_data):
    window = shown_app(qtbot, tmp_path, (1500, 900))
    folder = tmp_path / "mitdb"
    folder.mkdir()
    for suffix in (".hea", ".dat"):  # the record without its .atr: nothing shown beside it
        shutil.copy(shared_data / "formats" / "mitdb_208" / f"208{suffix}", folder / f"208{suffix}")
    window.open_path(folder / "208.hea")
    qtbot.waitUntil(lambda: window.record is not None, timeout=20000)
    qtbot.waitUntil(lambda: window.reference is not None, timeout=10000)  # read off the GUI thread
    assert window.reference.empty
    window.view.go_to(65.0)  # ventricular trigeminy: V beats
    qtbot.wait(50)
    before = _sheet_band_ink(window)
    controller = window.features["annotations"]
    assert controller.show_reference_file(shared_data / "formats" / "mitdb_208" / "208.atr")
    assert "reference beats" in window.statusBar().currentMessage()
    assert len(window.reference.beats) > 2900 and window.view.reference_layer.reference is window.reference
    window.view.go_to(65.0)
    qtbot.wait(50)
    assert _sheet_band_ink(window) > before + 20  # red V / F symbols along the top
    assert controller.store.annotations(controller.panel.record_key) == []  # read-only: nobody's annotations
    wheel(window.view.canvas.viewport(), QPoint(300, 300), -6)  # zoomed out: still drawn, never a crash
    window.view.canvas.grab()
    assert np.isfinite(window.view.time_scale)
    window.close()
