"""The model library: bundled and user models, and adding one never overwrites another."""

from __future__ import annotations

import json

import pytest
from PySide6.QtCore import QSettings

from ecgstudio.models.library import ModelLibrary
from ecgstudio.paths import resources_dir
from training.checkpoint import ModelFileError, load_model, model_paths, save_model

BUNDLED = resources_dir() / "models" / "ptbxl_superclass_resnet1d18"


@pytest.fixture
def library(tmp_path, qtbot):
    settings = QSettings(str(tmp_path / "s.ini"), QSettings.IniFormat)
    settings.setValue("models/user_dir", str(tmp_path / "user"))
    return ModelLibrary(settings)


def test_bundled_model_is_listed_read_only(library):
    bundled = [e for e in library.models() if e.bundled]
    assert [e.name for e in bundled] == ["ptbxl_superclass_resnet1d18"]
    assert bundled[0].card.classes == ("NORM", "MI", "STTC", "CD", "HYP")


def test_same_name_gets_a_new_place_and_same_weights_reuse_it(library, tmp_path):
    model, card = load_model(BUNDLED)
    first = library.add(BUNDLED)
    assert first.name == "ptbxl_superclass_resnet1d18" and not first.bundled
    assert library.add(BUNDLED).name == first.name  # the very same weights: no duplicate
    with __import__("torch").no_grad():
        model.classifier.bias += 1.0  # a different model under the same name
    other = tmp_path / "elsewhere" / "ptbxl_superclass_resnet1d18"
    other.parent.mkdir()
    card.weights_sha256, card.created = "", ""
    save_model(other, model, card)
    second = library.add(other)
    assert second.name == "ptbxl_superclass_resnet1d18-2"
    assert load_model(first.path)[1].weights_sha256 != load_model(second.path)[1].weights_sha256


def test_a_corrupt_model_is_refused_and_nothing_is_copied(library, tmp_path):
    weights, card = model_paths(BUNDLED)
    bad = tmp_path / "bad"
    bad.with_suffix(".json").write_text(card.read_text())
    bad.with_suffix(".safetensors").write_bytes(weights.read_bytes()[:-10] + b"0123456789")
    with pytest.raises(ModelFileError):
        library.add(bad)
    assert not any(library.user_dir.glob("bad*"))
    assert json.loads(card.read_text())["architecture"] == "resnet1d18"
