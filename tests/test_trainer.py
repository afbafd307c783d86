"""Short real training runs on PTB-XL records: learning, reproducibility, resume, selection, thresholds."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch

import training.fit.run as run_module
import training.fit.trainer as trainer_module
from fit_helpers import one_thread, tiny_config
from training.checkpoint import load_model
from training.data.dataset import ECGDataset
from training.errors import ConfigError
from training.fit import CancelToken, TrainingCancelled, fit
from training.fit.data import load_run_data
from training.fit.device import seed_everything, select_device
from training.fit.run import build_run_model
from training.fit.sampling import EpochSampler, balanced_weights
from training.fit.trainer import Trainer, predict_dataset
from training.losses import build_loss
from training.metrics import Scores


@pytest.fixture(autouse=True, scope="module")
def _single_thread():
    with one_thread():
        yield


def _weights(path) -> dict[str, torch.Tensor]:
    return load_model(path)[0].state_dict()


def test_training_lowers_the_training_loss(ptbxl_root, tmp_path):
    config = tiny_config(ptbxl_root, tmp_path, train={"epochs": 3, "batch_size": 64, "patience": 0},
                         loss={"name": "bce"}, optim={"name": "adamw", "lr": 1e-2, "weight_decay": 0.0})
    seed_everything(config.seed, True)
    data = load_run_data(config)
    model = build_run_model(config, 5)
    loss_fn = build_loss("bce", data.train.index.targets)
    train_eval = ECGDataset(data.train.index, data.pipeline, config.data.length, train=False)
    before = predict_dataset(model, train_eval, torch.device("cpu"), loss_fn=loss_fn).loss
    events = []
    trainer = Trainer(model, loss_fn, config, data, torch.device("cpu"), emit=events.append)
    trainer.fit()
    after = predict_dataset(model, train_eval, torch.device("cpu"), loss_fn=loss_fn).loss
    assert after < 0.8 * before
    kinds = [e.type for e in events]
    assert kinds[0] == "start" and kinds.count("epoch") == 3
    assert kinds.count("step") == 3 * len(trainer.loader) == 3 * (352 // 64)
    assert all(np.isfinite(e.fields["eta_s"]) for e in events if e.type == "step")


def test_same_seed_gives_bit_identical_weights_on_cpu(ptbxl_root, tmp_path):
    sections = {"augment": [{"name": "polarity_inversion", "p": 0.5}, {"name": "gaussian_noise", "p": 0.5, "strength": 0.1},
                            {"name": "lead_drop", "p": 0.3, "strength": 0.2}],
                "train": {"epochs": 1, "batch_size": 64, "oversample": True, "patience": 0},
                "schedule": {"name": "onecycle"}}
    a = fit(tiny_config(ptbxl_root, tmp_path / "a", **sections))
    b = fit(tiny_config(ptbxl_root, tmp_path / "b", **sections))
    c = fit(tiny_config(ptbxl_root, tmp_path / "c", seed=8, **sections))
    wa, wb, wc = _weights(a.model_path), _weights(b.model_path), _weights(c.model_path)
    assert all(torch.equal(wa[k], wb[k]) for k in wa)
    assert not all(torch.equal(wa[k], wc[k]) for k in wa)
    assert a.card.data["fingerprint"] == b.card.data["fingerprint"] and a.card.seed == 7
    assert a.card.config["train"]["oversample"] is True


def test_cancel_then_resume_equals_an_uninterrupted_run(ptbxl_root, tmp_path):
    sections = {"train": {"epochs": 2, "batch_size": 64, "patience": 0},
                "schedule": {"name": "cosine_restarts", "restart_epochs": 1}}
    straight = fit(tiny_config(ptbxl_root, tmp_path / "straight", **sections))

    config = tiny_config(ptbxl_root, tmp_path / "resumed", **sections)
    cancel = CancelToken()

    def stop_in_epoch_two(event):
        if event.type == "step" and event.fields["epoch"] == 2 and event.fields["step"] == 3:
            cancel.cancel()

    with pytest.raises(TrainingCancelled, match="epoch 2"):
        fit(config, stop_in_epoch_two, cancel)
    resumed = fit(config, resume=True)
    ws, wr = _weights(straight.model_path), _weights(resumed.model_path)
    assert all(torch.equal(ws[k], wr[k]) for k in ws)
    assert [h["epoch"] for h in resumed.card.history] == [1, 2]

    changed = dataclasses.replace(config, optim=dataclasses.replace(config.optim, lr=1e-2))
    with pytest.raises(ConfigError, match="resume"):
        fit(changed, resume=True)


def test_early_stopping_keeps_the_best_validation_epoch(ptbxl_root, tmp_path, monkeypatch):
    values = iter([0.70, 0.80, 0.75, 0.90, 0.95])

    def fake_score(*args, **kwargs):
        return Scores({"auroc_macro": next(values)}, {})

    monkeypatch.setattr(trainer_module, "score", fake_score)
    config = tiny_config(ptbxl_root, tmp_path, train={"epochs": 5, "batch_size": 64, "patience": 1})
    seed_everything(config.seed, True)
    data = load_run_data(config)
    model = build_run_model(config, 5)
    trainer = Trainer(model, build_loss("bce", data.train.index.targets), config, data, torch.device("cpu"))
    best, progress = trainer.fit()
    assert progress.epoch == 3 and progress.best_epoch == 2 and progress.best_value == 0.80
    assert [h["improved"] for h in progress.history] == [True, True, False]
    assert not all(torch.equal(best[k], model.state_dict()[k]) for k in best)


def test_thresholds_come_from_validation_and_test_labels_change_nothing_but_test_scores(ptbxl_root, tmp_path,
                                                                                       monkeypatch):
    config = tiny_config(ptbxl_root, tmp_path / "plain")
    plain = fit(config)

    def flipped_test_labels(cfg):
        data = load_run_data(cfg)
        data.test.index.targets[:] = 1 - data.test.index.targets
        return data

    monkeypatch.setattr(run_module, "load_run_data", flipped_test_labels)
    flipped = fit(tiny_config(ptbxl_root, tmp_path / "flipped"))
    assert flipped.card.thresholds == plain.card.thresholds
    assert flipped.card.metrics["val"] == plain.card.metrics["val"]
    assert flipped.test.summary["auroc_macro"] == pytest.approx(1 - plain.test.summary["auroc_macro"])

    def flipped_val_labels(cfg):
        data = load_run_data(cfg)
        data.val.index.targets[:] = 1 - data.val.index.targets
        return data

    monkeypatch.setattr(run_module, "load_run_data", flipped_val_labels)
    other = fit(tiny_config(ptbxl_root, tmp_path / "val"))
    assert other.card.thresholds != plain.card.thresholds


def test_oversampling_draws_rare_classes_more_often_and_is_seeded():
    targets = np.zeros((100, 2), np.float32)
    targets[:90, 0] = 1
    targets[90:, 1] = 1
    sampler = EpochSampler(100, seed=1, weights=balanced_weights(targets))
    draws = np.array(list(sampler))
    assert 30 < np.sum(draws >= 90) < 70  # ~50 %, not 10 %
    assert list(sampler) == list(draws)
    sampler.set_epoch(1)
    assert list(sampler) != list(draws)
    plain = EpochSampler(100, seed=1)
    assert sorted(plain) == list(range(100))


def test_device_selection():
    assert select_device("cpu").type == "cpu"
    assert select_device("auto").type in ("cpu", "cuda", "mps")
    if not torch.cuda.is_available():
        with pytest.raises(ConfigError, match="device"):
            select_device("cuda:3")
