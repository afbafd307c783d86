"""Fine-tuning from a saved model: a tiny PTB-XL parent, fine-tuned on the real CPSC2018 records."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

import training.fit.run as run_module
from training.checkpoint import load_model
from training.config import RunConfig, dumps_config, load_config
from training.errors import ConfigError
from training.fit import fit
from training.fit.finetune import check_contract
from tests.fit_helpers import tiny_config


@pytest.fixture(scope="module")
def parent(ptbxl_root: Path, tmp_path_factory) -> Path:
    """A 1-epoch PTB-XL superclass model: 100 Hz, 2.5 s, 12 leads, 5 classes."""
    return fit(tiny_config(ptbxl_root, tmp_path_factory.mktemp("parent"))).model_path


def child_config(shared_data: Path, parent: Path, output: Path, mode: str, **data) -> RunConfig:
    return tiny_config(shared_data, output, name=f"child_{mode}",
                       data={"path": str(shared_data / "cpsc2018"), "kind": "cinc", "label_set": "cpsc2018", **data},
                       finetune={"parent": str(parent.with_suffix("")), "mode": mode, "backbone_lr_scale": 0.5})


def backbone(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    return {k: v for k, v in state.items() if not k.startswith("classifier.")}


def run_capturing_head(config: RunConfig, monkeypatch) -> tuple[run_module.FitResult, torch.Tensor]:
    """Fit, keeping a copy of the new head as initialised (to show that training moved it)."""
    initial = {}
    build = run_module.build_finetune_model

    def capture(cfg, n_classes):
        model, provenance = build(cfg, n_classes)
        initial["head"] = model.classifier.weight.detach().clone()
        return model, provenance

    monkeypatch.setattr(run_module, "build_finetune_model", capture)
    return fit(config), initial["head"]


def test_head_only_keeps_backbone_bit_identical(shared_data, parent, tmp_path, monkeypatch):
    result, head0 = run_capturing_head(child_config(shared_data, parent, tmp_path, "head"), monkeypatch)
    child, card = load_model(result.model_path)
    parent_model, parent_card = load_model(parent)
    ours, theirs = backbone(child.state_dict()), backbone(parent_model.state_dict())
    assert ours.keys() == theirs.keys() and any("running_mean" in k for k in ours)
    for key in ours:  # weights and BatchNorm statistics
        assert torch.equal(ours[key], theirs[key]), key
    assert child.classifier.out_features == 9
    assert not torch.equal(child.classifier.weight, head0)
    assert card.parent == str(parent.with_suffix(""))
    assert card.finetune["mode"] == "head"
    assert card.finetune["parent_weights_sha256"] == parent_card.weights_sha256
    assert card.config["finetune"]["mode"] == "head"


def test_full_finetune_changes_backbone_and_head(shared_data, parent, tmp_path, monkeypatch):
    result, head0 = run_capturing_head(child_config(shared_data, parent, tmp_path, "full"), monkeypatch)
    child, card = load_model(result.model_path)
    parent_model, _ = load_model(parent)
    ours, theirs = backbone(child.state_dict()), backbone(parent_model.state_dict())
    changed = [k for k in ours if k.endswith("weight") and not torch.equal(ours[k], theirs[k])]
    assert len(changed) == sum(k.endswith("weight") for k in ours)  # every backbone layer moved
    assert not torch.equal(child.classifier.weight, head0)
    assert card.finetune["mode"] == "full" and card.finetune["backbone_lr_scale"] == 0.5


@pytest.mark.parametrize(("data", "key"), [({"fs": 250.0}, "data.fs"), ({"seconds": 5.0}, "data.seconds"),
                                           ({"leads": ["I", "II"]}, "data.leads"), ({"band": []}, "data.band"),
                                           ({"normalization": "minmax"}, "data.normalization")])
def test_contract_mismatch_is_refused(shared_data, parent, tmp_path, data, key):
    with pytest.raises(ConfigError) as err:
        fit(child_config(shared_data, parent, tmp_path, "head", **data))
    assert err.value.key == key


def test_architecture_mismatch_is_refused(shared_data, parent, tmp_path):
    config = child_config(shared_data, parent, tmp_path, "full")
    config.model.options = {"width": 8}
    with pytest.raises(ConfigError) as err:
        fit(config)
    assert err.value.key == "model.options"


def test_finetune_section_round_trips_and_is_checked(shared_data, parent, tmp_path):
    config = child_config(shared_data, parent, tmp_path, "full")
    path = tmp_path / "ft.toml"
    path.write_text(dumps_config(config))
    assert load_config(path).finetune == config.finetune
    assert "finetune" not in tiny_config(shared_data, tmp_path).to_dict()
    bad = config.to_dict()
    bad["finetune"]["mode"] = "partial"
    with pytest.raises(ConfigError, match="finetune.mode"):
        RunConfig.from_dict(bad)
    bad["finetune"].update(mode="head", parent="")
    with pytest.raises(ConfigError, match="finetune.parent"):
        RunConfig.from_dict(bad)


def test_bundled_configs_match_the_bundled_model():
    repo = Path(__file__).resolve().parent.parent
    for mode in ("head", "full"):
        config = load_config(repo / f"configs/finetune_cpsc2018_{mode}.toml")
        _, card = load_model(repo / config.finetune.parent)
        check_contract(config, card, Path(config.finetune.parent))  # raises on any difference
