"""The contract every classifier in the registry follows.

A model maps ``x: [batch, leads, samples]`` (float32) to logits ``[batch, n_classes]`` and is split into
``features(x) -> [batch, feature_dim]`` and a final linear ``classifier``. The split is what transfer
learning needs: fine-tuning replaces ``classifier`` and may freeze everything else.
"""

from __future__ import annotations

import torch
from torch import nn


class ECGModel(nn.Module):
    """Base class: subclasses build ``self.classifier = nn.Linear(feature_dim, n_classes)`` and ``features``.

    ``min_length`` is the shortest input (samples) the architecture accepts; any lead count >= 1 works.
    """

    min_length: int = 64
    #: What the outputs are: ``"classification"`` (logits per record) or ``"segmentation"`` (per sample).
    task: str = "classification"

    def __init__(self, n_leads: int, n_classes: int):
        super().__init__()
        if n_leads < 1 or n_classes < 1:
            raise ValueError(f"need n_leads >= 1 and n_classes >= 1, got {n_leads}, {n_classes}")
        self.n_leads = n_leads
        self.n_classes = n_classes
        self.classifier: nn.Linear

    def features(self, x: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.features(x))

    def replace_head(self, n_classes: int) -> None:
        """A fresh classifier for a new label set (transfer learning)."""
        old = self.classifier.weight
        self.classifier = nn.Linear(self.classifier.in_features, n_classes, device=old.device, dtype=old.dtype)
        self.n_classes = n_classes

    def backbone_parameters(self):
        """Every parameter except the classifier's."""
        head = {id(p) for p in self.classifier.parameters()}
        return [p for p in self.parameters() if id(p) not in head]
