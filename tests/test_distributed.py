"""Data-parallel training: a real 2-process ``torchrun`` run on the CPU (gloo), and the epoch sharding."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import torch

from training.checkpoint import load_model, read_tensor_file
from training.config import save_config
from training.fit.distributed import ShardedEpochSampler, World
from training.fit.sampling import EpochSampler
from tests.fit_helpers import tiny_config

REPO = Path(__file__).resolve().parent.parent


def test_shards_deal_the_epoch_order_to_the_ranks():
    whole = EpochSampler(11, seed=3)
    whole.set_epoch(2)
    order = list(whole)
    shards = [ShardedEpochSampler(11, 3, None, World(rank, 2)) for rank in range(2)]
    for shard in shards:
        shard.set_epoch(2)
    parts = [list(s) for s in shards]
    assert [len(p) for p in parts] == [6, 6] == [len(s) for s in shards]
    assert parts[0] == order[0::2] and parts[1] == order[1::2] + [order[0]]  # padded from the start


def test_torchrun_two_processes_train_and_save_once(ptbxl_root, tmp_path):
    config = tiny_config(ptbxl_root, tmp_path / "runs", name="ddp", train={"epochs": 1, "batch_size": 32})
    save_config(config, tmp_path / "ddp.toml")
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(REPO)}
    proc = subprocess.run([sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
                           "-m", "training", "fit", "--config", str(tmp_path / "ddp.toml"), "--progress", "jsonl"],
                          cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    events = [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")]
    kinds = [e["type"] for e in events]
    assert kinds.count("start") == 1 and kinds.count("done") == 1  # rank 0 alone reports
    start = next(e for e in events if e["type"] == "start")
    assert start["steps_per_epoch"] == 176 // 32  # each rank trains half of the 352 training records

    run_dir = tmp_path / "runs" / "ddp"
    model, card = load_model(run_dir / "ddp")
    meta = json.loads((run_dir / "checkpoint.json").read_text())
    tensors = read_tensor_file(run_dir / meta["tensors_file"], meta["tensors_sha256"])
    assert meta["progress"]["epoch"] == 1
    for key, value in model.state_dict().items():
        assert torch.equal(tensors[f"best.{key}"], value), key
    assert card.metrics["test"] is not None and len(card.thresholds) == 5
