"""UNet1d: a small 1-D U-Net that labels every sample of a multi-lead ECG (background / P / QRS / T).

Why this shape: delineation is per-sample segmentation, and U-Net delineators (Moskalenko et al. 2019 on
LUDB, after Ronneberger et al. 2015) reach F1 > 99 % for QRS and T and > 97 % for P with an
encoder that halves time ``levels - 1`` times and a decoder that brings each level's features back
through skip connections, so the wave edges keep sample precision while the deep levels see whole beats.

Contract deviation from the classifiers: :meth:`features` returns per-sample features
``[batch, width, samples]`` and the ``classifier`` head is a 1-wide convolution, so ``forward`` gives
logits ``[batch, n_classes, samples]`` (the input length, any length: inputs are padded to a multiple of
``2 ** (levels - 1)`` inside and cropped back).
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

from training.models.contract import ZooModel, check_int
from training.models.layers import conv_bn_act
from training.models.registry import register_model


def _double(in_channels: int, out_channels: int, kernel: int) -> nn.Sequential:
    return nn.Sequential(conv_bn_act(in_channels, out_channels, kernel), conv_bn_act(out_channels, out_channels, kernel))


@register_model("unet1d")
class UNet1d(ZooModel):
    """``levels`` encoder levels of two ``kernel``-wide conv-BN-ReLU layers with ``width * (level + 1)``
    channels (16, 32, 48, 64 by default: channels grow linearly, not doubling, to keep the file small),
    2-wide max-pools between them, a mirrored decoder (linear upsampling, concatenated skip, two convs)
    and a 1-wide conv to ``n_classes`` logits per sample."""

    task = "segmentation"

    def __init__(self, n_leads: int, n_classes: int, width: int = 16, levels: int = 4, kernel: int = 9):
        arch = "unet1d"
        super().__init__(arch, n_leads, n_classes)
        width = check_int(arch, "width", width)
        levels = check_int(arch, "levels", levels)
        kernel = check_int(arch, "kernel", kernel, minimum=3)
        self.levels = levels
        self.min_length = 2 ** (levels - 1)
        channels = [width * (i + 1) for i in range(levels)]
        self.down = nn.ModuleList(_double(n_leads if i == 0 else channels[i - 1], channels[i], kernel)
                                  for i in range(levels))
        self.up = nn.ModuleList(_double(channels[i + 1] + channels[i], channels[i], kernel)
                                for i in range(levels - 1))
        self.classifier = nn.Conv1d(channels[0], n_classes, 1)  # type: ignore[assignment]

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        length = x.shape[-1]
        step = 2 ** (self.levels - 1)
        x = F.pad(x, (0, (-length) % step))
        skips = []
        for i, block in enumerate(self.down):
            x = block(x if i == 0 else F.max_pool1d(x, 2))
            skips.append(x)
        for i in reversed(range(self.levels - 1)):
            x = F.interpolate(x, size=skips[i].shape[-1], mode="linear", align_corners=False)
            x = self.up[i](torch.cat([x, skips[i]], dim=1))
        return x[..., :length]

    def replace_head(self, n_classes: int) -> None:
        """A fresh per-sample head for a new label set."""
        old = self.classifier.weight
        self.classifier = nn.Conv1d(self.classifier.in_channels, n_classes, 1, device=old.device,  # type: ignore
                                    dtype=old.dtype)
        self.n_classes = n_classes
