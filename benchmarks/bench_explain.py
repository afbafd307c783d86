"""The app's own explain path against the engine's LIME figure (issue 15 §7).

``explain_app`` times what the Explain tab does when the user clicks Explain: the tab's default settings,
on a 15 s CPSC2018 record (the model scores both of its 10 s windows and explains the one where the class
is most likely), through :class:`~ecgstudio.inference.controller.InferenceController` in the real window
— worker thread, progress signals, LIME + occlusion — until the explanation is shown. The engine's figure
is :func:`training.explain.explain_lime` alone on one preprocessed window with the same settings, in the
same process and thread budget. Goal: the app path within 2x of the engine's.
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from benchmarks import Row, benchmark  # noqa: E402
from benchmarks.shared import SHARED, best_of  # noqa: E402

RECORD = SHARED / "cpsc2018" / "A0001.hea"  # 15 s, 500 Hz
MODEL = "ptbxl_superclass_resnet1d18"


def _app_explain(qapp, window, controller, repeats: int = 2) -> float:
    times = []
    for _ in range(repeats):
        controller._explanations.clear()  # a fresh explanation each time, not the cached one
        done: list[float] = []
        controller.explained.connect(lambda *_: done.append(time.perf_counter()))
        start = time.perf_counter()
        controller.explain_panel.explain_button.click()
        while not done:
            qapp.processEvents()
            time.sleep(0.001)
        controller.explained.disconnect()
        times.append(done[0] - start)
    return min(times)


@benchmark("explain_app")
def explain_app() -> list[Row]:
    import torch

    import ecgstudio  # noqa: F401 - PySide6 guard before Qt objects are made
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication

    from ecgstudio.inference.controller import attach_inference
    from ecgstudio.main_window import MainWindow
    from training.data.readers import read_record
    from training.explain import explain_lime

    qapp = QApplication.instance() or QApplication([])
    with tempfile.TemporaryDirectory() as tmp:
        window = MainWindow(QSettings(str(Path(tmp) / "settings.ini"), QSettings.IniFormat))
        controller = attach_inference(window)
        window.show()
        window.open_path(RECORD)
        while window.record is None or window.loading:
            qapp.processEvents()
            time.sleep(0.001)
        controller.panel.chooser.setCurrentIndex(controller.panel.chooser.findData(MODEL))
        config = controller.explain_panel.config()  # the tab's settings
        class_index = int(controller.explain_panel.class_box.currentData())
        app_s = _app_explain(qapp, window, controller)
        predictor = controller._predictor(controller.current_model)
        record = read_record(RECORD)
        x, _start, n_windows = predictor.explain_window(record, class_index)
        leads = tuple(predictor.card.leads)
        engine_s = best_of(lambda: explain_lime(x, predictor.fs, leads, predictor.predict_batch, class_index,
                                                config), repeats=2)
        window.close()
    note = (f"{config.n_samples} perturbations, {config.segmentation} {config.window_s:g} s segments, "
            f"{config.baseline} baseline; {n_windows} windows; torch {torch.get_num_threads()} threads; "
            f"load average {os.getloadavg()[0]:.1f}")
    return [Row("Explain tab, 15 s record: click -> explanation shown", app_s, "s", "", note + "; LIME + occlusion"),
            Row("engine explain_lime, same window and settings", engine_s, "s", "", note),
            Row("ratio app / engine", app_s / engine_s, "x", "<= 2")]
