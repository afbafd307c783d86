"""The Predictor and the bundled model, on real records of the shared data."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from ecgstudio.paths import resources_dir
from training.data.datasets import load_ptbxl
from training.data.readers import read_record
from training.inference import ContractError, Predictor

BUNDLED = resources_dir() / "models" / "ptbxl_superclass_resnet1d18"


@pytest.fixture(scope="module")
def predictor() -> Predictor:
    return Predictor.from_path(BUNDLED, "cpu")


def test_bundled_model_reproduces_its_card_on_fold_10(predictor: Predictor, ptbxl_root) -> None:
    """PTB-XL records are exactly one 10 s window, so the app's Predictor must give the card's test AUROC.

    Tolerance 1e-6: the card was measured in batches of 32 and here all 64 records go in one batch; float32
    reductions over different batch shapes differ in the last bits, which can swap no ranks at this size.
    """
    test = load_ptbxl(ptbxl_root, fs=100, label_set="ptbxl-superclass").subset("test")
    probs = np.stack([predictor.predict(read_record(p)).probs for p in test.paths])
    assert predictor.predict(read_record(test.paths[0])).n_windows == 1
    auroc = float(np.mean([roc_auc_score(test.targets[:, c], probs[:, c]) for c in range(probs.shape[1])]))
    card_auroc = predictor.card.metrics["test"]["summary"]["auroc_macro"]
    assert auroc == pytest.approx(card_auroc, abs=1e-6)
    assert BUNDLED.with_suffix(".safetensors").stat().st_size <= 20 * 2**20


def test_long_record_uses_several_windows_and_is_deterministic(predictor: Predictor, shared_data) -> None:
    record = read_record(shared_data / "cpsc2018" / "A0005")  # 25 s at 500 Hz
    first, second = predictor.predict(record), predictor.predict(record)
    assert first.n_windows > 1 and first.window_probs.shape == (first.n_windows, len(first.classes))
    np.testing.assert_array_equal(first.probs, second.probs)
    # the calibration map applies to the mean of the windows' raw scores (what it was fitted on)
    raw = predictor.raw_scores(predictor.windows(predictor.preprocess(record))[0]).astype(np.float64)
    np.testing.assert_allclose(first.probs, predictor.calibration.apply(raw.mean(axis=0)), rtol=1e-6)
    np.testing.assert_allclose(first.window_probs, predictor.calibration.apply(raw), rtol=1e-6)
    np.testing.assert_allclose(first.probs, predictor.record_probability(record), rtol=1e-12)
    assert first.device == "cpu" and first.window_starts_s[-1] + first.window_s == pytest.approx(record.duration)


def test_two_lead_record_breaks_the_contract(predictor: Predictor, shared_data) -> None:
    with pytest.raises(ContractError, match="lacks"):
        predictor.predict(read_record(shared_data / "formats" / "100"))


def test_predict_batch_matches_predict(predictor: Predictor, ptbxl_root) -> None:
    record = read_record(ptbxl_root / "records100" / "00000" / "00001_lr")
    x = predictor.preprocess(record)[None]
    np.testing.assert_allclose(predictor.predict_batch(x)[0], predictor.predict(record).probs, rtol=1e-6)
