"""Model files: exact round trip, pickles refused without being opened, atomic and verified writes."""

from __future__ import annotations

import os
import pickle
from pathlib import Path

import numpy as np
import pytest
import torch

import training.atomic as atomic
from training.checkpoint import ModelCard, ModelFileError, load_card, load_model, save_model, weights_path
from training.data import read_record
from training.data.labels import get_label_set
from training.models import build_model
from training.signal import Pipeline
from training.signal.windows import fit_length


def _model(seed: int):
    torch.manual_seed(seed)
    return build_model("resnet1d18", 12, 5, width=4).eval()


def _card() -> ModelCard:
    pipeline = Pipeline.default(fs=100)
    return ModelCard(architecture="resnet1d18", model_options={"width": 4}, n_leads=12,
                     label_set=get_label_set("ptbxl-superclass").to_dict(), fs=100.0,
                     leads=list(pipeline.leads), input_length=400, preprocessing=pipeline.to_dict(),
                     thresholds=[0.3, 0.4, 0.5, 0.6, 0.7], seed=7,
                     metrics={"val": {"summary": {"auroc_macro": 0.8}}})


def _batch(ptbxl_root: Path) -> torch.Tensor:
    pipeline = Pipeline.default(fs=100)
    paths = sorted((ptbxl_root / "records100").rglob("*.hea"))[:4]
    return torch.from_numpy(np.stack([fit_length(pipeline.apply(read_record(p)), 400) for p in paths]))


def _outputs(model, x: torch.Tensor) -> torch.Tensor:
    with torch.no_grad():
        return model(x)


def test_round_trip_gives_identical_outputs_and_everything_inference_needs(tmp_path, ptbxl_root):
    model, x = _model(0), _batch(ptbxl_root)
    weights, card_path = save_model(tmp_path / "m", model, _card())
    assert weights == weights_path(load_card(card_path), card_path) and card_path.name == "m.json"
    assert weights.name.startswith("m.") and weights.suffix == ".safetensors"
    loaded, card = load_model(tmp_path / "m.json")
    assert torch.equal(_outputs(model, x), _outputs(loaded, x))
    assert not loaded.training
    assert card.classes == ("NORM", "MI", "STTC", "CD", "HYP") and card.thresholds == [0.3, 0.4, 0.5, 0.6, 0.7]
    assert card.pipeline == Pipeline.default(fs=100) and card.input_length == 400 and card.fs == 100.0
    assert card.labels.display[0] == "normal ECG" and card.parent is None
    assert card.versions["torch"] == torch.__version__ and card.created and len(card.weights_sha256) == 64


class _Boom:
    """Unpickling this creates a file: proof that a loader opened the pickle."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return (Path.touch, (self.marker,))


def test_pickles_and_torch_save_files_are_refused_unopened(tmp_path):
    weights, _ = save_model(tmp_path / "m", _model(0), _card())
    marker = tmp_path / "unpickled"
    torch.save({"x": _Boom(marker)}, weights)
    with pytest.raises(ModelFileError, match=r"m\.[0-9a-f]{16}\.safetensors.*zip archive \(torch\.save"):
        load_model(tmp_path / "m")
    weights.write_bytes(pickle.dumps(_Boom(marker)))
    with pytest.raises(ModelFileError, match="pickle"):
        load_model(tmp_path / "m")
    weights.write_bytes(b"hello, not a model")
    with pytest.raises(ModelFileError, match="not a safetensors file"):
        load_model(tmp_path / "m")
    assert not marker.exists()


def test_an_interrupted_save_leaves_the_previous_model_intact(tmp_path, ptbxl_root, monkeypatch):
    old, new, x = _model(0), _model(1), _batch(ptbxl_root)
    old_weights, _ = save_model(tmp_path / "m", old, _card())
    real_replace = os.replace

    def failing_replace(src, dst):
        if Path(dst).name == "m.json":  # the new weights are on disk, the card is being switched
            raise OSError("disk full")
        return real_replace(src, dst)

    monkeypatch.setattr(atomic.os, "replace", failing_replace)
    with pytest.raises(OSError, match="disk full"):
        save_model(tmp_path / "m", new, _card())
    monkeypatch.undo()
    loaded, _ = load_model(tmp_path / "m")
    assert torch.equal(_outputs(loaded, x), _outputs(old, x))
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["m.json", old_weights.name])


def test_weights_that_do_not_match_their_card_are_refused(tmp_path):
    a, _ = save_model(tmp_path / "a", _model(0), _card())
    b, _ = save_model(tmp_path / "b", _model(1), _card())
    a.write_bytes(b.read_bytes())
    with pytest.raises(ModelFileError, match="SHA-256"):
        load_model(tmp_path / "a")
    (tmp_path / "b.json").write_text('{"format": "something else"}')
    with pytest.raises(ModelFileError, match="not an ECG Studio model card"):
        load_model(tmp_path / "b")
    with pytest.raises(ModelFileError, match="model card not found"):
        load_model(tmp_path / "missing")
