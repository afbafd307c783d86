"""Building blocks shared by the zoo: conv units, a downsampling stem, the pooling head, positional
encoding and a transformer-encoder stack.

Tensors between blocks are channels-first ``[batch, channels, time]`` like ``nn.Conv1d``; sequence blocks
transpose internally. Each front end (stem or backbone) exposes ``out_channels`` and ``stride`` so the
models built on it can size their sequence part and state an honest ``min_length``.
"""

from __future__ import annotations

import math
from typing import Callable

import torch
from torch import nn

# Builds a front end from (n_leads, width); the module has ``out_channels`` and ``stride`` attributes.
FrontEnd = Callable[[int, int], nn.Module]


def conv_bn_act(in_channels: int, out_channels: int, kernel: int, stride: int = 1) -> nn.Sequential:
    """Conv (no bias: BatchNorm supplies it) -> BatchNorm -> ReLU, padded so only ``stride`` shrinks time."""
    return nn.Sequential(
        nn.Conv1d(in_channels, out_channels, kernel, stride=stride, padding=kernel // 2, bias=False),
        nn.BatchNorm1d(out_channels),
        nn.ReLU(inplace=True),
    )


def projection(in_channels: int, out_channels: int, stride: int = 1) -> nn.Module:
    """Residual shortcut: identity when shapes already match, else a strided 1x1 conv + BatchNorm."""
    if in_channels == out_channels and stride == 1:
        return nn.Identity()
    return nn.Sequential(nn.Conv1d(in_channels, out_channels, 1, stride=stride, bias=False),
                         nn.BatchNorm1d(out_channels))


class ConvStem(nn.Sequential):
    """``len(strides)`` conv-BN-ReLU layers, each ``kernel`` wide: shortens the sequence by ``prod(strides)``
    before a recurrent or attention part, whose cost grows with sequence length."""

    def __init__(self, in_channels: int, out_channels: int, kernel: int, strides: tuple[int, ...]):
        channels = [in_channels] + [out_channels] * len(strides)
        super().__init__(*(conv_bn_act(c_in, c_out, kernel, s)
                           for c_in, c_out, s in zip(channels, channels[1:], strides)))
        self.out_channels = out_channels
        self.stride = math.prod(strides)


class PoolHead(nn.Module):
    """Global average over time, then dropout: the one pooling head of every model.

    Averaging over time is what lets every architecture take any input length; the dropout sits on the
    pooled features, right before the classifier that :class:`ECGModel` owns.
    """

    def __init__(self, channels: int, dropout: float):
        super().__init__()
        self.out_dim = channels
        self.dropout = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.dropout(x.mean(dim=-1))


def sinusoidal_positions(length: int, dim: int, device: torch.device | None = None) -> torch.Tensor:
    """``P[i, 2j] = sin(i / 10000^(2j/d))``, ``P[i, 2j+1] = cos(i / 10000^(2j/d))`` (paper 001, sect. 3.2).

    Computed for the actual length on every call, so no input is too long for a precomputed table.
    """
    position = torch.arange(length, dtype=torch.float32, device=device)[:, None]
    rate = torch.exp(torch.arange(0, dim, 2, dtype=torch.float32, device=device) * (-math.log(10000.0) / dim))
    table = torch.zeros(length, dim, device=device)
    table[:, 0::2] = torch.sin(position * rate)
    table[:, 1::2] = torch.cos(position * rate[: dim // 2])
    return table


class TransformerStack(nn.Module):
    """Sinusoidal positions added to ``[batch, dim, time]`` features, then post-norm encoder layers.

    Post-norm (Add & Norm after each sub-layer) is the layout paper 001 (sect. 3.3.2) and Vaswani et al.
    describe. The layers are built one by one rather than by ``nn.TransformerEncoder``, which deep-copies
    a single layer and so would start every layer from identical weights.
    """

    def __init__(self, dim: int, heads: int, layers: int, dropout: float, ff_mult: int = 4):
        super().__init__()
        self.layers = nn.ModuleList(
            nn.TransformerEncoderLayer(dim, heads, dim_feedforward=ff_mult * dim, dropout=dropout,
                                       batch_first=True)
            for _ in range(layers))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        seq = x.transpose(1, 2)
        seq = seq + sinusoidal_positions(seq.shape[1], seq.shape[2], seq.device).to(seq.dtype)
        for layer in self.layers:
            seq = layer(seq)
        return seq.transpose(1, 2)
