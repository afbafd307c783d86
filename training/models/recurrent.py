"""Recurrent models: the CRNNs of paper 000 and the plain LSTM / BiLSTM / GRU baselines of paper 002.

All share one shape: a convolutional front end that shortens the sequence, a stacked recurrent layer,
the outputs averaged over time (so any length works) and a linear classifier. The front end matters for
cost: a recurrent layer steps through time one position at a time, so 5000 raw samples would be 5000
sequential steps per batch.
"""

from __future__ import annotations

import torch
from torch import nn

from training.models.contract import ZooModel, check_fraction, check_int
from training.models.layers import ConvStem, FrontEnd, PoolHead
from training.models.registry import register_model
from training.models.resnet import resnet18_backbone


def baseline_stem(n_leads: int, width: int) -> ConvStem:
    """Three 7-wide stride-2 conv-BN-ReLU layers (total stride 8): 1000 samples -> 125 recurrent steps."""
    return ConvStem(n_leads, width, 7, (2, 2, 2))


class RecurrentNet(ZooModel):
    """Front end -> ``layers`` stacked LSTM/GRU of ``hidden`` units -> mean over time -> dropout.

    ``min_length`` is the front end's total stride: shorter inputs would give a single step made mostly
    of padding. ``dropout`` applies between recurrent layers and on the pooled features.
    """

    def __init__(self, arch: str, n_leads: int, n_classes: int, front: FrontEnd,
                 cell: type[nn.LSTM] | type[nn.GRU], bidirectional: bool, width: int, hidden: int, layers: int,
                 dropout: float):
        super().__init__(arch, n_leads, n_classes)
        width = check_int(arch, "width", width)
        hidden = check_int(arch, "hidden", hidden)
        layers = check_int(arch, "layers", layers)
        dropout = check_fraction(arch, "dropout", dropout)
        self.front = front(n_leads, width)
        # nn.LSTM/GRU only drop between layers and warn when asked to with a single layer.
        self.rnn = cell(self.front.out_channels, hidden, num_layers=layers, batch_first=True,
                        dropout=dropout if layers > 1 else 0.0, bidirectional=bidirectional)
        self.head = PoolHead(hidden * (2 if bidirectional else 1), dropout)
        self.classifier = nn.Linear(self.head.out_dim, n_classes)
        self.min_length = self.front.stride

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        steps, _ = self.rnn(self.front(x).transpose(1, 2))
        return self.head(steps.transpose(1, 2))


@register_model("crnn_lstm")
def crnn_lstm(n_leads: int, n_classes: int, width: int = 64, hidden: int = 256, layers: int = 2,
              dropout: float = 0.3) -> RecurrentNet:
    """CRNN_LSTM of paper 000 (sect. 3.3; configuration (b) in sect. 4): ResNet18 features, then a
    2-layer LSTM of 256 hidden units.

    The ResNet-18 front (``width`` 64 -> 512 channels, stride 32) is the one of ``resnet1d18``.
    Not stated in the paper, our choices: unidirectional, outputs averaged over time, dropout 0.3
    (paper 002's rate for recurrent nets).
    """
    return RecurrentNet("crnn_lstm", n_leads, n_classes, resnet18_backbone, nn.LSTM, False,
                        width, hidden, layers, dropout)


@register_model("crnn_gru")
def crnn_gru(n_leads: int, n_classes: int, width: int = 64, hidden: int = 256, layers: int = 2,
             dropout: float = 0.3) -> RecurrentNet:
    """CRNN_GRU of paper 000 (sect. 3.3; configuration (b) in sect. 4), its best model: ResNet18
    features, then a 2-layer GRU of 256 hidden units. Same choices as ``crnn_lstm``."""
    return RecurrentNet("crnn_gru", n_leads, n_classes, resnet18_backbone, nn.GRU, False,
                        width, hidden, layers, dropout)


@register_model("lstm")
def lstm(n_leads: int, n_classes: int, width: int = 64, hidden: int = 100, layers: int = 2,
         dropout: float = 0.3) -> RecurrentNet:
    """LSTM baseline of paper 002 ("Experiment settings: Pre-training"): hidden size 100, dropout 0.3.

    Deviations: a conv stem (``width`` channels, stride 8, see :func:`baseline_stem`) replaces feeding raw
    samples, so 1000-5000-sample inputs stay affordable; the paper does not give the layer count, we use 2
    so its dropout also acts between layers; outputs are averaged over time.
    """
    return RecurrentNet("lstm", n_leads, n_classes, baseline_stem, nn.LSTM, False, width, hidden, layers, dropout)


@register_model("bilstm")
def bilstm(n_leads: int, n_classes: int, width: int = 64, hidden: int = 100, layers: int = 2,
           dropout: float = 0.3) -> RecurrentNet:
    """Bidirectional LSTM baseline of paper 002: as ``lstm`` with both directions (2 x 100 features)."""
    return RecurrentNet("bilstm", n_leads, n_classes, baseline_stem, nn.LSTM, True, width, hidden, layers, dropout)


@register_model("gru")
def gru(n_leads: int, n_classes: int, width: int = 64, hidden: int = 100, layers: int = 2,
        dropout: float = 0.3) -> RecurrentNet:
    """GRU baseline of paper 002: as ``lstm`` with GRU cells."""
    return RecurrentNet("gru", n_leads, n_classes, baseline_stem, nn.GRU, False, width, hidden, layers, dropout)
