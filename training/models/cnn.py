"""Plain convolutional baselines of paper 000 (sect. 3.3): AlexNet and VGG11 with batch norm, in 1-D.

Both originals end in two 4096-unit fully connected layers over a fixed-size feature map. Here the
feature map is averaged over time first (so any input length works) and the two hidden layers have
``8 * width`` units (512 by default): the 4096-unit layers would hold ~20 M parameters on their own,
far beyond the size budget of a model shipped with the app.
"""

from __future__ import annotations

import torch
from torch import nn

from training.models.contract import ZooModel, check_fraction, check_int
from training.models.layers import PoolHead, conv_bn_act
from training.models.registry import register_model


class _PlainCNN(ZooModel):
    """Conv feature stack -> average over time -> dropout -> two hidden FC layers (Linear-ReLU-Dropout-
    Linear-ReLU, the AlexNet/VGG classifier layout) -> the classifier. Subclasses give the conv stack."""

    arch = ""

    def __init__(self, n_leads: int, n_classes: int, width: int, dropout: float):
        super().__init__(self.arch, n_leads, n_classes)
        width = check_int(self.arch, "width", width)
        dropout = check_fraction(self.arch, "dropout", dropout)
        self.conv, channels = self._conv_stack(n_leads, width)
        hidden = 8 * width
        self.head = PoolHead(channels, dropout)
        self.fc = nn.Sequential(nn.Linear(channels, hidden), nn.ReLU(inplace=True), nn.Dropout(dropout),
                                nn.Linear(hidden, hidden), nn.ReLU(inplace=True))
        self.classifier = nn.Linear(hidden, n_classes)

    def _conv_stack(self, n_leads: int, width: int) -> tuple[nn.Module, int]:
        """The convolutional part and its output channel count."""
        raise NotImplementedError

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(self.head(self.conv(x)))


@register_model("alexnet1d")
class AlexNet1d(_PlainCNN):
    """AlexNet (Krizhevsky et al.) in 1-D, paper 000's baseline CNN (sect. 3.3).

    Five convs of widths (1, 3, 6, 4, 4) x ``width`` (64, 192, 384, 256, 256 as the original), kernels
    11 (stride 4), 5, 3, 3, 3, unpadded 3-wide stride-2 max-pools, no batch norm, dropout 0.5.
    Deviations: global average pooling and 8*width-unit hidden layers (see module docstring).
    ``min_length`` 63 is the hard minimum: the three unpadded pools need 15 positions after the stem.
    """

    arch = "alexnet1d"
    min_length = 63

    def __init__(self, n_leads: int, n_classes: int, width: int = 64, dropout: float = 0.5):
        super().__init__(n_leads, n_classes, width, dropout)

    def _conv_stack(self, n_leads: int, width: int) -> tuple[nn.Module, int]:
        w = width
        return nn.Sequential(
            nn.Conv1d(n_leads, w, 11, stride=4, padding=2), nn.ReLU(inplace=True), nn.MaxPool1d(3, 2),
            nn.Conv1d(w, 3 * w, 5, padding=2), nn.ReLU(inplace=True), nn.MaxPool1d(3, 2),
            nn.Conv1d(3 * w, 6 * w, 3, padding=1), nn.ReLU(inplace=True),
            nn.Conv1d(6 * w, 4 * w, 3, padding=1), nn.ReLU(inplace=True),
            nn.Conv1d(4 * w, 4 * w, 3, padding=1), nn.ReLU(inplace=True), nn.MaxPool1d(3, 2),
        ), 4 * w


# VGG "A" configuration: channel multipliers of ``width`` per 3-wide conv, "M" = 2-wide stride-2 max-pool.
_VGG11 = (1, "M", 2, "M", 4, 4, "M", 8, 8, "M", 8, 8, "M")


@register_model("vgg11_bn1d")
class VGG11bn1d(_PlainCNN):
    """VGG11 with batch norm (Simonyan & Zisserman, config A) in 1-D, paper 000 sect. 3.3.

    Eight 3-wide conv-BN-ReLU layers of 64..512 channels (``width`` = 64) and five max-pools, dropout 0.5.
    Deviations: global average pooling and 8*width-unit hidden layers (see module docstring).
    ``min_length`` 32 is the hard minimum: five unpadded halvings.
    """

    arch = "vgg11_bn1d"
    min_length = 32

    def __init__(self, n_leads: int, n_classes: int, width: int = 64, dropout: float = 0.5):
        super().__init__(n_leads, n_classes, width, dropout)

    def _conv_stack(self, n_leads: int, width: int) -> tuple[nn.Module, int]:
        layers: list[nn.Module] = []
        channels = n_leads
        for item in _VGG11:
            if item == "M":
                layers.append(nn.MaxPool1d(2, 2))
            else:
                layers.append(conv_bn_act(channels, item * width, 3))
                channels = item * width
        return nn.Sequential(*layers), channels
