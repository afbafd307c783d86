"""The signal check before any model runs: real ECGs pass it, altered real records are refused everywhere
a diagnosis could be made (Predictor, CLI predict with exit 2 and one line, the cohort comparison)."""

from __future__ import annotations

import csv
import dataclasses
from pathlib import Path

import numpy as np
import pytest

from ecgstudio.paths import resources_dir
from tests.hostile import assert_cli_predict_refuses
from tests.test_hostile_records import PTBXL, _copy, _signal_field
from training.clinical.cohort import load_cohort
from training.clinical.cohort_run import predict_cohort
from training.clinical.demo import write_demo_cohort
from training.data import read_record
from training.inference import Predictor
from training.signal.quality import SignalQualityError, check_signal, lead_problems

BUNDLED = resources_dir() / "models" / "ptbxl_superclass_resnet1d18"


def test_every_real_ecg_lead_of_the_shared_corpus_passes(shared_data):
    with open(shared_data / "records_index.csv", newline="") as fh:
        skip = ("formats/binformats", "formats/flacformats",  # storage-format samples, not ECGs
                "ptbxl/records100")  # the 100 Hz copies of the 500 Hz records checked here
        paths = [row["path"] for row in csv.DictReader(fh) if not row["path"].startswith(skip)]
    refused = {p: lead_problems(read_record(shared_data / p)) for p in paths}
    assert {p: [str(x) for x in v] for p, v in refused.items() if v} == {}
    assert len(paths) > 600


def zeroed_record(shared_data: Path, folder: Path) -> Path:
    """The real record with an all-zero signal file whose header checksums agree (so only the samples are wrong)."""
    hea = _copy(shared_data, PTBXL, folder)
    dat = hea.with_suffix(".dat")
    dat.write_bytes(bytes(dat.stat().st_size))
    _signal_field(hea, 5, "0")
    return _signal_field(hea, 6, "0")


@pytest.fixture(scope="module")
def real(shared_data):
    return read_record(shared_data / PTBXL)


def _altered(record, signal):
    return dataclasses.replace(record, signal=np.ascontiguousarray(signal, dtype=np.float32))


@pytest.mark.parametrize("alter, problem", [
    (lambda x: np.zeros_like(x), "flat"),
    (lambda x: x - 1e11, "sits at"),
    (lambda x: x * 1000, "beyond ±20 mV"),
    (lambda x: x + np.random.default_rng(0).choice([0, 12.0, -12.0], x.shape, p=[0.98, 0.01, 0.01]), "V/s"),
    (lambda x: np.clip(x, -0.05, 0.05), "saturated"),
    (lambda x: np.where(np.arange(x.shape[1]) == 700, np.nan, x), "non-finite"),
])
def test_altered_real_signal_is_refused_with_the_problem_per_lead(real, alter, problem):
    with pytest.raises(SignalQualityError) as info:
        check_signal(_altered(real, alter(real.signal.astype(np.float64))))
    assert problem in str(info.value) and "00001_hr" in str(info.value)


def test_one_flat_lead_outside_the_model_leads_is_not_held_against_it(real):
    signal = real.signal.copy()
    signal[0] = 0
    record = _altered(real, signal)
    assert [p.lead for p in lead_problems(record)] == ["I"]
    check_signal(record, ["II", "V1"])


def test_predictor_refuses_an_all_zero_recording(shared_data, tmp_path):
    predictor = Predictor.from_path(BUNDLED, "cpu")
    with pytest.raises(SignalQualityError, match="flat"):
        predictor.predict(read_record(zeroed_record(shared_data, tmp_path)))


def test_cli_predict_exits_2_with_one_error_line_on_an_all_zero_recording(shared_data, tmp_path):
    assert_cli_predict_refuses(BUNDLED, zeroed_record(shared_data, tmp_path), "flat")


def test_cohort_comparison_leaves_out_a_broken_record_with_its_reason(shared_data, tmp_path):
    good = [shared_data / "ptbxl/records500/00000/00002_hr.hea", shared_data / "ptbxl/records500/00000/00003_hr.hea"]
    cohort = load_cohort(write_demo_cohort([*good, zeroed_record(shared_data, tmp_path / "bad")], tmp_path, seed=1))
    predictor = Predictor.from_path(BUNDLED, "cpu")
    probs, kept, failures = predict_cohort(cohort, predictor, 0)
    assert kept == [0, 1] and len(probs) == 2
    assert len(failures) == 1 and "flat" in failures[0].reason


def _model_window(qtbot, tmp_path):
    from PySide6.QtCore import QSettings

    from ecgstudio.inference import attach_inference
    from ecgstudio.main_window import MainWindow

    settings = QSettings(str(tmp_path / "s.ini"), QSettings.IniFormat)
    settings.setValue("models/user_dir", str(tmp_path / "models"))
    window = MainWindow(settings)
    qtbot.addWidget(window)
    window.show()
    return window, attach_inference(window)


@pytest.fixture
def held_check(monkeypatch):
    """The model dock's signal check held until ``.set()``; ``.on_gui`` says, per call, if it ran on the GUI thread."""
    import threading

    from ecgstudio.inference import controller

    gate, real = threading.Event(), controller.lead_problems
    gate.on_gui = []

    def held(record, *args):
        gate.on_gui.append(threading.current_thread() is threading.main_thread())
        gate.wait(30)
        return real(record, *args)

    monkeypatch.setattr(controller, "lead_problems", held)
    return gate


def test_window_cautions_on_open_and_the_model_dock_refuses(qtbot, shared_data, tmp_path, held_check):
    """The check runs off the GUI thread (a Holter record's 64 span reads no longer delay its first paint);
    a run asked for meanwhile waits for it, and is not made when the check cautions."""
    window, controller = _model_window(qtbot, tmp_path)
    window.open_path(zeroed_record(shared_data, tmp_path / "rec"))
    qtbot.waitUntil(lambda: window.record is not None, timeout=10000)  # shown while the check is held
    assert controller.panel.status.text() == "Checking the signal…"
    controller.panel.run_button.click()
    assert not controller.panel.run_button.isEnabled()
    held_check.set()
    qtbot.waitUntil(lambda: controller.panel.status.text().startswith("Caution: 12 lead(s) are not a usable ECG"),
                    timeout=10000)
    assert held_check.on_gui == [False]
    qtbot.wait(300)
    assert controller.panel.bars.prediction is None and not controller.panel.message.isVisible()
    controller.panel.run_button.click()  # asked for again: the model itself refuses
    qtbot.waitUntil(lambda: controller.panel.message.isVisible(), timeout=20000)
    assert "not a usable ECG" in controller.panel.message.text() and controller.panel.bars.prediction is None


def test_a_run_asked_for_while_the_signal_is_checked_predicts_once_it_passed(qtbot, shared_data, tmp_path, held_check):
    window, controller = _model_window(qtbot, tmp_path)
    window.open_path(shared_data / f"{PTBXL}.hea")
    qtbot.waitUntil(lambda: window.record is not None, timeout=10000)
    controller.panel.run_button.click()
    qtbot.wait(500)
    assert controller.panel.bars.prediction is None  # nothing before the check has passed
    held_check.set()
    qtbot.waitUntil(lambda: controller.panel.bars.prediction is not None, timeout=60000)
    assert held_check.on_gui == [False] and not controller.panel.message.isVisible()


def test_measurement_leaves_out_what_the_signal_check_finds(shared_data):
    """One concept, one place: the measurement excludes the leads the check before any diagnosis refuses
    (here 0.2 % of V1's samples at 60 mV: not flat, not clipped for the measurement's own checks), with
    the check's own reason, and measures the rest."""
    from training.measure import measure

    record = read_record(shared_data / "ludb" / "data" / "6")
    signal = record.signal.copy()
    v1 = record.leads.index("V1")
    signal[v1, ::500] = 60.0
    spiked = dataclasses.replace(record, signal=signal)
    assert [p.lead for p in lead_problems(spiked)] == ["V1"]
    m = measure(spiked)
    assert "beyond ±20 mV" in m.quality["excluded_leads"]["V1"] and "V1" not in m.quality["good_leads"]
    assert m.quality["refused"] is None and m.global_["qrs_ms"] is not None
