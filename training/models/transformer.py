"""Attention models: AttResNet, Transformer and ResTransformer (paper 000) and CNN-TE (paper 001).

Each runs attention over a sequence that a convolutional front end has already shortened (stride 32 for
the ResNet-18 front, ``patch`` for the Transformer's single conv), since self-attention costs grow with
the square of the sequence length. Features are averaged over time, so any input length works.
"""

from __future__ import annotations

from functools import partial

import torch
from torch import nn

from training.models.contract import ZooModel, check_fraction, check_heads, check_int
from training.models.layers import ConvStem, FrontEnd, PoolHead, TransformerStack
from training.models.registry import register_model
from training.models.resnet import resnet18_backbone


class ConvTransformer(ZooModel):
    """Front end -> sinusoidal positions + ``layers`` post-norm encoder layers -> mean over time -> dropout.

    The embedding dimension is the front end's channel count. ``min_length`` is the front's total stride.
    """

    def __init__(self, arch: str, n_leads: int, n_classes: int, front: FrontEnd, width: int, heads: int,
                 layers: int, dropout: float):
        super().__init__(arch, n_leads, n_classes)
        width = check_int(arch, "width", width)
        layers = check_int(arch, "layers", layers)
        dropout = check_fraction(arch, "dropout", dropout)
        self.front = front(n_leads, width)
        dim = self.front.out_channels
        self.encoder = TransformerStack(dim, check_heads(arch, heads, dim), layers, dropout)
        self.head = PoolHead(dim, dropout)
        self.classifier = nn.Linear(dim, n_classes)
        self.min_length = self.front.stride

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.encoder(self.front(x)))


def patch_embedding(n_leads: int, width: int, patch: int) -> ConvStem:
    """One conv layer raising the leads to ``width`` dimensions, ``patch`` samples wide and with stride
    ``patch``: each token summarises ``patch`` samples (0.1 s at 100 Hz by default)."""
    return ConvStem(n_leads, width, patch, (patch,))


@register_model("transformer")
def transformer(n_leads: int, n_classes: int, width: int = 512, heads: int = 4, layers: int = 4,
                patch: int = 10, dropout: float = 0.1) -> ConvTransformer:
    """Transformer of paper 000 (sect. 3.3; configuration (d) in sect. 4): one conv layer to raise the
    dimension to 512 (``width``), 4 encoder layers with 4 heads.

    Deviations / choices the paper leaves open: the conv has stride ``patch`` (10) so 1000-5000-sample
    inputs give 100-500 tokens; sinusoidal positions (Vaswani et al.), feed-forward 4 x width, dropout
    0.1 as in Vaswani et al.; features averaged over tokens.
    """
    patch = check_int("transformer", "patch", patch)
    return ConvTransformer("transformer", n_leads, n_classes, partial(patch_embedding, patch=patch),
                           width, heads, layers, dropout)


@register_model("restransformer")
def restransformer(n_leads: int, n_classes: int, width: int = 64, heads: int = 4, layers: int = 2,
                   dropout: float = 0.1) -> ConvTransformer:
    """ResTransformer of paper 000 (sect. 3.3; configuration (e) in sect. 4): ResNet18 features
    (``width`` 64 -> 512-d embedding, stride 32), then a transformer encoder with 4 heads.

    Choices the paper leaves open: 2 encoder layers, sinusoidal positions, feed-forward 4 x 512,
    dropout 0.1 (Vaswani et al.).
    """
    return ConvTransformer("restransformer", n_leads, n_classes, resnet18_backbone, width, heads, layers, dropout)


@register_model("cnn_te")
def cnn_te(n_leads: int, n_classes: int, width: int = 64, heads: int = 2, layers: int = 1,
           dropout: float = 0.1) -> ConvTransformer:
    """CNN-TE of paper 001 (sects. 3.1-3.4): 8 residual conv blocks (12 -> 512 features, length / 32:
    5000 -> 157 as in the paper), sinusoidal positional encoding added (sect. 3.2), a post-norm
    transformer encoder with 2 heads of 256 dims (sect. 3.3), then a dense output layer.

    The conv module's figure is not in our copy, so its 8 blocks are ResNet-18's basic blocks and stem,
    which match every number the text gives. Deviations: one encoder layer (the text describes a single
    encoder), feed-forward 4 x 512 and dropout 0.1 (not given); features averaged over time before the
    output layer; sigmoid/softmax is left to the loss.
    """
    return ConvTransformer("cnn_te", n_leads, n_classes, resnet18_backbone, width, heads, layers, dropout)


@register_model("attention_resnet")
class AttentionResNet(ZooModel):
    """AttResNet of paper 000 (sect. 3.3; configuration (c) in sect. 4): ResNet18 features followed by a
    multi-head self-attention layer of 512 dims (``width`` 64 x 8) and 4 heads.

    Choices the paper leaves open: the attention output is added to its input and layer-normalised
    (no feed-forward and no positional encoding, which is what separates it from ``restransformer``),
    dropout 0.1, features averaged over time. ``min_length`` is the backbone's stride (32).
    """

    def __init__(self, n_leads: int, n_classes: int, width: int = 64, heads: int = 4, dropout: float = 0.1):
        arch = "attention_resnet"
        super().__init__(arch, n_leads, n_classes)
        width = check_int(arch, "width", width)
        dropout = check_fraction(arch, "dropout", dropout)
        self.backbone = resnet18_backbone(n_leads, width)
        dim = self.backbone.out_channels
        self.attention = nn.MultiheadAttention(dim, check_heads(arch, heads, dim), dropout=dropout,
                                               batch_first=True)
        self.attention_dropout = nn.Dropout(dropout)
        self.norm = nn.LayerNorm(dim)
        self.head = PoolHead(dim, dropout)
        self.classifier = nn.Linear(dim, n_classes)
        self.min_length = self.backbone.stride

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        seq = self.backbone(x).transpose(1, 2)
        attended, _ = self.attention(seq, seq, seq, need_weights=False)
        seq = self.norm(seq + self.attention_dropout(attended))
        return self.head(seq.transpose(1, 2))
