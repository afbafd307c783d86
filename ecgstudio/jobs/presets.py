"""Recipes a researcher starts from: each preset is a partial run config merged over the dialog's values.

Presets never name a data folder or a parent model (those are the user's), only what the recipe fixes.
"""

from __future__ import annotations

from typing import Any

PRESETS: dict[str, dict[str, Any]] = {
    "PTB-XL superclasses, ResNet1d-18": {
        "data": {"kind": "ptbxl", "label_set": "ptbxl-superclass", "fs": 100.0, "seconds": 10.0,
                 "normalization": "zscore"},
        "model": {"name": "resnet1d18", "options": {}},
        "loss": {"name": "bce"}, "optim": {"lr": 1e-3}, "train": {"epochs": 30, "batch_size": 64},
        "augment": [], "finetune": None,
    },
    "CinC 2021 scored classes, Inception1d": {
        "data": {"kind": "cinc", "label_set": "cinc-scored", "fs": 100.0, "seconds": 10.0, "normalization": "zscore"},
        "model": {"name": "inception1d", "options": {}},
        "loss": {"name": "focal"}, "optim": {"lr": 1e-3}, "train": {"epochs": 30, "batch_size": 64},
        "augment": [{"name": "gaussian_noise"}, {"name": "baseline_wander"}], "finetune": None,
    },
    "Fine-tune head on CPSC2018": {
        "data": {"kind": "cinc", "label_set": "cpsc2018", "seconds": 10.0},
        "loss": {"name": "bce"}, "optim": {"lr": 1e-3}, "train": {"epochs": 10, "batch_size": 32},
        "augment": [], "finetune": {"mode": "head", "backbone_lr_scale": 0.1},
    },
    "Smoke test (1 epoch, tiny model)": {
        "data": {"fs": 100.0, "seconds": 2.5},
        "model": {"name": "resnet1d18", "options": {"width": 4}},
        "train": {"epochs": 1, "batch_size": 64, "patience": 0}, "augment": [],
    },
}


def apply_preset(config: dict[str, Any], preset: str) -> dict[str, Any]:
    """``config`` with the preset's sections merged in (one level deep; ``None`` removes a section)."""
    out = {k: (dict(v) if isinstance(v, dict) else v) for k, v in config.items()}
    for key, value in PRESETS[preset].items():
        if value is None:
            out.pop(key, None)
        elif isinstance(value, dict) and isinstance(out.get(key), dict) and key != "model":
            out[key] = {**out[key], **value}
        elif key == "finetune" and isinstance(out.get(key), dict):
            out[key] = {**out[key], **value}  # keep the chosen parent model
        else:
            out[key] = value
    return out
