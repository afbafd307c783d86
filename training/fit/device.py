"""Where and how tensors are computed: device choice, mixed precision, reproducibility.

* ``auto`` picks CUDA, then Apple's MPS, then the CPU.
* Mixed precision is used on CUDA only (bfloat16 where supported, else float16 with loss scaling); CPU
  and MPS train in float32, where autocast brings little and costs reproducibility.
* Deterministic mode seeds every generator and makes PyTorch refuse non-deterministic kernels, so on
  the CPU the same seed, the same thread count and the same library versions give bit-identical
  weights (tests/test_reproducibility.py checks it at the thread count the docs use). Other CPUs or
  other versions may round differently: the card's ``environment`` says what a model was made with.
"""

from __future__ import annotations

import contextlib
import os
import platform
import random
from typing import Any

import numpy as np
import torch

from training.errors import ConfigError


def select_device(spec: str = "auto") -> torch.device:
    """The device named by ``spec`` ('auto', 'cpu', 'mps', 'cuda', 'cuda:N'), checked to exist."""
    if spec == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    try:
        device = torch.device(spec)
    except RuntimeError as exc:
        raise ConfigError("device", str(exc)) from None
    if device.type == "cuda" and (not torch.cuda.is_available() or (device.index or 0) >= torch.cuda.device_count()):
        count = torch.cuda.device_count()
        raise ConfigError("device", f"{spec} is not available on this machine (CUDA devices: {count})")
    if device.type == "mps" and not torch.backends.mps.is_available():
        raise ConfigError("device", "mps is not available on this machine")
    return device


def seed_everything(seed: int, deterministic: bool, threads: int | None = None) -> None:
    """Seed Python, NumPy and PyTorch, pin PyTorch's CPU threads, optionally forbid non-deterministic kernels.

    The thread count is part of the result on the CPU: a reduction split over 1 or 2 threads adds in
    another order, so 1-thread and 2-thread runs differ from the first epoch. ``threads`` pins it (None
    keeps PyTorch's current setting); :func:`run_environment` records what was used.
    """
    if threads is not None:
        if threads < 1:
            raise ConfigError("threads", f"must be >= 1, got {threads}")
        torch.set_num_threads(threads)
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)
    if deterministic:
        # cuBLAS needs this to be deterministic; harmless elsewhere.
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
    # warn_only: an op without a deterministic kernel (some CUDA ones) warns instead of failing the run.
    torch.use_deterministic_algorithms(deterministic, warn_only=True)
    torch.backends.cudnn.benchmark = not deterministic


class Precision:
    """Autocast context and gradient scaler for a device (a no-op pair off CUDA)."""

    def __init__(self, device: torch.device):
        self.device = device
        self.enabled = device.type == "cuda"
        self.dtype = torch.bfloat16 if self.enabled and torch.cuda.is_bf16_supported() else torch.float16
        self.scaler = torch.amp.GradScaler("cuda", enabled=self.enabled and self.dtype == torch.float16)

    def autocast(self) -> contextlib.AbstractContextManager:
        if not self.enabled:
            return contextlib.nullcontext()
        return torch.autocast(device_type="cuda", dtype=self.dtype)


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def run_environment(device: torch.device, deterministic: bool) -> dict[str, Any]:
    """What a run's numbers depend on besides its config: threads, device, hardware (the card's ``environment``)."""
    env: dict[str, Any] = {"torch_threads": torch.get_num_threads(), "torch_interop_threads": torch.get_num_interop_threads(),
                           "device": str(device), "deterministic": bool(deterministic), "cpu": _cpu_model(),
                           "cpu_count": os.cpu_count(), "machine": platform.machine(), "system": platform.system()}
    if device.type == "cuda":
        env["gpu"] = torch.cuda.get_device_name(device)
        env["cuda"] = torch.version.cuda
    return env
