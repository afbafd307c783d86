"""What every zoo architecture enforces: valid options at construction, valid inputs at run time.

Options are checked before any layer is built so a bad value surfaces as a :class:`ConfigError` naming
the key (the GUI shows it next to the field) instead of a PyTorch assertion deep inside a layer. Inputs are
checked in :meth:`ZooModel.features` because both ``forward`` and feature extraction (transfer learning,
embeddings) go through it.
"""

from __future__ import annotations

import torch

from training.errors import ConfigError
from training.models.base import ECGModel


def check_int(arch: str, key: str, value: object, minimum: int = 1) -> int:
    """An integer option ``>= minimum`` (bools are refused: ``width=True`` is a mistake, not 1)."""
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ConfigError(f"model.{key}", f"{arch}: must be an integer >= {minimum}, got {value!r}")
    return value


def check_fraction(arch: str, key: str, value: object) -> float:
    """A probability in ``[0, 1)``, e.g. a dropout rate (1 would zero every activation)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0.0 <= value < 1.0:
        raise ConfigError(f"model.{key}", f"{arch}: must be a number in [0, 1), got {value!r}")
    return float(value)


def check_heads(arch: str, heads: object, dim: int) -> int:
    """Attention heads split the embedding evenly, so they must divide it."""
    heads = check_int(arch, "heads", heads)
    if dim % heads:
        raise ConfigError("model.heads", f"{arch}: {heads} heads do not divide the {dim}-d embedding")
    return heads


class ZooModel(ECGModel):
    """An :class:`ECGModel` that knows its registered name and rejects inputs it cannot use.

    Subclasses implement :meth:`encode` and set ``min_length`` (per instance when it depends on options).
    """

    def __init__(self, arch: str, n_leads: int, n_classes: int):
        check_int(arch, "n_leads", n_leads)
        check_int(arch, "n_classes", n_classes)
        super().__init__(n_leads, n_classes)
        self.arch = arch

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """``[batch, leads, samples] -> [batch, feature_dim]`` on an input already checked."""
        raise NotImplementedError

    def features(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() != 3 or x.shape[1] != self.n_leads:
            raise ValueError(f"{self.arch}: expected input [batch, {self.n_leads} leads, samples], "
                             f"got {list(x.shape)}")
        if x.shape[-1] < self.min_length:
            raise ValueError(f"{self.arch}: input has {x.shape[-1]} samples, "
                             f"fewer than its minimum of {self.min_length}")
        return self.encode(x)
