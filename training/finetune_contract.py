"""What a fine-tuned model inherits from its parent: the input contract and the architecture.

A backbone only knows the signals it was trained on (rate, leads, window, band-pass, normalisation) and
only loads into the architecture it was saved from, so these values come from the parent's card and
nobody has to re-enter them. Torch-free (a card is plain data), so the app's job dialog can fill a
fine-tune from a parent without loading the engine's heavy modules.
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from training.checkpoint import ModelCard

#: the config keys a fine-tuned run shares with its parent, in the order they are checked
CONTRACT_KEYS = ("model.name", "model.options", "data.fs", "data.leads", "data.seconds", "data.normalization",
                 "data.band")


def parent_contract(card: "ModelCard") -> dict[str, Any]:
    """The config values a fine-tuned model must share with its parent, by config key.

    ``data.seconds`` is given in samples (the card's ``input_length``), the unit the contract is checked in.
    """
    steps = {step["step"]: step for step in card.preprocessing.get("steps", [])}
    band = [steps["bandpass"]["low"], steps["bandpass"]["high"]] if "bandpass" in steps else []
    return {
        "model.name": card.architecture,
        "model.options": dict(card.model_options),
        "data.fs": float(card.fs),
        "data.leads": list(card.leads),
        "data.seconds": card.input_length,
        "data.normalization": steps["normalize"]["method"] if "normalize" in steps else "none",
        "data.band": [float(b) for b in band],
    }


def inherit_parent(config: dict[str, Any], card: "ModelCard") -> dict[str, Any]:
    """``config`` (a run config dict) with the parent's architecture and input contract written in.

    Everything else — data folder, label set, epochs, learning rate, fine-tune mode — stays the user's.
    A label set other than the parent's is fine: the run builds a new head for it.
    """
    out = copy.deepcopy(config)
    for key, value in parent_contract(card).items():
        section, leaf = key.split(".")
        if key == "data.seconds":
            value = value / float(card.fs)
        out.setdefault(section, {})[leaf] = copy.deepcopy(value)
    return out
