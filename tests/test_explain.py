"""LIME and occlusion find a pattern a model was trained to key on, in real records."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from training.data.datasets import load_ptbxl
from training.data.readers import read_record
from training.explain import ExplainConfig, explain_lime, explain_occlusion, rank_agreement
from training.explain.segments import apply_masks, beat_bounds, window_bounds
from training.signal import Pipeline, fit_length

LEAD, T0, T1, FS = 7, 300, 350, 100.0  # V2, 3.0-3.5 s at 100 Hz


def _inject(x: np.ndarray) -> np.ndarray:
    x = x.copy()
    x[LEAD, T0:T1] += 4.0
    return x


@pytest.fixture(scope="module")
def keyed_model(ptbxl_root):
    """A small CNN trained on real records, half of which carry a pulse in V2 at 3.0-3.5 s."""
    torch.manual_seed(0)
    index = load_ptbxl(ptbxl_root)
    pipeline = Pipeline.default(fs=FS)
    xs = np.stack([fit_length(pipeline.apply(read_record(p)), 1000) for p in index.paths[:80]])
    labels = np.arange(len(xs)) % 2 == 0
    xs[labels] = np.stack([_inject(x) for x in xs[labels]])
    model = nn.Sequential(nn.Conv1d(12, 8, 25, padding=12), nn.ReLU(), nn.AdaptiveMaxPool1d(1), nn.Flatten(),
                          nn.Linear(8, 1))
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    X, Y = torch.from_numpy(xs), torch.from_numpy(labels.astype(np.float32))[:, None]
    for _ in range(150):
        opt.zero_grad()
        loss = nn.functional.binary_cross_entropy_with_logits(model(X), Y)
        loss.backward()
        opt.step()
    model.eval()

    def predict(batch: np.ndarray) -> np.ndarray:
        with torch.no_grad():
            p = torch.sigmoid(model(torch.from_numpy(np.ascontiguousarray(batch))))
        return torch.cat([1 - p, p], dim=1).numpy()

    held_out = fit_length(pipeline.apply(read_record(index.paths[100])), 1000)
    assert predict(_inject(held_out)[None])[0, 1] > 0.9 and predict(held_out[None])[0, 1] < 0.5
    return predict, _inject(held_out)


def test_lime_and_occlusion_rank_the_injected_segment_first(keyed_model):
    predict, x = keyed_model
    leads = tuple(Pipeline.default().leads)
    config = ExplainConfig(window_s=0.5, n_samples=1000, seed=1)
    lime = explain_lime(x, FS, leads, predict, class_index=1, config=config)
    occl = explain_occlusion(x, FS, leads, predict, class_index=1, config=config)
    for explanation in (lime, occl):
        lead, t0, t1, weight = explanation.top(1)[0]
        assert (lead, t0, t1) == ("V2", 3.0, 3.5) and weight > 0
    assert lime.score is not None and 0 < lime.score <= 1
    assert rank_agreement(lime, occl, k=1).top_overlap == 1.0


def test_same_seed_same_explanation_and_other_seed_differs(keyed_model):
    predict, x = keyed_model
    leads = tuple(Pipeline.default().leads)
    a = explain_lime(x, FS, leads, predict, 1, ExplainConfig(n_samples=300, seed=5))
    b = explain_lime(x, FS, leads, predict, 1, ExplainConfig(n_samples=300, seed=5))
    c = explain_lime(x, FS, leads, predict, 1, ExplainConfig(n_samples=300, seed=6))
    assert np.array_equal(a.weights, b.weights)
    assert not np.array_equal(a.weights, c.weights)


def test_masks_replace_exactly_the_switched_off_segments():
    x = np.arange(2 * 10, dtype=np.float32).reshape(2, 10) + 1
    bounds = window_bounds(10, 10.0, 0.4)  # [0,4) [4,8) [8,10)
    assert bounds.tolist() == [[0, 4], [4, 8], [8, 10]]
    masks = np.array([[1, 0, 1, 1, 1, 0]], dtype=np.int8)
    out = apply_masks(x, np.zeros_like(x), bounds, masks)[0]
    assert (out[0, 4:8] == 0).all() and (out[0, :4] == x[0, :4]).all()
    assert (out[1, 8:] == 0).all() and (out[1, :8] == x[1, :8]).all()


def test_beat_segments_split_halfway_between_r_peaks():
    assert beat_bounds(1000, np.array([100, 300, 600])).tolist() == [[0, 200], [200, 450], [450, 1000]]
