"""Resumable training checkpoints: ``checkpoint.json`` (the state) naming its tensors, ``checkpoint.<hash>.safetensors``.

Saved after every epoch as one unit (:func:`training.atomic.commit_blob`): the tensors go to a new file,
renaming the new ``checkpoint.json`` into place switches to it, and only then is the previous epoch's
tensor file removed, so a kill at any moment leaves a checkpoint that resumes. A checkpoint holds
the model, the best weights so far, the optimiser's moments, the schedule, the loss scaler, PyTorch's
RNG state (dropout) and the early-stopping bookkeeping. Batch order and crops are functions of
``(seed, epoch)``, so resuming after epoch ``k`` trains epoch ``k + 1`` exactly as an uninterrupted run.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import nn

from training.atomic import commit_blob
from training.checkpoint import ModelFileError, read_tensor_file, sha256, tensors_to_bytes
from training.errors import ConfigError
from training.fit.device import Precision
from training.fit.optim import Schedule

STATE_FORMAT = "ecgstudio-checkpoint/1"


@dataclass
class Progress:
    """Where a run stands: completed epochs, optimiser steps, and the early-stopping record."""

    epoch: int = 0
    step: int = 0
    best_value: float | None = None
    best_epoch: int = 0
    bad_epochs: int = 0
    history: list[dict[str, Any]] = field(default_factory=list)


def checkpoint_paths(run_dir: Path) -> tuple[Path, Path]:
    """``(tensors, state)``: the tensor file the state names (``checkpoint.safetensors`` if it names none)."""
    meta_path = run_dir / "checkpoint.json"
    try:
        name = json.loads(meta_path.read_text(encoding="utf-8")).get("tensors_file") or "checkpoint.safetensors"
    except (OSError, ValueError, AttributeError):
        name = "checkpoint.safetensors"
    return run_dir / Path(name).name, meta_path


def save_checkpoint(run_dir: Path, model: nn.Module, best: dict[str, torch.Tensor], optimizer: torch.optim.Optimizer,
                    schedule: Schedule, precision: Precision, progress: Progress, config: dict[str, Any]) -> None:
    tensors = {f"model.{k}": v for k, v in model.state_dict().items()}
    tensors.update({f"best.{k}": v for k, v in best.items()})
    optim_state = optimizer.state_dict()
    plain_state: dict[str, dict[str, Any]] = {}
    for idx, slots in optim_state["state"].items():
        for name, value in slots.items():
            if torch.is_tensor(value):
                tensors[f"optim.{idx}.{name}"] = value
            else:
                plain_state.setdefault(str(idx), {})[name] = value
    tensors["rng.torch"] = torch.get_rng_state()
    if torch.cuda.is_available():
        tensors.update({f"rng.cuda.{i}": s for i, s in enumerate(torch.cuda.get_rng_state_all())})
    blob = tensors_to_bytes(tensors)
    meta = {
        "format": STATE_FORMAT, "config": config, "progress": asdict(progress),
        "optim_param_groups": optim_state["param_groups"], "optim_plain_state": plain_state,
        "schedule": schedule.state_dict(), "scaler": precision.scaler.state_dict(), "tensors_sha256": sha256(blob),
    }
    commit_blob(run_dir, "checkpoint", blob, run_dir / "checkpoint.json",
                lambda name: json.dumps({**meta, "tensors_file": name}).encode("utf-8"))


def load_checkpoint(run_dir: Path, model: nn.Module, optimizer: torch.optim.Optimizer, schedule: Schedule,
                    precision: Precision, config: dict[str, Any]) -> tuple[dict[str, torch.Tensor], Progress]:
    """Restore everything :func:`save_checkpoint` wrote; returns ``(best weights, progress)``.

    A checkpoint made with another configuration is refused: resuming it would silently mix two runs.
    """
    weights_path, meta_path = checkpoint_paths(run_dir)
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise ModelFileError(meta_path, f"cannot read the checkpoint: {exc}") from None
    if not isinstance(meta, dict) or meta.get("format") != STATE_FORMAT:
        raise ModelFileError(meta_path, f"not an ECG Studio checkpoint (format {meta.get('format')!r})")
    if meta["config"] != config:
        changed = sorted(k for k in set(meta["config"]) | set(config) if meta["config"].get(k) != config.get(k))
        raise ConfigError("resume", f"{meta_path} was made with a different config (differs in: {', '.join(changed)})")
    tensors = read_tensor_file(weights_path, meta["tensors_sha256"])
    model.load_state_dict({k[6:]: v for k, v in tensors.items() if k.startswith("model.")})
    best = {k[5:]: v for k, v in tensors.items() if k.startswith("best.")}
    state: dict[int, dict[str, Any]] = {}
    for key, value in tensors.items():
        if key.startswith("optim."):
            _, idx, name = key.split(".", 2)
            state.setdefault(int(idx), {})[name] = value
    for idx, slots in meta["optim_plain_state"].items():
        state.setdefault(int(idx), {}).update(slots)
    optimizer.load_state_dict({"state": state, "param_groups": meta["optim_param_groups"]})
    schedule.load_state_dict(meta["schedule"])
    precision.scaler.load_state_dict(meta["scaler"])
    torch.set_rng_state(tensors["rng.torch"])
    cuda_keys = sorted((k for k in tensors if k.startswith("rng.cuda.")), key=lambda k: int(k.rsplit(".", 1)[1]))
    cuda_states = [tensors[k] for k in cuda_keys]
    if cuda_states and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(cuda_states)
    return best, Progress(**meta["progress"])
