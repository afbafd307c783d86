"""The model and explanation docks on real records (pytest-qt, offscreen)."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QSettings

from ecgstudio.inference import attach_inference
from ecgstudio.main_window import MainWindow
from training.explain import ExplainConfig


@pytest.fixture
def window(qtbot, tmp_path):
    settings = QSettings(str(tmp_path / "s.ini"), QSettings.IniFormat)
    settings.setValue("models/user_dir", str(tmp_path / "models"))
    w = MainWindow(settings)
    qtbot.addWidget(w)
    w.resize(1400, 900)
    w.show()
    controller = attach_inference(w)
    return w, controller


def open_record(qtbot, w, path: Path) -> None:
    w.open_path(path)
    qtbot.waitUntil(lambda: w.record is not None, timeout=10000)


def test_run_shows_bars_labels_and_device(qtbot, window, shared_data) -> None:
    w, c = window
    assert c.current_model is not None and c.current_model.bundled
    open_record(qtbot, w, shared_data / "cpsc2018" / "A0005.hea")
    with qtbot.waitSignal(c.predicted, timeout=20000) as blocker:
        c.panel.run_button.click()
    key, prediction = blocker.args
    assert prediction.n_windows > 1
    assert c.panel.bars.prediction is prediction
    assert "Predicted" in c.panel.labels.text() and "cpu" in c.panel.device.text()


def test_incompatible_record_gets_a_message(qtbot, window, shared_data) -> None:
    w, c = window
    open_record(qtbot, w, shared_data / "formats" / "100.hea")
    c.run()
    qtbot.waitUntil(lambda: c.panel.message.isVisible(), timeout=20000)
    assert "lacks" in c.panel.message.text() and c.panel.bars.prediction is None


def test_explanation_overlay_segments_and_jump(qtbot, window, shared_data) -> None:
    w, c = window
    open_record(qtbot, w, shared_data / "cpsc2018" / "A0005.hea")
    config = ExplainConfig(n_samples=100, window_s=1.0)
    with qtbot.waitSignal(c.explained, timeout=30000) as blocker:
        c.explain(2, config)
    result = blocker.args[1]
    assert 0.0 <= result.window_start_s and result.window[1] <= w.record.duration + 1e-6
    assert c.heat.drawn and {s.lead for s in c.heat.drawn} <= set(w.record.leads)
    strongest = result.top(1)[0]
    assert any(s.lead == strongest[0] and s.t0 <= strongest[1] + 1e-6 for s in c.heat.drawn)
    panel = c.explain_panel
    assert panel.segments.count() == 10 and "R²" in panel.quality.text()
    w.view.go_to(0.0)
    item = panel.segments.item(0)
    panel.segments.itemClicked.emit(item)
    t0, t1 = item.data(0x0100)
    left, right = w.view.visible_range()
    assert left <= t0 and t1 <= right and left > 0.0
    # cached: asking again answers at once, without a task
    c.explain(2, config)
    assert c._explain_task is None


def test_cancel_stops_the_explanation(qtbot, window, shared_data) -> None:
    w, c = window
    open_record(qtbot, w, shared_data / "cpsc2018" / "A0005.hea")
    c.explain(0, ExplainConfig(n_samples=20000, batch_size=50))
    task = c._explain_task
    qtbot.waitUntil(lambda: c.explain_panel.progress.maximum() > 0, timeout=20000)
    c.explain_panel.cancel_button.click()
    with qtbot.waitSignal(task.finished, timeout=20000):
        pass
    assert c.explain_panel.note.text() == "Cancelled." and not c.explain_panel.cancel_button.isEnabled()
    assert not c.explain_panel.segments.count()
