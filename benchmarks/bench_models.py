"""Training-step speed of every zoo architecture on CPU (issue 4: the model zoo).

One step = forward + backward of a batch of 32 random 12-lead 10 s x 100 Hz inputs (1000 samples) at
the architecture's default size; the goal column marks the models expected to train on a laptop CPU.
Timed on one thread: on a shared machine multi-threaded steps swing several-fold with other load, and
one-thread numbers compare across machines (more cores divide them roughly by the core count).
"""

from __future__ import annotations

import torch

from benchmarks import Row, benchmark
from benchmarks.shared import best_of
from training.models import build_model, model_names

BATCH, LEADS, SAMPLES, CLASSES = 32, 12, 1000, 5
CPU_MODELS = {"resnet1d18", "crnn_gru", "inception1d", "cnn_te"}


@benchmark("model_forward")
def model_forward() -> list[Row]:
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        return [_time_step(name) for name in model_names()]
    finally:
        torch.set_num_threads(threads)


def _time_step(name: str) -> Row:
    torch.manual_seed(0)
    x = torch.randn(BATCH, LEADS, SAMPLES)
    model = build_model(name, LEADS, CLASSES).train()

    def step() -> None:
        model.zero_grad(set_to_none=True)
        model(x).sum().backward()

    step()  # warm-up: first calls pick kernels and allocate
    seconds = best_of(step)
    n_params = sum(p.numel() for p in model.parameters())
    return Row(f"{name} fwd+bwd", BATCH / seconds, "samples/s",
               goal=f">= {2 * BATCH} (step < 0.5 s)" if name in CPU_MODELS else "",
               note=f"{seconds * 1000:.0f} ms/step, {n_params / 1e6:.2f} M params, 1 thread")
