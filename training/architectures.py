"""What each registered architecture accepts, declared without torch, for the model library's scan.

The registry (:mod:`training.models.registry`) builds architectures, which needs torch; the app's start-up
scan must stay torch-free (tests/test_lazy_start.py), yet should list a card naming an unknown
architecture or option, or weights that cannot fit it, as a problem instead of failing when it first
runs. So each architecture's options (name and type) and the tensors whose shapes a card implies are
declared here as data: the input tensor's second dimension is the card's ``n_leads`` and the output
tensor's first the number of classes. tests/test_hostile_models.py checks this table against the
registry (option names and types from each constructor's signature, tensor names and shapes from a
model built on the ``meta`` device), so the two cannot drift apart: a new architecture is added here
and there.
"""

from __future__ import annotations

from typing import NamedTuple


class Architecture(NamedTuple):
    #: option name -> ``int`` or ``float``
    options: dict[str, type]
    #: the first convolution's weight, ``[out channels, n_leads, kernel]``
    input_tensor: str
    #: the classifier's weight, ``[n_classes, features]``
    output_tensor: str = "classifier.weight"


ARCHITECTURES: dict[str, Architecture] = {
    "alexnet1d": Architecture({"width": int, "dropout": float}, "conv.0.weight"),
    "attention_resnet": Architecture({"width": int, "heads": int, "dropout": float}, "backbone.0.0.weight"),
    "bilstm": Architecture({"width": int, "hidden": int, "layers": int, "dropout": float}, "front.0.0.weight"),
    "cnn_te": Architecture({"width": int, "heads": int, "layers": int, "dropout": float}, "front.0.0.weight"),
    "crnn_gru": Architecture({"width": int, "hidden": int, "layers": int, "dropout": float}, "front.0.0.weight"),
    "crnn_lstm": Architecture({"width": int, "hidden": int, "layers": int, "dropout": float}, "front.0.0.weight"),
    "gru": Architecture({"width": int, "hidden": int, "layers": int, "dropout": float}, "front.0.0.weight"),
    "inception1d": Architecture({"width": int, "depth": int, "downsample": int, "dropout": float}, "blocks.0.bottleneck.weight"),
    "lstm": Architecture({"width": int, "hidden": int, "layers": int, "dropout": float}, "front.0.0.weight"),
    "resnet1d101": Architecture({"width": int, "dropout": float}, "backbone.0.0.weight"),
    "resnet1d18": Architecture({"width": int, "dropout": float}, "backbone.0.0.weight"),
    "resnet1d50": Architecture({"width": int, "dropout": float}, "backbone.0.0.weight"),
    "restransformer": Architecture({"width": int, "heads": int, "layers": int, "dropout": float}, "front.0.0.weight"),
    "transformer": Architecture({"width": int, "heads": int, "layers": int, "patch": int, "dropout": float}, "front.0.0.weight"),
    "unet1d": Architecture({"width": int, "levels": int, "kernel": int}, "down.0.0.0.weight"),
    "vgg11_bn1d": Architecture({"width": int, "dropout": float}, "conv.0.0.weight"),
}
