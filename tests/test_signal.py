"""Filtering, resampling, windows and normalisations against their definitions, on real beats."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import signal as sps

from training.data import read_record
from training.errors import ConfigError, RecordError
from training.signal import (Pipeline, butter_bandpass, fit_length, normalize, random_crop, resample,
                             sliding_windows, window_starts)


@pytest.fixture(scope="module")
def lead_ii(ptbxl_root):
    record = read_record(ptbxl_root / "records500/00000/00001_hr")
    return record.lead("II").astype(np.float64), record.fs


def _lag(a: np.ndarray, b: np.ndarray, max_lag: int) -> int:
    """Shift (samples) of b relative to a that maximises their cross-correlation."""
    lags = range(-max_lag, max_lag + 1)
    scores = [np.dot(a[max_lag:-max_lag], np.roll(b, -k)[max_lag:-max_lag]) for k in lags]
    return list(lags)[int(np.argmax(scores))]


def test_bandpass_is_zero_phase_on_a_real_beat(lead_ii):
    x, fs = lead_ii
    filtered = butter_bandpass(x, fs)
    r_raw = int(np.argmax(x[500:1500])) + 500
    r_filtered = int(np.argmax(filtered[500:1500])) + 500
    assert abs(r_raw - r_filtered) <= 1  # the R peak stays where it was (2 ms at 500 Hz)
    assert _lag(x - x.mean(), filtered, 50) == 0
    one_way = sps.sosfilt(sps.butter(2, [1, 45], btype="bandpass", fs=fs, output="sos"), x)
    assert _lag(x - x.mean(), one_way, 50) != 0  # the paper's one-way filtering does shift waves


def test_bandpass_removes_baseline_wander_and_is_designed_at_the_real_rate(lead_ii):
    x, fs = lead_ii
    t = np.arange(len(x)) / fs
    wander = 0.8 * np.sin(2 * np.pi * 0.2 * t)
    cleaned = butter_bandpass(x + wander, fs)
    assert np.abs(cleaned - butter_bandpass(x, fs)).max() < 0.1
    with pytest.raises(ConfigError, match="Nyquist"):
        butter_bandpass(x[:100], 75.0)  # 45 Hz cannot be designed at 75 Hz


def test_resampling_keeps_duration_and_waveform(lead_ii):
    x, fs = lead_ii
    for target in (100.0, 75.0, 250.0):
        y = resample(x, fs, target)
        assert len(y) / target == pytest.approx(len(x) / fs, abs=1 / target)
    down = resample(x, fs, 100.0)
    t_r = np.argmax(x[500:1500]) / fs
    assert abs(np.argmax(down[100:300]) / 100.0 - t_r) <= 0.011


def test_normalisations_match_their_definitions(rng=np.random.default_rng(0)):
    x = rng.normal(0.3, 2.0, size=(3, 500)).astype(np.float32)
    z = normalize(x, "zscore")
    np.testing.assert_allclose(z.mean(1), 0, atol=1e-5)
    np.testing.assert_allclose(z.std(1), 1, atol=1e-5)
    m = normalize(x, "minmax")
    np.testing.assert_allclose(m.min(1), 0, atol=1e-6)
    np.testing.assert_allclose(m.max(1), 1, atol=1e-6)
    r = normalize(x, "rscale")
    q1, med, q3 = np.percentile(r, [25, 50, 75], axis=1)
    np.testing.assert_allclose(med, 0, atol=1e-5)
    np.testing.assert_allclose(q3 - q1, 1, atol=1e-5)
    np.testing.assert_allclose(normalize(x, "logscale"), np.sign(x) * np.log1p(np.abs(x)), rtol=1e-6)
    np.testing.assert_allclose(np.linalg.norm(normalize(x, "l2"), axis=1), 1, atol=1e-5)
    flat = np.zeros((1, 100), np.float32)
    for method in ("zscore", "minmax", "rscale", "l2"):
        assert np.array_equal(normalize(flat, method), flat)
    with pytest.raises(ConfigError):
        normalize(x, "unknown")


def test_windows_crop_pad_and_cover():
    x = np.arange(10, dtype=np.float32)[None, :]
    assert fit_length(x, 4).tolist() == [[3, 4, 5, 6]]
    assert fit_length(x, 12)[0, 10:].tolist() == [0, 0]
    crop = random_crop(x, 4, np.random.default_rng(0))
    assert crop.shape == (1, 4) and crop[0, 1] - crop[0, 0] == 1
    assert window_starts(10, 4, 3) == [0, 3, 6]
    assert window_starts(11, 4, 3) == [0, 3, 6, 7]
    assert sliding_windows(x, 4, 3).shape == (3, 1, 4)


def test_pipeline_round_trips_as_data_and_refuses_records_missing_leads(shared_data):
    pipeline = Pipeline.default(fs=100, normalization="l2")
    assert Pipeline.from_dict(pipeline.to_dict()) == pipeline
    assert Pipeline.from_dict(pipeline.to_dict()).digest() == pipeline.digest()
    with pytest.raises(ConfigError):
        Pipeline.from_dict({"steps": [{"step": "teleport"}]})
    mitbih = read_record(shared_data / "formats/100")
    with pytest.raises(RecordError, match="missing lead"):
        pipeline.apply(mitbih)
    out = Pipeline.default(fs=100, leads=("V5",)).apply(mitbih)
    assert out.shape == (1, 180556)  # 650000 samples at 360 Hz = 1805.56 s
