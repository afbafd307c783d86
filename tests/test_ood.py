"""Out-of-distribution cautions on real records: the ones that should fire, and the ones that should not."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from ecgstudio.paths import resources_dir
from training.cli import main as cli_main
from training.data.readers import read_record
from training.inference import Predictor
from training.ood import cautions
from training.signal.quality import SignalQualityError

BUNDLED = resources_dir() / "models" / "ptbxl_superclass_resnet1d18"


@pytest.fixture(scope="module")
def predictor() -> Predictor:
    return Predictor.from_path(BUNDLED, "cpu")


def _codes(predictor: Predictor, record) -> set[str]:
    return {c.code for c in cautions(record, predictor.card)}


@pytest.mark.parametrize("path", ["ptbxl/records100/00000/00001_lr", "ptbxl/records100/00000/00010_lr",
                                  "ptbxl/records500/00000/00001_hr", "ptbxl/records500/00000/00020_hr",
                                  "cpsc2018/A0001", "ludb/data/1"])
def test_ordinary_adult_records_get_no_caution(predictor, shared_data, path):
    assert _codes(predictor, read_record(shared_data / path)) == set()


@pytest.mark.parametrize("path, code", [("ludb/data/34", "paced"),           # header: ventricular pacing
                                        ("formats/s0010_re", "resampled"),   # PTB, 1000 Hz
                                        ("cpsc2018/A0069", "population"),    # 11 years old
                                        ("cpsc2018/A0004", "noisy_lead")])
def test_records_unlike_the_training_data_get_their_caution(predictor, shared_data, path, code):
    assert code in _codes(predictor, read_record(shared_data / path))


def test_filled_in_lead_and_swapped_arm_electrodes(predictor, shared_data):
    record = read_record(shared_data / "ptbxl/records500/00000/00001_hr")
    filled = record.signal.copy()
    filled[record.leads.index("V3")] = 0.0  # a missing lead written as zeros
    filled_in = dataclasses.replace(record, signal=filled)
    assert _codes(predictor, filled_in) == {"unusable_lead"}
    message = next(c.message for c in cautions(filled_in, predictor.card))
    assert "V3: flat" in message  # the signal check's own finding and words, not a second threshold
    with pytest.raises(SignalQualityError, match="V3: flat"):
        predictor.predict(filled_in)  # ... and the Predictor refuses the record on the same finding
    # left/right arm swapped: I -> -I, II <-> III, aVR <-> aVL, aVF unchanged (Einthoven)
    x = record.signal
    ix = {lead: i for i, lead in enumerate(record.leads)}
    swapped = x.copy()
    swapped[ix["I"]] = -x[ix["I"]]
    swapped[ix["II"]], swapped[ix["III"]] = x[ix["III"]], x[ix["II"]]
    swapped[ix["aVR"]], swapped[ix["aVL"]] = x[ix["aVL"]], x[ix["aVR"]]
    assert _codes(predictor, dataclasses.replace(record, signal=swapped)) == {"lead_reversal"}


def test_prediction_and_cli_show_the_caution_beside_the_numbers(predictor, shared_data, capsys):
    prediction = predictor.predict(read_record(shared_data / "ludb/data/34"))
    assert "paced" in {c.code for c in prediction.cautions}
    assert cli_main(["predict", "--device", "cpu", "--model", str(BUNDLED), str(shared_data / "ludb/data/34.hea")]) == 0
    out = capsys.readouterr().out
    assert out.index("CAUTION (paced)") < out.index("NORM")
    assert cli_main(["predict", "--device", "cpu", "--model", str(BUNDLED),
                     str(shared_data / "ptbxl/records100/00000/00001_lr.hea")]) == 0
    assert "CAUTION" not in capsys.readouterr().out


def test_inference_panel_shows_caution_meaning_and_uncertainty(qtbot, predictor, shared_data):
    from ecgstudio.inference.panel import InferencePanel

    panel = InferencePanel()
    qtbot.addWidget(panel)
    panel.show()
    paced = predictor.predict(read_record(shared_data / "ludb/data/34"))
    panel.show_prediction(paced)
    assert panel.caution.isVisible() and "paced" in panel.caution.text().lower()
    assert "calibrated per class" in panel.meaning.text()
    wide = [c for i, c in enumerate(paced.classes) if paced.uncertain(i)]
    assert wide and all(c in panel.labels.text() for c in wide)
    normal = predictor.predict(read_record(shared_data / "ptbxl/records100/00000/00001_lr"))
    panel.show_prediction(normal)
    assert not panel.caution.isVisible()
    assert np.all(np.isfinite(normal.probs))


def test_noise_caution_is_only_for_leads_the_signal_check_accepts(predictor, shared_data):
    """A lead the check already calls unusable gets that caution alone, not a second 'noisy' one."""
    record = read_record(shared_data / "cpsc2018/A0004")
    noisy = {c.code: c.message for c in cautions(record, predictor.card)}["noisy_lead"]
    lead = noisy.split()[-1].rstrip(",")
    broken = record.signal.copy()
    broken[record.leads.index(lead)] = 0.0
    codes = {c.code: c.message for c in cautions(dataclasses.replace(record, signal=broken), predictor.card)}
    assert f"{lead}: flat" in codes["unusable_lead"]
    assert lead not in codes.get("noisy_lead", "")


@pytest.mark.parametrize("path, paced", [("ludb/data/34", True), ("ludb/data/1", False), ("ludb/data/2", False)])
def test_pacing_spikes_are_found_without_the_header_saying_so(predictor, shared_data, path, paced):
    """The OOD rule and the measurement share one pacing-spike detector (validated on LUDB: 9 of 10 paced
    records, none of the other 150); a header stripped of its words still gets the caution."""
    record = read_record(shared_data / path)
    silent = dataclasses.replace(record, comments=(), labels=())
    assert ("paced" in _codes(predictor, silent)) is paced
