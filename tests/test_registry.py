"""Registries refuse a second object under a taken name, for models, losses and augmentations alike."""

from __future__ import annotations

import pytest

from training.augment import AUGMENTATIONS, register_augmentation
from training.losses import LOSSES, register_loss
from training.models.registry import MODELS, model_names, register_model


def test_taken_names_are_refused_and_the_first_entry_kept():
    model_names()  # import the zoo
    first_model, first_loss = MODELS["resnet1d18"], LOSSES["focal"]
    with pytest.raises(ValueError, match="model 'resnet1d18' registered twice"):
        register_model("resnet1d18")(object)
    with pytest.raises(ValueError, match="loss 'focal' registered twice"):
        register_loss("focal")(object)
    flip = AUGMENTATIONS["polarity_inversion"]
    with pytest.raises(ValueError, match="augmentation 'polarity_inversion' registered twice"):
        register_augmentation(type("Again", (), {"name": "polarity_inversion"}))
    assert (MODELS["resnet1d18"], LOSSES["focal"], AUGMENTATIONS["polarity_inversion"]) == (first_model, first_loss, flip)
