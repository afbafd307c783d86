"""``python -m training``: JSON-lines progress, one-line errors with exit code 2, evaluate and predict."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from fit_helpers import tiny_config
from training.cli import main
from training.config import RunConfig, load_config, save_config

REPO = Path(__file__).resolve().parent.parent


def _cli(*args: str, env_cache: Path) -> subprocess.CompletedProcess:
    env = {"ECGSTUDIO_CACHE": str(env_cache), "PATH": "/usr/bin:/bin", "PYTHONPATH": str(REPO),
           "OMP_NUM_THREADS": "1"}  # a tiny model: one thread is faster and does not thrash on shared cores
    return subprocess.run([sys.executable, "-m", "training", *args], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def trained(ptbxl_root, tmp_path_factory):
    """One tiny real model trained through the CLI with ``--progress jsonl``."""
    tmp = tmp_path_factory.mktemp("cli")
    config_path = tmp / "tiny.toml"
    save_config(tiny_config(ptbxl_root, tmp / "runs", train={"epochs": 2, "batch_size": 64, "patience": 0}),
                config_path)
    proc = _cli("fit", "--config", str(config_path), "--progress", "jsonl", env_cache=tmp / "cache")
    return tmp, proc


def test_fit_with_jsonl_progress_emits_parseable_lines_ending_in_done(trained):
    tmp, proc = trained
    assert proc.returncode == 0, proc.stderr
    events = [json.loads(line) for line in proc.stdout.splitlines()]
    kinds = [e["type"] for e in events]
    assert kinds[0] == "start" and kinds[-1] == "done"
    assert kinds.count("epoch") == 2 and "step" in kinds and kinds.count("metrics") == 1
    epoch = next(e for e in events if e["type"] == "epoch")
    assert {"train_loss", "val_loss", "val_auroc_macro", "best_epoch"} <= set(epoch)
    metrics = next(e for e in events if e["type"] == "metrics")
    assert set(metrics["test"]["per_class"]) == {"NORM", "MI", "STTC", "CD", "HYP"}
    assert Path(events[-1]["model"]).is_file()


def test_evaluate_and_predict_a_trained_model(trained, ptbxl_root):
    tmp, proc = trained
    model = json.loads(proc.stdout.splitlines()[-1])["model"]
    ev = _cli("evaluate", "--model", model, "--split", "test", "--progress", "jsonl", env_cache=tmp / "cache")
    assert ev.returncode == 0, ev.stderr
    scored = json.loads(ev.stdout.splitlines()[0])["test"]["summary"]
    fit_metrics = next(json.loads(line) for line in proc.stdout.splitlines() if '"metrics"' in line)
    assert scored["auroc_macro"] == pytest.approx(fit_metrics["test"]["summary"]["auroc_macro"])
    record = next((ptbxl_root / "records100").rglob("*.hea"))
    pr = _cli("predict", "--model", model, str(record), env_cache=tmp / "cache")
    assert pr.returncode == 0, pr.stderr
    lines = pr.stdout.splitlines()[:5]
    assert [line.split()[0] for line in lines] == ["NORM", "MI", "STTC", "CD", "HYP"]
    assert all(0.0 <= float(line.split()[1]) <= 1.0 for line in lines)


@pytest.mark.parametrize("text, key", [
    ('name = "x"\n[optim]\nlr = -1.0\n[data]\npath = "/tmp"\n', "optim.lr"),
    ('name = "x"\n[data]\npath = "/tmp"\nsecnds = 4\n', "data.secnds"),
    ('name = "x"\n[data]\npath = "/tmp"\n[[augment]]\nname = "twirl"\n', "augment[0].name"),
    ("name = [", "not valid TOML"),
])
def test_a_bad_config_exits_2_with_one_line_naming_the_key(tmp_path, capsys, text, key):
    path = tmp_path / "bad.toml"
    path.write_text(text)
    assert main(["fit", "--config", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("error: ") and key in err


def test_errors_in_a_real_process_are_one_line_without_traceback(tmp_path):
    """The process as a parent (the GUI) sees it: exit code 2, one stderr line, an error event on stdout."""
    proc = _cli("predict", "--model", str(tmp_path / "nope"), str(tmp_path / "rec.hea"), "--progress", "jsonl",
                env_cache=tmp_path / "c")
    assert proc.returncode == 2 and proc.stderr.startswith("error: ") and proc.stderr.count("\n") == 1
    assert "nope.json" in proc.stderr and "Traceback" not in proc.stderr
    assert json.loads(proc.stdout)["type"] == "error"


def test_config_round_trips_through_toml_and_json(tmp_path):
    config = load_config(REPO / "configs" / "ptbxl_resnet1d18.toml")
    for suffix in (".toml", ".json"):
        save_config(config, tmp_path / f"c{suffix}")
        assert load_config(tmp_path / f"c{suffix}") == config
    assert RunConfig.from_dict(config.to_dict()) == config
