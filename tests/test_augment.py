"""Augmentations on a real record: what each step does, probabilities, determinism, config as data."""

from __future__ import annotations

import numpy as np
import pytest

from training.augment import AUGMENTATIONS, build_augmentations
from training.data import read_record
from training.errors import ConfigError
from training.signal import Pipeline
from training.signal.windows import fit_length


@pytest.fixture(scope="module")
def x(ptbxl_root) -> np.ndarray:
    record = read_record(ptbxl_root / "records100" / "00000" / "00001_lr")
    return fit_length(Pipeline.default(fs=100).apply(record), 800).copy()


def _one(name: str, **options):
    return build_augmentations([{"name": name, "p": 1.0, **options}])


def test_every_step_keeps_shape_and_dtype_is_seeded_and_p0_is_identity(x):
    assert set(AUGMENTATIONS) == {"polarity_inversion", "time_reversal", "random_drop", "lead_drop", "square_pulse",
                                  "sine_sum", "gaussian_noise", "baseline_wander"}
    for name in AUGMENTATIONS:
        step = _one(name, strength=0.3)
        a, b = step(x, np.random.default_rng(5)), step(x, np.random.default_rng(5))
        assert a.shape == x.shape and a.dtype == np.float32 and np.isfinite(a).all(), name
        assert np.array_equal(a, b), name
        assert not np.array_equal(a, x), name
        off = build_augmentations([{"name": name, "p": 0.0}])
        assert np.array_equal(off(x, np.random.default_rng(5)), x), name


def test_steps_do_what_they_say(x):
    rng = np.random.default_rng(0)
    sigma = x.std()
    assert np.array_equal(_one("polarity_inversion")(x, rng), -x)
    dropped = _one("random_drop", strength=0.5)(x, rng)
    zero_columns = np.all(dropped == 0, axis=0).mean()
    assert 0.4 < zero_columns < 0.6
    one_lead = _one("lead_drop", strength=1.0)(x, rng)
    assert np.sum(np.any(one_lead != 0, axis=1)) == 1
    noise = _one("gaussian_noise", strength=0.1)(x, rng) - x
    assert noise.std() == pytest.approx(0.1 * sigma, rel=0.05)
    wander = (_one("baseline_wander", strength=0.5)(x, rng) - x)[0]
    assert np.abs(wander).max() <= 0.5 * sigma + 1e-5
    assert np.argmax(np.abs(np.fft.rfft(wander))) == 1  # one cycle over the window
    pulse = (_one("square_pulse", strength=0.5)(x, rng) - x)[0]
    assert len(np.unique(np.round(np.abs(pulse), 5))) <= 2  # a square wave: +-a (and 0 at crossings)
    sines = _one("sine_sum", strength=0.2, n_waves=3)(x, rng) - x
    assert np.abs(sines).max() <= 3 * 0.2 * sigma + 1e-5
    assert np.allclose(sines, sines[0], atol=1e-5)  # the same waves on every lead


def test_probability_is_respected(x):
    step = build_augmentations([{"name": "polarity_inversion", "p": 0.3}])
    rng = np.random.default_rng(1)
    flipped = sum(np.array_equal(step(x, rng), -x) for _ in range(400))
    assert 80 < flipped < 160


def test_config_as_data_round_trips_and_errors_name_the_step():
    specs = [{"name": "polarity_inversion", "p": 0.5}, {"name": "sine_sum", "p": 0.2, "strength": 0.1, "cycles": [2, 20]}]
    composed = build_augmentations(specs)
    assert build_augmentations(composed.to_list()) == composed
    assert composed.steps[1].cycles == (2, 20)
    with pytest.raises(ConfigError, match=r"augment\[0\]\.name"):
        build_augmentations([{"name": "twirl"}])
    with pytest.raises(ConfigError, match=r"augment\.polarity_inversion\.p"):
        build_augmentations([{"name": "polarity_inversion", "p": 2.0}])
    with pytest.raises(ConfigError, match=r"augment\[0\]"):
        build_augmentations([{"name": "polarity_inversion", "amount": 1}])


def test_polarity_inversion_and_time_reversal_are_named_for_what_they_do(x):
    rng = np.random.default_rng(0)
    assert np.array_equal(_one("polarity_inversion")(x, rng), -x)
    assert np.array_equal(_one("time_reversal")(x, rng), x[:, ::-1])
    with pytest.raises(ConfigError, match="'flip' is now 'polarity_inversion'.*not time reversal"):
        build_augmentations([{"name": "flip", "p": 0.2}])


def test_shipped_configs_do_not_invert_polarity_by_default():
    from pathlib import Path

    from training.config import load_config
    for path in sorted((Path(__file__).resolve().parent.parent / "configs").glob("*.toml")):
        names = [step["name"] for step in load_config(path).augment]
        assert "polarity_inversion" not in names and "time_reversal" not in names, path.name
