"""Writers killed with SIGKILL at random moments, many times: no half-written model, checkpoint or cache
entry is ever picked up, the previous version survives until the new one is whole, ``.part`` leftovers are
cleaned by the next write (as are the tensor files of versions killed before their switch), resuming from a checkpoint works after every kill, and files get the umask's
permissions (a shared model folder stays group-readable).

The writer runs in a forked child (the parent already holds the blobs and objects it writes), so one
kill costs milliseconds and the test stays fast.
"""

from __future__ import annotations

import copy
import multiprocessing as mp
import os
import signal
import time
from pathlib import Path

import numpy as np
import pytest
import torch

from ecgstudio.paths import resources_dir
from training.checkpoint import load_card, tensors_to_bytes, verify_model, write_model_files
from training.config import ScheduleConfig
from training.data.cache import PreprocessedCache
from training.data.datasets import load_ptbxl
from training.fit.device import Precision
from training.fit.optim import Schedule
from training.fit.state import Progress, checkpoint_paths, load_checkpoint, save_checkpoint
from training.models import build_model
from training.signal import Pipeline

BUNDLED = resources_dir() / "models" / "ptbxl_superclass_resnet1d18"
KILLS = 30


def _kill_at_random_moments(target, args, rounds: int, max_delay: float, seed: int):
    """Run ``target(*args)`` in a forked child ``rounds`` times, SIGKILLing it after a random delay; yields each round."""
    ctx = mp.get_context("fork")
    rng = np.random.default_rng(seed)
    for round_ in range(rounds):
        child = ctx.Process(target=target, args=args, daemon=True)
        child.start()
        time.sleep(float(rng.uniform(0.0, max_delay)))
        os.kill(child.pid, signal.SIGKILL)
        child.join()
        yield round_


def _save_models_forever(card_path: Path, versions) -> None:
    while True:
        for blob, card in versions:
            write_model_files(card_path, blob, copy.deepcopy(card))


def _parts(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".part"))


@pytest.fixture
def umask_002():
    previous = os.umask(0o002)
    yield
    os.umask(previous)


def test_killed_model_saves_always_leave_a_whole_model(tmp_path, umask_002):
    card = load_card(BUNDLED)  # the bundled card, for a narrow version of its model (fast to hash and check)
    card.model_options = {"width": 4}
    model = build_model(card.architecture, card.n_leads, len(card.classes), **card.model_options)
    first = tensors_to_bytes(model.state_dict())
    with torch.no_grad():
        model.classifier.bias += 1.0
    second = tensors_to_bytes(model.state_dict())
    versions = [(first, card), (second, card)]
    card_path = tmp_path / "m.json"
    write_model_files(card_path, first, copy.deepcopy(card))
    seen = set()
    for _ in _kill_at_random_moments(_save_models_forever, (card_path, versions), KILLS, 0.25, seed=1):
        loaded, _ = verify_model(card_path)  # never a half model: card, hash, shapes and values all check
        seen.add(loaded.weights_sha256)
    assert len(seen) == 2, "the kills landed while each version was being written"
    write_model_files(card_path, second, copy.deepcopy(card))
    assert _parts(tmp_path) == [] and len(list(tmp_path.glob("m.*.safetensors"))) == 1
    for path in tmp_path.iterdir():
        assert path.stat().st_mode & 0o777 == 0o664, path


def _checkpoint_state(seed: int):
    torch.manual_seed(seed)
    model = build_model("resnet1d18", 12, 5, width=4)
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3)
    model(torch.randn(2, 12, 250)).sum().backward()
    optimizer.step()
    schedule = Schedule(optimizer, ScheduleConfig(), 3, 10, False)
    return model, optimizer, schedule, Precision(torch.device("cpu"))


def _save_checkpoints_forever(run_dir: Path, config: dict, state) -> None:
    model, optimizer, schedule, precision = state  # built by the parent: the forked child only writes
    epoch = 0
    while True:
        epoch += 1
        with torch.no_grad():
            next(model.parameters()).add_(1.0)
        save_checkpoint(run_dir, model, _copy_state(model), optimizer, schedule, precision,
                        Progress(epoch=epoch, step=10 * epoch), config)


def _copy_state(model) -> dict:
    return {k: v.clone() for k, v in model.state_dict().items()}


def test_killed_checkpoint_saves_always_resume(tmp_path):
    config = {"name": "kill-test"}
    state = _checkpoint_state(0)
    model, optimizer, schedule, precision = state
    save_checkpoint(tmp_path, model, _copy_state(model), optimizer, schedule, precision, Progress(), config)
    initial = next(iter(model.state_dict().values())).clone()
    epochs = set()
    fresh = _checkpoint_state(1)  # what a resuming run builds, overwritten by every load
    for _ in _kill_at_random_moments(_save_checkpoints_forever, (tmp_path, config, state), KILLS // 2, 0.4,
                                     seed=2):
        best, progress = load_checkpoint(tmp_path, fresh[0], fresh[1], fresh[2], fresh[3], config)
        name, first = next(iter(fresh[0].state_dict().items()))
        assert torch.equal(first, best[name]), "model and best weights come from the same save"
        torch.testing.assert_close(first, initial + progress.epoch, rtol=0, atol=1e-4)  # and from one epoch
        epochs.add(progress.epoch)
    assert len(epochs) > 2, "the kills landed at different epochs"
    save_checkpoint(tmp_path, model, _copy_state(model), optimizer, schedule, precision, Progress(), config)
    assert _parts(tmp_path) == [] and [checkpoint_paths(tmp_path)[0]] == list(tmp_path.glob("checkpoint*.safetensors"))


def _build_cache_forever(index, pipeline, folder: Path) -> None:
    while True:
        for p in folder.glob("*.json"):
            p.unlink()
        PreprocessedCache(index, pipeline, folder)


def test_killed_cache_builds_are_never_picked_up_half_written(ptbxl_root, tmp_path):
    index = load_ptbxl(ptbxl_root).subset("test")
    index = type(index)(index.name, index.root, index.label_set, index.paths[:12], index.patients[:12],
                        index.targets[:12], index.split[:12])
    pipeline = Pipeline.default(fs=100)
    expected = PreprocessedCache(index, pipeline, tmp_path / "reference")
    folder = tmp_path / "cache"
    for _ in _kill_at_random_moments(_build_cache_forever, (index, pipeline, folder), 12, 0.4, seed=3):
        cache = PreprocessedCache(index, pipeline, folder)  # complete, or rebuilt now: never a torn one
        for i in (0, 5, 11):
            np.testing.assert_array_equal(cache[i], expected[i])
    assert _parts(folder) == []
