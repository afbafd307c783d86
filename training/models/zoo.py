"""Imports every architecture module so its ``@register_model`` decorators run (see registry._load_all)."""

from training.models import cnn, inception, recurrent, resnet, transformer, unet  # noqa: F401
