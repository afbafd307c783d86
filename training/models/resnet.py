"""1-D ResNets (paper 002) and the ResNet-18 backbone that the CRNNs, AttResNet, ResTransformer and
CNN-TE put in front of their sequence part.

The 2-D design of He et al. carries over with each k x k kernel made a length-k 1-D kernel: a 7-wide
stride-2 stem conv, a stride-2 max-pool, then four stages (the last three halve time), so the backbone's
total stride is 32 and its last stage has ``8 * width`` channels (x4 with bottleneck blocks).
"""

from __future__ import annotations

import torch
from torch import nn

from training.models.contract import ZooModel, check_fraction, check_int
from training.models.layers import PoolHead, conv_bn_act, projection
from training.models.registry import register_model


class BasicBlock(nn.Module):
    """Two 3-wide convs with an additive shortcut (ResNet-18/34)."""

    expansion = 1

    def __init__(self, in_channels: int, channels: int, stride: int):
        super().__init__()
        self.body = nn.Sequential(
            conv_bn_act(in_channels, channels, 3, stride),
            nn.Conv1d(channels, channels, 3, padding=1, bias=False),
            nn.BatchNorm1d(channels),
        )
        self.shortcut = projection(in_channels, channels, stride)
        self.act = nn.ReLU(inplace=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.act(self.body(x) + self.shortcut(x))


class Bottleneck(nn.Module):
    """1-wide reduce, 3-wide (strided) conv, 1-wide expand x4, additive shortcut (ResNet-50/101)."""

    expansion = 4

    def __init__(self, in_channels: int, channels: int, stride: int):
        super().__init__()
        out = channels * self.expansion
        self.body = nn.Sequential(
            conv_bn_act(in_channels, channels, 1),
            conv_bn_act(channels, channels, 3, stride),
            nn.Conv1d(channels, out, 1, bias=False),
            nn.BatchNorm1d(out),
        )
        self.shortcut = projection(in_channels, out, stride)
        self.act = nn.ReLU(inplace=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.act(self.body(x) + self.shortcut(x))


class ResNetBackbone(nn.Sequential):
    """Stem + four residual stages: ``[batch, leads, T] -> [batch, out_channels, ceil(T / 32)]``."""

    stride = 32

    def __init__(self, in_channels: int, block: type[BasicBlock] | type[Bottleneck],
                 layers: tuple[int, int, int, int], width: int):
        modules: list[nn.Module] = [conv_bn_act(in_channels, width, 7, stride=2),
                                    nn.MaxPool1d(3, stride=2, padding=1)]
        channels = width
        for stage, n_blocks in enumerate(layers):
            planes = width * 2 ** stage
            for i in range(n_blocks):
                modules.append(block(channels, planes, 2 if stage > 0 and i == 0 else 1))
                channels = planes * block.expansion
        super().__init__(*modules)
        self.out_channels = channels


def resnet18_backbone(n_leads: int, width: int) -> ResNetBackbone:
    """The ResNet-18 feature extractor paper 000 builds its CRNN, AttResNet and ResTransformer on."""
    return ResNetBackbone(n_leads, BasicBlock, (2, 2, 2, 2), width)


class ResNet1d(ZooModel):
    """A residual backbone, global average pooling, dropout and a linear classifier.

    ``min_length`` is the backbone's total stride (32): a shorter input would reach the last stages as a
    single position made mostly of zero padding.
    """

    def __init__(self, arch: str, n_leads: int, n_classes: int, block: type[BasicBlock] | type[Bottleneck],
                 layers: tuple[int, int, int, int], width: int, dropout: float):
        super().__init__(arch, n_leads, n_classes)
        self.backbone = ResNetBackbone(n_leads, block, layers, check_int(arch, "width", width))
        self.head = PoolHead(self.backbone.out_channels, check_fraction(arch, "dropout", dropout))
        self.classifier = nn.Linear(self.head.out_dim, n_classes)
        self.min_length = self.backbone.stride

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.backbone(x))


@register_model("resnet1d18")
def resnet1d18(n_leads: int, n_classes: int, width: int = 64, dropout: float = 0.0) -> ResNet1d:
    """ResNet1d-18 (paper 002, "Experiment settings: Pre-training"; the best CNN of paper 000, sect. 3.3).

    Basic blocks (2, 2, 2, 2), channels width..8*width (64..512 as in He et al.). Deviation: the 2-D
    k x k kernels become 1-D length-k kernels; dropout on the pooled features is ours (default off).
    """
    return ResNet1d("resnet1d18", n_leads, n_classes, BasicBlock, (2, 2, 2, 2), width, dropout)


@register_model("resnet1d50")
def resnet1d50(n_leads: int, n_classes: int, width: int = 64, dropout: float = 0.0) -> ResNet1d:
    """ResNet1d-50 (paper 002, "Experiment settings: Pre-training").

    Bottleneck blocks (3, 4, 6, 3), 32*width = 2048 pooled features. Same 1-D adaptation as resnet1d18.
    """
    return ResNet1d("resnet1d50", n_leads, n_classes, Bottleneck, (3, 4, 6, 3), width, dropout)


@register_model("resnet1d101")
def resnet1d101(n_leads: int, n_classes: int, width: int = 64, dropout: float = 0.0) -> ResNet1d:
    """ResNet1d-101 (paper 002, "Experiment settings: Pre-training").

    Bottleneck blocks (3, 4, 23, 3), 32*width = 2048 pooled features. Same 1-D adaptation as resnet1d18.
    """
    return ResNet1d("resnet1d101", n_leads, n_classes, Bottleneck, (3, 4, 23, 3), width, dropout)
