"""Reproducibility as documented: pinned threads, recorded environment, bit-identical reruns at that count."""

from __future__ import annotations

from pathlib import Path

import torch

from fit_helpers import tiny_config
from training.config import load_config
from training.fit import fit
from training.fit.device import seed_everything

REPO = Path(__file__).resolve().parent.parent


def documented_threads() -> int:
    """The thread count the bundled model's config (and docs/RESULTS.md) promise reproducibility at."""
    threads = load_config(REPO / "configs" / "bundled_ptbxl_superclass.toml").threads
    assert threads is not None, "the bundled config must pin its thread count"
    return threads


def test_seed_everything_pins_the_thread_count():
    before = torch.get_num_threads()
    try:
        seed_everything(0, True, threads=1)
        assert torch.get_num_threads() == 1
        seed_everything(0, True, threads=2)
        assert torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(before)


def test_same_config_at_the_documented_thread_count_gives_the_same_model_and_records_it(ptbxl_root, tmp_path):
    threads = documented_threads()
    before = torch.get_num_threads()
    try:
        torch.set_num_threads(2 if threads == 1 else 1)  # whatever the process had, the config decides
        cards = [fit(tiny_config(ptbxl_root, tmp_path / name, threads=threads,
                                 augment=[{"name": "gaussian_noise", "p": 0.5, "strength": 0.1}])).card
                 for name in ("a", "b")]
    finally:
        torch.set_num_threads(before)
    a, b = cards
    assert a.weights_sha256 == b.weights_sha256
    timing = {"data_wait_share"}  # wall-clock shares: the only thing a rerun may change
    assert [{k: v for k, v in e.items() if k not in timing} for e in a.history] == \
        [{k: v for k, v in e.items() if k not in timing} for e in b.history]
    assert a.metrics == b.metrics
    assert a.calibration["parameters"] == b.calibration["parameters"]
    env = a.environment
    assert env["torch_threads"] == threads and env["deterministic"] is True and env["device"] == "cpu"
    assert env["cpu"] and env["cpu_count"] >= 1
    assert a.versions["torch"] == torch.__version__ and a.config["threads"] == threads
