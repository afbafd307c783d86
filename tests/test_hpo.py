"""Optuna search on real PTB-XL records: a SQLite study, resumed, with the best trial exported as a config."""

from __future__ import annotations

import json
from pathlib import Path

import optuna
import pytest

from training.cli import main
from training.config import load_config, save_config
from training.errors import ConfigError
from training.hpo import Param, apply_params, load_space, run_study, search_space
from tests.fit_helpers import tiny_config


def test_study_resumes_and_exports_a_loadable_best_config(ptbxl_root, tmp_path, capsys):
    base = tiny_config(ptbxl_root, tmp_path / "runs", name="tiny_hpo",
                       augment=[{"name": "gaussian_noise", "p": 0.5, "strength": 0.05}])
    space = {"model.options.width": Param(choices=(4,)), "train.batch_size": Param(choices=(64,))}
    storage = f"sqlite:///{tmp_path / 'study.sqlite3'}"
    lines = []
    first = run_study(base, 2, storage, "s", lines.append, overrides=space)
    assert [t["number"] for t in lines] == [0, 1] and all(t.type == "trial" for t in lines)
    assert {t["state"] for t in lines} <= {"COMPLETE", "PRUNED", "FAIL"}

    config_path, space_path = tmp_path / "base.toml", tmp_path / "space.toml"
    save_config(base, config_path)
    space_path.write_text('"model.options.width" = [4]\n"train.batch_size" = [64]\n')
    code = main(["hpo", "--config", str(config_path), "--trials", "1", "--storage", storage, "--study", "s",
                 "--space", str(space_path), "--progress", "jsonl"])
    assert code == 0
    events = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [e["type"] for e in events] == ["trial", "done"]
    assert events[0]["number"] == 2 and set(events[0]) == {"type", "number", "state", "value", "params"}
    assert events[0]["params"] != lines[0]["params"]  # the resumed sampler does not replay trial 0

    study = optuna.load_study(study_name="s", storage=storage)
    assert len(study.trials) == 3
    best_path = Path(events[1]["best_config"])
    assert best_path.is_file() and events[1]["best_value"] == study.best_value
    best = load_config(best_path)
    assert best.model.options["width"] == 4
    assert best.optim.lr == pytest.approx(study.best_params["optim.lr"])
    assert first.best_config == best_path


def test_search_space_follows_the_architecture_and_refuses_unknown_keys(ptbxl_root, tmp_path):
    base = tiny_config(ptbxl_root, tmp_path, model={"name": "inception1d", "options": {"width": 8}})
    space = search_space(base)
    assert {"model.options.depth", "loss.focal.gamma", "optim.lr", "train.batch_size"} <= set(space)
    with pytest.raises(ConfigError, match="space.model.options.hidden"):
        search_space(base, {"model.options.hidden": Param(choices=(64,))})
    bad = tmp_path / "bad.toml"
    bad.write_text('"optim.lr" = 0.1\n')
    with pytest.raises(ConfigError, match="space.optim.lr"):
        load_space(bad)
    tuned = apply_params(base, {"loss.name": "bce", "model.options.depth": 3, "optim.lr": 0.01})
    assert tuned.loss.name == "bce" and tuned.loss.options == {} and tuned.model.options["depth"] == 3
