"""Calibrated probabilities: the map, the bundled model's card, the Predictor everywhere, the command."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from ecgstudio.paths import resources_dir
from training.calibration import Calibration, ece, fit_calibration, sigmoid
from training.checkpoint import load_card
from training.cli import main as cli_main
from training.data.readers import read_record
from training.errors import ModelFileError
from training.evaluate import evaluate_model, predict_index, split_index
from training.inference import Predictor
from training.thresholds import f1_optimal_thresholds

BUNDLED = resources_dir() / "models" / "ptbxl_superclass_resnet1d18"


def test_platt_recovers_a_known_miscalibration_and_lowers_ece():
    rng = np.random.default_rng(0)
    z = rng.normal(0, 1.5, size=(4000, 2))
    y = rng.random((4000, 2)) < sigmoid(np.array([2.0, 0.5]) * z + np.array([-1.0, 0.8]))
    scores = sigmoid(z)  # what an over/under-confident network would output
    cal = fit_calibration(y, scores, ("A", "B"))
    np.testing.assert_allclose(cal.slopes, [2.0, 0.5], atol=0.15)
    np.testing.assert_allclose(cal.intercepts, [-1.0, 0.8], atol=0.15)
    calibrated = cal.apply(scores)
    for c in range(2):
        assert ece(y[:, c], calibrated[:, c]) < 0.03 < ece(y[:, c], scores[:, c])
    assert Calibration.from_dict(cal.to_dict(), ("A", "B")) == cal
    # increasing maps: ranks, hence AUROC and the F1-optimal decisions, are unchanged
    assert (np.argsort(calibrated[:, 0], kind="stable") == np.argsort(scores[:, 0], kind="stable")).all()


def test_a_class_without_positives_keeps_the_identity_map():
    cal = fit_calibration(np.zeros((20, 1)), np.linspace(0.1, 0.9, 20)[:, None], ("X",), method="temperature")
    assert (cal.slopes, cal.intercepts) == ((1.0,), (0.0,)) and "no positives" in cal.notes[0]


def test_a_malformed_calibration_section_is_refused_on_load(tmp_path):
    for suffix in (".safetensors", ".json"):
        shutil.copy(BUNDLED.with_suffix(suffix), tmp_path / f"m{suffix}")
    card = json.loads((tmp_path / "m.json").read_text())
    del card["calibration"]["parameters"]["MI"]
    (tmp_path / "m.json").write_text(json.dumps(card))
    with pytest.raises(ModelFileError, match="calibration.*MI|calibration.*classes"):
        Predictor.from_path(tmp_path / "m", "cpu")
    card["calibration"]["parameters"]["MI"] = {"slope": -1.0, "intercept": 0.0}  # a decreasing map: refused
    (tmp_path / "m.json").write_text(json.dumps(card))
    with pytest.raises(ModelFileError, match="calibration.parameters.MI.slope"):
        Predictor.from_path(tmp_path / "m", "cpu")


@pytest.fixture(scope="module")
def bundled() -> Predictor:
    return Predictor.from_path(BUNDLED, "cpu")


@pytest.fixture(scope="module")
def fold10(bundled, ptbxl_root):
    test = split_index(bundled.card, "test", ptbxl_root)
    raw = predict_index(bundled, test, calibrated=False)
    return test, raw, bundled.calibration.apply(raw)


def test_bundled_card_is_calibrated_on_fold_9_and_reports_ece_and_brier(bundled):
    cal = bundled.card.calibration
    assert cal["method"] == "platt" and cal["fitted_on"]["split"] == "val" and cal["fitted_on"]["records"] == 72
    for source in ("val", "test", "cpsc2018", "ludb"):
        block = cal["assessment"][source]
        for metrics in block["per_class"].values():
            for key in ("brier", "brier_uncalibrated"):
                iv = metrics[key]
                assert iv["low"] <= iv["value"] <= iv["high"], (source, key)
            for key in ("ece", "ece_uncalibrated", "ece_if_calibrated"):
                # binned ECE is biased upwards under resampling: its percentile interval may sit above it
                iv = metrics[key]
                assert 0 <= iv["value"] <= 1 and 0 <= iv["low"] <= iv["high"] <= 1, (source, key)


def test_uncalibrated_mi_scores_were_not_probabilities_and_calibrated_ones_are_closer(bundled, fold10):
    """The issue: fold-10 mean MI score 0.48 against a prevalence of 0.12 (the retrained model: 0.35)."""
    test, raw, calibrated = fold10
    mi = bundled.classes.index("MI")
    prevalence = test.targets[:, mi].mean()
    assert raw[:, mi].mean() > prevalence + 0.2
    assert abs(calibrated[:, mi].mean() - prevalence) < 0.1
    assert ece(test.targets[:, mi], calibrated[:, mi]) < ece(test.targets[:, mi], raw[:, mi])


def test_predictor_evaluate_and_card_show_the_same_calibrated_numbers(bundled, fold10, ptbxl_root):
    test, _, calibrated = fold10
    first = read_record(test.paths[0])
    prediction = bundled.predict(first)
    np.testing.assert_allclose(prediction.probs, calibrated[0], rtol=1e-6)
    assert "calibrated per class (Platt scaling) on 72 records of ptbxl100 (val split)" in prediction.meaning
    np.testing.assert_allclose(bundled.predict_batch(bundled.windows(bundled.preprocess(first))[0])[0],
                               calibrated[0], rtol=1e-5)
    scores, _ = evaluate_model(BUNDLED, "test", ptbxl_root, "cpu")
    card_test = bundled.card.metrics["test"]
    assert scores.summary["auroc_macro"] == pytest.approx(card_test["summary"]["auroc_macro"], abs=1e-6)
    assert scores.summary["f1_macro"] == pytest.approx(card_test["summary"]["f1_macro"], abs=1e-6)
    iv = card_test["intervals"]["auroc_macro"]
    assert iv["low"] < iv["value"] < iv["high"]


def test_calibrate_command_regenerates_the_bundled_card_and_its_diagram(tmp_path, bundled, ptbxl_root):
    """`python -m training calibrate` on the bundled weights gives the shipped parameters and thresholds."""
    for suffix in (".safetensors", ".json"):
        shutil.copy(BUNDLED.with_suffix(suffix), tmp_path / f"m{suffix}")
    page = tmp_path / "RESULTS.md"
    page.write_text("# Results\n")
    assert cli_main(["calibrate", "--threads", "1", "--device", "cpu", "--model", str(tmp_path / "m"),
                     "--plot", str(tmp_path / "rel.png"), "--results", str(page)]) == 0
    card = load_card(tmp_path / "m")
    shipped = bundled.card.calibration["parameters"]
    for cls, params in card.calibration["parameters"].items():
        assert params["slope"] == pytest.approx(shipped[cls]["slope"], rel=1e-5)
        assert params["intercept"] == pytest.approx(shipped[cls]["intercept"], rel=1e-5, abs=1e-6)
    np.testing.assert_allclose(card.thresholds, bundled.card.thresholds, rtol=1e-6)
    assert (tmp_path / "rel.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    text = page.read_text()
    assert text.startswith("# Results") and "<!-- section:calibration" in text and "ECE calibrated" in text


def test_thresholds_are_chosen_on_calibrated_validation_probabilities(bundled, ptbxl_root):
    val = split_index(bundled.card, "val", ptbxl_root)
    probs = predict_index(bundled, val)
    thresholds, _ = f1_optimal_thresholds(val.targets, probs, bundled.classes)
    np.testing.assert_allclose(thresholds, bundled.thresholds, rtol=1e-6)


def test_calibration_fit_leaves_unlabelled_records_out_of_their_class():
    from training.calibration import fit_calibration

    rng = np.random.default_rng(1)
    y = (rng.random((120, 2)) < 0.3).astype(float)
    s = np.clip(0.4 * y + 0.5 * rng.random((120, 2)), 0.01, 0.99)
    partial = y.copy()
    partial[:60, 1] = np.nan
    both = fit_calibration(partial, s, ["a", "b"])
    alone = fit_calibration(y[60:], s[60:], ["a", "b"])
    full = fit_calibration(y, s, ["a", "b"])
    assert both.slopes[1] == pytest.approx(alone.slopes[1]) and both.intercepts[1] == pytest.approx(alone.intercepts[1])
    assert both.slopes[0] == pytest.approx(full.slopes[0])
