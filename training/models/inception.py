"""Inception1d: the InceptionTime-style network of paper 003 (Singstad, Muten & Brekke).

Paper 003 shows its architecture only as a figure (absent from our text copy) of stacked Inception
blocks ending in global average pooling and a sigmoid output layer. We follow InceptionTime (Ismail
Fawaz et al., 2020), which that figure depicts: each module runs a 1-wide bottleneck, then 39-, 19- and
9-wide convs in parallel with a max-pool + 1-wide conv branch, concatenated, batch-normalised; a
shortcut is added around every three modules. The modules keep the time resolution they are given.
"""

from __future__ import annotations

import torch
from torch import nn

from training.models.contract import ZooModel, check_fraction, check_int
from training.models.layers import PoolHead, projection
from training.models.registry import register_model

KERNELS = (39, 19, 9)


class InceptionModule(nn.Module):
    """Bottleneck -> three parallel convs, plus max-pool -> 1-wide conv; 4 x ``filters`` channels out."""

    def __init__(self, in_channels: int, filters: int):
        super().__init__()
        self.bottleneck = nn.Conv1d(in_channels, filters, 1, bias=False)
        self.convs = nn.ModuleList(nn.Conv1d(filters, filters, k, padding=k // 2, bias=False) for k in KERNELS)
        self.pool_branch = nn.Sequential(nn.MaxPool1d(3, stride=1, padding=1),
                                         nn.Conv1d(in_channels, filters, 1, bias=False))
        self.out = nn.Sequential(nn.BatchNorm1d(4 * filters), nn.ReLU(inplace=True))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        squeezed = self.bottleneck(x)
        branches = [conv(squeezed) for conv in self.convs] + [self.pool_branch(x)]
        return self.out(torch.cat(branches, dim=1))


@register_model("inception1d")
class Inception1d(ZooModel):
    """Inception1d of paper 003 ("CNN architectures", fig. 2), as InceptionTime (see module docstring).

    ``depth`` 6 modules of ``width`` filters per branch (4 x width channels), a shortcut (1-wide conv + BN
    where channels change) every 3 modules, global average pooling.

    Deviations, both for CPU training (InceptionTime's full size, ``width=32, downsample=1``, takes
    ~1.5 s per step of 32 x 12 x 1000 samples here; the defaults ~0.3 s): ``width`` 16 filters per branch
    instead of 32, and the input is first averaged over ``downsample`` (2) samples, taking 100 Hz records
    to 50 Hz, a rate paper 003 tested (fig. 3, "Discussion": scores rise as the rate falls from 500 Hz and
    plateau below 100 Hz, with no significant difference among 25, 50 and 75 Hz). The
    bottleneck is used on the first module too (InceptionTime skips it for single-channel input); dropout
    on the pooled features is ours (default off). ``min_length`` is the widest kernel (39) times
    ``downsample``: shorter inputs leave the long filters looking mostly at padding.
    """

    def __init__(self, n_leads: int, n_classes: int, width: int = 16, depth: int = 6, downsample: int = 2,
                 dropout: float = 0.0):
        arch = "inception1d"
        super().__init__(arch, n_leads, n_classes)
        width = check_int(arch, "width", width)
        depth = check_int(arch, "depth", depth)
        downsample = check_int(arch, "downsample", downsample)
        dropout = check_fraction(arch, "dropout", dropout)
        self.min_length = max(KERNELS) * downsample
        self.downsample = nn.AvgPool1d(downsample) if downsample > 1 else nn.Identity()
        channels = 4 * width
        self.blocks = nn.ModuleList(InceptionModule(n_leads if i == 0 else channels, width) for i in range(depth))
        # One shortcut per completed group of three modules, from the group's input to its output.
        self.shortcuts = nn.ModuleList(projection(n_leads if g == 0 else channels, channels)
                                       for g in range(depth // 3))
        self.act = nn.ReLU(inplace=True)
        self.head = PoolHead(channels, dropout)
        self.classifier = nn.Linear(channels, n_classes)

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        x = self.downsample(x)
        residual = x
        for i, module in enumerate(self.blocks):
            x = module(x)
            if i % 3 == 2:
                x = self.act(x + self.shortcuts[i // 3](residual))
                residual = x
        return self.head(x)
