"""Run configuration: defaults, validation errors that name the key, TOML/JSON round trips."""

from __future__ import annotations

import pytest

from training.config import RunConfig, dumps_config, load_config, save_config
from training.errors import ConfigError

BASE = {"data": {"path": "/data/ptbxl"}}


def _with(**sections) -> dict:
    out = {k: dict(v) if isinstance(v, dict) else v for k, v in BASE.items()}
    for key, value in sections.items():
        out.setdefault(key, {}).update(value) if isinstance(value, dict) else out.__setitem__(key, value)
    return out


def test_defaults_follow_the_papers_and_fill_the_window_length():
    config = RunConfig.from_dict(BASE)
    assert config.loss.name == "focal" and config.optim.name == "adamw" and config.device == "auto"
    assert config.data.length == 1000 and config.data.leads[:3] == ["I", "II", "III"]


@pytest.mark.parametrize("data, key", [
    ({}, "data.path"),
    (_with(optim={"lr": 0}), "optim.lr"),
    (_with(optim={"lr": "fast"}), "optim.lr"),
    (_with(train={"batch_size": 0}), "train.batch_size"),
    (_with(train={"epochs": True}), "train.epochs"),
    (_with(train={"monitor": "auc"}), "train.monitor"),
    (_with(schedule={"name": "cosine"}), "schedule.name"),
    (_with(loss={"name": "dice"}), "loss.name"),
    (_with(data={"normalization": "max"}), "data.normalization"),
    (_with(data={"band": [45.0, 1.0]}), "data.band"),
    (_with(data={"leads": "I"}), "data.leads"),
    (_with(data={"record_fs": 250}), "data.record_fs"),
    (_with(device="gpu"), "device"),
    (_with(name="my run"), "name"),
    (_with(model={"nmae": "x"}), "model.nmae"),
    (_with(augment=[{"name": "polarity_inversion", "p": -1}]), "augment.polarity_inversion.p"),
    (_with(optimiser={}), "optimiser"),
])
def test_every_bad_value_is_a_config_error_naming_its_key(data, key):
    with pytest.raises(ConfigError) as info:
        RunConfig.from_dict(data)
    assert info.value.key == key


def test_round_trips_keep_everything_and_leave_out_none(tmp_path):
    config = RunConfig.from_dict(_with(optim={"grad_clip": 1.0}, data={"record_fs": 500, "band": []},
                                       model={"options": {"width": 8}}, augment=[{"name": "polarity_inversion", "p": 0.5}]))
    for suffix in (".toml", ".json"):
        save_config(config, tmp_path / f"run{suffix}")
        assert load_config(tmp_path / f"run{suffix}") == config
    default = RunConfig.from_dict(BASE)
    assert "grad_clip" not in dumps_config(default) and load_config_text(tmp_path, dumps_config(default)) == default


def load_config_text(tmp_path, text: str) -> RunConfig:
    path = tmp_path / "text.toml"
    path.write_text(text)
    return load_config(path)


def test_unreadable_files_are_config_errors(tmp_path):
    with pytest.raises(ConfigError, match="cannot read"):
        load_config(tmp_path / "missing.toml")
    (tmp_path / "bad.json").write_text("{")
    with pytest.raises(ConfigError, match="not valid JSON"):
        load_config(tmp_path / "bad.json")
