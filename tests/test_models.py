"""The model zoo on real PTB-XL batches: shapes, gradients, lead counts, lengths, config errors, heads."""

from __future__ import annotations

import pytest
import torch

from training.data.dataset import ECGDataset
from training.data.datasets import load_ptbxl
from training.errors import ConfigError
from training.models import build_model, model_names
from training.models.registry import MODELS
from training.signal import Pipeline

EXPECTED = {
    "alexnet1d", "vgg11_bn1d", "resnet1d18", "resnet1d50", "resnet1d101", "crnn_lstm", "crnn_gru",
    "attention_resnet", "transformer", "restransformer", "lstm", "bilstm", "gru", "cnn_te", "inception1d",
}
ALL = sorted(EXPECTED)
N_CLASSES = 5


@pytest.fixture(autouse=True, scope="module")
def _one_thread():
    """Tiny batches gain nothing from threads, and on a shared CPU extra threads mostly spin-wait."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def _batch(index, pipeline: Pipeline, length: int, n: int) -> tuple[torch.Tensor, torch.Tensor]:
    data = ECGDataset(index, pipeline, length, train=False, cache=False)
    xs, ys = zip(*(data[i] for i in range(n)))
    return torch.stack(xs), torch.stack(ys)


@pytest.fixture(scope="session")
def ptbxl_batches(ptbxl_root) -> dict[str, tuple[torch.Tensor, torch.Tensor]]:
    """Real 10 s records: 12 and 2 leads at 100 Hz (1000 samples), and 12 leads at 300 Hz (3000 samples)."""
    index = load_ptbxl(ptbxl_root, fs=100).subset("val")
    index500 = load_ptbxl(ptbxl_root, fs=500).subset("val")
    return {
        "12": _batch(index, Pipeline.default(fs=100), 1000, 3),
        "2": _batch(index, Pipeline.default(fs=100, leads=("I", "II")), 1000, 3),
        "long": _batch(index500, Pipeline.default(fs=300), 3000, 2),
    }


def _build(name: str, n_leads: int = 12, seed: int = 0, **config):
    torch.manual_seed(seed)
    return build_model(name, n_leads, N_CLASSES, **config)


def test_registry_holds_exactly_the_zoo():
    assert set(model_names()) == EXPECTED


@pytest.mark.parametrize("name", ALL)
def test_every_model_cites_its_paper(name):
    assert "paper 00" in (MODELS[name].__doc__ or "")


@pytest.mark.parametrize("leads", ["12", "2"])
@pytest.mark.parametrize("name", ALL)
def test_forward_backward_on_real_batch(name, leads, ptbxl_batches):
    x, y = ptbxl_batches[leads]
    assert x.shape[1] == int(leads) and torch.isfinite(x).all() and x.std() > 0.1
    model = _build(name, n_leads=int(leads))
    model.train()
    logits = model(x)
    assert logits.shape == (x.shape[0], N_CLASSES)
    assert torch.isfinite(logits).all()
    torch.nn.functional.binary_cross_entropy_with_logits(logits, y).backward()
    first = next(model.parameters())
    assert first.shape[1] == int(leads), "first parameter should be the input layer's weight"
    assert first.grad is not None and first.grad.abs().sum() > 0
    for param in model.parameters():
        assert param.grad is not None and torch.isfinite(param.grad).all()


@pytest.mark.parametrize("name", ALL)
def test_min_length_and_long_inputs_are_accepted_shorter_rejected(name, ptbxl_batches):
    x, _ = ptbxl_batches["long"]
    model = _build(name).eval()
    n = model.min_length
    assert 1 <= n <= 100, "a 1 s record at 100 Hz must be usable"
    with torch.no_grad():
        assert model(x[:, :, :n]).shape == (2, N_CLASSES)
        long = model(x)
        assert long.shape == (2, N_CLASSES) and torch.isfinite(long).all()
        with pytest.raises(ValueError, match=rf"{name}.*{n - 1}.*{n}"):
            model(x[:, :, : n - 1])


@pytest.mark.parametrize("name", ["alexnet1d", "vgg11_bn1d"])
def test_unpadded_pooling_models_state_their_hard_minimum(name):
    """For these, min_length is what the layers need: one sample less breaks them, not just our check."""
    model = _build(name).eval()
    with torch.no_grad():
        model.encode(torch.randn(1, 12, model.min_length))
        with pytest.raises(RuntimeError):
            model.encode(torch.randn(1, 12, model.min_length - 1))


def test_inception_min_length_follows_its_input_averaging():
    full_rate = _build("inception1d", downsample=1).eval()
    assert full_rate.min_length == 39 and _build("inception1d", downsample=3).min_length == 117
    with torch.no_grad():
        assert full_rate(torch.randn(2, 12, 39)).shape == (2, N_CLASSES)
        with pytest.raises(ValueError, match="inception1d"):
            full_rate(torch.randn(2, 12, 38))


def test_wrong_lead_count_is_rejected():
    model = _build("resnet1d18", n_leads=12).eval()
    with pytest.raises(ValueError, match=r"resnet1d18.*12 leads.*\[1, 2, 1000\]"):
        model(torch.zeros(1, 2, 1000))


@pytest.mark.parametrize("name", ALL)
def test_bad_width_and_dropout_are_config_errors(name):
    for width in (-8, 0, 2.5, True):
        with pytest.raises(ConfigError) as err:
            build_model(name, 12, N_CLASSES, width=width)
        assert err.value.key == "model.width" and name in err.value.reason
    with pytest.raises(ConfigError, match="dropout"):
        build_model(name, 12, N_CLASSES, dropout=1.0)
    with pytest.raises(ConfigError, match=name):
        build_model(name, 12, N_CLASSES, no_such_option=1)
    with pytest.raises(ConfigError, match="n_leads"):
        build_model(name, 0, N_CLASSES)


@pytest.mark.parametrize("name, config", [
    ("transformer", {"heads": 3}),          # 512 / 3
    ("cnn_te", {"heads": 5}),                # 512 / 5
    ("attention_resnet", {"width": 5, "heads": 16}),  # 40 / 16
    ("restransformer", {"heads": 0}),
    ("crnn_gru", {"hidden": -1}),
    ("lstm", {"layers": 0}),
    ("inception1d", {"depth": 0}),
    ("inception1d", {"downsample": 0}),
    ("transformer", {"patch": 0}),
])
def test_inconsistent_options_are_config_errors(name, config):
    with pytest.raises(ConfigError):
        build_model(name, 12, N_CLASSES, **config)


SMALL = {name: {"width": 8} for name in ALL} | {
    "transformer": {"width": 64},
    "inception1d": {"width": 4},
    **{name: {"width": 16, "hidden": 32} for name in ("lstm", "bilstm", "gru", "crnn_lstm", "crnn_gru")},
}


@pytest.mark.parametrize("name", ALL)
def test_small_variant_is_much_smaller_and_still_works(name, ptbxl_batches):
    x, _ = ptbxl_batches["2"]
    small = _build(name, n_leads=2, **SMALL[name])
    assert _params(small) < _params(_build(name, n_leads=2)) / 4
    assert small(x).shape == (x.shape[0], N_CLASSES)


def test_replace_head_changes_only_the_classifier(ptbxl_batches):
    x, _ = ptbxl_batches["12"]
    model = _build("crnn_gru").eval()
    before = {k: v.clone() for k, v in model.state_dict().items() if not k.startswith("classifier.")}
    with torch.no_grad():
        features = model.features(x)
    model.replace_head(7)
    after = model.state_dict()
    assert set(after) == set(before) | {"classifier.weight", "classifier.bias"}
    assert all(torch.equal(before[k], after[k]) for k in before)
    assert model.classifier.in_features == features.shape[1] and model.n_classes == 7
    with torch.no_grad():
        assert torch.equal(model.features(x), features)
        assert model(x).shape == (x.shape[0], 7)
    head = {id(p) for p in model.classifier.parameters()}
    backbone = model.backbone_parameters()
    assert not head & {id(p) for p in backbone}
    assert len(backbone) + len(head) == len(list(model.parameters()))


@pytest.mark.parametrize("name", ALL)
def test_same_seed_same_initial_weights(name):
    a, b, c = _build(name, seed=3), _build(name, seed=3), _build(name, seed=4)
    sa, sb, sc = a.state_dict(), b.state_dict(), c.state_dict()
    assert all(torch.equal(sa[k], sb[k]) for k in sa)
    assert not all(torch.equal(sa[k], sc[k]) for k in sa)


def test_transformer_layers_do_not_start_identical():
    model = _build("transformer")
    weights = [layer.linear1.weight for layer in model.encoder.layers]
    assert not torch.equal(weights[0], weights[1])


def _params(model: torch.nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())
